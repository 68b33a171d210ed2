"""The public API over real HTTP against the local server: sync, async, begin/finish."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import sentrial
from sentrial import SentrialClient
from sentrial._server import LocalServer

from .conftest import Reader

MakeClient = Callable[..., SentrialClient]


def test_full_control_pattern_round_trip(make_client: MakeClient, reader: Reader) -> None:
    client = make_client()
    sid = client.create_session(
        name="Request: hi",
        agent_name="support",
        user_id="u1",
        convo_id="c1",
        metadata={"source": "api"},
    )
    client.track_decision(
        sid,
        reasoning="search first",
        alternatives=["answer", "ask"],
        confidence=0.7,
        estimated_cost=0.001,
    )
    client.track_tool_call(
        sid,
        tool_name="search",
        tool_input={"q": "hi"},
        tool_output={"hits": [1, 2]},
        reasoning="look it up",
        estimated_cost=0.002,
        token_count=30,
        duration_ms=12.0,
    )
    client.track_error(sid, ValueError("flaky"), tool_name="search")
    client.track_llm_call(
        sid,
        "gpt-4o",
        provider="openai",
        input=[{"role": "user", "content": "hi"}],
        output="hello",
        prompt_tokens=100,
        completion_tokens=20,
        cached_tokens=50,
        duration_ms=300.0,
    )
    client.complete_session(
        sid, success=True, custom_metrics={"csat": 5}, user_input="hi", assistant_output="hello"
    )
    assert client.flush(10)

    session = reader.session(sid)
    assert session["status"] == "completed" and session["success"] is True
    assert session["agentName"] == "support" and session["convoId"] == "c1"
    assert session["metadata"] == {"source": "api"}
    assert session["customMetrics"] == {"csat": 5.0}
    assert session["userInput"] == "hi" and session["assistantOutput"] == "hello"
    # Filled from the events: 0.001 + 0.002 + the gpt-4o call's price at $2.50 per
    # million input tokens ($1.25 cached) and $10.00 per million output tokens.
    llm_cost = (50 * 2.50 + 50 * 1.25 + 20 * 10.00) / 1_000_000
    assert llm_cost == pytest.approx(0.0003875)
    assert session["estimatedCost"] == pytest.approx(0.003 + llm_cost, rel=1e-9)
    assert session["promptTokens"] == 100 and session["completionTokens"] == 20
    assert session["totalTokens"] == 150  # 120 from the LLM call + 30 of the tool call

    events = reader.events(sid)
    # Listed by start; a manual call is stamped when it is made (its duration_ms
    # does not move it), so calls made one after another keep their order.
    assert [e["eventType"] for e in events] == ["llm_decision", "tool_call", "error", "llm_call"]
    assert [e["timestamp"] for e in events] == sorted(e["timestamp"] for e in events)
    decision, tool, error, llm = events
    assert decision["alternativesConsidered"] == ["answer", "ask"]
    assert decision["confidence"] == 0.7
    assert tool["toolInput"] == {"q": "hi"} and tool["toolOutput"] == {"hits": [1, 2]}
    assert tool["durationMs"] == 12.0 and tool["tokenCount"] == 30
    assert error["toolError"]["type"] == "ValueError"
    assert error["toolError"]["message"] == "flaky"
    assert "Traceback" in error["toolError"]["stack_trace"] or error["toolError"]["stack_trace"]
    assert llm["model"] == "gpt-4o" and llm["cachedTokens"] == 50
    assert llm["estimatedCost"] == pytest.approx(llm_cost, rel=1e-9)
    assert llm["input"] == [{"role": "user", "content": "hi"}] and llm["output"] == "hello"
    assert client.stats()["sent"] == 6 and client.stats()["dropped"] == {}


def test_given_totals_are_kept(make_client: MakeClient, reader: Reader) -> None:
    client = make_client()
    sid = client.create_session("n", "a", "u")
    client.track_tool_call(sid, "t", {}, {}, estimated_cost=1.0)
    client.complete_session(
        sid,
        success=False,
        failure_reason="nope",
        estimated_cost=0.5,
        prompt_tokens=1,
        completion_tokens=2,
    )
    assert client.flush(10)
    session = reader.session(sid)
    assert session["status"] == "failed" and session["failureReason"] == "nope"
    assert session["estimatedCost"] == 0.5 and session["totalTokens"] == 3


def test_given_totals_win_over_the_events_sums(make_client: MakeClient, reader: Reader) -> None:
    client = make_client()
    given = client.create_session("given", "a", "u")
    summed = client.create_session("summed", "a", "u")
    priced = client.create_session("priced", "a", "u")
    for sid in (given, summed):
        client.track_llm_call(sid, "gpt-4o", prompt_tokens=100, completion_tokens=20)
    client.track_llm_call(summed, "gpt-4o", prompt_tokens=50, completion_tokens=10)
    for tokens in (30, 12):
        client.track_tool_call(summed, "t", {}, {}, token_count=tokens)
    # a cost given with the call is kept, not computed again
    client.track_llm_call(
        priced, "gpt-4o", prompt_tokens=100, completion_tokens=20, estimated_cost=0.25
    )
    client.complete_session(
        given, estimated_cost=0.5, prompt_tokens=7, completion_tokens=3, total_tokens=10
    )
    client.complete_session(summed)
    client.complete_session(priced)
    assert client.flush(10)
    kept = reader.session(given)
    assert (kept["estimatedCost"], kept["promptTokens"], kept["completionTokens"]) == (0.5, 7, 3)
    assert kept["totalTokens"] == 10
    # gpt-4o: 150 * $2.50 + 30 * $10.00 per million tokens; 42 tokens of tool calls
    filled = reader.session(summed)
    assert filled["estimatedCost"] == pytest.approx(0.000675, rel=1e-9)
    assert (filled["promptTokens"], filled["completionTokens"], filled["totalTokens"]) == (
        150,
        30,
        222,
    )
    assert reader.session(priced)["estimatedCost"] == 0.25
    assert [e["estimatedCost"] for e in reader.events(priced)] == [0.25]


def test_close_session_alias_and_context_manager(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    with SentrialClient(
        api_key=sentrial_server.api_key, api_url=sentrial_server.url, spool_dir=str(tmp_path)
    ) as client:
        sid = client.create_session("n", "a", "u")
        client.close_session(sid, success=True)
    assert reader.session(sid)["status"] == "completed"


def test_begin_finish_pattern(sentrial_server: LocalServer, reader: Reader, tmp_path: Path) -> None:
    client = sentrial.configure(
        api_key=sentrial_server.api_key, api_url=sentrial_server.url, spool_dir=str(tmp_path)
    )
    interaction = sentrial.begin(
        user_id="u9", event="chat_request", input="How?", convo_id="c9", metadata={"plan": "pro"}
    )
    interaction.track_tool_call("lookup", {"k": 1}, {"v": 2})
    interaction.track_decision("answer directly", ["escalate"])
    interaction.finish(output="Like this.", success=True, estimated_cost=0.023)
    interaction.finish(output="ignored", success=False)  # second finish: no-op
    assert client.flush(10)

    session = reader.session(interaction.session_id)
    assert session["agentName"] == "chat_request" and session["userId"] == "u9"
    assert session["userInput"] == "How?" and session["assistantOutput"] == "Like this."
    assert session["status"] == "completed" and session["estimatedCost"] == 0.023
    # as published: input, convo id and a generated event id join the metadata
    metadata = session["metadata"]
    assert session["durationMs"] >= 0 and metadata["plan"] == "pro"
    assert metadata["input"] == "How?" and metadata["convo_id"] == "c9"
    assert metadata["event_id"] == interaction.event_id
    assert session["name"] == f"chat_request:{interaction.event_id[:8]}"
    assert len(reader.events(interaction.session_id)) == 2
    client.close()


def test_context_manager_marks_failure_and_reraises(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    client = sentrial.configure(
        api_key=sentrial_server.api_key, api_url=sentrial_server.url, spool_dir=str(tmp_path)
    )
    with (
        pytest.raises(KeyError),
        sentrial.begin(user_id="u", event="agent", input="x") as interaction,
    ):
        interaction.set_output("partial")
        raise KeyError("missing")
    assert client.flush(10)
    session = reader.session(interaction.session_id)
    assert session["status"] == "failed" and session["failureReason"] == "KeyError: 'missing'"
    assert session["assistantOutput"] == "partial"
    assert sentrial.get_current() is None
    client.close()


def test_async_client(sentrial_server: LocalServer, reader: Reader, tmp_path: Path) -> None:
    async def scenario() -> str:
        async with sentrial.AsyncSentrialClient(
            api_key=sentrial_server.api_key, api_url=sentrial_server.url, spool_dir=str(tmp_path)
        ) as client:
            sid = await client.create_session("n", "async-agent", "u")
            await client.track_tool_call(sid, "t", {"a": 1}, {"b": 2})
            await client.track_decision(sid, "why", ["x"])
            await client.track_error(sid, "boom", error_type="RuntimeError")
            await client.track_llm_call(sid, "gpt-4o-mini", prompt_tokens=5, completion_tokens=5)
            await client.complete_session(sid, success=True)
            assert await client.flush(10)
            return sid

    sid = asyncio.run(scenario())
    assert reader.session(sid)["status"] == "completed"
    assert [e["eventType"] for e in reader.events(sid)] == [
        "tool_call",
        "llm_decision",
        "error",
        "llm_call",
    ]


@pytest.mark.parametrize("asynchronous", [False, True])
def test_sync_delivery_mode(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path, asynchronous: bool
) -> None:
    options: dict[str, Any] = {
        "api_key": sentrial_server.api_key,
        "api_url": sentrial_server.url,
        "delivery": "sync",
        "fail_silently": False,
    }
    if asynchronous:

        async def scenario() -> str:
            client = sentrial.AsyncSentrialClient(**options)
            sid = await client.create_session("n", "a", "u")
            await client.track_tool_call(sid, "t", {}, {})
            await client.complete_session(sid)
            return sid

        sid = asyncio.run(scenario())
    else:
        client = SentrialClient(**options)
        sid = client.create_session("n", "a", "u")
        client.track_tool_call(sid, "t", {}, {})
        # Nothing buffered: the server has it before flush.
        assert len(reader.events(sid)) == 1
        client.complete_session(sid)
    assert reader.session(sid)["status"] == "completed"


def test_sync_mode_raises_typed_errors_when_asked(sentrial_server: LocalServer) -> None:
    bad_key = SentrialClient(
        api_key="wrong", api_url=sentrial_server.url, delivery="sync", fail_silently=False
    )
    with pytest.raises(sentrial.AuthenticationError) as info:
        bad_key.create_session("n", "a", "u")
    assert info.value.status_code == 401
    client = SentrialClient(
        api_key=sentrial_server.api_key,
        api_url=sentrial_server.url,
        delivery="sync",
        fail_silently=False,
    )
    with pytest.raises(sentrial.APIError) as missing:
        client.track_tool_call("sess_unknown", "t", {}, {})
    assert missing.value.status_code == 404
    with pytest.raises(sentrial.ValidationError, match="confidence"):
        client.track_decision("sess_x", "r", confidence=3)
    dead = SentrialClient(
        api_key="k",
        api_url="http://127.0.0.1:9",
        delivery="sync",
        fail_silently=False,
        request_timeout=1,
    )
    with pytest.raises(sentrial.DeliveryError):
        dead.create_session("n", "a", "u")


def test_sync_mode_fails_silently_by_default(sentrial_server: LocalServer) -> None:
    client = SentrialClient(api_key="wrong", api_url=sentrial_server.url, delivery="sync")
    sid = client.create_session("n", "a", "u")
    assert sid.startswith("sess_")
    assert client.stats()["dead_lettered"] == {"unauthorized": 1}
    assert client.stats()["dropped"] == {}


def test_disabled_and_sampled_out_send_nothing(make_client: MakeClient, reader: Reader) -> None:
    off = make_client(enabled=False)
    sid = off.create_session("n", "a", "u")
    off.track_tool_call(sid, "t", {}, {})
    never = make_client(sample_rate=0.0)
    sid2 = never.create_session("n", "a", "u")
    never.track_tool_call(sid2, "t", {}, {})
    assert off.flush(5) and never.flush(5)
    assert reader.sessions() == []
    assert off.stats()["tracked"] == 0 and never.stats()["tracked"] == 0


def test_sampling_keeps_whole_sessions(make_client: MakeClient, reader: Reader) -> None:
    client = make_client(sample_rate=0.5)
    ids = []
    for _ in range(200):
        sid = client.create_session("n", "a", "u")
        client.track_tool_call(sid, "t", {}, {})
        client.complete_session(sid)
        ids.append(sid)
    assert client.flush(10)
    stored = {s["id"]: s for s in reader.sessions()}
    assert 60 < len(stored) < 140
    for sid in stored:
        assert stored[sid]["eventCount"] == 1 and stored[sid]["status"] == "completed"


def test_env_configuration(
    monkeypatch: pytest.MonkeyPatch, sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    monkeypatch.setenv("SENTRIAL_API_KEY", sentrial_server.api_key)
    monkeypatch.setenv("SENTRIAL_API_URL", sentrial_server.url)
    monkeypatch.setenv("SENTRIAL_SPOOL_DIR", str(tmp_path))
    client = SentrialClient()
    sid = client.create_session("n", "env", "u")
    assert client.flush(10)
    assert reader.session(sid)["agentName"] == "env"
    client.close()


def test_without_a_price_list_events_arrive_without_cost(
    make_client: MakeClient,
    reader: Reader,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """genai-prices missing (None in sys.modules: its import fails): the event is
    delivered with its tokens, without a cost, and one warning says why."""
    import sys

    from sentrial._delivery import _rollup

    monkeypatch.setitem(sys.modules, "genai_prices", None)
    monkeypatch.setattr(_rollup, "_warned", set())
    client = make_client()
    sid = client.create_session("n", "a", "u")
    client.track_llm_call(sid, "gpt-4o", prompt_tokens=10, completion_tokens=2)
    client.track_llm_call(sid, "gpt-4o", prompt_tokens=20, completion_tokens=4)
    client.complete_session(sid)
    with caplog.at_level(logging.WARNING, logger="sentrial"):
        assert client.flush(10)
    events = reader.events(sid)
    assert [(e["promptTokens"], e.get("estimatedCost")) for e in events] == [(10, None), (20, None)]
    assert [r.getMessage() for r in caplog.records] == [
        "sentrial: LLM costs not computed (ModuleNotFoundError: import of genai_prices halted; "
        "None in sys.modules)"
    ]
