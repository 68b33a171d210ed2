# mypy: ignore-errors
"""Every request-making call of the published Sentrial SDK (0.6.0), against one server.

Not a test module: ``test_published_sdk.py`` runs this file with the Python of a
venv holding ``sentrial==0.6.0`` from PyPI (never this repository's package):

    python -I _published_sdk_workload.py URL KEY

Every HTTP request the SDK makes (requests and httpx, any thread) is logged
with its body, status and answer; the log and the ids of a few labelled
sessions are printed as one JSON document on stdout, for the test to read
everything back through the server's read endpoints.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from urllib.parse import urlsplit

import httpx
import requests

import sentrial
from sentrial import AsyncSentrialClient, BatcherConfig, SentrialClient
from sentrial.async_client import begin_async, configure_async

URL, KEY = sys.argv[1], sys.argv[2]
LOG: list[dict] = []
LABELS: dict[str, str] = {}


def _record(method: str, url: str, body: bytes | None, status: int, answer: bytes) -> None:
    try:
        parsed = json.loads(answer) if answer else None
    except ValueError:
        parsed = answer.decode("utf-8", "replace")
    LOG.append(
        {
            "method": method,
            "path": urlsplit(url).path,
            "body": json.loads(body) if body else None,
            "status": status,
            "answer": parsed,
        }
    )


_requests_send = requests.Session.send


def _logged_send(self, request, **kwargs):
    response = _requests_send(self, request, **kwargs)
    body = request.body.encode() if isinstance(request.body, str) else request.body
    _record(request.method, request.url, body, response.status_code, response.content)
    return response


requests.Session.send = _logged_send

_httpx_send = httpx.AsyncClient.send


async def _logged_async_send(self, request, **kwargs):
    response = await _httpx_send(self, request, **kwargs)
    await response.aread()
    _record(
        request.method, str(request.url), request.content, response.status_code, response.content
    )
    return response


httpx.AsyncClient.send = _logged_async_send


def sync_client() -> None:
    """SentrialClient: every method, with and without its optional arguments."""
    with SentrialClient(URL, KEY, fail_silently=False) as client:
        bare = client.create_session("bare", "sync-agent", "user-1")  # "metadata": null
        LABELS["bare"] = bare
        client.track_tool_call(bare, "search", {"q": "hello"}, {"hits": 2})
        client.track_decision(bare, "answer directly")  # "alternativesConsidered": null
        client.track_error(bare, "it broke")
        client.update_state("step", 3)
        client.complete_session(bare)

        full = client.create_session(
            "full",
            "sync-agent",
            "user-2",
            parent_session_id=bare,
            convo_id="convo-1",
            metadata={"tier": "gold", "n": 1, "nested": {"list": [1, "two", None]}},
        )
        LABELS["full"] = full
        client.track_tool_call(
            full,
            "search",
            {"q": "refund"},
            {"hits": 0},
            reasoning="look it up",
            estimated_cost=0.0125,
            tool_error={"message": "index down", "type": "IOError"},
            token_count=42,
            trace_id="trace-1",
            span_id="span-1",
            metadata={"attempt": 2},
        )
        client.track_decision(
            full,
            "escalate",
            alternatives=["answer", "escalate"],
            confidence=0.85,
            estimated_cost=0.002,
            token_count=7,
            trace_id="trace-1",
            span_id="span-2",
            metadata={"model": "gpt-4o"},
        )
        client.track_error(
            full,
            "escalation failed",
            error_type="RuntimeError",
            tool_name="escalate",
            stack_trace="Traceback ...",
            trace_id="trace-1",
            span_id="span-3",
            metadata={"fatal": True},
        )
        client.complete_session(
            full,
            success=False,
            failure_reason="no agent available",
            estimated_cost=0.5,
            custom_metrics={"quality": 4.5, "steps": 3},
            duration_ms=1234,
            prompt_tokens=100,
            completion_tokens=20,
            total_tokens=120,
            user_input="I want a refund",
            assistant_output="Please hold",
        )

        rolled = client.create_session("rolled-up", "sync-agent", "user-3")
        LABELS["rolled"] = rolled
        client.track_tool_call(rolled, "llm", {"p": 1}, {"tokens": {"prompt": 3, "completion": 4}})
        client.track_decision(rolled, "ok", estimated_cost=0.25, token_count=9)
        client.complete_session(rolled)  # cost and tokens filled from the events

        legacy = client.create_session("legacy", "sync-agent", "user-4")
        LABELS["legacy"] = legacy
        client.close_session(legacy)
        legacy_failed = client.create_session("legacy-failed", "sync-agent", "user-4")
        LABELS["legacy_failed"] = legacy_failed
        client.close_session(legacy_failed, duration_ms=10, success=False, failure_reason="gave up")

        interaction = client.begin("user-5", "chat")
        LABELS["begin_bare"] = interaction.session_id
        interaction.track_tool_call("lookup", {"id": 1}, {"found": True})
        interaction.track_decision("reply", alternatives=["a"], confidence=0.5)
        interaction.track_error("minor", error_type="Warning")
        interaction.finish()
        interaction.finish()  # a second finish is a no-op

        interaction = client.begin(
            "user-6",
            "chat",
            input="hello there",
            event_id="evt-fixed-0001",
            convo_id="convo-2",
            metadata={"channel": "web"},
        )
        LABELS["begin_full"] = interaction.session_id
        interaction.track_tool_call(
            "lookup",
            {"id": 2},
            {"found": False},
            reasoning="check",
            estimated_cost=0.01,
            tool_error={"message": "missing"},
            token_count=5,
            metadata={"cache": "miss"},
        )
        interaction.track_decision(
            "apologise", ["apologise", "retry"], 0.6, 0.001, 3, metadata={"why": "none"}
        )
        interaction.track_error("not found", "KeyError", "lookup", "stack", metadata={"k": 1})
        interaction.finish(
            output="sorry",
            success=False,
            failure_reason="not found",
            estimated_cost=0.3,
            custom_metrics={"csat": 2},
            duration_ms=55,
            prompt_tokens=11,
            completion_tokens=12,
            total_tokens=23,
        )

        with client.begin("user-7", "chat-ctx", input="hi") as interaction:
            LABELS["ctx_ok"] = interaction.session_id
            interaction.set_output("done")
        try:
            with client.begin("user-8", "chat-ctx") as interaction:
                LABELS["ctx_failed"] = interaction.session_id
                raise ValueError("nope")
        except ValueError:
            pass
        client.flush()  # no-ops without batching
        client.shutdown()


def module_level_and_decorators() -> None:
    """configure/begin, and @tool/@session on sync and async functions."""
    sentrial.configure(api_key=KEY, api_url=URL, fail_silently=False)
    interaction = sentrial.begin("user-9", "module-agent", input="via module")
    LABELS["module"] = interaction.session_id
    interaction.track_tool_call("t", {"a": 1}, {"b": 2})
    interaction.finish(output="module done")

    @sentrial.tool("add")
    def add(a, b=10):
        return a + b

    @sentrial.tool
    def divide(a, b):
        return a / b

    @sentrial.tool("fetch")
    async def fetch(key):
        await asyncio.sleep(0)
        return {"key": key, "value": 42}

    @sentrial.session("deco-agent")
    def handle(user_id, message):
        LABELS["deco"] = sentrial.get_current_session_id()
        add(1, b=2)
        with contextlib.suppress(ZeroDivisionError):
            divide(1, 0)
        return {"response": f"handled {message}"}

    @sentrial.session("deco-agent")
    def explode(user_id, message):
        LABELS["deco_failed"] = sentrial.get_current_session_id()
        raise KeyError("missing")

    @sentrial.session("deco-async-agent")
    async def handle_async(user_id, input):
        LABELS["deco_async"] = sentrial.get_current_interaction().session_id
        return await fetch("k")

    assert handle("user-10", "question") == {"response": "handled question"}
    with contextlib.suppress(KeyError):
        explode("user-11", "boom")
    asyncio.run(handle_async("user-12", "async question"))

    with sentrial.SessionContext("user-13", "context-agent", input="ctx input") as ctx:
        LABELS["session_context"] = ctx.session_id
        add(5)
        ctx.set_output("ctx output")


async def async_client() -> None:
    """AsyncSentrialClient and begin_async, with and without optional arguments."""
    async with AsyncSentrialClient(URL, KEY, fail_silently=False) as client:
        bare = await client.create_session("async-bare", "async-agent", "user-20")
        LABELS["async_bare"] = bare
        await client.track_tool_call(bare, "search", {"q": 1}, {"r": 2})
        await client.track_decision(bare, "go")
        await client.track_error(bare, "failed")
        client.update_state("x", 1)
        await client.complete_session(bare)

        full = await client.create_session(
            "async-full", "async-agent", "user-21", bare, "convo-3", {"async": True}
        )
        LABELS["async_full"] = full
        await client.track_tool_call(
            full, "search", {"q": 2}, {"r": 3}, "why", 0.5, {"message": "m"}, 4, "t", "s", {"m": 1}
        )
        await client.track_decision(full, "pick", ["x", "y"], 0.1, 0.2, 3, "t", "s", {"d": 1})
        await client.track_error(full, "err", "TypeError", "search", "stack", "t", "s", {"e": 1})
        await client.complete_session(
            full, False, "broken", 1.5, {"score": 1}, 99, 5, 6, 11, "async in", "async out"
        )

        interaction = await client.begin("user-22", "async-chat", input="async hello")
        LABELS["async_begin"] = interaction.session_id
        await interaction.track_tool_call("lookup", {"id": 3}, {"ok": True}, estimated_cost=0.1)
        await interaction.track_decision("answer", ["answer"], 0.9, token_count=8)
        await interaction.track_error("oops", "ValueError")
        interaction.add_tokens(prompt_tokens=10, completion_tokens=5, cost=0.02)
        interaction.set_output("async answer")
        await interaction.finish()

        async with await client.begin("user-23", "async-chat") as interaction:
            LABELS["async_ctx"] = interaction.session_id
            interaction.set_output("ctx answer")

    await configure_async(api_key=KEY, api_url=URL, fail_silently=False)
    interaction = await begin_async("user-24", "async-module", input="module async")
    LABELS["async_module"] = interaction.session_id
    await interaction.finish(output="module async done", custom_metrics={"k": 1.5})


def pii_client() -> None:
    """pii=True: the SDK asks the server for its PII settings, then redacts."""
    client = SentrialClient(URL, KEY, fail_silently=False, pii=True)
    sid = client.create_session(
        "pii", "pii-agent", "user-30", metadata={"email": "ana@example.com", "order": "ORD-1234"}
    )
    LABELS["pii"] = sid
    client.track_tool_call(sid, "mail", {"to": "ben@example.com"}, {"sent": "to 10.0.0.1"})
    client.complete_session(sid, user_input="call me at 555-123-4567", assistant_output="ok")
    LABELS["pii_mode"] = client.pii.mode
    LABELS["pii_custom_labels"] = ",".join(p.label for p in client.pii.custom_patterns)
    client.close()


def batching_clients() -> None:
    """batching=True and a BatcherConfig: events queued, flushed, then the session closed."""
    client = SentrialClient(URL, KEY, fail_silently=False, batching=True)
    sid = client.create_session("batched", "batch-agent", "user-40")
    LABELS["batched"] = sid
    for n in range(5):
        client.track_tool_call(sid, "step", {"n": n}, {"ok": True})
    client.track_decision(sid, "done")
    client.track_error(sid, "late error")
    client.flush()
    client.track_tool_call(sid, "after-flush", {}, {})
    client.complete_session(sid)  # flushes what is queued first
    client.shutdown()
    client.close()

    config = BatcherConfig(enabled=True, flush_interval=0.05, flush_threshold=3)
    client = SentrialClient(URL, KEY, fail_silently=False, batching=config)
    sid = client.create_session("batched-config", "batch-agent", "user-41", metadata={"b": 1})
    LABELS["batched_config"] = sid
    for n in range(7):
        client.track_tool_call(sid, "tick", {"n": n}, {"n": n})
    client.flush()
    client.complete_session(sid, estimated_cost=0.07)
    client.shutdown()


def main() -> None:
    assert sentrial.__version__ == "0.6.0", sentrial.__version__
    sync_client()
    module_level_and_decorators()
    asyncio.run(async_client())
    pii_client()
    batching_clients()
    print(json.dumps({"log": LOG, "labels": LABELS}))


if __name__ == "__main__":
    main()
