"""OpenAI Agents SDK (``openai-agents``): every traced run becomes a session.

The Agents SDK reports what a run does (agent turns, tool calls, handoffs,
guardrails, model calls) to tracing processors. ``SentrialTracingProcessor``
is one: register it once with :func:`track_openai_agents` (or
``agents.add_trace_processor``) and each trace is recorded with the normal
``SentrialClient``: into the current ``sentrial.begin(...)`` session when the
run happens inside one, else into a session of its own, completed when the
trace ends. Processor callbacks run on the agent's thread and only queue
operations (microseconds); delivery happens in the background.

``agents`` is imported only by :func:`track_openai_agents`
(``pip install "sentrial[openai-agents]"``); the processor class itself needs
nothing from it (the SDK accepts any object with the processor methods).
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime
from typing import Any

from .._context import current_interaction
from .._interaction import get_client
from ._calls import AnyClient, call_client, new_session

logger = logging.getLogger("sentrial")

__all__ = ["SentrialTracingProcessor", "track_openai_agents"]


class _Run:
    __slots__ = ("client", "errors", "own", "session_id", "started")

    def __init__(self, client: AnyClient, session_id: str, own: bool) -> None:
        self.client = client
        self.session_id = session_id
        self.own = own
        self.errors: list[str] = []
        self.started = datetime.now().astimezone()


def _duration_ms(span: Any) -> float | None:
    try:
        start, end = span.started_at, span.ended_at
        if start and end:
            return max(
                0.0,
                (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
                * 1000,
            )
    except (TypeError, ValueError, AttributeError):
        pass
    return None


def _maybe_json(value: Any) -> Any:
    """Tool arguments arrive as the model's JSON text: store them as an object."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _generation_output(output: Any) -> Any:
    """The reply's text when the model answered with text alone (as ``wrap_openai``
    records it); the messages as given otherwise (tool calls)."""
    if output is None:
        return None
    messages = list(output)
    if len(messages) == 1 and isinstance(messages[0], dict):
        only = messages[0]
        if isinstance(only.get("content"), str) and not only.get("tool_calls"):
            return only["content"]
    return messages


def _span_error(error: Any) -> str | None:
    """A span's ``SpanError``: its message, and the underlying error when given."""
    if not isinstance(error, dict):
        return None
    message = str(error.get("message") or "error")
    data = error.get("data")
    cause = data.get("error") if isinstance(data, dict) else None
    return f"{message}: {cause}" if cause else message


def _usage(usage: Any) -> tuple[int | None, int | None, int | None]:
    if not isinstance(usage, dict):
        return None, None, None
    details = usage.get("input_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    return usage.get("input_tokens"), usage.get("output_tokens"), cached or None


class SentrialTracingProcessor:
    """A tracing processor of the OpenAI Agents SDK that records into Sentrial.

    ``client``: the ``SentrialClient`` for runs outside a ``sentrial.begin``
    session (default: the configured one). ``agent_name``: the session's agent
    name (default: the trace's workflow name). Never raises into the agent.
    """

    def __init__(
        self,
        client: AnyClient | None = None,
        *,
        agent_name: str | None = None,
        user_id: str = "anonymous",
        provider: str = "openai",
    ) -> None:
        self.client = client
        self.agent_name = agent_name
        self.user_id = user_id
        self.provider = provider
        self._runs: dict[str, _Run] = {}
        self._lock = threading.Lock()

    # -- the TracingProcessor interface -------------------------------------

    def on_trace_start(self, trace: Any) -> None:
        try:
            self._start(trace)
        except Exception:
            logger.debug("sentrial: openai-agents trace start failed", exc_info=True)

    def on_trace_end(self, trace: Any) -> None:
        try:
            with self._lock:
                run = self._runs.pop(trace.trace_id, None)
            if run is not None and run.own:
                call_client(
                    run.client,
                    "complete_session",
                    session_id=run.session_id,
                    success=not run.errors,
                    failure_reason="; ".join(run.errors) or None,
                    duration_ms=(datetime.now().astimezone() - run.started).total_seconds() * 1000,
                )
        except Exception:
            logger.debug("sentrial: openai-agents trace end failed", exc_info=True)

    def on_span_start(self, span: Any) -> None:
        return None  # everything is recorded when a span ends, with its result

    def on_span_end(self, span: Any) -> None:
        try:
            self._record(span)
        except Exception:
            logger.debug("sentrial: openai-agents span failed", exc_info=True)

    def shutdown(self) -> None:
        self.force_flush()

    def force_flush(self) -> None:
        try:
            call_client(self.client or get_client(), "flush")
        except Exception:
            logger.debug("sentrial: flush failed", exc_info=True)

    # -- recording ----------------------------------------------------------------

    def _start(self, trace: Any) -> _Run:
        interaction = current_interaction.get()
        if interaction is not None and not interaction.finished:
            run = _Run(self.client or interaction.client, interaction.session_id, own=False)
        else:
            client = self.client or get_client()
            name = str(getattr(trace, "name", None) or "Agent workflow")
            metadata = {"trace_id": trace.trace_id}
            group_id = getattr(trace, "group_id", None)
            if group_id:
                metadata["group_id"] = str(group_id)
            session_id = new_session(
                client,
                name=name,
                agent_name=self.agent_name or name,
                user_id=self.user_id,
                convo_id=str(group_id) if group_id else None,
                metadata=metadata,
            )
            # A client's create_session that gave no id: its operations are
            # refused by the tracker and counted (invalid_argument).
            run = _Run(client, session_id or "", own=session_id is not None)
        with self._lock:
            self._runs[trace.trace_id] = run
        return run

    def _run_of(self, span: Any) -> _Run:
        with self._lock:
            run = self._runs.get(span.trace_id)
        if run is None:  # a span without its trace start (processor added mid-run)
            run = self._start(span)
        return run

    def _record(self, span: Any) -> None:
        data = span.span_data
        kind = getattr(data, "type", None)
        run = self._run_of(span)
        client, sid = run.client, run.session_id
        error = getattr(span, "error", None)
        message = _span_error(error)
        ids = {"trace_id": span.trace_id, "span_id": span.span_id}
        duration = _duration_ms(span)
        if kind == "function":
            call_client(
                client,
                "track_tool_call",
                session_id=sid,
                tool_name=data.name,
                tool_input=_maybe_json(data.input),
                tool_output=_maybe_json(data.output),
                tool_error=None if message is None else {"message": message},
                metadata={"mcp": data.mcp_data} if getattr(data, "mcp_data", None) else None,
                duration_ms=duration,
                **ids,
            )
        elif kind == "generation":
            prompt, completion, cached = _usage(data.usage)
            call_client(
                client,
                "track_llm_call",
                session_id=sid,
                model=str(data.model or "unknown"),
                provider=self.provider,
                input=list(data.input) if data.input is not None else None,
                output=_generation_output(data.output),
                prompt_tokens=prompt,
                completion_tokens=completion,
                cached_tokens=cached,
                duration_ms=duration,
                error=None if message is None else {"message": message},
                **ids,
            )
        elif kind == "response":
            self._response(client, sid, data, message, duration, ids)
        elif kind == "agent":
            call_client(
                client,
                "track_decision",
                session_id=sid,
                reasoning=f"agent {data.name} ran",
                alternatives=data.handoffs or None,
                metadata={"agent": data.name, "tools": data.tools, "output_type": data.output_type},
                **ids,
            )
        elif kind == "handoff":
            call_client(
                client,
                "track_decision",
                session_id=sid,
                reasoning=f"handoff from {data.from_agent} to {data.to_agent}",
                alternatives=[data.to_agent] if data.to_agent else None,
                metadata={"handoff": {"from": data.from_agent, "to": data.to_agent}},
                **ids,
            )
        elif kind == "guardrail":
            call_client(
                client,
                "track_decision",
                session_id=sid,
                reasoning=f"guardrail {data.name} {'triggered' if data.triggered else 'passed'}",
                metadata={"guardrail": data.name, "triggered": bool(data.triggered)},
                **ids,
            )
        if message is not None:
            run.errors.append(f"{kind}: {message}")
            if kind not in ("function", "generation", "response"):
                call_client(
                    client,
                    "track_error",
                    session_id=sid,
                    error_message=message,
                    error_type=f"{kind}_error",
                    **ids,
                )

    def _response(
        self,
        client: AnyClient,
        sid: str,
        data: Any,
        message: str | None,
        duration: float | None,
        ids: dict[str, Any],
    ) -> None:
        """A Responses API call: model, usage and output from the response object."""
        response = data.response
        usage = getattr(response, "usage", None)
        details = getattr(usage, "input_tokens_details", None)
        call_client(
            client,
            "track_llm_call",
            session_id=sid,
            model=str(getattr(response, "model", None) or "unknown"),
            provider=self.provider,
            input=data.input,
            output=getattr(response, "output_text", None),
            prompt_tokens=getattr(usage, "input_tokens", None),
            completion_tokens=getattr(usage, "output_tokens", None),
            cached_tokens=getattr(details, "cached_tokens", None) or None,
            duration_ms=duration,
            error=None if message is None else {"message": message},
            **ids,
        )


def track_openai_agents(
    client: AnyClient | None = None,
    *,
    agent_name: str | None = None,
    user_id: str = "anonymous",
) -> SentrialTracingProcessor | None:
    """Register a :class:`SentrialTracingProcessor` with the Agents SDK (added to
    its processors, the OpenAI exporter stays); None with one warning when
    ``openai-agents`` is not installed."""
    try:
        from agents import add_trace_processor
    except ImportError:
        logger.warning(
            'sentrial: OpenAI Agents tracking needs `pip install "sentrial[openai-agents]"` '
            "(not tracked)"
        )
        return None
    processor = SentrialTracingProcessor(client, agent_name=agent_name, user_id=user_id)
    add_trace_processor(processor)  # type: ignore[arg-type]
    return processor
