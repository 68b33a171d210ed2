"""Session totals from events, filled into the session's update.

Runs on the delivery thread, in operation order: when a session's update
arrives, every earlier event of that session has passed through here. LLM
costs are computed here too (not on the caller's thread) when an ``llm_call``
event carries a model and tokens but no cost.
"""

from __future__ import annotations

import collections
import logging
from collections.abc import Callable
from typing import Any

from .._operation import Operation

logger = logging.getLogger("sentrial")

MAX_OPEN_SESSIONS = 100_000
_COUNTED = frozenset({"estimated_cost", "prompt_tokens", "completion_tokens", "token_count"})


class _Totals:
    __slots__ = ("completion_tokens", "cost", "prompt_tokens", "tokens")

    def __init__(self) -> None:
        self.cost = 0.0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.tokens = 0  # token_count of events that do not split prompt/completion


class Rollup:
    """Totals of at most MAX_OPEN_SESSIONS open sessions; past that, those of
    the session whose events came least recently are dropped, counted
    (``on_evict``: ``stats()["lost_totals"]``, and flush() says False) and
    warned about once: its completion is sent without summed totals."""

    def __init__(self, on_evict: Callable[[int], None] | None = None) -> None:
        self._open: collections.OrderedDict[str, _Totals] = collections.OrderedDict()
        self._on_evict = on_evict
        self._warned = False

    def apply(self, op: Operation) -> None:
        if op.kind == "create_event":
            self._add(op.session_id, op.fields)
        elif op.kind == "update_session":
            self._fill(op.session_id, op.fields)

    def _add(self, session_id: str, fields: dict[str, Any]) -> None:
        if fields.get("event_type") == "llm_call" and fields.get("estimated_cost") is None:
            cost = llm_cost(fields)
            if cost is not None:
                fields["estimated_cost"] = cost
        if _COUNTED.isdisjoint(fields):  # most tool calls: nothing to add up
            return
        totals = self._open.get(session_id)
        if totals is None:
            totals = self._open[session_id] = _Totals()
            if len(self._open) > MAX_OPEN_SESSIONS:
                self._evict()
        else:
            self._open.move_to_end(session_id)  # least recently used goes first
        totals.cost += _number(fields.get("estimated_cost"))
        prompt = int(_number(fields.get("prompt_tokens")))
        completion = int(_number(fields.get("completion_tokens")))
        totals.prompt_tokens += prompt
        totals.completion_tokens += completion
        if not prompt and not completion:
            totals.tokens += int(_number(fields.get("token_count")))

    def _evict(self) -> None:
        self._open.popitem(last=False)
        if self._on_evict is not None:
            self._on_evict(1)
        if not self._warned:
            self._warned = True
            logger.warning(
                "sentrial: more than %s sessions open at once: the cost and token totals"
                " of the least recently active are dropped, their completions sent without"
                " them (counted in stats()['lost_totals'])",
                f"{MAX_OPEN_SESSIONS:,}",
            )

    def _fill(self, session_id: str, fields: dict[str, Any]) -> None:
        totals = self._open.pop(session_id, None)
        if totals is None:
            return
        if fields.get("estimated_cost") is None and totals.cost:
            fields["estimated_cost"] = round(totals.cost, 10)
        if fields.get("prompt_tokens") is None and totals.prompt_tokens:
            fields["prompt_tokens"] = totals.prompt_tokens
        if fields.get("completion_tokens") is None and totals.completion_tokens:
            fields["completion_tokens"] = totals.completion_tokens
        if fields.get("total_tokens") is None:
            total = totals.prompt_tokens + totals.completion_tokens + totals.tokens
            prompt, completion = fields.get("prompt_tokens"), fields.get("completion_tokens")
            if isinstance(prompt, int) and isinstance(completion, int):
                total = max(total, prompt + completion)
            if total:
                fields["total_tokens"] = total


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def llm_cost(fields: dict[str, Any]) -> float | None:
    """USD of an llm_call from its model and tokens; None when unknown."""
    model = fields.get("model")
    if not isinstance(model, str) or not model:
        return None
    if fields.get("prompt_tokens") is None and fields.get("completion_tokens") is None:
        return None  # a response without usage: not free, unknown (cached counts are in prompt)
    try:
        from ..cost import calculate_cost

        return calculate_cost(
            model,
            int(_number(fields.get("prompt_tokens"))),
            int(_number(fields.get("completion_tokens"))),
            cached_input_tokens=int(_number(fields.get("cached_tokens"))),
            cache_write_tokens=int(_number(fields.get("cache_write_tokens"))),
            provider=fields.get("provider"),  # calculate_cost ignores anything but text
        )
    except Exception as exc:  # no price package, a broken price list: no cost, never no event
        if type(exc) not in _warned:
            _warned.add(type(exc))
            logger.warning("sentrial: LLM costs not computed (%s: %s)", type(exc).__name__, exc)
        return None


_warned: set[type[BaseException]] = set()
