"""Edges of ``begin``/``begin_async`` and their interactions, read back from a
real local server: exceptions whose ``__str__`` fails, bad token counts, state
per asyncio task, and the async interaction being current."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import sentrial
from sentrial._server import LocalServer

from .conftest import Reader

MakeClient = Callable[..., sentrial.SentrialClient]
NAN: Any = float("nan")  # typed Any: add_tokens is annotated int


class AppError(Exception):
    """An app's exception whose ``__str__`` has a bug (int + str)."""

    def __init__(self, code: Any) -> None:
        self.code = code

    def __str__(self) -> str:
        return "code " + self.code  # type: ignore[no-any-return]


# -- 1. an exception whose str() fails ---------------------------------------------


def test_app_exception_whose_str_fails_reaches_the_app_unchanged(
    make_client: MakeClient, reader: Reader
) -> None:
    client = make_client()
    error = AppError(42)
    with (
        pytest.raises(AppError) as raised,
        sentrial.begin("u", "chat", client=client) as interaction,
    ):
        raise error
    assert raised.value is error
    assert client.flush(10)
    session = reader.session(interaction.session_id)
    assert session["status"] == "failed"
    assert session["failureReason"] == "AppError: <str() failed>"


def test_track_error_of_exception_whose_str_fails_is_recorded(
    make_client: MakeClient, reader: Reader
) -> None:
    client = make_client()
    with sentrial.begin("u", "chat", client=client) as interaction:
        record = interaction.track_error(AppError(42))
    assert record["eventType"] == "error"
    assert client.flush(10)
    session = reader.session(interaction.session_id)
    assert session["status"] == "failed"
    assert session["failureReason"] == "<str() failed>"
    (event,) = reader.events(interaction.session_id)
    assert event["eventType"] == "error"
    assert event["toolError"]["message"] == "AppError: <str() failed>"
    assert event["toolError"]["type"] == "AppError"
    assert "raise" not in event["toolError"]["stack_trace"]  # never raised: no frames
    assert "AppError: <exception str() failed>" in event["toolError"]["stack_trace"]
    assert client.stats()["dropped"] == {}


# -- 2. add_tokens with values that are no numbers -----------------------------------


def test_add_tokens_ignores_bad_values_and_keeps_good_ones(
    make_client: MakeClient, reader: Reader, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client()
    with (
        caplog.at_level(logging.WARNING, logger="sentrial"),
        sentrial.begin("u", "chat", client=client) as interaction,
    ):
        interaction.add_tokens(prompt_tokens=NAN, completion_tokens=7, cost=0.5)
        interaction.add_tokens(prompt_tokens=3, completion_tokens="n/a")  # type: ignore[arg-type]
        interaction.add_tokens(prompt_tokens=2, cost="free")  # type: ignore[arg-type]
        interaction.add_tokens(prompt_tokens=NAN)  # the same cause again
    assert client.flush(10) is False  # False: values were dropped since it last said so
    session = reader.session(interaction.session_id)
    assert session["status"] == "completed"
    assert session["promptTokens"] == 5
    assert session["completionTokens"] == 7
    assert session["estimatedCost"] == 0.5
    assert client.stats()["dropped"] == {"invalid_argument": 4}
    warnings = [r.getMessage() for r in caplog.records if "add_tokens" in r.getMessage()]
    assert len(warnings) == 3  # once per field
    assert [w.split(" failed")[0] for w in warnings] == [
        "sentrial: add_tokens prompt_tokens",
        "sentrial: add_tokens completion_tokens",
        "sentrial: add_tokens cost",
    ]


def test_add_tokens_raises_a_validation_error_naming_the_field_when_asked(
    make_client: MakeClient,
) -> None:
    client = make_client(fail_silently=False)
    interaction = sentrial.begin("u", "chat", client=client)
    with pytest.raises(sentrial.ValidationError, match=r"^prompt_tokens: "):
        interaction.add_tokens(prompt_tokens=NAN)
    with pytest.raises(sentrial.ValidationError, match=r"^completion_tokens: "):
        interaction.add_tokens(completion_tokens="n/a")  # type: ignore[arg-type]
    with pytest.raises(sentrial.ValidationError, match=r"^cost: "):
        interaction.add_tokens(cost="free")  # type: ignore[arg-type]
    interaction.add_tokens(4, 5, 0.25)
    assert (interaction._prompt_tokens, interaction._completion_tokens) == (4, 5)
    assert interaction._cost == 0.25
    interaction.finish()


# -- 3. state per asyncio task (stateBefore) -----------------------------------------


def test_concurrent_tasks_never_see_each_others_input(
    make_client: MakeClient, reader: Reader
) -> None:
    client = make_client()

    @sentrial.tool
    async def lookup(q: str) -> str:
        await asyncio.sleep(0.01)
        return "ok"

    bob_began = asyncio.Event()

    async def alice() -> str:
        with sentrial.begin("alice", "chat", input="alice's question", client=client) as it:
            await bob_began.wait()  # bob's begin ran meanwhile, on the same thread
            await lookup("a")
        return it.session_id

    async def bob() -> str:
        await asyncio.sleep(0)
        with sentrial.begin("bob", "chat", input="bob's question", client=client) as it:
            bob_began.set()
            await lookup("b")
        return it.session_id

    async def main() -> list[str]:
        return list(await asyncio.gather(alice(), bob()))

    sid_a, sid_b = asyncio.run(main())
    assert client.flush(10)
    (event_a,) = reader.events(sid_a)
    (event_b,) = reader.events(sid_b)
    assert event_a["stateBefore"] == {"input": "alice's question"}
    assert event_b["stateBefore"] == {"input": "bob's question"}
    assert client.current_state == {}  # nothing leaked into the caller's thread


def test_a_task_inherits_the_state_and_keeps_its_changes(
    make_client: MakeClient, reader: Reader
) -> None:
    client = make_client()

    async def main() -> tuple[str, dict[str, Any]]:
        with sentrial.begin("u", "chat", input="q", client=client) as it:

            async def child() -> None:
                assert client.current_state == {"input": "q"}  # inherited
                client.update_state("step", "child")
                it.track_tool_call("t", {}, {})

            await asyncio.create_task(child())
            seen_after = dict(client.current_state)
            it.track_decision("parent")
        return it.session_id, seen_after

    sid, parent_after = asyncio.run(main())
    assert parent_after == {"input": "q"}  # the child's change stayed in the child
    assert client.flush(10)
    tool, decision = reader.events(sid)
    assert tool["stateBefore"] == {"input": "q", "step": "child"}
    assert decision["stateBefore"] == {"input": "q"}


def test_current_state_stays_per_thread_as_published(
    make_client: MakeClient, reader: Reader
) -> None:
    client = make_client()
    sid = client.create_session("n", "agent", "u")
    client.update_state("step", 1)
    client.current_state["extra"] = True  # changed in place, as published
    seen: list[dict[str, Any]] = []
    thread = threading.Thread(target=lambda: seen.append(dict(client.current_state)))
    thread.start()
    thread.join()
    assert seen == [{}]
    assert client.current_state == {"step": 1, "extra": True}
    client.track_tool_call(sid, "t", {}, {})
    client.create_session("n2", "agent", "u")
    assert client.current_state == {}
    assert client.flush(10)
    (event,) = reader.events(sid)
    assert event["stateBefore"] == {"step": 1, "extra": True}


# -- 4. begin_async makes its interaction current ----------------------------------


def test_begin_async_interaction_is_current_for_its_task(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    @sentrial.tool
    async def fetch(url: str) -> dict[str, int]:
        return {"status": 200}

    async def main() -> tuple[str, str | None, str | None, str | None]:
        client = sentrial.AsyncSentrialClient(
            sentrial_server.url, sentrial_server.api_key, spool_dir=str(tmp_path / "spool")
        )
        before = sentrial.get_current_session_id()
        async with await sentrial.begin_async("u", "async-agent", "q", client=client) as it:
            await fetch("https://example.com")
            inside = sentrial.get_current_session_id()
        after = sentrial.get_current_session_id()
        assert await client.flush(10)
        await client.shutdown(2)
        assert before is None
        return it.session_id, inside, after, before

    sid, inside, after, _ = asyncio.run(main())
    assert inside == sid
    assert after is None
    (event,) = reader.events(sid)
    assert event["eventType"] == "tool_call"
    assert event["toolName"] == "fetch"
    assert event["toolInput"] == {"url": "https://example.com"}
    assert event["toolOutput"] == {"result": {"status": 200}}
    assert reader.session(sid)["status"] == "completed"
