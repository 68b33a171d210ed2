"""Code written against the published ``sentrial`` 0.6.0 runs unchanged on ours.

Each test is a snippet in the published API's terms (positional arguments,
return values, submodules), run against this SDK and the local server; the
stored result is read back over HTTP.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import sentrial
from sentrial import SentrialClient
from sentrial._server import LocalServer

from .conftest import Reader


@pytest.fixture
def env(
    sentrial_server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, str]]:
    """URL and key of the local server; spooling goes to the test's directory."""
    monkeypatch.setenv("SENTRIAL_SPOOL_DIR", str(tmp_path / "spool"))
    yield sentrial_server.url, sentrial_server.api_key


# -- constructor and attributes ------------------------------------------------


def test_client_takes_url_then_key_positionally(env: tuple[str, str], reader: Reader) -> None:
    url, key = env
    client = SentrialClient(url, key, fail_silently=False)
    assert client.api_url == url and client.api_key == key and client.fail_silently is False
    assert key not in repr(client) and key not in repr(client.config)
    sid = client.create_session("Request: hi", "support", "u1")
    assert isinstance(sid, str)
    client.track_tool_call(sid, "search", {"q": "hi"}, {"hits": 2})
    client.complete_session(sid, True)
    assert client.flush(10)
    client.close()
    assert reader.session(sid)["status"] == "completed"
    assert [e["toolName"] for e in reader.events(sid)] == ["search"]


def test_published_parameter_order_and_defaults() -> None:
    def params(fn: Any) -> list[tuple[str, Any]]:
        out = []
        for p in inspect.signature(fn).parameters.values():
            if p.name == "self" or p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD):
                continue
            out.append((p.name, p.default))
        return out

    empty = inspect.Parameter.empty
    client_args = [
        ("api_url", None),
        ("api_key", None),
        ("fail_silently", True),
        ("langfuse", None),
        ("pii", None),
        ("batching", None),
    ]
    assert params(SentrialClient.__init__) == client_args
    assert params(sentrial.AsyncSentrialClient.__init__)[:3] == client_args[:3]
    assert params(sentrial.configure) == [
        ("api_key", None),
        ("api_url", None),
        ("fail_silently", True),
        ("pii", None),
        ("batching", None),
    ]
    begin_args = [
        ("user_id", empty),
        ("event", empty),
        ("input", None),
        ("event_id", None),
        ("convo_id", None),
        ("metadata", None),
    ]
    assert params(sentrial.begin) == begin_args
    assert params(SentrialClient.begin) == begin_args
    assert params(sentrial.AsyncSentrialClient.begin) == begin_args
    assert params(sentrial.begin_async) == begin_args
    assert params(SentrialClient.close_session) == [
        ("session_id", empty),
        ("duration_ms", None),
        ("success", None),
        ("failure_reason", None),
    ]
    for cls in (SentrialClient, sentrial.AsyncSentrialClient):
        assert [n for n, _ in params(cls.track_tool_call)] == [
            "session_id",
            "tool_name",
            "tool_input",
            "tool_output",
            "reasoning",
            "estimated_cost",
            "tool_error",
            "token_count",
            "trace_id",
            "span_id",
            "metadata",
        ]
        assert [n for n, _ in params(cls.complete_session)][:4] == [
            "session_id",
            "success",
            "failure_reason",
            "estimated_cost",
        ]
    for cls in (sentrial.Interaction, sentrial.AsyncInteraction):  # type: ignore[assignment]
        assert [n for n, _ in params(cls.track_tool_call)][-1] == "metadata"
        assert [n for n, _ in params(cls.track_error)] == [
            "error_message",
            "error_type",
            "tool_name",
            "stack_trace",
            "metadata",
        ]
    assert [n for n, _ in params(sentrial.Interaction.__init__)] == [
        "client",
        "session_id",
        "event_id",
        "user_id",
        "event",
        "langfuse_context",
    ]
    assert [n for n, _ in params(sentrial.session)] == ["name_or_func"]
    assert [n for n, _ in params(sentrial.tool)] == ["name_or_func"]


def test_published_submodules_and_names_exist() -> None:
    import importlib

    expected = {
        "sentrial.client": "BatcherConfig EventBatcher EventType Interaction PiiBuiltinPatterns "
        "PiiConfig PiiCustomPattern SentrialClient begin configure redact_payload",
        "sentrial.async_client": "AsyncInteraction AsyncSentrialClient EventType begin_async "
        "configure_async",
        "sentrial.decorators": "Interaction SentrialClient SessionContext clear_session_context "
        "clear_session_entry_points get_current_client get_current_interaction "
        "get_current_session_id get_session_context get_session_entry_points session "
        "set_session_context tool",
        "sentrial.wrappers": "SentrialClient clear_session_context get_session_context "
        "set_session_context wrap_anthropic wrap_google wrap_llm wrap_openai",
        "sentrial.pricing": "calculate_cost get_model_pricing",
        "sentrial.redact": "PiiBuiltinPatterns PiiConfig PiiCustomPattern redact_payload "
        "redact_string redact_value",
        "sentrial.types": "EventType",
        "sentrial.batcher": "BatcherConfig EventBatcher SendFn",
        "sentrial.context": "ExperimentContext clear_experiment_context get_experiment_context "
        "get_system_prompt get_variant_name is_experiment_mode set_experiment_context",
        "sentrial": "AsyncInteraction AsyncSentrialClient BatcherConfig EventBatcher EventType "
        "ExperimentContext "
        "Interaction SentrialClient SessionContext __version__ begin begin_async "
        "clear_session_context configure configure_async get_current_interaction "
        "get_current_session_id get_experiment_context get_session_context "
        "get_session_entry_points get_system_prompt get_variant_name is_experiment_mode "
        "session set_session_context tool wrap_anthropic wrap_google wrap_llm wrap_openai",
    }
    for module_name, names in expected.items():
        module = importlib.import_module(module_name)
        missing = [n for n in names.split() if not hasattr(module, n)]
        assert not missing, (module_name, missing)
    from sentrial.types import EventType

    assert {e.name: e.value for e in EventType} == {
        "TOOL_CALL": "tool_call",
        "LLM_DECISION": "llm_decision",
        "ERROR": "error",
    }
    assert EventType.TOOL_CALL.value == "tool_call" and isinstance(EventType.TOOL_CALL, str)


# -- return values -------------------------------------------------------------


def test_tracking_calls_return_the_record(env: tuple[str, str], reader: Reader) -> None:
    url, key = env
    with SentrialClient(url, key) as client:
        sid = client.create_session("n", "agent", "u")
        tool = client.track_tool_call(sid, "search", {"q": 1}, {"r": 2})
        decision = client.track_decision(sid, "because", ["a", "b"], 0.5)
        error = client.track_error(sid, "boom", "RuntimeError")
        done = client.complete_session(sid, success=False, failure_reason="why")
        assert tool["sessionId"] == sid and tool["eventType"] == "tool_call"
        assert tool["toolName"] == "search" and tool["id"].startswith("evt_")
        assert tool["createdAt"].endswith("Z")
        assert decision["eventType"] == "llm_decision" and error["eventType"] == "error"
        assert done["id"] == sid and done["status"] == "failed" and done["success"] is False
        assert done["failureReason"] == "why"
        assert client.flush(10)
    stored = {e["id"]: e for e in reader.events(sid)}
    for record in (tool, decision, error):
        assert stored[record["id"]]["eventType"] == record["eventType"]
        assert stored[record["id"]]["sessionId"] == sid
        assert stored[record["id"]]["createdAt"][:19] == record["createdAt"][:19]
    assert reader.session(sid)["status"] == "failed"


def test_close_session_keeps_its_positional_meaning(env: tuple[str, str], reader: Reader) -> None:
    url, key = env
    with SentrialClient(url, key) as client:
        sid = client.create_session("n", "agent", "u")
        result = client.close_session(sid, 1234, False, "timed out")
        assert result["status"] == "failed" and result["durationMs"] == 1234
        other = client.create_session("n", "agent", "u")
        assert client.close_session(other)["status"] == "completed"
        assert client.flush(10)
    session = reader.session(sid)
    assert session["status"] == "failed" and session["durationMs"] == 1234
    assert session["failureReason"] == "timed out"
    assert reader.session(other)["status"] == "completed"


def test_interaction_as_published(env: tuple[str, str], reader: Reader) -> None:
    url, key = env
    client = sentrial.configure(key, url)
    interaction = sentrial.begin("u1", "chat", "hello?", None, "convo-1", {"plan": "pro"})
    assert interaction.user_id == "u1" and interaction.event == "chat"
    assert isinstance(interaction.event_id, str) and interaction.session_id
    assert sentrial.get_current_session_id() == interaction.session_id
    assert sentrial.get_current_interaction() is interaction
    # metadata is the 8th positional argument of Interaction.track_tool_call
    event = interaction.track_tool_call("lookup", {"k": 1}, {"v": 2}, None, 0.0, None, 7, {"m": 1})
    assert event["eventType"] == "tool_call"
    interaction.track_decision("answer", ["escalate"], 0.9)
    result = interaction.finish("hi!")
    assert result["id"] == interaction.session_id and result["status"] == "completed"
    assert interaction.finish("again") == {}
    assert client.flush(10)
    session = reader.session(interaction.session_id)
    assert session["name"] == f"chat:{interaction.event_id[:8]}"
    assert session["agentName"] == "chat" and session["convoId"] == "convo-1"
    assert session["metadata"] == {
        "plan": "pro",
        "input": "hello?",
        "convo_id": "convo-1",
        "event_id": interaction.event_id,
    }
    assert session["userInput"] == "hello?" and session["assistantOutput"] == "hi!"
    events = reader.events(interaction.session_id)
    assert events[0]["metadata"] == {"m": 1} and events[0]["tokenCount"] == 7
    client.close()


def test_track_error_in_a_begin_block_fails_the_session(
    env: tuple[str, str], reader: Reader
) -> None:
    url, key = env
    client = SentrialClient(url, key)
    with client.begin(user_id="u", event="chat", input="x") as interaction:
        interaction.track_error("upstream timeout", "TimeoutError")
        interaction.set_output("sorry")
    assert client.flush(10)
    session = reader.session(interaction.session_id)
    assert session["status"] == "failed" and session["failureReason"] == "upstream timeout"
    client.close()


def test_state_is_sent_with_tool_calls(env: tuple[str, str], reader: Reader) -> None:
    url, key = env
    with SentrialClient(url, key) as client:
        sid = client.create_session("n", "agent", "u")
        client.update_state("step", 1)
        assert client.current_state == {"step": 1}
        client.track_tool_call(sid, "t", {}, {})
        assert client.flush(10)
        client.create_session("n2", "agent", "u")
        assert client.current_state == {}  # cleared by create_session, as published
    (event,) = reader.events(sid)
    assert event["stateBefore"] == {"step": 1}


def test_async_client_as_published(env: tuple[str, str], reader: Reader) -> None:
    url, key = env

    async def scenario() -> tuple[str, str, str]:
        client = sentrial.AsyncSentrialClient(url, key, False)
        assert client.api_url == url and client.api_key == key
        sid = await client.create_session("n", "agent", "u")
        client.update_state("phase", "fetch")
        record = await client.track_tool_call(sid, "t", {"a": 1}, {"b": 2})
        assert record["eventType"] == "tool_call" and record["sessionId"] == sid
        assert (await client.complete_session(sid))["status"] == "completed"
        interaction = await client.begin("u2", "async-chat", "question")
        assert isinstance(interaction, sentrial.AsyncInteraction)
        await interaction.track_decision("think")
        interaction.add_tokens(10, 5, 0.01)
        finished = await interaction.finish("answer")
        assert finished["status"] == "completed"
        await client.flush(10)
        await client.close()

        await sentrial.configure_async(key, url)
        async with await sentrial.begin_async("u3", "configured", "q") as other:
            await other.track_error("bad")
        from sentrial._interaction import get_async_client

        await get_async_client().flush(10)
        await get_async_client().close()
        return interaction.session_id, other.session_id, sid

    first, second, plain = asyncio.run(scenario())
    assert reader.events(plain)[0]["stateAfter"] == {"phase": "fetch"}
    session = reader.session(first)
    assert session["promptTokens"] == 10 and session["completionTokens"] == 5
    assert session["assistantOutput"] == "answer"
    assert reader.session(second)["status"] == "failed"


# -- fail_silently, batching ---------------------------------------------------


def test_fail_silently_false_raises_on_misuse_at_the_call(env: tuple[str, str]) -> None:
    url, key = env
    client = SentrialClient(url, key, False)
    with pytest.raises(sentrial.SentrialError):
        client.track_tool_call(None, "t", {}, {})  # type: ignore[arg-type]
    with pytest.raises(sentrial.SentrialError):
        client.track_decision("sess_x", "why", None, 7.0)  # confidence out of 0..1
    quiet = SentrialClient(url, key)
    assert quiet.track_tool_call(None, "t", {}, {}) == {}  # type: ignore[arg-type]
    client.close()
    quiet.close()


@pytest.mark.parametrize(
    "batching",
    [True, False, sentrial.BatcherConfig(enabled=True, flush_interval=0.05), {"x": 1}, "odd"],
)
def test_batching_is_accepted_and_never_raises(
    env: tuple[str, str], reader: Reader, batching: Any
) -> None:
    url, key = env
    client = SentrialClient(url, key, fail_silently=False, batching=batching)
    sid = client.create_session("n", "agent", "u")
    client.track_tool_call(sid, "t", {}, {})
    client.complete_session(sid)
    client.flush(10)
    client.shutdown()
    assert reader.session(sid)["status"] == "completed"


def test_event_batcher_makes_the_calls() -> None:
    calls: list[tuple[str, str, dict[str, Any]]] = []

    def send(method: str, url: str, **kwargs: Any) -> None:
        calls.append((method, url, kwargs))
        if kwargs.get("fail"):
            raise RuntimeError("down")

    batcher = sentrial.EventBatcher(send, sentrial.BatcherConfig(enabled=True, flush_threshold=3))
    batcher.enqueue("post", "/a", json={"n": 1})
    batcher.enqueue("post", "/b", fail=True)
    assert batcher.size == 2 and calls == []
    batcher.enqueue("post", "/c")
    assert batcher.size == 0 and [c[1] for c in calls] == ["/a", "/b", "/c"]
    batcher.enqueue("post", "/d")
    batcher.shutdown()
    assert [c[1] for c in calls][-1] == "/d"


# -- cost ----------------------------------------------------------------------


def test_published_cost_helpers_always_return_a_float(caplog: pytest.LogCaptureFixture) -> None:
    from sentrial import pricing

    assert SentrialClient.calculate_openai_cost("gpt-4o", 1_000_000, 0) == pytest.approx(2.5)
    assert pricing.calculate_cost("gpt-4o", 1_000_000, 0) == pytest.approx(2.5)
    inp, out = pricing.get_model_pricing("gpt-4o")
    assert inp == pytest.approx(0.0025) and out == pytest.approx(0.01)
    with caplog.at_level(logging.WARNING, logger="sentrial"):
        for helper in (
            sentrial.calculate_openai_cost,
            sentrial.calculate_anthropic_cost,
            sentrial.calculate_google_cost,
            SentrialClient.calculate_google_cost,
        ):
            value = helper("no-such-model-zz1", 100, 100)
            assert value == 0.0 and isinstance(value, float)
            assert f"{value:.4f}" == "0.0000"
        assert pricing.calculate_cost("no-such-model-zz2", 100, 100) == 0.0
    named = [r for r in caplog.records if "no-such-model-zz1" in r.getMessage()]
    assert 1 <= len(named) <= 3  # one per provider at most, never one per call
    assert sentrial.calculate_cost("no-such-model-zz3", 100, 100) is None


# -- PII -----------------------------------------------------------------------

PERSONAL = (
    "mail jane.doe@example.com, call +1 415-555-0134, ssn 123-45-6789, "
    "card 4111 1111 1111 1111, from 192.168.10.20"
)


def _assert_redacted(text: str) -> None:
    for secret in ("jane.doe@example.com", "555-0134", "123-45-6789", "4111", "192.168.10.20"):
        assert secret not in text, (secret, text)


@pytest.mark.parametrize("how", ["true", "config"])
def test_pii_redacts_personal_data(env: tuple[str, str], reader: Reader, how: str) -> None:
    from sentrial.redact import PiiConfig

    url, key = env
    pii: Any = True if how == "true" else PiiConfig(enabled=True)
    with SentrialClient(url, key, pii=pii) as client:
        sid = client.create_session("n", "agent", "u")
        client.track_tool_call(sid, "t", {"text": PERSONAL}, {"echo": PERSONAL})
        client.complete_session(sid, user_input=PERSONAL, assistant_output=PERSONAL)
        assert client.flush(10)
    session = reader.session(sid)
    _assert_redacted(session["userInput"])
    _assert_redacted(session["assistantOutput"])
    (event,) = reader.events(sid)
    _assert_redacted(str(event["toolInput"]) + str(event["toolOutput"]))


def test_redact_module_as_published() -> None:
    from sentrial.redact import (
        PiiBuiltinPatterns,
        PiiConfig,
        PiiCustomPattern,
        redact_payload,
        redact_string,
    )

    text = redact_string(PERSONAL, "label", PiiBuiltinPatterns(), [])
    _assert_redacted(text)
    assert "[EMAIL]" in text and "[SSN]" in text and "[IP_ADDRESS]" in text
    assert "[CREDIT_CARD]" in text and "[PHONE]" in text
    assert redact_string("a@b.io", "remove", PiiBuiltinPatterns(), []) == ""
    assert redact_string("a@b.io", "hash", PiiBuiltinPatterns(), []).startswith("[PII:")
    assert (
        redact_string("ID-42", "label", PiiBuiltinPatterns(), [PiiCustomPattern(r"ID-\d+", "X")])
        == "[X]"
    )
    config = PiiConfig(enabled=True)
    out = redact_payload({"user_input": "a@b.io", "other": "a@b.io"}, config)
    assert out == {"user_input": "[EMAIL]", "other": "a@b.io"}
    assert redact_payload({"user_input": "a@b.io"}, PiiConfig()) == {"user_input": "a@b.io"}


# -- decorators and context ----------------------------------------------------


def test_decorators_and_context_as_published(env: tuple[str, str], reader: Reader) -> None:
    url, key = env
    client = sentrial.configure(key, url)

    @sentrial.tool
    def lookup(order: str) -> str:
        return order.upper()

    @sentrial.session
    def bare(user_id: str, message: str) -> str:
        return lookup(message)

    @sentrial.session("custom", user_id_param="customer", input_param="question")
    def custom(customer: str, question: str) -> str:
        assert sentrial.get_current_session_id() is not None
        return "ok"

    assert bare("u1", "abc") == "ABC"
    assert custom("c9", "why?") == "ok"
    assert bare in sentrial.get_session_entry_points()

    sid = client.create_session("outside", "manual", "u")
    sentrial.set_session_context(sid, client)
    assert sentrial.get_session_context() == sid
    lookup("from-context")
    sentrial.clear_session_context()
    assert sentrial.get_current_session_id() is None
    lookup("nowhere")  # outside a session: not recorded

    with sentrial.SessionContext("u5", "ctx-agent", "in") as ctx:
        lookup("inside")
        ctx.set_output("out")
    assert client.flush(10)

    sessions = {s["agentName"]: s for s in reader.sessions()}
    assert sessions["bare"]["userId"] == "u1" and sessions["bare"]["userInput"] == "abc"
    assert sessions["custom"]["userId"] == "c9" and sessions["custom"]["userInput"] == "why?"
    assert [e["toolName"] for e in reader.events(sessions["bare"]["id"])] == ["lookup"]
    assert [e["toolName"] for e in reader.events(sid)] == ["lookup"]
    assert ctx.session_id is not None
    assert reader.session(ctx.session_id)["assistantOutput"] == "out"
    assert [e["toolName"] for e in reader.events(ctx.session_id)] == ["lookup"]
    client.close()


def test_experiment_context() -> None:
    from sentrial import context

    assert not context.is_experiment_mode() and context.get_system_prompt("d") == "d"
    context.set_experiment_context("be brief", "v1", "exp1")
    try:
        assert context.get_variant_name() == "v1" and context.get_system_prompt() == "be brief"
    finally:
        context.clear_experiment_context()
    assert context.get_experiment_context() is None
