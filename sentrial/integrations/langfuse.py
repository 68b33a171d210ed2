"""Langfuse dual-write: every Sentrial session also becomes a Langfuse trace.

Teams that already look at Langfuse keep doing so while Sentrial records the
same runs. ``SentrialClient(langfuse=LangfuseIntegration(...))`` mirrors each
operation the client delivers (sessions, tool calls, LLM calls, decisions,
errors, completion) into the Langfuse Python SDK (v3 and later, which exports
OpenTelemetry spans to ``/api/public/otel/v1/traces``). The mirror runs on the
caller's thread but only builds spans: Langfuse exports them from its own
background thread, so neither side waits on the other's network.

A session maps onto one Langfuse trace whose id is derived from the Sentrial
session id (``Langfuse.create_trace_id(seed=session_id)``), so events of a
session created in another process still land in the same trace; the session
id is also the trace's Langfuse ``session.id``.

Nothing is lost when the process ends without ``flush``/``close``: an
integration's exit hook, registered after its Langfuse client exists (so it
runs before Langfuse's own, exit hooks running last-registered first), ends
the traces of sessions still open and flushes, as ``SentrialClient.shutdown``
does through ``shutdown()``.

``langfuse`` is imported only when an integration is used
(``pip install "sentrial[langfuse]"``); without it, one warning is logged and
the integration does nothing.
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from collections import OrderedDict
from typing import Any

import orjson

logger = logging.getLogger("sentrial")

__all__ = ["LangfuseIntegration", "LangfuseTraceContext"]

_MAX_OPEN_TRACES = 10_000  # sessions never completed must not grow memory forever


def _load(value: Any) -> Any:
    """Fields arrive as the JSON bytes Sentrial delivers; Langfuse wants values."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        try:
            return orjson.loads(bytes(value))
        except orjson.JSONDecodeError:
            return bytes(value).decode("utf-8", "replace")
    return value


class LangfuseIntegration:
    """A Langfuse client used to mirror Sentrial sessions (the published API).

    Pass an existing ``langfuse.Langfuse`` client, or keys and host to make
    one. Every method returns ``None`` instead of raising when
    ``fail_silently`` is true (the default): Langfuse trouble never reaches
    the agent.
    """

    def __init__(
        self,
        langfuse_client: Any = None,
        public_key: str | None = None,
        secret_key: str | None = None,
        host: str | None = None,
        enabled: bool = True,
        fail_silently: bool = True,
    ) -> None:
        self.enabled = enabled
        self.fail_silently = fail_silently
        self._client = langfuse_client
        self._owns_client = langfuse_client is None  # a client passed in is the caller's
        self._public_key = public_key
        self._secret_key = secret_key
        self._host = host
        self._lock = threading.Lock()
        self._traces: OrderedDict[str, Any] = OrderedDict()  # open session roots
        self._exit_hook: Any = None
        if langfuse_client is not None:
            self._shutdown_at_exit()

    # -- the Langfuse client --------------------------------------------------

    @property
    def client(self) -> Any:
        """The ``langfuse.Langfuse`` client, made on first use; None when disabled
        or when the ``langfuse`` package is not installed."""
        if self._client is None and self.enabled:
            try:
                from langfuse import Langfuse
            except ImportError:
                logger.warning(
                    'sentrial: Langfuse mirroring needs `pip install "sentrial[langfuse]"` '
                    "(disabled)"
                )
                self.enabled = False
                return None
            self._client = Langfuse(
                public_key=self._public_key, secret_key=self._secret_key, host=self._host
            )
            self._shutdown_at_exit()
        return self._client if self.enabled else None

    def _shutdown_at_exit(self) -> None:
        """``shutdown()`` at interpreter exit, before the Langfuse client's own
        exit hook (registered when that client was made, so it runs later)."""
        if self._exit_hook is not None:
            return
        integration = weakref.ref(self)  # the hook must not keep it alive

        def at_exit() -> None:
            alive = integration()
            if alive is not None:
                try:
                    alive.shutdown()
                except Exception:  # never raise from an exit hook
                    logger.debug("sentrial: Langfuse shutdown at exit failed", exc_info=True)

        self._exit_hook = at_exit
        atexit.register(at_exit)

    def _failed(self, what: str, exc: Exception) -> None:
        if not self.fail_silently:
            raise exc
        logger.debug("sentrial: Langfuse %s failed", what, exc_info=True)

    # -- the published methods ------------------------------------------------

    def create_trace(
        self,
        session_id: str,
        name: str,
        user_id: str,
        input_data: Any = None,
        metadata: dict[str, Any] | None = None,
    ) -> Any:
        """Start the root observation of the session's trace (ended by
        ``update_trace``/``finish``)."""
        client = self.client
        if client is None:
            return None
        try:
            trace_id = client.create_trace_id(seed=session_id)
            root = client.start_observation(
                trace_context={"trace_id": trace_id},
                name=name,
                as_type="agent",
                input=input_data,
                metadata=metadata,
            )
            # Trace-level attributes, set on the root span itself: Langfuse's
            # propagate_attributes() is contextual, sessions here are not.
            span = getattr(root, "_otel_span", None)
            if span is not None:
                span.set_attribute("session.id", session_id)
                span.set_attribute("user.id", user_id)
                span.set_attribute("langfuse.trace.name", name)
            return root
        except Exception as exc:
            self._failed("create_trace", exc)
            return None

    def create_span(
        self,
        trace: Any,
        name: str,
        input_data: Any = None,
        metadata: dict[str, Any] | None = None,
    ) -> Any:
        """A child observation of ``trace``; end it with ``end_span``."""
        if trace is None or self.client is None:
            return None
        try:
            return trace.start_observation(
                name=name, as_type="span", input=input_data, metadata=metadata
            )
        except Exception as exc:
            self._failed("create_span", exc)
            return None

    def end_span(self, span: Any, output_data: Any = None, error: str | None = None) -> None:
        if span is None:
            return
        try:
            if error is not None:
                span.update(output=output_data, level="ERROR", status_message=error)
            elif output_data is not None:
                span.update(output=output_data)
            span.end()
        except Exception as exc:
            self._failed("end_span", exc)

    def create_generation(
        self,
        trace: Any,
        name: str,
        model: str | None = None,
        input_data: Any = None,
        output_data: Any = None,
        usage: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Any:
        """A finished LLM call under ``trace``; ``usage`` takes
        ``prompt_tokens``/``completion_tokens``/``total_tokens`` (or Langfuse's
        ``input``/``output``/``total``) and ``cost`` in USD."""
        if trace is None or self.client is None:
            return None
        try:
            usage = dict(usage or {})
            cost = usage.pop("cost", None)
            details: dict[str, int] = {}
            for ours, theirs in (
                ("prompt_tokens", "input"),
                ("completion_tokens", "output"),
                ("total_tokens", "total"),
            ):
                value = usage.get(ours, usage.get(theirs))
                if isinstance(value, int) and not isinstance(value, bool):
                    details[theirs] = value
            generation = trace.start_observation(
                name=name,
                as_type="generation",
                model=model,
                input=input_data,
                output=output_data,
                metadata=metadata,
                usage_details=details or None,
                cost_details={"total": float(cost)} if cost else None,
            )
            generation.end()
            return generation
        except Exception as exc:
            self._failed("create_generation", exc)
            return None

    def update_trace(
        self, trace: Any, output: Any = None, metadata: dict[str, Any] | None = None
    ) -> None:
        if trace is None:
            return
        try:
            trace.update(output=output, metadata=metadata)
        except Exception as exc:
            self._failed("update_trace", exc)

    def score_trace(self, trace: Any, name: str, value: float, comment: str | None = None) -> None:
        if trace is None:
            return
        try:
            trace.score_trace(name=name, value=value, comment=comment)
        except Exception as exc:
            self._failed("score_trace", exc)

    def flush(self) -> None:
        client = self._client
        if client is not None:
            try:
                client.flush()
            except Exception as exc:
                self._failed("flush", exc)

    def shutdown(self) -> None:
        """Ends traces still open (sessions never completed) and flushes; shuts
        the Langfuse client down only if this integration made it (one passed
        in stays usable by its owner). Also run at interpreter exit."""
        hook, self._exit_hook = self._exit_hook, None
        if hook is not None:
            atexit.unregister(hook)
        with self._lock:
            open_roots = list(self._traces.values())
            self._traces.clear()
        for root in open_roots:
            self.end_span(root)
        client = self._client
        if client is not None:
            try:
                if self._owns_client:
                    client.shutdown()
                else:
                    client.flush()
            except Exception as exc:
                self._failed("shutdown", exc)

    # -- the mirror of a SentrialClient -----------------------------------------

    def mirror(self, kind: str, session_id: str, fields: dict[str, Any]) -> None:
        """One operation a SentrialClient is delivering, written to Langfuse too.

        Called by the client for every operation; never raises."""
        if not self.enabled:
            return
        try:
            if kind == "create_session":
                self._open(session_id, fields)
            elif kind == "create_event":
                self._event(session_id, fields)
            elif kind == "update_session":
                self._close(session_id, fields)
        except Exception:
            logger.debug("sentrial: mirroring to Langfuse failed", exc_info=True)

    def _open(self, session_id: str, fields: dict[str, Any]) -> Any:
        metadata = _load(fields.get("metadata"))
        extra: dict[str, Any] = {
            key: fields[key]
            for key in ("agent_name", "convo_id", "parent_session_id")
            if key in fields
        }
        root = self.create_trace(
            session_id,
            str(fields.get("name") or session_id),
            str(fields.get("user_id") or "anonymous"),
            metadata={**(metadata if isinstance(metadata, dict) else {}), **extra} or None,
        )
        if root is not None:
            with self._lock:
                self._traces[session_id] = root
                while len(self._traces) > _MAX_OPEN_TRACES:
                    _, oldest = self._traces.popitem(last=False)
                    self.end_span(oldest)
        return root

    def _root(self, session_id: str) -> Any:
        with self._lock:
            root = self._traces.get(session_id)
        if root is None:  # made elsewhere: a root of its own in the same trace id
            root = self._open(session_id, {"name": session_id})
        return root

    def _event(self, session_id: str, fields: dict[str, Any]) -> None:
        root = self._root(session_id)
        if root is None:
            return
        event_type = fields.get("event_type")
        metadata = _load(fields.get("metadata"))
        meta = metadata if isinstance(metadata, dict) else None
        error = _load(fields.get("tool_error"))
        message = error.get("message") if isinstance(error, dict) else None
        if event_type == "llm_call":
            prompt = fields.get("prompt_tokens")
            completion = fields.get("completion_tokens")
            cost = fields.get("estimated_cost")
            if cost is None:  # Sentrial prices it on the delivery thread; the mirror runs first
                from .._delivery._rollup import llm_cost

                cost = llm_cost(fields)
            usage: dict[str, Any] = {"cost": cost}
            if prompt is not None:
                usage["prompt_tokens"] = prompt
            if completion is not None:
                usage["completion_tokens"] = completion
            if prompt is not None or completion is not None:
                usage["total_tokens"] = (prompt or 0) + (completion or 0)
            generation = self.create_generation(
                root,
                str(fields.get("model") or "llm"),
                model=fields.get("model"),
                input_data=_load(fields.get("input_")),
                output_data=_load(fields.get("output")),
                usage=usage,
                metadata=meta,
            )
            if generation is not None and message is not None:
                generation.update(level="ERROR", status_message=str(message))
        elif event_type == "tool_call":
            span = root.start_observation(
                name=str(fields.get("tool_name") or "tool"),
                as_type="tool",
                input=_load(fields.get("tool_input")),
                metadata=meta,
            )
            self.end_span(
                span,
                output_data=_load(fields.get("tool_output")),
                error=None if message is None else str(message),
            )
        elif event_type == "llm_decision":
            root.create_event(
                name="decision",
                input=fields.get("reasoning"),
                output=fields.get("alternatives_considered"),
                metadata={**(meta or {}), "confidence": fields.get("confidence")},
            )
        elif event_type == "error":
            root.create_event(
                name=str(fields.get("tool_name") or "error"),
                output=error,
                metadata=meta,
                level="ERROR",
                status_message=None if message is None else str(message),
            )

    def _close(self, session_id: str, fields: dict[str, Any]) -> None:
        with self._lock:
            root = self._traces.pop(session_id, None)
        if root is None:
            return
        success = bool(fields.get("success", True))
        metrics = fields.get("custom_metrics")
        root.update(
            input=fields.get("user_input"),
            output=fields.get("assistant_output"),
            level=None if success else "ERROR",
            status_message=fields.get("failure_reason"),
            metadata={"custom_metrics": metrics} if metrics else None,
        )
        self.score_trace(root, "success", 1.0 if success else 0.0, fields.get("failure_reason"))
        root.end()


class LangfuseTraceContext:
    """One interaction's Langfuse trace (the published helper, usable alone)."""

    def __init__(
        self,
        integration: LangfuseIntegration,
        session_id: str,
        name: str,
        user_id: str,
        input_data: Any = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.integration = integration
        self.session_id = session_id
        self._trace = integration.create_trace(session_id, name, user_id, input_data, metadata)
        self._finished = False

    @property
    def trace(self) -> Any:
        return self._trace

    def track_llm_call(
        self,
        name: str,
        model: str | None = None,
        input_data: Any = None,
        output_data: Any = None,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        total_tokens: int | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Any:
        usage = {
            key: value
            for key, value in (
                ("prompt_tokens", prompt_tokens),
                ("completion_tokens", completion_tokens),
                ("total_tokens", total_tokens),
            )
            if value is not None
        }
        return self.integration.create_generation(
            self._trace, name, model, input_data, output_data, usage or None, metadata
        )

    def track_tool_call(
        self,
        tool_name: str,
        tool_input: Any,
        tool_output: Any,
        tool_error: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Any:
        span = self.integration.create_span(self._trace, tool_name, tool_input, metadata)
        self.integration.end_span(span, tool_output, tool_error)
        return span

    def finish(
        self,
        output: Any = None,
        success: bool = True,
        custom_metrics: dict[str, Any] | None = None,
    ) -> None:
        """Ends the trace once: output, a ``success`` score (1 or 0)."""
        if self._finished or self._trace is None:
            return
        self._finished = True
        self.integration.update_trace(
            self._trace,
            output=output,
            metadata={"custom_metrics": custom_metrics} if custom_metrics else None,
        )
        self.integration.score_trace(self._trace, "success", 1.0 if success else 0.0)
        self.integration.end_span(self._trace)
