"""Langfuse dual-write with the real ``langfuse`` SDK over real HTTP.

A local stand-in of the Langfuse API records what the SDK posts: OTLP/HTTP
protobuf spans on ``/api/public/otel/v1/traces`` (decoded here with the
OpenTelemetry protobuf classes) and scores on ``/api/public/scores``.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import sentrial
from sentrial._server import ASGIThread, LocalServer
from sentrial.integrations.langfuse import LangfuseIntegration, LangfuseTraceContext

from .conftest import Reader


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    return getattr(value, kind) if kind else None


class LangfuseStandIn:
    """Records spans and scores as a Langfuse server would receive them."""

    def __init__(self) -> None:
        self.spans: list[dict[str, Any]] = []
        self.scores: list[dict[str, Any]] = []
        self.auth: set[str] = set()
        self._lock = threading.Lock()

    async def post_traces(self, request: Request) -> Response:
        body = await request.body()
        if request.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        export = ExportTraceServiceRequest()
        export.ParseFromString(body)
        with self._lock:
            self.auth.add(request.headers.get("authorization", ""))
            for resource in export.resource_spans:
                for scope in resource.scope_spans:
                    for span in scope.spans:
                        self.spans.append(
                            {
                                "name": span.name,
                                "trace_id": span.trace_id.hex(),
                                "span_id": span.span_id.hex(),
                                "parent_span_id": span.parent_span_id.hex(),
                                "attributes": {a.key: _value(a.value) for a in span.attributes},
                            }
                        )
        return Response(b"", media_type="application/x-protobuf")

    async def post_scores(self, request: Request) -> Response:
        body = await request.json()
        with self._lock:
            self.scores += body if isinstance(body, list) else [body]
        return JSONResponse({"id": "score"})

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/public/otel/v1/traces", self.post_traces, methods=["POST"]),
                Route("/api/public/scores", self.post_scores, methods=["POST"]),
            ]
        )

    def wait_for(self, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.spans) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self.spans)


@pytest.fixture
def langfuse_server() -> Iterator[tuple[LangfuseStandIn, str]]:
    stand_in = LangfuseStandIn()
    with ASGIThread(stand_in.app()) as server:
        yield stand_in, server.url


def _attr(span: dict[str, Any], key: str) -> Any:
    return span["attributes"].get(key)


def _json_attr(span: dict[str, Any], key: str) -> Any:
    value = _attr(span, key)
    return None if value is None else json.loads(value)


def test_sessions_are_mirrored_to_langfuse(
    langfuse_server: tuple[LangfuseStandIn, str],
    sentrial_server: LocalServer,
    reader: Reader,
    tmp_path: Path,
) -> None:
    stand_in, url = langfuse_server
    integration = LangfuseIntegration(public_key="pk-lf-1", secret_key="sk-lf-1", host=url)
    client = sentrial.SentrialClient(
        sentrial_server.url, sentrial_server.api_key, langfuse=integration, spool_dir=str(tmp_path)
    )
    assert client.langfuse is integration
    sid = client.create_session("Refund request", "support-agent", "user_7", metadata={"tier": 2})
    client.track_tool_call(sid, "search_orders", {"order": 42}, {"status": "shipped"})
    client.track_llm_call(
        sid,
        "gpt-4o",
        provider="openai",
        input=[{"role": "user", "content": "refund?"}],
        output="Refunds take 5 days.",
        prompt_tokens=820,
        completion_tokens=95,
    )
    client.track_error(sid, TimeoutError("inventory timed out"), tool_name="stock")
    client.complete_session(sid, success=True, user_input="refund?", assistant_output="5 days")
    assert client.flush(10)
    client.close()

    # Sentrial got everything, unchanged by the mirror.
    events = reader.events(sid)
    assert [e["eventType"] for e in events] == ["tool_call", "llm_call", "error"]
    llm = events[1]
    cost = sentrial.calculate_cost("gpt-4o", 820, 95, provider="openai")
    assert llm["estimatedCost"] == pytest.approx(cost)

    # Langfuse got one trace: the session's root with its children.
    spans = stand_in.wait_for(4)
    by_name = {s["name"]: s for s in spans}
    assert set(by_name) == {"Refund request", "search_orders", "gpt-4o", "stock"}
    root = by_name["Refund request"]
    assert {s["trace_id"] for s in spans} == {root["trace_id"]}
    assert {by_name[n]["parent_span_id"] for n in ("search_orders", "gpt-4o", "stock")} == {
        root["span_id"]
    }
    assert _attr(root, "session.id") == sid
    assert _attr(root, "user.id") == "user_7"
    assert _attr(root, "langfuse.observation.type") == "agent"
    assert _attr(root, "langfuse.observation.input") == "refund?"
    assert _attr(root, "langfuse.observation.output") == "5 days"
    assert _json_attr(root, "langfuse.observation.metadata.tier") == 2
    assert _json_attr(root, "langfuse.observation.metadata.agent_name") == "support-agent"

    tool = by_name["search_orders"]
    assert _attr(tool, "langfuse.observation.type") == "tool"
    assert _json_attr(tool, "langfuse.observation.input") == {"order": 42}
    assert _json_attr(tool, "langfuse.observation.output") == {"status": "shipped"}

    generation = by_name["gpt-4o"]
    assert _attr(generation, "langfuse.observation.type") == "generation"
    assert _attr(generation, "langfuse.observation.model.name") == "gpt-4o"
    assert _json_attr(generation, "langfuse.observation.usage_details") == {
        "input": 820,
        "output": 95,
        "total": 915,
    }
    assert _json_attr(generation, "langfuse.observation.cost_details") == {
        "total": pytest.approx(cost)
    }
    assert _attr(generation, "langfuse.observation.output") == "Refunds take 5 days."

    error = by_name["stock"]
    assert _attr(error, "langfuse.observation.level") == "ERROR"
    assert _attr(error, "langfuse.observation.status_message") == "inventory timed out"

    assert [(s["traceId"], s["name"], s["value"]) for s in stand_in.scores] == [
        (root["trace_id"], "success", 1.0)
    ]
    assert len(stand_in.auth) == 1 and stand_in.auth.pop().startswith("Basic ")


def test_trace_context_alone(langfuse_server: tuple[LangfuseStandIn, str]) -> None:
    """The published LangfuseTraceContext works without a SentrialClient."""
    stand_in, url = langfuse_server
    integration = LangfuseIntegration(public_key="pk-lf-2", secret_key="sk-lf-2", host=url)
    context = LangfuseTraceContext(integration, "sess_ctx", "chat", "u2", input_data="hi")
    context.track_llm_call("answer", "claude-sonnet-4-6", "hi", "hello", 12, 3, 15)
    context.track_tool_call("lookup", {"k": 1}, None, tool_error="not found")
    context.finish(output="hello", success=False)
    context.finish(output="twice")  # a second finish is a no-op
    integration.shutdown()
    spans = {s["name"]: s for s in stand_in.wait_for(3)}
    assert set(spans) == {"chat", "answer", "lookup"}
    assert _attr(spans["chat"], "langfuse.observation.output") == "hello"
    assert _json_attr(spans["answer"], "langfuse.observation.usage_details") == {
        "input": 12,
        "output": 3,
        "total": 15,
    }
    assert _attr(spans["lookup"], "langfuse.observation.level") == "ERROR"
    assert [(s["name"], s["value"]) for s in stand_in.scores] == [("success", 0.0)]


def test_not_a_langfuse_integration_is_ignored_with_one_warning(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="sentrial"):
        client = sentrial.SentrialClient(
            sentrial_server.url, sentrial_server.api_key, langfuse=object(), spool_dir=str(tmp_path)
        )
    assert [r.getMessage() for r in caplog.records] == [
        "sentrial: langfuse= expects a LangfuseIntegration (ignored)"
    ]
    sid = client.create_session("s", "a", "u")
    client.complete_session(sid, success=True)
    assert client.flush(10)
    client.close()
    assert reader.session(sid)["status"] == "completed"


def test_a_failing_langfuse_never_reaches_the_agent(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    """Langfuse down (nothing listens): Sentrial records everything all the same."""
    integration = LangfuseIntegration(public_key="pk", secret_key="sk", host="http://127.0.0.1:9")
    client = sentrial.SentrialClient(
        sentrial_server.url, sentrial_server.api_key, langfuse=integration, spool_dir=str(tmp_path)
    )
    sid = client.create_session("s", "a", "u")
    client.track_tool_call(sid, "t", {"a": 1}, {"b": 2})
    client.complete_session(sid, success=True)
    assert client.flush(10)
    client.close()
    assert [e["toolName"] for e in reader.events(sid)] == ["t"]


def test_a_langfuse_client_of_the_caller_stays_usable(
    langfuse_server: tuple[LangfuseStandIn, str],
    sentrial_server: LocalServer,
    tmp_path: Path,
) -> None:
    from langfuse import Langfuse

    stand_in, url = langfuse_server
    own = Langfuse(public_key="pk-lf-3", secret_key="sk-lf-3", host=url)
    client = sentrial.SentrialClient(
        sentrial_server.url,
        sentrial_server.api_key,
        langfuse=LangfuseIntegration(langfuse_client=own),
        spool_dir=str(tmp_path),
    )
    sid = client.create_session("never completed", "a", "u")
    client.close()  # ends the open trace, flushes, leaves `own` running
    with own.start_as_current_observation(name="after close"):
        pass
    own.flush()
    spans = {s["name"]: s for s in stand_in.wait_for(2)}
    assert set(spans) == {"never completed", "after close"}
    assert _attr(spans["never completed"], "session.id") == sid
    own.shutdown()


# A process that mirrors to Langfuse and ends without flush(), close() or shutdown().
EXITS_WITHOUT_FLUSH = """
import sys
import sentrial
from sentrial.integrations.langfuse import LangfuseIntegration

url, key, host, spool, own = sys.argv[1:6]
if own == "own":  # the caller's Langfuse client, made before the integration
    from langfuse import Langfuse

    integration = LangfuseIntegration(Langfuse(public_key="pk", secret_key="sk", host=host))
else:
    integration = LangfuseIntegration(public_key="pk", secret_key="sk", host=host)
client = sentrial.SentrialClient(url, key, langfuse=integration, spool_dir=spool)
done = client.create_session("completed", "agent", "u")
client.track_tool_call(done, "lookup", {"q": 1}, {"ok": True})
client.complete_session(done, success=True, assistant_output="found")
left = client.create_session("left open", "agent", "u")
print(done, left)
"""


@pytest.mark.parametrize("own", ["made", "own"])
def test_interpreter_exit_flushes_the_mirror(
    langfuse_server: tuple[LangfuseStandIn, str],
    sentrial_server: LocalServer,
    reader: Reader,
    tmp_path: Path,
    own: str,
) -> None:
    """Exit hooks deliver both sides: Sentrial's queue, and Langfuse's spans,
    the trace of the session never completed included (ended at exit)."""
    stand_in, url = langfuse_server
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SENTRIAL_", "LANGFUSE_"))}
    command = [sys.executable, "-c", EXITS_WITHOUT_FLUSH, sentrial_server.url]
    command += [sentrial_server.api_key, url, str(tmp_path), own]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0 and done.stderr == "", done.stderr[-3000:]
    completed, left_open = done.stdout.split()
    # The process has ended: whatever it sent has been received.
    spans = {s["name"]: s for s in stand_in.spans}
    assert sorted(spans) == ["completed", "left open", "lookup"]
    assert _attr(spans["completed"], "session.id") == completed
    assert _attr(spans["completed"], "langfuse.observation.output") == "found"
    assert _attr(spans["left open"], "session.id") == left_open
    assert spans["lookup"]["parent_span_id"] == spans["completed"]["span_id"]
    assert [(s["traceId"], s["name"]) for s in stand_in.scores] == [
        (spans["completed"]["trace_id"], "success")
    ]
    assert reader.session(completed)["status"] == "completed"
    assert [e["toolName"] for e in reader.events(completed)] == ["lookup"]
    assert reader.session(left_open)["name"] == "left open"


# -- issue 26: the published module docstring, both options, unchanged ----------

PUBLISHED_DOCSTRING = """
from sentrial import SentrialClient
from sentrial.langfuse_integration import LangfuseIntegration

# Option 1: Pass Langfuse client directly
from langfuse import Langfuse
langfuse = Langfuse()

client = SentrialClient(
    langfuse=LangfuseIntegration(langfuse_client=langfuse)
)
"""

PUBLISHED_OPTION_2 = """
# Option 2: Pass credentials (client created automatically)
client = SentrialClient(
    langfuse=LangfuseIntegration(
        public_key="pk-lf-...",
        secret_key="sk-lf-...",
    )
)
"""

PUBLISHED_USE = """
# Then use Sentrial normally - data flows to both systems
with client.begin(user_id="user_123", event="chat", input="Hello") as interaction:
    interaction.track_tool_call(...)
    interaction.set_output("World")
"""


@pytest.mark.parametrize("option", [1, 2])
def test_the_published_example_mirrors(
    langfuse_server: tuple[LangfuseStandIn, str],
    sentrial_server: LocalServer,
    reader: Reader,
    tmp_path: Path,
    option: int,
) -> None:
    """Run as published (``Langfuse()`` and the Sentrial client from the
    environment); the exit hooks deliver both sides."""
    stand_in, url = langfuse_server
    code = PUBLISHED_DOCSTRING + (PUBLISHED_OPTION_2 if option == 2 else "") + PUBLISHED_USE
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SENTRIAL_", "LANGFUSE_"))}
    env.update(
        SENTRIAL_API_URL=sentrial_server.url,
        SENTRIAL_API_KEY=sentrial_server.api_key,
        SENTRIAL_SPOOL_DIR=str(tmp_path),
        LANGFUSE_PUBLIC_KEY="pk-lf-env",
        LANGFUSE_SECRET_KEY="sk-lf-env",
        LANGFUSE_HOST=url,
        LANGFUSE_BASE_URL=url,
    )
    command = [sys.executable, "-W", "error::RuntimeWarning", "-c", code]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-3000:]
    (session,) = reader.sessions()
    assert session["agentName"] == "chat" and session["assistantOutput"] == "World"
    assert session["status"] == "completed" and session["userInput"] == "Hello"
    spans = stand_in.wait_for(1)
    roots = [s for s in spans if _attr(s, "session.id") == session["id"]]
    assert roots and roots[0]["name"] == session["name"]


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_an_async_client_mirrors_too(
    langfuse_server: tuple[LangfuseStandIn, str],
    sentrial_server: LocalServer,
    reader: Reader,
    tmp_path: Path,
) -> None:
    stand_in, url = langfuse_server
    # A key of its own: the Langfuse SDK keeps one client per public key, and
    # the other tests' keys point at their (stopped) stand-ins.
    integration = LangfuseIntegration(public_key="pk-lf-async", secret_key="sk-lf-a", host=url)

    async def run() -> str:
        client = sentrial.AsyncSentrialClient(
            sentrial_server.url,
            sentrial_server.api_key,
            langfuse=integration,
            spool_dir=str(tmp_path),
        )
        async with await client.begin(user_id="u1", event="chat", input="Hello") as interaction:
            await interaction.track_tool_call("lookup", {"q": 1}, {"hit": True})
            interaction.set_output("World")
        assert await client.flush(10)
        await client.close()
        return interaction.session_id

    session_id = asyncio.run(run())
    integration.flush()
    assert reader.session(session_id)["assistantOutput"] == "World"
    names = {s["name"] for s in stand_in.wait_for(2)}
    assert "lookup" in names and reader.session(session_id)["name"] in names
