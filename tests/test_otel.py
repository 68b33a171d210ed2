"""OpenTelemetry both ways, with the real opentelemetry-sdk.

In: spans carrying GenAI semantic-convention attributes, made by the real
SDK's tracer, go through SentrialSpanProcessor to the local server and are
read back. Out: sessions recorded by a client are exported by the real
OTLP/HTTP exporter to a receiver on loopback that decodes the protobuf.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Status, StatusCode

import sentrial
from sentrial._server import LocalServer
from sentrial.otel import SentrialSpanProcessor, export_to_otlp, setup_otel_tracing

from .conftest import Reader

MESSAGES_IN = [{"role": "user", "parts": [{"type": "text", "content": "Where is order A1?"}]}]
MESSAGES_OUT = [
    {"role": "assistant", "parts": [{"type": "text", "content": "Order A1 has shipped."}]}
]


def _price(model: str, prompt: int, completion: int, cached: int = 0, **kw: Any) -> float:
    value = sentrial.calculate_cost(model, prompt, completion, cached_input_tokens=cached, **kw)
    assert value is not None and value > 0
    return value


@pytest.fixture
def client(sentrial_server: LocalServer, tmp_path: Path) -> Iterator[sentrial.SentrialClient]:
    made = sentrial.SentrialClient(
        sentrial_server.url, sentrial_server.api_key, spool_dir=str(tmp_path / "spool")
    )
    yield made
    made.close()


@pytest.fixture
def tracer(client: sentrial.SentrialClient) -> Iterator[tuple[trace.Tracer, SentrialSpanProcessor]]:
    provider = TracerProvider()
    processor = SentrialSpanProcessor(project="otel-agent", client=client)
    provider.add_span_processor(processor)
    yield provider.get_tracer("test"), processor
    provider.shutdown()


def _agent_trace(
    tracer: trace.Tracer, *, fail: bool = False, context: Context | None = None
) -> None:
    """What an instrumented agent emits: an agent span around model and tool spans."""
    with tracer.start_as_current_span(
        "invoke_agent support-bot",
        context=context,
        attributes={
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": "support-bot",
            "user.id": "u42",
            "gen_ai.conversation.id": "conv-7",
            "gen_ai.output.messages": json.dumps(MESSAGES_OUT),
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
                "gen_ai.response.model": "gpt-4o",
                "gen_ai.usage.input_tokens": 1200,
                "gen_ai.usage.output_tokens": 300,
                "gen_ai.usage.cache_read.input_tokens": 1024,
                "gen_ai.input.messages": json.dumps(MESSAGES_IN),
                "gen_ai.output.messages": json.dumps(MESSAGES_OUT),
            },
        ):
            pass
        with (
            tracer.start_as_current_span(
                "execute_tool lookup_order",
                attributes={
                    "gen_ai.operation.name": "execute_tool",
                    "gen_ai.tool.name": "lookup_order",
                    "gen_ai.tool.call.arguments": '{"order_id": "A1"}',
                    "gen_ai.tool.call.result": '{"status": "shipped"}',
                },
            ),
            tracer.start_as_current_span("SELECT orders", attributes={"db.system": "sqlite"}),
        ):
            pass  # not an AI span: filtered out
        with tracer.start_as_current_span(
            "generate_content gemini-2.5-flash",
            attributes={
                "gen_ai.operation.name": "generate_content",
                "gen_ai.system": "gcp.gemini",  # the older attribute name
                "gen_ai.request.model": "gemini-2.5-flash",
                "gen_ai.usage.input_tokens": 500,
                "gen_ai.usage.output_tokens": 50,
            },
        ):
            pass
        if fail:
            root.record_exception(ValueError("boom"))
            root.set_status(Status(StatusCode.ERROR, "boom"))
            root.set_attribute("error.type", "ValueError")


def test_a_genai_trace_becomes_a_session_with_llm_and_tool_events(
    tracer: tuple[trace.Tracer, SentrialSpanProcessor],
    client: sentrial.SentrialClient,
    reader: Reader,
) -> None:
    _agent_trace(tracer[0])
    assert client.flush(10)
    (session,) = reader.sessions()
    assert session["agentName"] == "otel-agent" and session["userId"] == "u42"
    assert session["status"] == "completed"
    assert session["assistantOutput"] == "Order A1 has shipped."
    assert session["name"].startswith("OTel Trace: ")
    events = reader.events(session["id"])
    kinds = [(e["eventType"], e.get("model") or e.get("toolName")) for e in events]
    assert kinds == [
        ("llm_call", "gpt-4o"),
        ("tool_call", "lookup_order"),
        ("llm_call", "gemini-2.5-flash"),
        ("llm_decision", None),
    ]
    gpt, tool, gemini, agent = events
    assert gpt["provider"] == "openai"
    assert (gpt["promptTokens"], gpt["completionTokens"], gpt["cachedTokens"]) == (1200, 300, 1024)
    gpt_cost = _price("gpt-4o", 1200, 300, 1024, provider="openai")
    assert gpt_cost < _price("gpt-4o", 1200, 300, provider="openai")  # cache reads are cheaper
    assert gpt["estimatedCost"] == pytest.approx(gpt_cost, rel=1e-9)
    assert gpt["input"] == MESSAGES_IN and gpt["output"] == MESSAGES_OUT
    assert len(gpt["traceId"]) == 32 and gpt["traceId"] == tool["traceId"]
    assert tool["toolInput"] == {"order_id": "A1"}
    assert tool["toolOutput"] == {"status": "shipped"}
    assert gemini["provider"] == "google"  # gcp.gemini mapped to the price catalogue's id
    gemini_cost = _price("gemini-2.5-flash", 500, 50, provider="google")
    assert gemini["estimatedCost"] == pytest.approx(gemini_cost, rel=1e-9)
    assert agent["reasoning"] == "OTel span: invoke_agent support-bot"
    assert session["estimatedCost"] == pytest.approx(gpt_cost + gemini_cost, rel=1e-9)
    assert (session["promptTokens"], session["completionTokens"]) == (1700, 350)


def test_one_session_per_trace_and_a_failed_root_fails_it(
    tracer: tuple[trace.Tracer, SentrialSpanProcessor],
    client: sentrial.SentrialClient,
    reader: Reader,
) -> None:
    _agent_trace(tracer[0])
    _agent_trace(tracer[0], fail=True)
    with tracer[0].start_as_current_span(
        "chat claude-haiku-4-5",
        attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "anthropic",
            "gen_ai.request.model": "claude-haiku-4-5",
        },
        record_exception=True,
        set_status_on_exception=True,
    ):
        pass
    with (
        pytest.raises(RuntimeError),
        tracer[0].start_as_current_span(
            "chat gpt-4o-mini",
            attributes={"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini"},
        ),
    ):
        raise RuntimeError("upstream 503")
    assert client.flush(10)
    sessions = {s["id"]: s for s in reader.sessions()}
    assert len(sessions) == 4
    statuses = sorted(s["status"] for s in sessions.values())
    assert statuses == ["completed", "completed", "failed", "failed"]
    failed = [s for s in sessions.values() if s["status"] == "failed"]
    reasons = sorted(s["failureReason"] for s in failed)
    assert reasons == ["RuntimeError: upstream 503", "boom"]  # the status message
    (llm_failure,) = [s for s in failed if s["failureReason"].startswith("RuntimeError")]
    (event,) = reader.events(llm_failure["id"])
    assert event["toolError"] == {"type": "RuntimeError", "message": "upstream 503"}
    assert tracer[1]._sessions == {}  # nothing kept once every root ended


def test_filters(client: sentrial.SentrialClient, reader: Reader) -> None:
    provider = TracerProvider()
    everything = SentrialSpanProcessor(project="all", filter_ai_spans=False, client=client)
    only_named = SentrialSpanProcessor(
        project="custom",
        client=client,
        custom_filter=lambda span: span.name == "keep" or None,
    )
    provider.add_span_processor(everything)
    provider.add_span_processor(only_named)
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("keep"), tracer.start_as_current_span("plain work"):
        pass
    provider.shutdown()
    assert client.flush(10)
    by_agent = {s["agentName"]: s for s in reader.sessions()}
    assert set(by_agent) == {"all", "custom"}
    assert by_agent["all"]["eventCount"] == 2 and by_agent["custom"]["eventCount"] == 1


def test_setup_otel_tracing_uses_the_global_provider(
    sentrial_server: LocalServer, reader: Reader, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SENTRIAL_API_URL", sentrial_server.url)
    processor = setup_otel_tracing(project="global-app", api_key=sentrial_server.api_key)
    try:
        provider = trace.get_tracer_provider()
        assert isinstance(provider, TracerProvider)
        with provider.get_tracer("app").start_as_current_span(
            "chat gpt-4o",
            attributes={
                "gen_ai.request.model": "gpt-4o",
                "gen_ai.provider.name": "openai",
                "gen_ai.usage.input_tokens": 10,
                "gen_ai.usage.output_tokens": 5,
            },
        ):
            pass
        assert processor.force_flush(10_000)
    finally:
        processor.shutdown()  # the global provider keeps it, inert from now on
    (session,) = reader.sessions()
    assert session["agentName"] == "global-app" and session["status"] == "completed"
    assert session["estimatedCost"] == pytest.approx(_price("gpt-4o", 10, 5), rel=1e-9)


def test_without_opentelemetry_the_app_still_imports_and_is_told_what_to_install() -> None:
    code = (
        "import sys\n"
        "for name in ('opentelemetry', 'opentelemetry.sdk', 'opentelemetry.sdk.trace'):\n"
        "    sys.modules[name] = None\n"
        "import sentrial, sentrial.otel\n"
        "try:\n"
        "    sentrial.otel.SentrialSpanProcessor()\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == 'OpenTelemetry is not installed: pip install "sentrial[otel]"'


# -- out: sessions exported as OTLP spans ------------------------------------------------


class _Receiver:
    """A minimal OTLP/HTTP traces endpoint: decodes each export request's protobuf."""

    def __init__(self) -> None:
        self.spans: list[Any] = []
        self.resources: list[dict[str, Any]] = []
        self.paths: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = trace_service_pb2.ExportTraceServiceRequest()
                request.ParseFromString(body)
                receiver.paths.append(self.path)
                for resource_spans in request.resource_spans:
                    receiver.resources.append(_attrs(resource_spans.resource.attributes))
                    for scope_spans in resource_spans.scope_spans:
                        receiver.spans.extend(scope_spans.spans)
                reply = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _value(value: common_pb2.AnyValue) -> Any:
    kind = value.WhichOneof("value")
    return None if kind is None else getattr(value, kind)


def _attrs(attributes: Any) -> dict[str, Any]:
    return {a.key: _value(a.value) for a in attributes}


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    made = _Receiver()
    yield made
    made.close()


def test_sessions_are_exported_as_genai_spans_over_otlp_http(
    receiver: _Receiver, client: sentrial.SentrialClient, reader: Reader
) -> None:
    # (receiver first: it is set up first and torn down last, after the client's
    # close() has flushed the exporter into it)
    exporter = export_to_otlp(client, endpoint=receiver.url + "/v1/traces")
    sid = client.create_session("refund", "support-bot", "u42", convo_id="conv-7")
    client.track_llm_call(
        sid,
        "gpt-4o",
        provider="openai",
        input=[{"role": "user", "content": "refund?"}],
        output="Refunds take 5 days.",
        prompt_tokens=1200,
        completion_tokens=300,
        cached_tokens=1024,
        duration_ms=250.0,
    )
    client.track_tool_call(
        sid, "lookup_order", {"order_id": "A1"}, {"status": "shipped"}, duration_ms=12.5
    )
    child = client.create_session("sub", "researcher", "u42", parent_session_id=sid)
    client.track_error(child, "inventory timed out", error_type="TimeoutError")
    client.complete_session(child, success=False, failure_reason="TimeoutError: timed out")
    client.complete_session(sid, success=True)
    assert client.flush(10)
    assert receiver.paths and set(receiver.paths) == {"/v1/traces"}
    assert receiver.resources[0]["service.name"] == "sentrial"
    spans = {span.name: span for span in receiver.spans}
    assert set(spans) == {
        "invoke_agent support-bot",
        "chat gpt-4o",
        "execute_tool lookup_order",
        "invoke_agent researcher",
        "error",
    }
    root = spans["invoke_agent support-bot"]
    assert root.parent_span_id == b""
    for name in ("chat gpt-4o", "execute_tool lookup_order", "invoke_agent researcher"):
        assert spans[name].trace_id == root.trace_id
        assert spans[name].parent_span_id == root.span_id
    sub = spans["invoke_agent researcher"]
    assert spans["error"].parent_span_id == sub.span_id
    assert sub.status.code == 2 and sub.status.message == "TimeoutError: timed out"  # ERROR
    assert _attrs(spans["error"].attributes)["error.type"] == "TimeoutError"

    root_attrs = _attrs(root.attributes)
    assert root_attrs["gen_ai.operation.name"] == "invoke_agent"
    assert root_attrs["gen_ai.agent.name"] == "support-bot"
    assert root_attrs["gen_ai.conversation.id"] == "conv-7"
    assert root_attrs["sentrial.session.id"] == sid
    assert root_attrs["sentrial.session.status"] == "completed"
    assert root.status.code == 0  # UNSET: not failed

    chat = spans["chat gpt-4o"]
    chat_attrs = _attrs(chat.attributes)
    assert chat_attrs["gen_ai.operation.name"] == "chat"
    assert chat_attrs["gen_ai.request.model"] == "gpt-4o"
    assert chat_attrs["gen_ai.provider.name"] == "openai"
    assert chat_attrs["gen_ai.usage.input_tokens"] == 1200
    assert chat_attrs["gen_ai.usage.output_tokens"] == 300
    assert chat_attrs["gen_ai.usage.cache_read.input_tokens"] == 1024
    cost = _price("gpt-4o", 1200, 300, 1024, provider="openai")
    assert chat_attrs["sentrial.cost.usd"] == pytest.approx(cost, rel=1e-9)
    assert json.loads(chat_attrs["gen_ai.input.messages"]) == [
        {"role": "user", "content": "refund?"}
    ]
    assert chat.end_time_unix_nano - chat.start_time_unix_nano == 250_000_000
    assert chat.end_time_unix_nano <= root.end_time_unix_nano

    tool_attrs = _attrs(spans["execute_tool lookup_order"].attributes)
    assert tool_attrs["gen_ai.tool.name"] == "lookup_order"
    assert json.loads(tool_attrs["gen_ai.tool.call.arguments"]) == {"order_id": "A1"}
    assert json.loads(tool_attrs["gen_ai.tool.call.result"]) == {"status": "shipped"}

    # Sentrial's own delivery is unchanged, and its cost matches the exported one.
    session = reader.session(sid)
    assert session["estimatedCost"] == pytest.approx(cost, rel=1e-9)
    exporter.shutdown()


def test_wrapped_sdk_calls_export_too(receiver: _Receiver, client: sentrial.SentrialClient) -> None:
    import openai

    from sentrial._server import ASGIThread, create_llm_app

    export_to_otlp(client, endpoint=receiver.url + "/v1/traces")
    with ASGIThread(create_llm_app()) as llm:
        oai = sentrial.wrap_openai(
            openai.OpenAI(api_key="sk", base_url=llm.url + "/v1", max_retries=0),
            sentrial_client=client,
            track_outside_session=True,
        )
        result = oai.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "refund?"}]
        )
    assert result.usage is not None
    assert client.flush(10)
    chat = next(s for s in receiver.spans if s.name == "chat gpt-4o-mini")
    attrs = _attrs(chat.attributes)
    assert attrs["gen_ai.usage.input_tokens"] == result.usage.prompt_tokens
    assert attrs["gen_ai.usage.output_tokens"] == result.usage.completion_tokens
    assert json.loads(attrs["gen_ai.output.messages"]) == result.choices[0].message.content


def test_import_sentrial_imports_none_of_these_frameworks() -> None:
    code = (
        "import sys, sentrial\n"
        "frameworks = ('opentelemetry', 'langchain_core', 'langchain', 'google.genai')\n"
        "print([name for name in frameworks if name in sys.modules])\n"
        "sentrial.wrap_google, sentrial.wrap_llm  # no Google import either\n"
        "print('google.genai' in sys.modules, 'opentelemetry' in sys.modules)\n"
        "sentrial.SentrialSpanProcessor\n"
        "print('opentelemetry.sdk.trace' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.split("\n")[:3] == ["[]", "False False", "True"]


def test_openllmetry_and_vercel_ai_sdk_attribute_styles(
    tracer: tuple[trace.Tracer, SentrialSpanProcessor],
    client: sentrial.SentrialClient,
    reader: Reader,
) -> None:
    with tracer[0].start_as_current_span("workflow", attributes={"user.id": "u5"}):
        with tracer[0].start_as_current_span(
            "openai.chat",  # OpenLLMetry: older names, messages flattened by index
            attributes={
                "llm.request.type": "chat",
                "gen_ai.system": "openai",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.usage.prompt_tokens": 40,
                "gen_ai.usage.completion_tokens": 10,
                "gen_ai.prompt.0.role": "user",
                "gen_ai.prompt.0.content": "hi",
                "gen_ai.completion.0.role": "assistant",
                "gen_ai.completion.0.content": "hello",
            },
        ):
            pass
        with tracer[0].start_as_current_span(
            "ai.generateText.doGenerate",  # the Vercel AI SDK's own attributes
            attributes={
                "ai.model.id": "gpt-4o",
                "ai.model.provider": "openai.chat",
                "ai.usage.promptTokens": 100,
                "ai.usage.completionTokens": 20,
                "ai.response.text": "It is sunny.",
            },
        ):
            pass
        with tracer[0].start_as_current_span(
            "ai.toolCall",
            attributes={
                "ai.toolCall.name": "weather",
                "ai.toolCall.args": '{"city": "Paris"}',
                "ai.toolCall.result": '{"temp": 20}',
            },
        ):
            pass
    assert client.flush(10)
    (session,) = reader.sessions()
    assert session["userId"] == "u5" and session["status"] == "completed"
    llm, vercel, tool = reader.events(session["id"])
    assert (llm["model"], llm["provider"]) == ("gpt-4o-mini", "openai")
    assert (llm["promptTokens"], llm["completionTokens"]) == (40, 10)
    assert llm["input"] == [{"role": "user", "content": "hi"}]
    assert llm["output"] == [{"role": "assistant", "content": "hello"}]
    assert llm["estimatedCost"] == pytest.approx(_price("gpt-4o-mini", 40, 10), rel=1e-9)
    assert (vercel["model"], vercel["provider"], vercel["output"]) == (
        "gpt-4o",
        "openai",
        "It is sunny.",
    )
    assert vercel["estimatedCost"] == pytest.approx(_price("gpt-4o", 100, 20), rel=1e-9)
    assert tool["toolName"] == "weather"
    assert tool["toolInput"] == {"city": "Paris"} and tool["toolOutput"] == {"temp": 20}


def test_spans_of_a_process_that_exits_without_flushing_are_exported(
    receiver: _Receiver, sentrial_server: LocalServer, tmp_path: Path
) -> None:
    code = (
        "import sentrial\n"
        "from sentrial.otel import export_to_otlp\n"
        f"client = sentrial.SentrialClient({sentrial_server.url!r}, {sentrial_server.api_key!r},"
        f" spool_dir={str(tmp_path)!r})\n"
        f"export_to_otlp(client, endpoint={receiver.url + '/v1/traces'!r})\n"
        "sid = client.create_session('exit', 'exiting-agent', 'u')\n"
        "for i in range(50):\n"
        "    client.track_tool_call(sid, f'step{i}', {'i': i}, {'ok': True})\n"
        "client.complete_session(sid)\n"  # no flush, no close: the exit hook does it
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, capture_output=True)
    names = [span.name for span in receiver.spans]
    assert sorted(names) == sorted(
        ["invoke_agent exiting-agent"] + [f"execute_tool step{i}" for i in range(50)]
    )


def test_the_documented_session_attributes_are_read_in_process(
    tracer: tuple[trace.Tracer, SentrialSpanProcessor],
    client: sentrial.SentrialClient,
    reader: Reader,
) -> None:
    """Sentrial's documented names (``enduser.id``, ``thread.id``, the
    experiment assignment) mean what they mean on ``POST /api/otel/v1/traces``."""
    with (
        tracer[0].start_as_current_span(
            "workflow",
            attributes={
                "enduser.id": "u-9",
                "thread.id": "t-3",
                "sentrial.experiment.assignment_id": "asg_7",
            },
        ),
        tracer[0].start_as_current_span(
            "chat gpt-4o-mini",
            attributes={"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini"},
        ),
    ):
        pass
    with tracer[0].start_as_current_span(
        "chat gpt-4o-mini",
        attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o-mini",
            "sentrial.user_id": "u-10",
            "sentrial.convo_id": "c-10",
        },
    ):
        pass
    assert client.flush(10)
    sessions = sorted(reader.sessions(), key=lambda s: s["userId"])
    assert [(s["userId"], s["convoId"]) for s in sessions] == [("u-10", "c-10"), ("u-9", "t-3")]
    assert sessions[1]["metadata"]["experimentAssignmentId"] == "asg_7"


def test_a_trace_continued_from_another_service_completes_its_session(
    tracer: tuple[trace.Tracer, SentrialSpanProcessor],
    client: sentrial.SentrialClient,
    reader: Reader,
) -> None:
    # The caller's span (another service, e.g. from a traceparent header): remote.
    remote = trace.NonRecordingSpan(
        trace.SpanContext(
            trace_id=0x4BF92F3577B34DA6A3CE929D0E0E4736,
            span_id=0x00F067AA0BA902B7,
            is_remote=True,
            trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED),
        )
    )
    _agent_trace(tracer[0], context=trace.set_span_in_context(remote))
    assert client.flush(10)
    (session,) = reader.sessions()
    assert session["status"] == "completed" and session["agentName"] == "otel-agent"
    assert session["userId"] == "u42"
    kinds = [
        (e["eventType"], e.get("toolName") or e.get("model")) for e in reader.events(session["id"])
    ]
    assert kinds == [
        ("llm_call", "gpt-4o"),
        ("tool_call", "lookup_order"),
        ("llm_call", "gemini-2.5-flash"),
        ("llm_decision", None),  # the agent's span, the local root
    ]
    assert session["assistantOutput"] == "Order A1 has shipped."
    assert all(
        e["traceId"] == "4bf92f3577b34da6a3ce929d0e0e4736" for e in reader.events(session["id"])
    )
    assert tracer[1]._sessions == {}  # closed by its local root, not left open
