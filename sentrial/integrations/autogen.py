"""AutoGen AgentChat (``autogen-agentchat`` 0.7): a team's run as a session.

AgentChat reports a run as a stream of messages and events
(``team.run_stream(task=...)``): model replies carrying ``models_usage``,
``ToolCallRequestEvent``/``ToolCallExecutionEvent`` pairs, ``HandoffMessage``s,
and a final ``TaskResult``. ``SentrialAutogenHandler.run_team`` consumes that
stream and records, into the given session: an ``llm_call`` per model reply
(tokens, and cost when the agent's model is known), a ``tool_call`` per
executed tool (arguments, result, error, duration), a decision per handoff
or thought. ``observe(event)`` does the same for streams you consume yourself.

Events are recognised by class name and public attributes, so nothing here
imports ``autogen_agentchat`` (``pip install "sentrial[autogen]"`` installs it)
and a differing version degrades to fewer events, never to an exception.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

from ._calls import AnyClient, call_client, complete_session

logger = logging.getLogger("sentrial")

__all__ = ["SentrialAutogenHandler"]


def _arguments(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return {"arguments": value}
    return value


def _content_text(content: Any) -> Any:
    if isinstance(content, str):
        return content
    try:
        return str(content)
    except Exception:
        return None


def _model_of(agent: Any) -> str | None:
    """The model an AgentChat agent calls, when its model client says so."""
    model_client = getattr(agent, "_model_client", None) or getattr(agent, "model_client", None)
    for source in (
        getattr(model_client, "_create_args", None),
        getattr(model_client, "_raw_config", None),
    ):
        if isinstance(source, Mapping) and isinstance(source.get("model"), str):
            return str(source["model"])
    model = getattr(model_client, "model", None)
    return model if isinstance(model, str) else None


class SentrialAutogenHandler:
    """Records an AgentChat run into ``session_id`` (the published API).

    ``model``: the model name used to price replies of agents whose model
    client does not tell (``register_agents`` reads it from each agent).
    """

    def __init__(
        self,
        client: AnyClient,
        session_id: str,
        verbose: bool = False,
        *,
        model: str | None = None,
        provider: str | None = None,
    ) -> None:
        self.client = client
        self.session_id = session_id
        self.verbose = verbose
        self.model = model
        self.provider = provider
        self.result: Any = None
        self._models: dict[str, str] = {}
        self._pending: dict[str, tuple[str, Any, float]] = {}
        self._started = time.perf_counter()
        self._input: str | None = None
        self._output: str | None = None
        self._finished = False
        self._usage = {"prompt_tokens": 0, "completion_tokens": 0, "llm_calls": 0, "tool_calls": 0}
        self._cost = 0.0

    def _log(self, message: str) -> None:
        if self.verbose:
            logger.info("sentrial autogen: %s", message)

    @property
    def duration_ms(self) -> int:
        return int((time.perf_counter() - self._started) * 1000)

    def set_input(self, user_input: str) -> None:
        self._input = user_input

    def register_agents(self, agents: Iterable[Any]) -> None:
        """Learn each agent's model (for token prices) from its model client."""
        for agent in agents:
            try:
                model = _model_of(agent)
                name = getattr(agent, "name", None)
                if model and isinstance(name, str):
                    self._models[name] = model
            except Exception:
                logger.debug("sentrial: reading an AutoGen agent failed", exc_info=True)

    async def run_team(self, team: Any, task: Any, **kwargs: Any) -> Any:
        """``team.run_stream(task=task)`` observed to its end; returns its TaskResult."""
        if self._input is None and isinstance(task, str):
            self._input = task
        self.register_agents(getattr(team, "_participants", None) or [])
        async for _ in self.track_stream(team.run_stream(task=task, **kwargs)):
            pass
        return self.result

    async def track_stream(self, stream: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """Pass a ``run_stream`` through unchanged, recording each item."""
        async for event in stream:
            self.observe(event)
            yield event

    def observe(self, event: Any) -> None:
        """Record one AgentChat message or event; never raises."""
        try:
            self._observe(event)
        except Exception:
            logger.debug("sentrial: recording an AutoGen event failed", exc_info=True)

    def _observe(self, event: Any) -> None:
        kind = type(event).__name__
        self._log(f"event {kind}")
        if kind == "TaskResult":
            self.result = event
            for message in reversed(getattr(event, "messages", None) or []):
                if type(message).__name__ == "TextMessage":
                    self._output = _content_text(message.content)
                    break
            return
        source = getattr(event, "source", None)
        usage = getattr(event, "models_usage", None)
        if usage is not None:
            self._llm_call(event, source, usage)
        if kind == "ToolCallRequestEvent":
            for call in event.content or []:
                self._pending[call.id] = (
                    call.name,
                    _arguments(call.arguments),
                    time.perf_counter(),
                )
        elif kind == "ToolCallExecutionEvent":
            for result in event.content or []:
                self._tool_result(result)
        elif kind == "HandoffMessage":
            call_client(
                self.client,
                "track_decision",
                session_id=self.session_id,
                reasoning=f"handoff from {source} to {event.target}",
                alternatives=[event.target],
                metadata={
                    "handoff": {"from": source, "to": event.target},
                    "message": event.content,
                },
            )
        elif kind == "ThoughtEvent":
            call_client(
                self.client,
                "track_decision",
                session_id=self.session_id,
                reasoning=_content_text(event.content) or "",
                metadata={"agent": source},
            )

    def _llm_call(self, event: Any, source: Any, usage: Any) -> None:
        prompt = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion = int(getattr(usage, "completion_tokens", 0) or 0)
        model = self._models.get(str(source)) or self.model or "unknown"
        content = event.content
        output: Any
        if isinstance(content, list):  # a tool call request: what the model asked for
            output = [
                {
                    "name": getattr(c, "name", None),
                    "arguments": _arguments(getattr(c, "arguments", None)),
                }
                for c in content
            ]
        else:
            output = _content_text(content)
        record = call_client(
            self.client,
            "track_llm_call",
            session_id=self.session_id,
            model=model,
            provider=self.provider,
            output=output,
            prompt_tokens=prompt,
            completion_tokens=completion,
            metadata={"agent": source, "message_type": type(event).__name__},
        )
        self._usage["prompt_tokens"] += prompt
        self._usage["completion_tokens"] += completion
        self._usage["llm_calls"] += 1
        if isinstance(record, dict) and model != "unknown":
            from ..cost import calculate_cost

            self._cost += calculate_cost(model, prompt, completion, provider=self.provider) or 0.0

    def _tool_result(self, result: Any) -> None:
        name, arguments, started = self._pending.pop(
            getattr(result, "call_id", ""), (getattr(result, "name", None) or "tool", None, None)
        )
        output = _content_text(result.content)
        failed = bool(getattr(result, "is_error", False))
        call_client(
            self.client,
            "track_tool_call",
            session_id=self.session_id,
            tool_name=getattr(result, "name", None) or name,
            tool_input=arguments,
            tool_output=None if failed else output,
            tool_error={"message": output} if failed else None,
            metadata={"call_id": getattr(result, "call_id", None)},
            duration_ms=None if started is None else (time.perf_counter() - started) * 1000,
        )
        self._usage["tool_calls"] += 1

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
        custom_metrics: Mapping[str, float] | None = None,
    ) -> dict[str, Any]:
        """Complete the session once (cost and tokens summed from its events)."""
        if self._finished:
            return {}
        self._finished = True
        stop_reason = getattr(self.result, "stop_reason", None)
        metrics = dict(custom_metrics or {})
        return complete_session(
            self.client,
            session_id=self.session_id,
            success=success,
            failure_reason=failure_reason,
            custom_metrics=metrics or None,
            duration_ms=self.duration_ms,
            user_input=self._input,
            assistant_output=self._output if self._output is not None else stop_reason,
        )
