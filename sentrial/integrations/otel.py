"""OpenTelemetry both ways: GenAI spans in, Sentrial sessions out.

**In.** :class:`SentrialSpanProcessor` turns spans that follow the OTel GenAI
semantic conventions (``gen_ai.*``: what OpenLLMetry, LlamaIndex,
pydantic-ai, the OpenAI Agents SDK and the Vercel AI SDK emit) into Sentrial
data: one session per trace, an ``llm_call`` event per model span (model,
provider, tokens, cache reads; cost is computed from them as for every other
call), a ``tool_call`` per tool span, a decision per other AI span. The
session completes when the trace's local root span ends (failed when that
span's status is ERROR). Everything goes through a normal
:class:`~sentrial.SentrialClient`, so it is batched, retried and spooled like
the rest::

    from opentelemetry.sdk.trace import TracerProvider
    from sentrial.otel import SentrialSpanProcessor

    provider = TracerProvider()
    provider.add_span_processor(SentrialSpanProcessor(project="my-app"))

**Out.** :func:`export_to_otlp` sends every session a client records to any
OTLP/HTTP collector (Jaeger, Grafana Tempo, Datadog, an OTel Collector) as
GenAI spans: the session is an ``invoke_agent {agent}`` span, its LLM calls
``chat {model}`` children with ``gen_ai.usage.*`` tokens, its tool calls
``execute_tool {tool}`` children. It uses its own ``TracerProvider`` so that
these spans never reach an app's global provider (where a
``SentrialSpanProcessor`` would import them back).

Both need ``pip install "sentrial[otel]"``; without it, constructing them
raises an ImportError naming that extra, and ``import sentrial`` never
imports OpenTelemetry.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import orjson

from .. import _otel_mapping as mapping
from .._client import SentrialClient
from ._calls import AnyClient, call_client, new_session

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
else:
    try:
        from opentelemetry.sdk.trace import SpanProcessor
    except ImportError:  # the host app must import and run without OpenTelemetry
        SpanProcessor = object

logger = logging.getLogger("sentrial")

_INSTALL = 'OpenTelemetry is not installed: pip install "sentrial[otel]"'

# What a starting span says about its trace's session (its attributes are read
# again when it ends, but its children end first and open the session).
_NOTED = (
    *mapping.USER_KEYS,
    *mapping.CONVO_KEYS,
    *mapping.AGENT_KEYS,
    mapping.ASSIGNMENT_KEY,
    "session.id",
)


def _require_otel() -> None:
    try:
        import opentelemetry.sdk.trace  # noqa: F401
    except ImportError as exc:
        raise ImportError(_INSTALL) from exc


class SentrialSpanProcessor(SpanProcessor):
    """An OTel ``SpanProcessor``: GenAI spans become Sentrial sessions and events.

    ``api_key``/``api_url`` make a client of its own (closed by
    :meth:`shutdown`); without them the configured client is used
    (``sentrial.configure()`` or the ``SENTRIAL_*`` environment), or pass
    ``client=``. ``project`` is the sessions' agent name (default
    ``SENTRIAL_PROJECT`` or ``"otel-traces"``). ``filter_ai_spans`` keeps
    only AI spans (a GenAI attribute, or an LLM-ish name); ``custom_filter(span)``
    returning True/False decides first (None: no opinion).
    ``user_id_attribute`` names the attribute holding the user.
    """

    GENAI_PREFIXES = ("gen_ai.", "llm.", "ai.", "openai.", "anthropic.", "cohere.")

    def __init__(
        self,
        api_key: str | None = None,
        api_url: str | None = None,
        project: str | None = None,
        filter_ai_spans: bool = True,
        custom_filter: Callable[[Any], bool | None] | None = None,
        user_id_attribute: str = "user.id",
        *,
        client: AnyClient | None = None,
        max_open_traces: int = 10_000,
    ) -> None:
        _require_otel()
        self.api_key = api_key
        self.api_url = api_url
        self.project = project or os.environ.get("SENTRIAL_PROJECT") or "otel-traces"
        self.filter_ai_spans = filter_ai_spans
        self.custom_filter = custom_filter
        self.user_id_attribute = user_id_attribute
        self._own_client = client is None and (api_key is not None or api_url is not None)
        self._client = (
            SentrialClient(api_url=api_url, api_key=api_key) if self._own_client else client
        )
        self._max_open = max_open_traces
        # trace id -> session id, oldest first; a trace's session closes with its root span
        self._sessions: OrderedDict[int, str] = OrderedDict()
        self._context: OrderedDict[int, dict[str, Any]] = OrderedDict()  # trace -> user, convo
        self._lock = threading.Lock()
        # OTel cannot remove a processor from a provider: after shutdown() it ignores spans.
        self._stopped = False

    @property
    def client(self) -> AnyClient:
        if self._client is not None:
            return self._client
        from .._interaction import get_client

        return get_client()

    # -- SpanProcessor ------------------------------------------------------------------

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        """Note who the trace is for: child spans end (and open the session)
        before the root that usually carries ``user.id`` and the conversation."""
        if self._stopped:
            return
        try:
            attributes = span.attributes or {}
            context = span.context
            if context is None:
                return
            noted = {
                key: attributes[key]
                for key in (self.user_id_attribute, *_NOTED)
                if attributes.get(key) is not None
            }
            if noted:
                with self._lock:
                    self._context.setdefault(context.trace_id, {}).update(noted)
                    while len(self._context) > self._max_open:
                        self._context.popitem(last=False)
        except Exception:
            logger.debug("sentrial: reading a starting span failed", exc_info=True)

    def on_end(self, span: ReadableSpan) -> None:
        """Record the span if it is an AI span; close the trace's session at its root."""
        if self._stopped:
            return
        try:
            context = span.context
            if context is None:
                return
            trace_id = context.trace_id
            if self._wanted(span):
                self._record(span, trace_id)
            parent = span.parent
            if parent is None or parent.is_remote:
                self._complete(trace_id, span)
        except Exception as exc:  # never break the app's tracing
            logger.warning("sentrial: an OpenTelemetry span could not be recorded: %s", exc)

    def shutdown(self) -> None:
        """Complete the sessions of traces still open; close an own client."""
        self._stopped = True
        with self._lock:
            open_sessions = list(self._sessions.values())
            self._sessions.clear()
        for session_id in open_sessions:
            try:
                call_client(self.client, "complete_session", session_id=session_id, success=True)
            except Exception:
                logger.debug("sentrial: completing an OTel session failed", exc_info=True)
        if self._own_client and self._client is not None:
            self._client.close()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Wait for what was recorded to be delivered (or spooled)."""
        try:
            return call_client(self.client, "flush", timeout=timeout_millis / 1000) is True
        except Exception:
            return False

    # -- reading spans --------------------------------------------------------------

    def _wanted(self, span: ReadableSpan) -> bool:
        if self.custom_filter is not None:
            decided = self.custom_filter(span)
            if decided is not None:
                return bool(decided)
        if not self.filter_ai_spans:
            return True
        attributes = span.attributes or {}
        if any(key.startswith(self.GENAI_PREFIXES) for key in attributes):
            return True
        name = span.name.lower()
        return any(word in name for word in ("llm", "chat", "completion", "generate", "embed"))

    def _session(self, trace_id: int, span: mapping.SpanData) -> str | None:
        with self._lock:
            session_id = self._sessions.get(trace_id)
        if session_id is not None:
            return session_id
        with self._lock:
            noted = self._context.get(trace_id)
        attributes: Mapping[str, Any] = span.attributes
        if noted:
            attributes = {**noted, **attributes}
        # The root's name is the session's when it ends first (a trace of one span).
        found = mapping.identity([replace(span, attributes=attributes)])
        metadata: dict[str, Any] = {"trace_id": span.trace_id, "source": "opentelemetry"}
        if found.agent is not None and "gen_ai.agent.name" in attributes:
            metadata["gen_ai.agent.name"] = found.agent
        if found.assignment_id is not None:
            metadata["experimentAssignmentId"] = found.assignment_id
        user = attributes.get(self.user_id_attribute)
        convo = found.convo or _text(attributes.get("session.id"))
        session_id = new_session(
            self.client,
            name=f"OTel Trace: {span.trace_id[:8]}",
            agent_name=self.project,
            user_id=str(user or found.user or mapping.DEFAULT_USER),
            convo_id=convo,
            metadata=metadata,
        )
        if session_id is None:  # the client's create_session gave none: nothing tracked
            return None
        evicted: list[str] = []
        with self._lock:
            existing = self._sessions.get(trace_id)
            if existing is not None:  # another thread's span of this trace won
                return existing
            self._sessions[trace_id] = session_id
            while len(self._sessions) > self._max_open:
                evicted.append(self._sessions.popitem(last=False)[1])
        for old in evicted:  # roots that never ended locally: close rather than leak
            call_client(self.client, "complete_session", session_id=old, success=True)
        return session_id

    def _complete(self, trace_id: int, root: ReadableSpan) -> None:
        with self._lock:
            session_id = self._sessions.pop(trace_id, None)
            self._context.pop(trace_id, None)
        if session_id is None:
            return
        data = _span_data(root)
        call_client(
            self.client,
            "complete_session",
            session_id=session_id,
            success=not data.error,
            failure_reason=mapping.failure_reason(data),
            duration_ms=data.duration_ms,
            assistant_output=mapping.root_output(data),
        )

    def _record(self, span: ReadableSpan, trace_id: int) -> None:
        data = _span_data(span)
        session_id = self._session(trace_id, data)
        if session_id is None:
            return
        trace_id_hex, span_id_hex = data.trace_id, data.span_id
        metadata: dict[str, Any] = {"otel_span_name": span.name}
        for event in mapping.map_span(data):
            if event.event_type == "tool_call":
                call_client(
                    self.client,
                    "track_tool_call",
                    session_id=session_id,
                    tool_name=str(event.name),
                    tool_input=event.tool_input or {},
                    tool_output=event.tool_output,
                    tool_error=event.error,
                    metadata=metadata,
                    duration_ms=data.duration_ms,
                    trace_id=trace_id_hex,
                    span_id=span_id_hex,
                )
            elif event.event_type == "llm_call":
                if event.raw_provider is not None:
                    metadata["gen_ai.provider.name"] = event.raw_provider
                call_client(
                    self.client,
                    "track_llm_call",
                    session_id=session_id,
                    model=str(event.model),
                    provider=event.provider,
                    input=event.input,
                    output=event.output,
                    prompt_tokens=event.prompt_tokens,
                    completion_tokens=event.completion_tokens,
                    cached_tokens=event.cached_tokens,
                    cache_write_tokens=event.cache_write_tokens,
                    estimated_cost=event.cost,
                    duration_ms=data.duration_ms,
                    error=event.error,
                    metadata=metadata,
                    trace_id=trace_id_hex,
                    span_id=span_id_hex,
                )
            elif event.event_type == "error" and event.error is not None:
                call_client(
                    self.client,
                    "track_error",
                    session_id=session_id,
                    error_message=event.error["message"],
                    error_type=event.error["type"],
                    trace_id=trace_id_hex,
                    span_id=span_id_hex,
                )
            else:
                # The client API has no ``span`` event type (a documented server
                # refuses it): other spans are recorded as decisions.
                call_client(
                    self.client,
                    "track_decision",
                    session_id=session_id,
                    reasoning=f"OTel span: {span.name}",
                    metadata={**metadata, "otel_attributes": dict(data.attributes)},
                    trace_id=trace_id_hex,
                    span_id=span_id_hex,
                )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _span_data(span: ReadableSpan) -> mapping.SpanData:
    """An SDK span as the shared mapping reads it."""
    from opentelemetry.trace import StatusCode

    context = span.context
    assert context is not None
    parent = span.parent
    status = span.status
    error = status is not None and status.status_code == StatusCode.ERROR
    return mapping.SpanData(
        trace_id=format(context.trace_id, "032x"),
        span_id=format(context.span_id, "016x"),
        parent_span_id=None if parent is None else format(parent.span_id, "016x"),
        name=span.name,
        start_ns=span.start_time or 0,
        end_ns=span.end_time or span.start_time or 0,
        error=error,
        status_message=(status.description or "") if status is not None else "",
        status_code=status.status_code.name.lower() if status is not None else "unset",
        attributes=_plain(span.attributes or {}),
        events=[(e.name, _plain(e.attributes or {})) for e in span.events],
        resource=_plain(span.resource.attributes) if span.resource is not None else {},
    )


def _plain(attributes: Mapping[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in attributes.items()}


def setup_otel_tracing(
    project: str | None = None,
    api_key: str | None = None,
    filter_ai_spans: bool = True,
) -> SentrialSpanProcessor:
    """Make a ``TracerProvider`` with a :class:`SentrialSpanProcessor` the global one.

    When the app already has a global SDK provider, the processor is added to
    it instead of replacing it (replacing is refused by OpenTelemetry, and the
    app's own exporters must keep working). Returns the processor (the
    published function returned None).
    """
    _require_otel()
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    processor = SentrialSpanProcessor(
        project=project, api_key=api_key, filter_ai_spans=filter_ai_spans
    )
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        current.add_span_processor(processor)
    else:
        provider = TracerProvider()
        provider.add_span_processor(processor)
        trace.set_tracer_provider(provider)
    return processor


# -- out: Sentrial sessions as OTel GenAI spans -----------------------------------------


class OTLPSessionExporter:
    """Mirrors a client's sessions into OpenTelemetry spans (see :func:`export_to_otlp`).

    The client hands it each operation on the caller's thread; it only queues
    it there (building a span costs far more than tracking a call), and a
    thread of its own makes the spans: a session opens its ``invoke_agent``
    span, each event becomes a finished child span, completing the session
    ends its span. OpenTelemetry's batch thread exports them. Never raises,
    never blocks the caller: past ``max_queue`` pending operations, new ones
    are dropped and counted in ``dropped``.
    """

    def __init__(
        self,
        endpoint: str | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        tracer_provider: TracerProvider | None = None,
        span_exporter: SpanExporter | None = None,
        service_name: str = "sentrial",
        max_open_sessions: int = 10_000,
        max_queue: int = 100_000,
    ) -> None:
        _require_otel()
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        self._own_provider = tracer_provider is None
        if tracer_provider is None:
            if span_exporter is None:
                from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
                    OTLPSpanExporter,
                )

                span_exporter = OTLPSpanExporter(
                    endpoint=endpoint, headers=None if headers is None else dict(headers)
                )
            # Shut down by shutdown() (the client's close, also at exit), after the
            # queue is drained: OTel's own exit hook would run first and drop those spans.
            tracer_provider = TracerProvider(
                resource=Resource.create({"service.name": service_name}), shutdown_on_exit=False
            )
            tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter))
        self.provider = tracer_provider
        self._tracer = tracer_provider.get_tracer("sentrial")
        self._open: OrderedDict[str, Any] = OrderedDict()  # session id -> its open span
        self._ended: OrderedDict[str, Any] = OrderedDict()  # recently ended: late events
        self._max_open = max_open_sessions
        self._lock = threading.Lock()
        self.next: Any = None  # another mirror the client had (Langfuse), still called
        self.max_queue = max_queue
        self.dropped = 0
        self._queue: deque[tuple[str, str, dict[str, Any]] | None] = deque()
        self._wake = threading.Condition()
        self._busy = 0  # operations taken off the queue and not yet turned into spans
        self._worker: threading.Thread | None = None
        self._pid = 0
        self._stopped = False
        # The client's exit hook stops delivery only; this drains and exports the
        # spans still queued (registered after it, so it runs before it).
        atexit.register(self.shutdown)

    def mirror(self, kind: str, session_id: str, fields: dict[str, Any]) -> None:
        """Queue one operation (a shallow copy: the delivery thread owns ``fields``)."""
        if not self._stopped:
            if len(self._queue) >= self.max_queue:
                self.dropped += 1
            else:
                self._queue.append((kind, session_id, dict(fields)))
                if self._worker is None or self._pid != os.getpid():
                    self._start_worker()
                with self._wake:
                    self._wake.notify()
        if self.next is not None:
            self.next.mirror(kind, session_id, fields)

    def _start_worker(self) -> None:
        with self._lock:  # once per process (a forked child starts its own)
            if self._worker is not None and self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._worker = threading.Thread(target=self._run, name="sentrial-otlp", daemon=True)
            self._worker.start()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._queue:
                    self._wake.wait()
                item = self._queue.popleft()
                self._busy += 1
            try:
                if item is None:
                    return
                kind, session_id, fields = item
                if kind == "create_session":
                    self._start_session(session_id, fields)
                elif kind == "create_event":
                    self._event(session_id, fields)
                elif kind == "update_session":
                    self._end_session(session_id, fields)
            except Exception:
                logger.debug("sentrial: OTLP export of an operation failed", exc_info=True)
            finally:
                with self._wake:
                    self._busy -= 1
                    self._wake.notify_all()

    def _drain(self, timeout: float) -> bool:
        """Wait until every queued operation is a span (or ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        with self._wake:
            while self._queue or self._busy:
                if self._worker is None or not self._worker.is_alive():
                    return False
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._wake.wait(min(left, 0.05))
        return True

    def flush(self, timeout_millis: int = 30000) -> bool:
        """Turn what is queued into spans, then export them."""
        drained = self._drain(timeout_millis / 1000)
        flushed = bool(self.provider.force_flush(timeout_millis)) and drained
        if self.next is not None:
            self.next.flush()
        return flushed

    def shutdown(self) -> None:
        """Ends sessions still open (exported as unfinished) and stops the exporter."""
        if self._stopped:
            return
        self._drain(10.0)
        self._stopped = True
        worker = self._worker
        if worker is not None and worker.is_alive():
            self._queue.append(None)
            with self._wake:
                self._wake.notify()
            worker.join(5.0)
        with self._lock:
            still_open = list(self._open.values())
            self._open.clear()
        for span in still_open:
            span.set_attribute("sentrial.session.status", "open")
            span.end()
        if self._own_provider:
            self.provider.shutdown()
        else:
            self.provider.force_flush()
        if self.next is not None:
            self.next.shutdown()

    # -- building spans -----------------------------------------------------------

    def _start_session(self, session_id: str, fields: dict[str, Any]) -> None:
        agent = str(fields.get("agent_name") or "agent")
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": agent,
            "sentrial.session.id": session_id,
            "sentrial.session.name": str(fields.get("name") or ""),
            "user.id": str(fields.get("user_id") or ""),
        }
        if fields.get("convo_id"):
            attributes["gen_ai.conversation.id"] = str(fields["convo_id"])
        if fields.get("parent_session_id"):
            attributes["sentrial.parent_session.id"] = str(fields["parent_session_id"])
        parent = None
        with self._lock:
            parent_span = self._open.get(str(fields.get("parent_session_id") or ""))
        if parent_span is not None:  # a sub-agent's session nests under its parent's span
            from opentelemetry.trace import set_span_in_context

            parent = set_span_in_context(parent_span)
        span = self._tracer.start_span(
            f"invoke_agent {agent}",
            context=parent,
            attributes=attributes,
            start_time=_ns(fields.get("started_at")),
        )
        evicted = []
        with self._lock:
            self._open[session_id] = span
            while len(self._open) > self._max_open:
                evicted.append(self._open.popitem(last=False)[1])
        for old in evicted:
            old.end()

    def _parent(self, session_id: str) -> Any:
        from opentelemetry.trace import set_span_in_context

        with self._lock:
            span = self._open.get(session_id) or self._ended.get(session_id)
        return None if span is None else set_span_in_context(span)

    def _event(self, session_id: str, fields: dict[str, Any]) -> None:
        from opentelemetry.trace import Status, StatusCode

        kind = fields.get("event_type")
        end = _ns(fields.get("timestamp"))
        duration = fields.get("duration_ms")
        start = end - int(float(duration) * 1e6) if end is not None and duration else end
        attributes: dict[str, Any] = {
            "sentrial.session.id": session_id,
            "sentrial.event.id": str(fields.get("id") or ""),
            "sentrial.event.type": str(kind),
        }
        if kind == "llm_call":
            model = str(fields.get("model") or "unknown")
            name = f"chat {model}"
            attributes["gen_ai.operation.name"] = "chat"
            attributes["gen_ai.request.model"] = model
            if fields.get("provider"):
                attributes["gen_ai.provider.name"] = str(fields["provider"])
            for field, key in (
                ("prompt_tokens", "gen_ai.usage.input_tokens"),
                ("completion_tokens", "gen_ai.usage.output_tokens"),
                ("cached_tokens", "gen_ai.usage.cache_read.input_tokens"),
                ("cache_write_tokens", "gen_ai.usage.cache_creation.input_tokens"),
            ):
                if fields.get(field) is not None:
                    attributes[key] = int(fields[field])
            cost = fields.get("estimated_cost") or _cost(fields)
            if cost:
                attributes["sentrial.cost.usd"] = float(cost)
            _put_json(attributes, "gen_ai.input.messages", fields.get("input_"))
            _put_json(attributes, "gen_ai.output.messages", fields.get("output"))
        elif kind == "tool_call":
            tool = str(fields.get("tool_name") or "tool")
            name = f"execute_tool {tool}"
            attributes["gen_ai.operation.name"] = "execute_tool"
            attributes["gen_ai.tool.name"] = tool
            _put_json(attributes, "gen_ai.tool.call.arguments", fields.get("tool_input"))
            _put_json(attributes, "gen_ai.tool.call.result", fields.get("tool_output"))
        else:
            name = str(kind or "event")
            if fields.get("reasoning"):
                attributes["sentrial.reasoning"] = str(fields["reasoning"])
        error = _loads(fields.get("tool_error"))
        span = self._tracer.start_span(
            name, context=self._parent(session_id), attributes=attributes, start_time=start
        )
        if kind == "error" or error is not None:
            error = error if isinstance(error, dict) else {}
            span.set_attribute("error.type", str(error.get("type") or "Error"))
            span.set_status(Status(StatusCode.ERROR, str(error.get("message") or "")))
        span.end(end_time=end)

    def _end_session(self, session_id: str, fields: dict[str, Any]) -> None:
        if "status" not in fields:
            return  # an update that does not complete the session
        from opentelemetry.trace import Status, StatusCode

        with self._lock:
            span = self._open.pop(session_id, None)
            if span is not None:
                self._ended[session_id] = span
                while len(self._ended) > 1000:
                    self._ended.popitem(last=False)
        if span is None:
            return
        for field, key in (
            ("prompt_tokens", "gen_ai.usage.input_tokens"),
            ("completion_tokens", "gen_ai.usage.output_tokens"),
        ):
            if fields.get(field) is not None:
                span.set_attribute(key, int(fields[field]))
        if fields.get("estimated_cost") is not None:
            span.set_attribute("sentrial.cost.usd", float(fields["estimated_cost"]))
        span.set_attribute("sentrial.session.status", str(fields["status"]))
        if fields.get("success") is False:
            reason = str(fields.get("failure_reason") or "failed")
            span.set_status(Status(StatusCode.ERROR, reason))
        span.end(end_time=_ns(fields.get("completed_at")))


def _ns(value: Any) -> int | None:
    return value if type(value) is int else None


def _loads(value: Any) -> Any:
    if isinstance(value, (bytes, str)) and value:
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return None
    return None


def _put_json(attributes: dict[str, Any], key: str, value: Any) -> None:
    """Payloads arrive as captured JSON bytes; OTel attributes carry JSON strings."""
    if isinstance(value, bytes) and value:
        attributes[key] = value.decode("utf-8", "replace")
    elif isinstance(value, str) and value:
        attributes[key] = value


def _cost(fields: Mapping[str, Any]) -> float | None:
    """An LLM call's cost, priced as the delivery engine prices it."""
    from ..cost import calculate_cost

    model = fields.get("model")
    if not model or fields.get("prompt_tokens") is None:
        return None
    return calculate_cost(
        str(model),
        int(fields.get("prompt_tokens") or 0),
        int(fields.get("completion_tokens") or 0),
        cached_input_tokens=int(fields.get("cached_tokens") or 0),
        cache_write_tokens=int(fields.get("cache_write_tokens") or 0),
        provider=fields.get("provider"),
    )


def export_to_otlp(
    client: SentrialClient | None = None,
    endpoint: str | None = None,
    headers: Mapping[str, str] | None = None,
    **options: Any,
) -> OTLPSessionExporter:
    """Also send every session ``client`` records (default: the configured
    client) to an OTLP/HTTP endpoint as GenAI spans.

    ``endpoint`` is the full traces URL (``http://collector:4318/v1/traces``);
    without it the standard ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` /
    ``OTEL_EXPORTER_OTLP_ENDPOINT`` variables apply, as do ``*_HEADERS``.
    ``options`` go to :class:`OTLPSessionExporter` (``tracer_provider=``,
    ``span_exporter=``, ``service_name=``). Sentrial delivery is unchanged;
    ``client.flush()``/``close()`` flush and stop the export too.
    """
    exporter = OTLPSessionExporter(endpoint, headers, **options)
    if client is None:
        from .._interaction import get_client

        client = get_client()
    tracker = client._tracker
    previous = getattr(tracker, "mirror", None)
    if previous is not None:
        exporter.next = previous  # keep a Langfuse mirror working
    tracker.mirror = exporter
    return exporter
