"""CrewAI: a crew's kickoff as a session.

CrewAI reports progress through two public callbacks of ``Crew``:
``step_callback`` (an ``AgentAction``: thought, tool, tool input, result; or
an ``AgentFinish``) and ``task_callback`` (a ``TaskOutput``), and returns a
``CrewOutput`` whose ``token_usage`` sums the run's model calls.
``SentrialCrewHandler.wrap_crew(crew)`` installs both callbacks (chained
with any already set) and wraps ``kickoff``; ``track_crew`` does it around a
function that runs a crew. Recorded: a ``tool_call`` per tool step, a
decision per final answer, a ``tool_call`` named ``task: ...`` per finished
task, and the run's tokens as one ``llm_call`` (priced from the agents'
model) so the session carries tokens and cost.

Objects are read through their public attributes only; nothing here imports
``crewai`` (``pip install "sentrial[crewai]"``), and anything unexpected is
skipped with a debug log, never raised into the crew.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from .._client import SentrialClient
from ..cost import calculate_cost

logger = logging.getLogger("sentrial")

__all__ = ["SentrialCrewHandler", "calculate_cost", "track_crew"]

F = TypeVar("F", bound=Callable[..., Any])


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _crew_model(crew: Any) -> str | None:
    """The model of the crew's first agent that names one (for prices)."""
    for agent in getattr(crew, "agents", None) or []:
        model = getattr(getattr(agent, "llm", None), "model", None)
        if isinstance(model, str) and model:
            return model
    return None


def _output_text(result: Any) -> Any:
    raw = getattr(result, "raw", None)
    return raw if raw is not None else result


class SentrialCrewHandler:
    """Records a CrewAI run into ``session_id`` (the published API)."""

    def __init__(
        self,
        client: SentrialClient,
        session_id: str,
        verbose: bool = False,
        *,
        model: str | None = None,
    ) -> None:
        self.client = client
        self.session_id = session_id
        self.verbose = verbose
        self.model = model
        self.user_input: str | None = None
        self.assistant_output: str | None = None
        self.start_time = time.time()
        self._finished = False
        self._usage = {"prompt_tokens": 0, "completion_tokens": 0, "steps": 0, "tasks": 0}
        self._cost = 0.0
        self._on_bus = False

    def _log(self, message: str) -> None:
        if self.verbose:
            logger.info("sentrial crewai: %s", message)

    @property
    def duration_ms(self) -> int:
        return int((time.time() - self.start_time) * 1000)

    def set_input(self, user_input: str) -> None:
        self.user_input = user_input

    # -- CrewAI's callbacks ---------------------------------------------------

    def on_step(self, step_output: Any) -> None:
        """``Crew(step_callback=...)``: an ``AgentAction`` or ``AgentFinish``."""
        try:
            kind = type(step_output).__name__
            self._log(f"step {kind}")
            self._usage["steps"] += 1
            if kind == "AgentAction" or hasattr(step_output, "tool"):
                if self._on_bus:  # the event bus records this tool call, with its timing
                    return
                self.client.track_tool_call(
                    self.session_id,
                    str(step_output.tool),
                    _maybe_json(getattr(step_output, "tool_input", None)),
                    getattr(step_output, "result", None),
                    reasoning=getattr(step_output, "thought", None) or None,
                )
            elif kind == "AgentFinish" or hasattr(step_output, "output"):
                self.client.track_decision(
                    self.session_id,
                    getattr(step_output, "thought", None) or "final answer",
                    metadata={"output": getattr(step_output, "output", None)},
                )
        except Exception:
            logger.debug("sentrial: recording a CrewAI step failed", exc_info=True)

    def on_task_complete(self, task_output: Any) -> None:
        """``Crew(task_callback=...)``: a finished ``TaskOutput``."""
        try:
            self._usage["tasks"] += 1
            name = getattr(task_output, "name", None) or getattr(task_output, "summary", None)
            failures = getattr(task_output, "tool_failures", None)
            self.client.track_tool_call(
                self.session_id,
                f"task: {name or 'task'}",
                {
                    "description": getattr(task_output, "description", None),
                    "expected_output": getattr(task_output, "expected_output", None),
                    "agent": getattr(task_output, "agent", None),
                },
                {"raw": getattr(task_output, "raw", None)},
                metadata={"tool_failures": failures} if failures else None,
            )
        except Exception:
            logger.debug("sentrial: recording a CrewAI task failed", exc_info=True)

    def on_tool_event(self, event: Any) -> None:
        """A ``ToolUsageFinishedEvent`` or ``ToolUsageErrorEvent`` of CrewAI's event
        bus: the tool calls made through native function calling, which never
        reach ``step_callback``."""
        try:
            error = getattr(event, "error", None)
            started, finished = (
                getattr(event, "started_at", None),
                getattr(event, "finished_at", None),
            )
            duration = None
            if started is not None and finished is not None:
                duration = max(0.0, (finished - started).total_seconds() * 1000)
            self.client.track_tool_call(
                self.session_id,
                str(getattr(event, "tool_name", None) or "tool"),
                _maybe_json(getattr(event, "tool_args", None)),
                None if error is not None else getattr(event, "output", None),
                tool_error=None if error is None else {"message": str(error)},
                metadata={
                    "agent": getattr(event, "agent_role", None),
                    "task": getattr(event, "task_name", None),
                    "from_cache": getattr(event, "from_cache", None),
                },
                duration_ms=duration,
            )
        except Exception:
            logger.debug("sentrial: recording a CrewAI tool event failed", exc_info=True)

    def add_token_usage(
        self, prompt_tokens: int, completion_tokens: int, model: str | None = None
    ) -> None:
        """Tokens spent by the crew's model calls, recorded as one LLM call."""
        model = model or self.model or "unknown"
        self.client.track_llm_call(
            self.session_id,
            model,
            prompt_tokens=int(prompt_tokens),
            completion_tokens=int(completion_tokens),
            metadata={"source": "crewai token_usage"},
        )
        self._usage["prompt_tokens"] += int(prompt_tokens)
        self._usage["completion_tokens"] += int(completion_tokens)
        if model != "unknown":
            self._cost += calculate_cost(model, int(prompt_tokens), int(completion_tokens)) or 0.0

    def record_result(self, result: Any) -> None:
        """A ``CrewOutput``: its text and ``token_usage``."""
        try:
            self.assistant_output = str(_output_text(result))
            usage = getattr(result, "token_usage", None)
            prompt = getattr(usage, "prompt_tokens", None)
            completion = getattr(usage, "completion_tokens", None)
            if isinstance(prompt, int) and isinstance(completion, int) and (prompt or completion):
                self.add_token_usage(prompt, completion)
        except Exception:
            logger.debug("sentrial: reading a CrewAI result failed", exc_info=True)

    # -- a whole crew -------------------------------------------------------------

    def wrap_crew(self, crew: Any) -> Any:
        """Install the callbacks (after any the crew has) and wrap ``kickoff``."""
        try:
            self.model = self.model or _crew_model(crew)
            for attribute, ours in (
                ("step_callback", self.on_step),
                ("task_callback", self.on_task_complete),
            ):
                theirs = getattr(crew, attribute, None)
                object.__setattr__(crew, attribute, _chain(theirs, ours))
            kickoff = crew.kickoff
            agent_ids = [str(a.id) for a in getattr(crew, "agents", None) or [] if hasattr(a, "id")]

            @functools.wraps(kickoff)
            def tracked_kickoff(*args: Any, **kwargs: Any) -> Any:
                self.start_time = time.time()
                inputs = kwargs.get("inputs", args[0] if args else None)
                if inputs and self.user_input is None:
                    self.user_input = json.dumps(inputs, default=str)
                self._on_bus = _listen(agent_ids, self)
                try:
                    result = kickoff(*args, **kwargs)
                except Exception as exc:
                    _unlisten(agent_ids)
                    self.finish(success=False, failure_reason=f"{type(exc).__name__}: {exc}")
                    raise
                _unlisten(agent_ids)
                self.record_result(result)
                self.finish(success=True)
                return result

            object.__setattr__(crew, "kickoff", tracked_kickoff)
        except Exception:
            logger.warning("sentrial: this Crew could not be tracked (it runs untracked)")
            logger.debug("sentrial: wrap_crew failed", exc_info=True)
        return crew

    def get_usage_summary(self) -> dict[str, Any]:
        return {
            **self._usage,
            "total_tokens": self._usage["prompt_tokens"] + self._usage["completion_tokens"],
            "estimated_cost": round(self._cost, 10),
            "duration_ms": self.duration_ms,
        }

    def finish(
        self,
        success: bool = True,
        failure_reason: str | None = None,
        output: Any = None,
        custom_metrics: Mapping[str, float] | None = None,
    ) -> dict[str, Any]:
        """Complete the session once (cost and tokens summed from its events)."""
        if self._finished:
            return {}
        self._finished = True
        if output is not None:
            self.assistant_output = str(output)
        return self.client.complete_session(
            self.session_id,
            success=success,
            failure_reason=failure_reason,
            custom_metrics=custom_metrics,
            duration_ms=self.duration_ms,
            user_input=self.user_input,
            assistant_output=self.assistant_output,
        )


# CrewAI's event bus is global: one listener, routing events by agent id to the
# handler of the crew that agent belongs to while its kickoff runs.
_handlers: dict[str, SentrialCrewHandler] = {}
_listening = False
_lock = threading.Lock()


def _listen(agent_ids: list[str], handler: SentrialCrewHandler) -> bool:
    """Route tool events of these agents to ``handler``; False without the bus."""
    global _listening
    if not agent_ids:
        return False
    with _lock:
        if not _listening:
            try:
                from crewai.events import (  # type: ignore[import-not-found, unused-ignore]
                    ToolUsageErrorEvent,
                    ToolUsageFinishedEvent,
                    crewai_event_bus,
                )
            except Exception:
                return False

            def dispatch(source: Any, event: Any) -> None:
                target = _handlers.get(str(getattr(event, "agent_id", None)))
                if target is not None:
                    target.on_tool_event(event)

            crewai_event_bus.on(ToolUsageFinishedEvent)(dispatch)
            crewai_event_bus.on(ToolUsageErrorEvent)(dispatch)
            _listening = True
        for agent_id in agent_ids:
            _handlers[agent_id] = handler
    return True


def _unlisten(agent_ids: list[str]) -> None:
    if not _listening:
        return
    try:  # handlers run on the bus's threads: let them finish first
        from crewai.events import crewai_event_bus

        crewai_event_bus.flush()
    except Exception:
        logger.debug("sentrial: flushing CrewAI's event bus failed", exc_info=True)
    with _lock:
        for agent_id in agent_ids:
            _handlers.pop(agent_id, None)


def _chain(
    first: Callable[[Any], Any] | None, second: Callable[[Any], None]
) -> Callable[[Any], Any]:
    if first is None:
        return second

    def both(output: Any) -> Any:
        result = first(output)
        second(output)
        return result

    return both


def track_crew(
    client: SentrialClient,
    agent_name: str = "crewai",
    user_id: str | None = None,
    *,
    model: str | None = None,
) -> Callable[[F], F]:
    """Decorate a function that runs a crew: a session around each call.

    The function's result (a ``CrewOutput``) gives the output and tokens,
    priced as ``model``'s when given.
    """

    def decorate(function: F) -> F:
        def start(args: Any, kwargs: Any) -> SentrialCrewHandler:
            session_id = client.create_session(
                name=f"{agent_name}: {function.__name__}",
                agent_name=agent_name,
                user_id=user_id or "anonymous",
            )
            handler = SentrialCrewHandler(client, session_id, model=model)
            handler.user_input = json.dumps({"args": args, "kwargs": kwargs}, default=str)
            return handler

        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                handler = start(args, kwargs)
                try:
                    result = await function(*args, **kwargs)
                except Exception as exc:
                    handler.finish(success=False, failure_reason=f"{type(exc).__name__}: {exc}")
                    raise
                handler.record_result(result)
                handler.finish(success=True)
                return result

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            handler = start(args, kwargs)
            try:
                result = function(*args, **kwargs)
            except Exception as exc:
                handler.finish(success=False, failure_reason=f"{type(exc).__name__}: {exc}")
                raise
            handler.record_result(result)
            handler.finish(success=True)
            return result

        return wrapper  # type: ignore[return-value]

    return decorate
