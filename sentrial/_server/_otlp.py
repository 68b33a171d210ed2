"""``POST /api/otel/v1/traces``: OpenTelemetry traces in, over OTLP/HTTP.

Answers as the OTLP/HTTP specification says, so that exporters and
Collectors retry exactly what they should: 200 with ``partialSuccess`` when
some spans could not be stored (not retried), 400 for a body that cannot be
decoded, 413 past ``maxOtlpBytes`` (before or after gzip), 415 for another
encoding, and 503 with ``Retry-After`` when more exports are in flight than
the server takes at once. Every answer is in the request's encoding: JSON,
or protobuf (``ExportTraceServiceResponse``, errors as ``google.rpc.Status``).

Spans become sessions and events through :mod:`sentrial._otel_mapping`, the
rule the in-process ``SentrialSpanProcessor`` follows too.
"""

from __future__ import annotations

import logging
import zlib
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import orjson
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTracePartialSuccess,
    ExportTraceServiceResponse,
)
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import _otel_mapping as mapping
from . import _spec
from ._app import HTTPError as OtlpError
from ._app import _read_body, resource
from ._otlp_decode import BadSpan, Decoded, DecodeError, from_json, from_protobuf
from ._storage import Storage, StorageError, TraceWrite, iso

logger = logging.getLogger("sentrial.server")

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
MAX_IN_FLIGHT = 4  # exports stored at once; more wait in the client's retry (503)
RETRY_AFTER_S = 1
# google.rpc.Code of each HTTP status the endpoint answers with
_RPC_CODES = {400: 3, 401: 16, 413: 8, 415: 3, 500: 13, 503: 14}


def _answer(protobuf: bool, status: int, message: Any, title: str = "") -> Response:
    """A response in the request's encoding; ``message`` is the success body
    (a dict) or an error's text."""
    if status == 200:
        if protobuf:
            partial = message.get("partialSuccess")
            response = ExportTraceServiceResponse()
            if partial is not None:
                response.partial_success.CopyFrom(
                    ExportTracePartialSuccess(
                        rejected_spans=int(partial["rejectedSpans"]),
                        error_message=partial["errorMessage"],
                    )
                )
            return Response(response.SerializeToString(), media_type=PROTOBUF)
        return Response(orjson.dumps(message), media_type=JSON)
    code = _RPC_CODES.get(status, 2)
    if protobuf:
        body = Status(code=code, message=message).SerializeToString()
        answer = Response(body, status_code=status, media_type=PROTOBUF)
    else:
        # google.rpc.Status in JSON and this API's Error body at once
        body = orjson.dumps({"code": code, "message": message, "error": title})
        answer = Response(body, status_code=status, media_type=JSON)
    answer.headers["X-Content-Type-Options"] = "nosniff"
    if status == 503:
        answer.headers["Retry-After"] = str(RETRY_AFTER_S)
    return answer


def _gunzip(raw: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(raw, limit + 1)
        if len(out) > limit:
            raise OtlpError(413, "Payload Too Large", f"body: more than {limit} bytes unzipped")
        if not inflater.eof:
            raise OtlpError(400, "Bad Request", "body: truncated gzip data")
    except zlib.error as exc:
        raise OtlpError(400, "Bad Request", f"body: not valid gzip data ({exc})") from None
    return out


def _decode(raw: bytes, protobuf: bool, limit: int) -> list[Decoded]:
    if protobuf:
        try:
            return from_protobuf(raw)
        except DecodeError as exc:
            raise OtlpError(400, "Bad Request", str(exc)) from None
    try:
        # orjson alone: OTLP's integers are 64-bit at most, and the exact re-read
        # that _json.loads makes for 19-digit runs would parse every export twice
        # (nanosecond times are 19 digits).
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise OtlpError(400, "Bad Request", f"body: not valid JSON ({exc})") from None
    try:
        return from_json(body)
    except DecodeError as exc:
        raise OtlpError(400, "Bad Request", str(exc)) from None


def _event_body(event: mapping.MappedEvent, session_id: str) -> dict[str, Any]:
    span = event.span
    body: dict[str, Any] = {
        "id": mapping.event_id(span.trace_id, span.span_id, event.id_suffix),
        "sessionId": session_id,
        "eventType": event.event_type,
        "timestamp": iso(span.start_ns // 1000),
        "durationMs": span.duration_ms,
        "traceId": span.trace_id,
        "spanId": span.span_id,
        "parentSpanId": span.parent_span_id,
        "metadata": mapping.span_metadata(span),
    }
    if event.event_type == "llm_call":
        body.update(
            model=event.model,
            provider=event.provider or event.raw_provider,
            input=event.input,
            output=event.output,
            promptTokens=event.prompt_tokens,
            completionTokens=event.completion_tokens,
            cachedTokens=event.cached_tokens,
            cacheWriteTokens=event.cache_write_tokens,
            estimatedCost=event.cost,
            tokenCount=(event.prompt_tokens or 0) + (event.completion_tokens or 0) or None,
        )
    elif event.event_type == "tool_call":
        body.update(toolName=event.name, toolInput=event.tool_input, toolOutput=event.tool_output)
    else:
        body["reasoning"] = event.name
    if event.error is not None:
        body["toolError"] = event.error
    return body


def _trace_write(trace_id: str, spans: list[mapping.SpanData]) -> TraceWrite:
    found = mapping.identity(spans)
    session_id = mapping.session_id(trace_id)
    defaults = {
        "name": f"OTel trace {trace_id}",
        "agentName": mapping.DEFAULT_AGENT,
        "userId": mapping.DEFAULT_USER,
        "convoId": trace_id,
    }
    metadata: dict[str, Any] = {"source": "opentelemetry", "traceId": trace_id}
    if found.assignment_id is not None:
        metadata["experimentAssignmentId"] = found.assignment_id
    session = {
        "id": session_id,
        "name": found.name or defaults["name"],
        "agentName": found.agent or defaults["agentName"],
        "userId": found.user or defaults["userId"],
        "convoId": found.convo or defaults["convoId"],
        "startedAt": iso(min(s.start_ns for s in spans) // 1000),
        "metadata": metadata,
    }
    if found.assignment_id is not None:  # the variant's production results count it
        session["experimentAssignmentId"] = found.assignment_id
    roots = [s for s in spans if s.parent_span_id is None]
    completion = None
    if roots:
        root = roots[0]
        completion = {
            "status": "failed" if root.error else "completed",
            "success": not root.error,
            "failureReason": mapping.failure_reason(root),
            "durationMs": root.duration_ms,
            "completedAt": iso(root.end_ns // 1000),
            "assistantOutput": mapping.root_output(root),
        }
    events = [_event_body(e, session_id) for span in spans for e in mapping.map_span(span)]
    return TraceWrite(session, defaults, bool(roots), events, completion)


def ingest(storage: Storage, decoded: list[Decoded]) -> dict[str, Any]:
    """Store what was decoded; the export's answer (``partialSuccess`` when
    some spans were not stored)."""
    problems: list[str] = [d.message for d in decoded if isinstance(d, BadSpan)]
    rejected = len(problems)
    by_trace: dict[str, list[mapping.SpanData]] = defaultdict(list)
    for item in decoded:
        if not isinstance(item, BadSpan):
            by_trace[item.trace_id].append(item)
    writes = [_trace_write(trace_id, spans) for trace_id, spans in by_trace.items()]
    results = storage.store_traces(writes) if writes else []
    for write, outcomes in zip(writes, results, strict=True):
        failed: set[str] = set()
        for body, outcome in zip(write.events, outcomes, strict=True):
            if isinstance(outcome, StorageError) and body["spanId"] not in failed:
                failed.add(body["spanId"])
                problems.append(f"span {body['spanId']}: {outcome.message}")
        rejected += len(failed)
    if not rejected:
        return {}
    shown = "; ".join(problems[:5]) + ("; ..." if len(problems) > 5 else "")
    return {"partialSuccess": {"rejectedSpans": str(rejected), "errorMessage": shown}}


class InFlight:
    """Exports being stored now: past MAX_IN_FLIGHT, the next one is told to retry."""

    def __init__(self) -> None:
        self.count = 0


def otlp_routes(
    storage: Storage, check_key: Callable[[Request], None], in_flight: InFlight
) -> list[Route]:
    """The OTLP/HTTP traces route; ``check_key`` raises for a missing or wrong key."""
    limit = _spec.request_limit("maxOtlpBytes")

    async def export_traces(request: Request) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        protobuf = content_type == PROTOBUF
        try:
            try:
                check_key(request)
            except Exception as exc:
                raise OtlpError(401, "Unauthorized", str(exc)) from None
            if content_type not in (PROTOBUF, JSON):
                raise OtlpError(
                    415,
                    "Unsupported Media Type",
                    f"Content-Type: {content_type!r}; send {JSON} or {PROTOBUF}",
                )
            encoding = request.headers.get("content-encoding", "identity").strip().lower()
            if encoding not in ("gzip", "identity"):
                raise OtlpError(
                    415, "Unsupported Media Type", f"Content-Encoding: {encoding!r}; send gzip"
                )
            if in_flight.count >= MAX_IN_FLIGHT:
                raise OtlpError(
                    503, "Service Unavailable", "busy storing other exports; retry later"
                )
            in_flight.count += 1
            try:
                raw = await _read_body(request, limit)
                answer = await run_in_threadpool(_handle, raw, encoding == "gzip", protobuf)
            finally:
                in_flight.count -= 1
            return _answer(protobuf, 200, answer)
        except OtlpError as exc:
            return _answer(protobuf, exc.status, exc.message, exc.title)
        except Exception:
            logger.exception("unexpected error on POST %s", request.url.path)
            return _answer(protobuf, 500, "unexpected server error; retry", "Server Error")

    def _handle(raw: bytes, gzipped: bool, protobuf: bool) -> dict[str, Any]:
        if gzipped:
            raw = _gunzip(raw, limit)
        return ingest(storage, _decode(raw, protobuf, limit))

    return [resource("/api/otel/v1/traces", post=export_traces)]
