"""``POST /api/otel/v1/traces``: real OpenTelemetry exporters against ``sentrial serve``.

The clients are OpenTelemetry's own (the Python SDK's OTLP/HTTP exporter,
protobuf); hand-written OTLP/JSON bodies cover the edges (gzip, duplicates,
odd attribute values, sizes, malformed bodies).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Status as SpanStatus
from opentelemetry.trace import StatusCode

import sentrial
from sentrial._server import LocalServer

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
