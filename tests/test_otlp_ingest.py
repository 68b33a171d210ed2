"""``POST /api/otel/v1/traces``: real OpenTelemetry exporters against ``sentrial serve``.

The clients are OpenTelemetry's own (the Python SDK's OTLP/HTTP exporter,
protobuf); hand-written OTLP/JSON bodies cover the edges (gzip, duplicates,
odd attribute values, sizes, malformed bodies).
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import httpx
import pytest
from google.rpc.status_pb2 import Status
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Status as SpanStatus
from opentelemetry.trace import StatusCode

import sentrial
from sentrial._server import ASGIThread, LocalServer
from sentrial._server._app import create_app
from sentrial._server._otlp import MAX_IN_FLIGHT
from sentrial._server._storage import Storage

from .conftest import Reader

PATH = "/api/otel/v1/traces"
TRACE = "5b8efff798038103d269b633813fc60c"


def _price(model: str, prompt: int, completion: int, **kw: Any) -> float:
    value = sentrial.calculate_cost(model, prompt, completion, **kw)
    assert value is not None and value > 0
    return value


class _Collect(SpanExporter):
    """Keeps finished spans so a test decides how to split them into exports."""

    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.spans += spans
        return SpanExportResult.SUCCESS


def _genai_trace(service: str = "support-svc") -> list[ReadableSpan]:
    """An agent span, two model calls and a failing tool call, as an
    instrumented agent emits them (children end before their root)."""
    collected = _Collect()
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(collected))
    tracer = provider.get_tracer("agent")
    with tracer.start_as_current_span(
        "invoke_agent support-bot",
        attributes={
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": "support-bot",
            "enduser.id": "u-77",
            "thread.id": "thread-9",
            "sentrial.experiment.assignment_id": "asg_1",
        },
        record_exception=False,
        set_status_on_exception=False,
    ) as root:
        with tracer.start_as_current_span(
            "chat gpt-4o",
            attributes={
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "gpt-4o",
                "gen_ai.usage.input_tokens": 1200,
                "gen_ai.usage.output_tokens": 300,
                "gen_ai.usage.cache_read.input_tokens": 1024,
                "gen_ai.input.messages": json.dumps([{"role": "user", "content": "Where is A1?"}]),
            },
        ):
            pass
        with tracer.start_as_current_span(
            "execute_tool lookup_order",
            attributes={
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "lookup_order",
                "gen_ai.tool.call.arguments": '{"order_id": "A1"}',
            },
            record_exception=True,
            set_status_on_exception=True,
        ):
            try:
                raise TimeoutError("orders db timed out")
            except TimeoutError as exc:
                tool = trace.get_current_span()
                tool.record_exception(exc)
                tool.set_status(SpanStatus(StatusCode.ERROR, "orders db timed out"))
        with tracer.start_as_current_span(
            "chat claude-sonnet-4-5",
            attributes={
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "anthropic",
                "gen_ai.request.model": "claude-sonnet-4-5",
                "gen_ai.usage.input_tokens": 800,
                "gen_ai.usage.output_tokens": 120,
                "gen_ai.usage.cost": 0.5,  # priced by the span itself
                "gen_ai.output.messages": json.dumps(
                    [{"role": "assistant", "content": "Sorry, the order lookup failed."}]
                ),
            },
        ):
            pass
        root.set_status(SpanStatus(StatusCode.ERROR, "tool lookup_order failed"))
    provider.shutdown()
    return collected.spans


def _exporter(server: LocalServer, **options: Any) -> OTLPSpanExporter:
    return OTLPSpanExporter(
        endpoint=server.url + PATH,
        headers={"x-sentrial-api-key": server.api_key},
        **options,
    )


def _check_genai_session(reader: Reader, trace_id: str) -> None:
    (session,) = [s for s in reader.sessions() if s["metadata"].get("traceId") == trace_id]
    assert session["id"] == f"sess_otel-{trace_id}"
    assert session["name"] == "invoke_agent support-bot"
    assert session["agentName"] == "support-bot"
    assert (session["userId"], session["convoId"]) == ("u-77", "thread-9")
    assert session["metadata"]["experimentAssignmentId"] == "asg_1"
    assert session["status"] == "failed" and session["success"] is False
    assert session["failureReason"] == "tool lookup_order failed"
    assert (session["promptTokens"], session["completionTokens"]) == (2000, 420)
    assert session["totalTokens"] == 2420
    gpt_cost = _price("gpt-4o", 1200, 300, cached_input_tokens=1024, provider="openai")
    assert session["estimatedCost"] == pytest.approx(gpt_cost + 0.5, rel=1e-9)
    assert session["durationMs"] > 0
    events = reader.events(session["id"])
    assert session["eventCount"] == len(events) == 5
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_kind.setdefault(event["eventType"], []).append(event)
    (agent,) = by_kind["span"]
    (agent_error,) = by_kind["error"]
    gpt, claude = by_kind["llm_call"]
    (tool,) = by_kind["tool_call"]
    assert agent.get("parentSpanId") is None and agent["reasoning"] == "invoke_agent support-bot"
    assert agent_error["toolError"] == {"type": "Error", "message": "tool lookup_order failed"}
    assert agent_error["spanId"] == agent["spanId"]
    for child in (gpt, tool, claude):  # nesting: each child names the agent span
        assert child["parentSpanId"] == agent["spanId"] and child["traceId"] == trace_id
        assert child["id"] == f"evt_{trace_id}{child['spanId']}"
    assert [e["spanId"] for e in events][:1] == [agent["spanId"]]  # ordered by start
    assert (gpt["model"], gpt["provider"]) == ("gpt-4o", "openai")
    assert (gpt["promptTokens"], gpt["completionTokens"], gpt["cachedTokens"]) == (1200, 300, 1024)
    assert gpt["estimatedCost"] == pytest.approx(gpt_cost, rel=1e-9)
    assert gpt["input"] == [{"role": "user", "content": "Where is A1?"}]
    assert (claude["model"], claude["provider"], claude["estimatedCost"]) == (
        "claude-sonnet-4-5",
        "anthropic",
        0.5,
    )
    assert claude["output"] == [{"role": "assistant", "content": "Sorry, the order lookup failed."}]
    assert tool["toolName"] == "lookup_order" and tool["toolInput"] == {"order_id": "A1"}
    assert tool["toolError"] == {"type": "TimeoutError", "message": "orders db timed out"}
    assert tool["metadata"]["otel"]["status"] == {"code": "error", "message": "orders db timed out"}
    assert (
        tool["durationMs"] >= 0
        and gpt["metadata"]["otel"]["attributes"]["gen_ai.request.model"] == "gpt-4o"
    )


def test_python_otlp_exporter_protobuf_over_several_exports(
    sentrial_server: LocalServer, reader: Reader
) -> None:
    spans = _genai_trace()
    exporter = _exporter(sentrial_server)
    # Children first, the root last, one export each: one session all along.
    for span in spans:
        assert exporter.export([span]) == SpanExportResult.SUCCESS
        sessions = reader.sessions()
        assert len(sessions) == 1
        if span.parent is not None:
            assert sessions[0]["status"] == "active"
    exporter.shutdown()  # type: ignore[no-untyped-call]
    trace_id = format(spans[0].context.trace_id, "032x")
    _check_genai_session(reader, trace_id)


def test_duplicate_and_gzipped_exports_store_nothing_twice(
    sentrial_server: LocalServer, reader: Reader
) -> None:
    spans = _genai_trace()
    plain = _exporter(sentrial_server)
    zipped = _exporter(sentrial_server, compression=Compression.Gzip)
    assert plain.export(spans[:2]) == SpanExportResult.SUCCESS
    assert zipped.export(spans) == SpanExportResult.SUCCESS  # a retry with more spans
    assert zipped.export(spans) == SpanExportResult.SUCCESS
    assert plain.export(spans[::-1]) == SpanExportResult.SUCCESS
    trace_id = format(spans[0].context.trace_id, "032x")
    _check_genai_session(reader, trace_id)
    (agent_row,) = [a for a in sentrial_server.storage.agent_stats() if a["sessions"]]
    assert (agent_row["agentName"], agent_row["sessions"], agent_row["finished"]) == (
        "support-bot",
        1,
        1,
    )


# -- OTLP/JSON, hand-written: the edges ---------------------------------------------


def _attr(key: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"key": key, "value": value}


def _span(
    span_id: str,
    *,
    trace_id: str = TRACE,
    parent: str | None = None,
    name: str = "step",
    start: int | str = 1_700_000_000_000_000_000,
    end: int | str = 1_700_000_000_500_000_000,
    attributes: list[dict[str, Any]] | None = None,
    status: dict[str, Any] | None = None,
) -> dict[str, Any]:
    span: dict[str, Any] = {
        "traceId": trace_id,
        "spanId": span_id,
        "name": name,
        "kind": 1,
        "startTimeUnixNano": start,
        "endTimeUnixNano": end,
        "attributes": attributes or [],
    }
    if parent is not None:
        span["parentSpanId"] = parent
    if status is not None:
        span["status"] = status
    return span


def _export(spans: list[dict[str, Any]], service: str = "svc") -> dict[str, Any]:
    resource = {"attributes": [_attr("service.name", {"stringValue": service})]}
    return {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": spans}]}]}


@pytest.fixture
def http(sentrial_server: LocalServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=sentrial_server.url,
        headers={"Authorization": f"Bearer {sentrial_server.api_key}"},
        timeout=120,
    ) as client:
        yield client


def _post_json(http: httpx.Client, body: Any, **headers: str) -> httpx.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return http.post(PATH, content=raw, headers={"Content-Type": "application/json", **headers})


def test_otlp_json_values_ids_and_times_as_the_spec_writes_them(
    http: httpx.Client, reader: Reader
) -> None:
    attributes = [
        _attr("gen_ai.operation.name", {"stringValue": "chat"}),
        _attr("gen_ai.request.model", {"stringValue": "gpt-4o-mini"}),
        _attr("gen_ai.usage.input_tokens", {"intValue": "1000"}),  # int64 as text
        _attr("gen_ai.usage.output_tokens", {"intValue": 200}),  # or as a number
        _attr("temperature", {"doubleValue": 0.5}),
        _attr("stream", {"boolValue": True}),
        _attr("tags", {"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": "2"}]}}),
        _attr("request", {"kvlistValue": {"values": [_attr("k", {"stringValue": "v"})]}}),
        _attr("blob", {"bytesValue": "AAEC"}),
        _attr("future", {"mapOfThingsValue": {"x": 1}}),  # a kind this server does not know
        _attr("empty", {}),
    ]
    llm = _span(
        "AAAAAAAAAAAAAAA1",  # upper-case hex is hex too
        parent="00000000000000a0",
        attributes=attributes,
        start="1700000000100000000",
        end=1_700_000_000_350_000_000,
    )
    root = _span(
        "00000000000000a0",
        name="answer",
        status={"code": "STATUS_CODE_OK"},
        attributes=[_attr("user.id", {"stringValue": "u1"})],
    )
    response = _post_json(http, _export([llm, root]))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {}
    session = reader.session(f"sess_otel-{TRACE}")
    assert (session["status"], session["userId"], session["agentName"]) == (
        "completed",
        "u1",
        "svc",
    )
    assert session["convoId"] == TRACE and session["name"] == "answer"
    assert session["startedAt"] == "2023-11-14T22:13:20.000000Z"
    assert session["durationMs"] == 500.0
    event, root_event = (
        reader.events(session["id"])[1],
        reader.events(session["id"])[0],
    )
    assert root_event["eventType"] == "span" and root_event["spanId"] == "00000000000000a0"
    assert event["id"] == f"evt_{TRACE}aaaaaaaaaaaaaaa1"
    assert event["timestamp"] == "2023-11-14T22:13:20.100000Z"
    assert event["durationMs"] == 250.0
    assert (event["promptTokens"], event["completionTokens"]) == (1000, 200)
    assert event["estimatedCost"] == pytest.approx(_price("gpt-4o-mini", 1000, 200), rel=1e-9)
    kept = event["metadata"]["otel"]["attributes"]
    assert kept["temperature"] == 0.5 and kept["stream"] is True
    assert kept["tags"] == ["a", 2] and kept["request"] == {"k": "v"}
    assert kept["blob"] == "AAEC"
    assert kept["future"] == {"mapOfThingsValue": {"x": 1}}  # kept as sent, not lost
    assert kept["empty"] is None
    assert session["promptTokens"] == 1000 and session["totalTokens"] == 1200


def test_instrumentation_styles_map_to_the_same_events(http: httpx.Client, reader: Reader) -> None:
    """OpenLLMetry, OpenInference and the Vercel AI SDK, each as they write spans."""

    def text(key: str, value: str) -> dict[str, Any]:
        return _attr(key, {"stringValue": value})

    def number(key: str, value: int) -> dict[str, Any]:
        return _attr(key, {"intValue": str(value)})

    root = "0000000000000001"
    spans = [
        _span(root, name="workflow", attributes=[text("traceloop.span.kind", "workflow")]),
        _span(
            "0000000000000002",
            parent=root,
            name="openai.chat",
            attributes=[
                text("llm.request.type", "chat"),
                text("gen_ai.system", "openai"),
                text("gen_ai.request.model", "gpt-4o"),
                number("gen_ai.usage.prompt_tokens", 10),
                number("gen_ai.usage.completion_tokens", 5),
                number("gen_ai.usage.cache_read_input_tokens", 4),
                text("gen_ai.prompt.0.role", "user"),
                text("gen_ai.prompt.0.content", "hi"),
            ],
        ),
        _span(
            "0000000000000003",
            parent=root,
            name="search",
            attributes=[
                text("traceloop.span.kind", "tool"),
                text("traceloop.entity.name", "search"),
                text("traceloop.entity.input", '{"q": "x"}'),
                text("traceloop.entity.output", '{"hits": 3}'),
            ],
        ),
        _span(
            "0000000000000004",
            parent=root,
            name="ChatAnthropic",
            attributes=[
                text("openinference.span.kind", "LLM"),
                text("llm.model_name", "claude-sonnet-4-5"),
                text("llm.provider", "anthropic"),
                number("llm.token_count.prompt", 100),
                number("llm.token_count.completion", 20),
                number("llm.token_count.prompt_details.cache_write", 50),
                text("llm.input_messages.0.message.role", "user"),
                text("llm.input_messages.0.message.content", "hello"),
            ],
        ),
        _span(
            "0000000000000005",
            parent=root,
            name="lookup",
            attributes=[
                text("openinference.span.kind", "TOOL"),
                text("tool.name", "lookup"),
                text("input.value", '{"id": 1}'),
                text("output.value", "found"),
            ],
        ),
        _span(
            "0000000000000006",
            parent=root,
            name="ai.generateText",
            attributes=[
                text("ai.operationId", "ai.generateText"),
                text("ai.model.id", "gpt-4o-mini"),
                number("ai.usage.promptTokens", 30),  # the sum of its steps: not counted twice
            ],
        ),
        _span(
            "0000000000000007",
            parent="0000000000000006",
            name="ai.generateText.doGenerate",
            attributes=[
                text("ai.operationId", "ai.generateText.doGenerate"),
                text("ai.model.id", "gpt-4o-mini"),
                text("ai.model.provider", "openai.chat"),
                number("ai.usage.promptTokens", 30),
                number("ai.usage.completionTokens", 3),
                text("ai.response.text", "ok"),
            ],
        ),
        _span(
            "0000000000000008",
            parent="0000000000000006",
            name="ai.toolCall",
            attributes=[
                text("ai.operationId", "ai.toolCall"),
                text("ai.toolCall.name", "weather"),
                text("ai.toolCall.args", '{"city": "Paris"}'),
                text("ai.toolCall.result", '{"temp": 20}'),
            ],
        ),
    ]
    assert _post_json(http, _export(spans)).json() == {}
    events = {e["spanId"][-1]: e for e in reader.events(f"sess_otel-{TRACE}")}
    assert [events[k]["eventType"] for k in "12345678"] == [
        "span",
        "llm_call",
        "tool_call",
        "llm_call",
        "tool_call",
        "span",
        "llm_call",
        "tool_call",
    ]
    assert (events["2"]["model"], events["2"]["provider"], events["2"]["cachedTokens"]) == (
        "gpt-4o",
        "openai",
        4,
    )
    assert events["2"]["input"] == [{"role": "user", "content": "hi"}]
    assert (events["3"]["toolName"], events["3"]["toolInput"], events["3"]["toolOutput"]) == (
        "search",
        {"q": "x"},
        {"hits": 3},
    )
    assert (events["4"]["model"], events["4"]["provider"], events["4"]["cacheWriteTokens"]) == (
        "claude-sonnet-4-5",
        "anthropic",
        50,
    )
    assert events["4"]["input"] == [{"role": "user", "content": "hello"}]
    assert events["5"]["toolOutput"] == {"result": "found"}
    assert (events["7"]["provider"], events["7"]["output"]) == ("openai", "ok")
    assert events["8"]["toolInput"] == {"city": "Paris"}
    session = reader.session(f"sess_otel-{TRACE}")
    assert (session["promptTokens"], session["completionTokens"]) == (140, 28)


def test_gzip_and_a_duplicate_export_store_nothing_twice(
    http: httpx.Client, reader: Reader
) -> None:
    body = _export(
        [_span(f"{i:016x}", parent=None if i == 1 else "0000000000000001") for i in (1, 2, 3)]
    )
    zipped = gzip.compress(json.dumps(body).encode())
    for _ in range(2):
        response = _post_json(http, zipped, **{"Content-Encoding": "gzip"})
        assert response.status_code == 200 and response.json() == {}
    assert _post_json(http, body).json() == {}
    (session,) = reader.sessions()
    assert session["eventCount"] == 3 and len(reader.events(session["id"])) == 3


def test_a_span_that_cannot_be_stored_is_a_partial_success(
    http: httpx.Client, reader: Reader
) -> None:
    good = _span("0000000000000001")
    spans = [good, _span("xyz"), _span("0000000000000002", trace_id="0" * 32)]
    response = _post_json(http, _export(spans))
    assert response.status_code == 200
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "2"
    assert "spanId: 'xyz' is not 16 hex digits" in partial["errorMessage"]
    assert "traceId" in partial["errorMessage"]
    assert len(reader.events(f"sess_otel-{TRACE}")) == 1
    # The same span id with another body is refused, and said so.
    changed = _span("0000000000000001", name="renamed")
    partial = _post_json(http, _export([changed])).json()["partialSuccess"]
    assert partial["rejectedSpans"] == "1" and "different body" in partial["errorMessage"]


def test_undecodable_bodies_are_400_in_the_request_encoding(http: httpx.Client) -> None:
    for raw in (b"{not json", b"[1, 2]", b'{"resourceSpans": 3}'):
        response = _post_json(http, raw)
        assert response.status_code == 400, raw
        assert response.json()["code"] == 3 and response.json()["error"] == "Bad Request"
    response = http.post(
        PATH, content=b"\xff\x00garbage", headers={"Content-Type": "application/x-protobuf"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/x-protobuf"
    status = Status.FromString(response.content)
    assert status.code == 3 and "protobuf" in status.message
    response = _post_json(http, b"not gzip", **{"Content-Encoding": "gzip"})
    assert response.status_code == 400 and "gzip" in response.json()["message"]
    response = http.post(PATH, content=b"{}", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415


def test_keys_in_either_header_on_every_route(sentrial_server: LocalServer) -> None:
    with httpx.Client(base_url=sentrial_server.url) as bare:
        key = {"x-sentrial-api-key": sentrial_server.api_key}
        assert bare.get("/api/sdk/sessions", headers=key).status_code == 200
        assert bare.get("/api/sdk/sessions").status_code == 401
        wrong = {"x-sentrial-api-key": "nope", "Content-Type": "application/json"}
        response = bare.post(PATH, content=b"{}", headers=wrong)
        assert response.status_code == 401 and response.json()["code"] == 16
        ok = {**key, "Content-Type": "application/json"}
        assert bare.post(PATH, content=b"{}", headers=ok).json() == {}


def test_protobuf_partial_success_and_response_encoding(sentrial_server: LocalServer) -> None:
    request = ExportTraceServiceRequest()
    scope = request.resource_spans.add().scope_spans.add()
    good = scope.spans.add(name="ok", start_time_unix_nano=1, end_time_unix_nano=2)
    good.trace_id, good.span_id = bytes.fromhex(TRACE), bytes.fromhex("00000000000000b1")
    bad = scope.spans.add(name="short id")
    bad.trace_id, bad.span_id = bytes.fromhex(TRACE), b"\x01\x02"
    response = httpx.post(
        sentrial_server.url + PATH,
        content=request.SerializeToString(),
        headers={
            "Content-Type": "application/x-protobuf",
            "Authorization": f"Bearer {sentrial_server.api_key}",
        },
    )
    assert response.status_code == 200
    answer = ExportTraceServiceResponse.FromString(response.content)
    assert answer.partial_success.rejected_spans == 1
    assert "spanId" in answer.partial_success.error_message


def test_a_10_mb_export_is_taken_and_past_the_limit_is_413(
    http: httpx.Client, reader: Reader
) -> None:
    big = "x" * 100_000
    spans = [
        _span(f"{i + 1:016x}", attributes=[_attr("payload", {"stringValue": big})])
        for i in range(100)
    ]
    raw = json.dumps(_export(spans)).encode()
    assert 10_000_000 < len(raw) < 16 * 2**20
    assert _post_json(http, raw).json() == {}
    assert len(reader.events(f"sess_otel-{TRACE}")) == 100
    too_big = json.dumps(_export(spans * 2)).encode()
    assert _post_json(http, too_big).status_code == 413
    zipped = gzip.compress(too_big)  # small on the wire, too big unzipped
    assert len(zipped) < 2**20
    response = _post_json(http, zipped, **{"Content-Encoding": "gzip"})
    assert response.status_code == 413 and "unzipped" in response.json()["message"]


def test_ten_thousand_spans_in_one_export(http: httpx.Client, reader: Reader) -> None:
    root = "0000000000000001"
    spans = [_span(root, name="batch job")]
    for i in range(2, 10_001):
        spans.append(
            _span(
                f"{i:016x}",
                parent=root,
                attributes=[
                    _attr("gen_ai.operation.name", {"stringValue": "chat"}),
                    _attr("gen_ai.request.model", {"stringValue": "gpt-4o-mini"}),
                    _attr("gen_ai.usage.input_tokens", {"intValue": "3"}),
                    _attr("gen_ai.usage.output_tokens", {"intValue": "1"}),
                ],
            )
        )
    assert _post_json(http, _export(spans)).json() == {}
    session = reader.session(f"sess_otel-{TRACE}")
    assert session["eventCount"] == 10_000 and session["status"] == "completed"
    assert (session["promptTokens"], session["completionTokens"]) == (3 * 9999, 9999)
    assert session["estimatedCost"] == pytest.approx(9999 * _price("gpt-4o-mini", 3, 1))
    assert len(reader.events(session["id"])) == 10_000


def test_a_busy_server_answers_503_with_retry_after() -> None:
    """Exports past the ones being stored are told when to come back, not queued
    without bound. The store is held by the test (a stand-in for a slow disk)."""
    storage = Storage(":memory:")
    app = create_app(storage, ["k"])
    gate = app.state.otlp_in_flight
    headers = {"Authorization": "Bearer k"}
    body = json.dumps(_export([_span("0000000000000001")])).encode()
    with ASGIThread(app) as server:
        _busy(storage, gate, server.url + PATH, headers, body)
    storage.close()


def _busy(storage: Storage, gate: Any, url: str, headers: dict[str, str], body: bytes) -> None:
    answers: list[int] = []

    def send() -> None:
        response = httpx.post(
            url, content=body, headers={**headers, "Content-Type": "application/json"}
        )
        answers.append(response.status_code)

    with storage.transaction():  # holds the writer: stores wait
        senders = [threading.Thread(target=send) for _ in range(MAX_IN_FLIGHT)]
        for sender in senders:
            sender.start()
        while gate.count < MAX_IN_FLIGHT:
            threading.Event().wait(0.01)
        busy = httpx.post(
            url, content=body, headers={**headers, "Content-Type": "application/json"}
        )
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
        assert busy.json()["code"] == 14
    for sender in senders:
        sender.join(60)
    assert answers == [200] * MAX_IN_FLIGHT
