"""OpenTelemetry spans as Sentrial sessions and events: the one mapping.

Used by ``POST /api/otel/v1/traces`` on ``sentrial serve`` (spans decoded
from OTLP) and by the in-process :class:`~sentrial.otel.SentrialSpanProcessor`
(spans of the OTel SDK), so a trace reads the same whichever way it came.

One trace is one session and each span one event. Ids derive from the trace
and span ids (:func:`session_id`, :func:`event_id`), so an export sent twice
stores nothing twice. Which attributes mean what follows the OTel GenAI
semantic conventions and the common instrumentation styles: OpenLLMetry
(``traceloop.*``, flattened ``gen_ai.prompt.N.*``), OpenInference
(``openinference.span.kind``, ``llm.*``, ``input.value``) and the Vercel AI
SDK (``ai.*``). Nothing here imports OpenTelemetry.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from .cost import calculate_cost

# Session fields from attributes, in order of preference (Sentrial's documented names first).
USER_KEYS = ("user.id", "enduser.id", "sentrial.user_id")
CONVO_KEYS = ("conversation.id", "gen_ai.conversation.id", "sentrial.convo_id", "thread.id")
AGENT_KEYS = ("gen_ai.agent.name",)
ASSIGNMENT_KEY = "sentrial.experiment.assignment_id"
DEFAULT_USER = "anonymous"
DEFAULT_AGENT = "otel"

# OTel GenAI provider names (gen_ai.provider.name, formerly gen_ai.system) to
# the price catalogue's provider ids; others are priced by model name alone.
PROVIDERS = {
    "openai": "openai",
    "anthropic": "anthropic",
    "gcp.gemini": "google",
    "gcp.vertex_ai": "google",
    "gcp.gen_ai": "google",
    "google": "google",
    "gemini": "google",
    "vertex_ai": "google",
    "aws.bedrock": "aws",
    "azure.ai.openai": "azure",
    "azure.ai.inference": "azure",
    "az.ai.openai": "azure",
    "mistral_ai": "mistral",
    "mistralai": "mistral",
    "x_ai": "x-ai",
    "xai": "x-ai",
    "deepseek": "deepseek",
    "groq": "groq",
    "cohere": "cohere",
    "perplexity": "perplexity",
}

_LLM_OPERATIONS = frozenset({"chat", "text_completion", "generate_content", "embeddings"})
_AGENT_OPERATIONS = frozenset({"invoke_agent", "create_agent"})
# Vercel AI SDK: the outer call spans carry the sum of their steps' usage; only
# the provider calls inside (doGenerate, doStream, doEmbed) are model calls.
_VERCEL_MODEL_CALLS = (".doGenerate", ".doStream", ".doEmbed")

_MODEL_KEYS = (
    "gen_ai.response.model",
    "gen_ai.request.model",
    "ai.model.id",
    "llm.model_name",
    "llm.model",
)
_PROVIDER_KEYS = ("gen_ai.provider.name", "gen_ai.system", "ai.model.provider", "llm.provider")
_INPUT_TOKEN_KEYS = (
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.prompt_tokens",
    "ai.usage.inputTokens",
    "ai.usage.promptTokens",
    "llm.usage.prompt_tokens",
    "llm.token_count.prompt",
)
_OUTPUT_TOKEN_KEYS = (
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
    "ai.usage.outputTokens",
    "ai.usage.completionTokens",
    "llm.usage.completion_tokens",
    "llm.token_count.completion",
)
_CACHE_READ_KEYS = (
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_read_input_tokens",
    "ai.usage.cachedInputTokens",
    "llm.token_count.prompt_details.cache_read",
)
_CACHE_WRITE_KEYS = (
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.cache_creation_input_tokens",
    "llm.token_count.prompt_details.cache_write",
)
_COST_KEYS = ("gen_ai.usage.cost", "sentrial.cost.usd", "llm.cost.total")
_INPUT_KEYS = ("gen_ai.input.messages", "gen_ai.prompt", "ai.prompt.messages", "ai.prompt")
_OUTPUT_KEYS = ("gen_ai.output.messages", "gen_ai.completion", "ai.response.text")
_TOOL_NAME_KEYS = ("gen_ai.tool.name", "ai.toolCall.name", "tool.name", "traceloop.entity.name")
_TOOL_ARGS_KEYS = (
    "gen_ai.tool.call.arguments",
    "ai.toolCall.args",
    "tool.parameters",
    "traceloop.entity.input",
    "input.value",
)
_TOOL_RESULT_KEYS = (
    "gen_ai.tool.call.result",
    "ai.toolCall.result",
    "traceloop.entity.output",
    "output.value",
)


@dataclass(frozen=True)
class SpanData:
    """One finished span, whatever it came from (OTLP or the OTel SDK).

    Ids are lowercase hex (32 and 16 digits); times are nanoseconds since the
    epoch; ``events`` are the span's own events as (name, attributes);
    ``resource`` the attributes of the resource that emitted it.
    """

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    start_ns: int
    end_ns: int
    error: bool = False
    status_message: str = ""
    status_code: str = "unset"
    attributes: Mapping[str, Any] = field(default_factory=dict)
    events: Sequence[tuple[str, Mapping[str, Any]]] = ()
    resource: Mapping[str, Any] = field(default_factory=dict)
    kind: str = ""

    @property
    def duration_ms(self) -> float:
        return max(0.0, (self.end_ns - self.start_ns) / 1e6)


@dataclass
class MappedEvent:
    """What one span says, in the SDK's terms (``event_type`` and its fields)."""

    event_type: str  # llm_call, tool_call, error or span
    span: SpanData
    id_suffix: str = ""
    name: str | None = None  # the tool's name, or the span's for other spans
    model: str | None = None
    provider: str | None = None
    raw_provider: str | None = None  # a provider the price catalogue does not know
    input: Any = None
    output: Any = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int | None = None
    cache_write_tokens: int | None = None
    cost: float | None = None
    tool_input: dict[str, Any] | None = None
    tool_output: dict[str, Any] | None = None
    error: dict[str, str] | None = None


@dataclass
class SessionIdentity:
    """A trace's session fields found in its spans (None: not found in them)."""

    name: str | None = None
    agent: str | None = None
    user: str | None = None
    convo: str | None = None
    assignment_id: str | None = None


def session_id(trace_id: str) -> str:
    """The session id of a trace (32 hex digits): the same for every export."""
    return f"sess_otel-{trace_id}"


def event_id(trace_id: str, span_id: str, suffix: str = "") -> str:
    """The id of a span's event (span ids are unique only within their trace)."""
    return f"evt_{trace_id}{span_id}{suffix}"


def first(attributes: Mapping[str, Any], keys: Sequence[str]) -> Any:
    """The value of the first of ``keys`` that is set (not None, not empty)."""
    for key in keys:
        value = attributes.get(key)
        if value is not None and value != "":
            return value
    return None


def _int(value: Any) -> int | None:
    number = _float(value)
    return None if number is None or not math.isfinite(number) else int(number)


def _float(value: Any) -> float | None:
    """A number an attribute holds (as a number or as text); None otherwise."""
    if isinstance(value, bool):
        return None
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError, OverflowError):
        return None


def json_value(value: Any) -> Any:
    """Attributes carry structured values as JSON strings; parse them when they are."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    if isinstance(value, tuple):
        return list(value)
    return value


def _indexed(attributes: Mapping[str, Any], prefix: str, infix: str = "") -> list[Any] | None:
    """Flattened messages: OpenLLMetry's ``gen_ai.prompt.0.role`` and
    OpenInference's ``llm.input_messages.0.message.role``."""
    found: dict[int, dict[str, Any]] = {}
    for key, value in attributes.items():
        if not key.startswith(prefix):
            continue
        index, _, rest = key[len(prefix) :].partition(".")
        name = rest[len(infix) :] if rest.startswith(infix) else None
        if index.isdigit() and name in ("role", "content"):
            found.setdefault(int(index), {})[name] = value
    return [found[i] for i in sorted(found)] or None


def _as_object(value: Any, key: str) -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    return {key: value}


def identity(spans: Sequence[SpanData]) -> SessionIdentity:
    """A trace's session fields from ``spans``: the root span's attributes win,
    then any other span's, then the resource's (``service.name`` as agent)."""
    roots = [s for s in spans if s.parent_span_id is None]
    ordered = [*roots, *(s for s in spans if s.parent_span_id is not None)]
    found = SessionIdentity(name=roots[0].name if roots else None)
    for span in ordered:
        attributes = span.attributes
        found.user = found.user or _text(first(attributes, USER_KEYS))
        found.convo = found.convo or _text(first(attributes, CONVO_KEYS))
        found.agent = found.agent or _text(first(attributes, AGENT_KEYS))
        found.assignment_id = found.assignment_id or _text(attributes.get(ASSIGNMENT_KEY))
    for span in ordered:
        found.user = found.user or _text(first(span.resource, USER_KEYS))
        found.agent = found.agent or _text(span.resource.get("service.name"))
    return found


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def span_error(span: SpanData) -> dict[str, str] | None:
    """The span's error (``type``, ``message``): its ERROR status, else a
    recorded exception; None for a span that neither failed nor caught one."""
    kind = str(first(span.attributes, ("error.type",)) or "Error")
    message = span.status_message
    found = span.error
    for name, attributes in span.events:  # record_exception() puts the details here
        if name == "exception":
            found = True
            kind = str(attributes.get("exception.type") or kind)
            message = str(attributes.get("exception.message") or message)
    if not found:
        return None
    return {"type": kind, "message": message or kind}


def failure_reason(span: SpanData) -> str | None:
    """Why a failed span failed: its status message, else its exception's
    ``type: message``; None for a span whose status is not ERROR."""
    if not span.error:
        return None
    if span.status_message:
        return span.status_message
    error = span_error(span)
    assert error is not None
    return (
        f"{error['type']}: {error['message']}"
        if error["message"] != error["type"]
        else error["type"]
    )


def _kind(span: SpanData) -> str:
    """llm_call, tool_call or span: what the span is by its attributes."""
    attributes = span.attributes
    operation = str(first(attributes, ("gen_ai.operation.name", "llm.request.type")) or "")
    style = str(first(attributes, ("openinference.span.kind", "traceloop.span.kind")) or "")
    style = style.lower()
    vercel = str(attributes.get("ai.operationId") or span.name)
    if operation in _AGENT_OPERATIONS or style in ("agent", "chain", "workflow", "task"):
        return "span"
    if operation == "execute_tool" or style == "tool" or "ai.toolCall.name" in attributes:
        return "tool_call"
    if operation in _LLM_OPERATIONS or style in ("llm", "embedding"):
        return "llm_call"
    if vercel.startswith("ai.") and "ai.model.id" in attributes:
        return "llm_call" if vercel.endswith(_VERCEL_MODEL_CALLS) else "span"
    if first(attributes, ("gen_ai.tool.name",)) is not None:
        return "tool_call"
    if first(attributes, _MODEL_KEYS) is not None:
        return "llm_call"
    return "span"


def map_span(span: SpanData) -> list[MappedEvent]:
    """The events of one span: its own (``llm_call``, ``tool_call`` or
    ``span``), and an ``error`` event when a span of the last kind failed (a
    model or tool call carries its error itself)."""
    attributes = span.attributes
    error = span_error(span)
    kind = _kind(span)
    if kind == "llm_call":
        return [_llm_call(span, error)]
    if kind == "tool_call":
        tool = first(attributes, _TOOL_NAME_KEYS)
        return [
            MappedEvent(
                "tool_call",
                span,
                name=str(tool or span.name),
                tool_input=_as_object(json_value(first(attributes, _TOOL_ARGS_KEYS)), "arguments"),
                tool_output=_as_object(json_value(first(attributes, _TOOL_RESULT_KEYS)), "result"),
                error=error,
            )
        ]
    events = [MappedEvent("span", span, name=span.name)]
    if error is not None:
        events.append(MappedEvent("error", span, id_suffix="-error", name=span.name, error=error))
    return events


def _llm_call(span: SpanData, error: dict[str, str] | None) -> MappedEvent:
    attributes = span.attributes
    raw = first(attributes, _PROVIDER_KEYS)
    raw_provider = str(raw).lower() if raw is not None else None
    # Vercel's "openai.chat": the provider is the first part
    provider = PROVIDERS.get(raw_provider or "") or PROVIDERS.get(
        (raw_provider or "").split(".", 1)[0]
    )
    model = str(first(attributes, _MODEL_KEYS) or "unknown")
    event = MappedEvent(
        "llm_call",
        span,
        model=model,
        provider=provider,
        raw_provider=raw_provider if provider is None else None,
        input=messages_in(attributes),
        output=messages_out(attributes),
        prompt_tokens=_int(first(attributes, _INPUT_TOKEN_KEYS)),
        completion_tokens=_int(first(attributes, _OUTPUT_TOKEN_KEYS)),
        cached_tokens=_int(first(attributes, _CACHE_READ_KEYS)),
        cache_write_tokens=_int(first(attributes, _CACHE_WRITE_KEYS)),
        cost=_float(first(attributes, _COST_KEYS)),
        error=error,
    )
    if event.cost is None and event.prompt_tokens is not None and model != "unknown":
        event.cost = calculate_cost(
            model,
            event.prompt_tokens,
            event.completion_tokens or 0,
            cached_input_tokens=event.cached_tokens or 0,
            cache_write_tokens=event.cache_write_tokens or 0,
            provider=provider,
        )
    return event


def messages_in(attributes: Mapping[str, Any]) -> Any:
    messages = json_value(first(attributes, _INPUT_KEYS))
    if messages is None:
        messages = _indexed(attributes, "gen_ai.prompt.") or _indexed(
            attributes, "llm.input_messages.", "message."
        )
    if messages is None:
        messages = json_value(attributes.get("input.value"))
    system = json_value(attributes.get("gen_ai.system_instructions"))
    if system is not None:
        head = {"role": "system", "content": system}
        return [head, *messages] if isinstance(messages, list) else [head, messages]
    return messages


def messages_out(attributes: Mapping[str, Any]) -> Any:
    output = json_value(first(attributes, _OUTPUT_KEYS))
    if output is None:
        output = _indexed(attributes, "gen_ai.completion.") or _indexed(
            attributes, "llm.output_messages.", "message."
        )
    if output is None:
        output = json_value(attributes.get("output.value"))
    return output


def output_text(value: Any) -> str:
    """An output attribute as the session's assistant text (the last message's text)."""
    parsed = json_value(value)
    if isinstance(parsed, list) and parsed:
        last = parsed[-1]
        if isinstance(last, dict):
            parts = last.get("parts")
            if isinstance(parts, list):
                texts = [
                    str(p.get("content")) for p in parts if isinstance(p, dict) and "content" in p
                ]
                if texts:
                    return "".join(texts)
            if "content" in last:
                return str(last["content"])
    return value if isinstance(value, str) else orjson.dumps(parsed).decode()


def root_output(span: SpanData) -> str | None:
    """The assistant's answer a root span carries, as text."""
    output = first(span.attributes, _OUTPUT_KEYS)
    return None if output is None else output_text(output)


def span_metadata(span: SpanData) -> dict[str, Any]:
    """What an event keeps of its span beyond the event's own fields."""
    return {
        "otel": {
            "name": span.name,
            "kind": span.kind,
            "parentSpanId": span.parent_span_id,
            "startTimeUnixNano": span.start_ns,
            "endTimeUnixNano": span.end_ns,
            "status": {"code": span.status_code, "message": span.status_message},
            "attributes": dict(span.attributes),
        }
    }
