"""OTLP trace exports (``ExportTraceServiceRequest``) as :class:`SpanData`.

Two encodings, one result: OTLP/JSON (hex ids, int64 as strings or numbers,
enums as numbers or names) and binary protobuf (read with the
``opentelemetry-proto`` classes). A span that cannot be read (a malformed id
or time) is not a reason to refuse its neighbours: it comes back as a
:class:`BadSpan` naming the field, to be counted in ``partialSuccess``. A
body that is not an export at all raises :class:`DecodeError`.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterator, Mapping
from typing import Any

from google.protobuf.message import DecodeError as ProtobufDecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from .._otel_mapping import SpanData

_STATUS_NAMES = {0: "unset", 1: "ok", 2: "error"}
_KIND_NAMES = {0: "", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


class DecodeError(ValueError):
    """The body is no ExportTraceServiceRequest in the declared encoding."""


class BadSpan:
    """A span that could not be read: ``message`` names the field at fault."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


Decoded = SpanData | BadSpan


# -- OTLP/JSON ------------------------------------------------------------------------


def _json_any(value: Any) -> Any:
    """An AnyValue of OTLP/JSON as plain JSON (bytes stay base64 text; an
    unknown kind is kept as sent rather than lost)."""
    if not isinstance(value, dict):
        return value
    if not value:
        return None
    if len(value) == 1:
        ((kind, inner),) = value.items()
        if kind in ("stringValue", "boolValue", "bytesValue"):
            return inner
        if kind == "intValue":
            try:
                return int(inner)
            except (TypeError, ValueError):
                return inner
        if kind == "doubleValue":
            return _json_double(inner)
        if kind == "arrayValue" and isinstance(inner, dict):
            values = inner.get("values") or []
            return [_json_any(v) for v in values] if isinstance(values, list) else values
        if kind == "kvlistValue" and isinstance(inner, dict):
            return _json_attributes(inner.get("values"))
    return value


def _json_double(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value = float(value)  # "NaN", "Infinity" and numbers as text
        except ValueError:
            return value
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN or infinity: kept as text
    return value


def _json_attributes(items: Any) -> dict[str, Any]:
    if not isinstance(items, list):
        return {}
    out: dict[str, Any] = {}
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            out[item["key"]] = _json_any(item.get("value"))
    return out


def _hex_id(value: Any, size: int, field: str, *, optional: bool = False) -> str | None:
    if optional and value in (None, ""):
        return None
    text = value.lower() if isinstance(value, str) else ""
    if len(text) != size * 2 or text.strip("0123456789abcdef") or not text.strip("0"):
        if optional and text and not text.strip("0"):
            return None  # an all-zero parent id means no parent
        raise ValueError(f"{field}: {value!r} is not {size * 2} hex digits (and not all zeros)")
    return text


def _nanos(value: Any, field: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{field}: {value!r} is not a time in nanoseconds")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{field}: {value!r} is not a time in nanoseconds") from None
    if not 0 <= number < 2**64:
        raise ValueError(f"{field}: {value!r} is out of range")
    return number


def _enum(value: Any, names: Mapping[int, str], prefix: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return names.get(value, "")
    if isinstance(value, str):
        return value.removeprefix(prefix).lower()
    return ""


def _json_span(span: Any, resource: dict[str, Any]) -> Decoded:
    if not isinstance(span, dict):
        return BadSpan("span: not an object")
    try:
        status = span.get("status") if isinstance(span.get("status"), dict) else {}
        assert isinstance(status, dict)
        code = _enum(status.get("code"), _STATUS_NAMES, "STATUS_CODE_")
        message = status.get("message")
        events = span.get("events") if isinstance(span.get("events"), list) else []
        assert isinstance(events, list)
        return SpanData(
            trace_id=str(_hex_id(span.get("traceId"), 16, "traceId")),
            span_id=str(_hex_id(span.get("spanId"), 8, "spanId")),
            parent_span_id=_hex_id(span.get("parentSpanId"), 8, "parentSpanId", optional=True),
            name=str(span.get("name") or ""),
            start_ns=_nanos(span.get("startTimeUnixNano", 0), "startTimeUnixNano"),
            end_ns=_nanos(span.get("endTimeUnixNano", 0), "endTimeUnixNano"),
            error=code == "error",
            status_code=code or "unset",
            status_message=message if isinstance(message, str) else "",
            attributes=_json_attributes(span.get("attributes")),
            events=[
                (str(e.get("name") or ""), _json_attributes(e.get("attributes")))
                for e in events
                if isinstance(e, dict)
            ],
            resource=resource,
            kind=_enum(span.get("kind"), _KIND_NAMES, "SPAN_KIND_"),
        )
    except ValueError as exc:
        return BadSpan(str(exc))


def from_json(body: Any) -> list[Decoded]:
    """The spans of an OTLP/JSON export (already parsed)."""
    if not isinstance(body, dict):
        raise DecodeError("body: not an ExportTraceServiceRequest (a JSON object)")
    groups = body.get("resourceSpans", [])
    if not isinstance(groups, list):
        raise DecodeError("resourceSpans: not an array")
    out: list[Decoded] = []
    for index, group in enumerate(groups):
        if not isinstance(group, dict):
            raise DecodeError(f"resourceSpans[{index}]: not an object")
        resource_body = group.get("resource")
        resource = _json_attributes(
            resource_body.get("attributes") if isinstance(resource_body, dict) else None
        )
        scopes = group.get("scopeSpans", group.get("instrumentationLibrarySpans", []))
        for scope in scopes if isinstance(scopes, list) else []:
            spans = scope.get("spans") if isinstance(scope, dict) else None
            out += [_json_span(span, resource) for span in spans or []]
    return out


# -- protobuf -------------------------------------------------------------------------


def _proto_any(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [_proto_any(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return _proto_attributes(value.kvlist_value.values)
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    if kind == "double_value":
        return _json_double(value.double_value)
    return getattr(value, kind)


def _proto_attributes(items: Any) -> dict[str, Any]:
    pairs: Iterator[KeyValue] = iter(items)
    return {item.key: _proto_any(item.value) for item in pairs}


def _proto_id(raw: bytes, size: int, field: str, *, optional: bool = False) -> str | None:
    if optional and not raw.strip(b"\0"):
        return None
    if len(raw) != size or not raw.strip(b"\0"):
        raise ValueError(f"{field}: {raw.hex()!r} is not {size} bytes (and not all zeros)")
    return raw.hex()


def from_protobuf(body: bytes) -> list[Decoded]:
    """The spans of a binary protobuf export."""
    try:
        request = ExportTraceServiceRequest.FromString(body)
    except (ProtobufDecodeError, RuntimeError, ValueError) as exc:
        raise DecodeError(f"body: not a protobuf ExportTraceServiceRequest ({exc})") from None
    out: list[Decoded] = []
    for group in request.resource_spans:
        resource = _proto_attributes(group.resource.attributes)
        for scope in group.scope_spans:
            for span in scope.spans:
                try:
                    out.append(
                        SpanData(
                            trace_id=str(_proto_id(span.trace_id, 16, "traceId")),
                            span_id=str(_proto_id(span.span_id, 8, "spanId")),
                            parent_span_id=_proto_id(
                                span.parent_span_id, 8, "parentSpanId", optional=True
                            ),
                            name=span.name,
                            start_ns=span.start_time_unix_nano,
                            end_ns=span.end_time_unix_nano,
                            error=span.status.code == 2,
                            status_code=_STATUS_NAMES.get(span.status.code, "unset"),
                            status_message=span.status.message,
                            attributes=_proto_attributes(span.attributes),
                            events=[(e.name, _proto_attributes(e.attributes)) for e in span.events],
                            resource=resource,
                            kind=_KIND_NAMES.get(span.kind, ""),
                        )
                    )
                except ValueError as exc:
                    out.append(BadSpan(str(exc)))
    return out
