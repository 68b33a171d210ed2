"""@sentrial.tool and @sentrial.session on functions, coroutines and generators."""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator
from pathlib import Path

import pytest

import sentrial
from sentrial._server import LocalServer

from .conftest import Reader


@pytest.fixture
def configured(sentrial_server: LocalServer, tmp_path: Path) -> sentrial.SentrialClient:
    client = sentrial.configure(
        api_key=sentrial_server.api_key, api_url=sentrial_server.url, spool_dir=str(tmp_path)
    )
    return client


@sentrial.tool
def add(a: int, b: int = 2) -> int:
    """Adds."""
    return a + b


@sentrial.tool("web_search")
async def search(query: str) -> list[str]:
    await asyncio.sleep(0)
    return [query]


@sentrial.tool
def explode(reason: str) -> None:
    raise RuntimeError(reason)


@sentrial.tool
def count(n: int) -> Iterator[int]:
    yield from range(n)


@sentrial.tool
async def acount(n: int) -> AsyncIterator[int]:
    for i in range(n):
        yield i


def test_signatures_and_results_are_preserved() -> None:
    assert add(1) == 3 and add.__name__ == "add" and add.__doc__ == "Adds."
    assert inspect.signature(add) == inspect.signature(add.__wrapped__)  # type: ignore[attr-defined]
    assert list(inspect.signature(add).parameters) == ["a", "b"]
    assert inspect.iscoroutinefunction(search)
    assert inspect.isgeneratorfunction(count) and inspect.isasyncgenfunction(acount)
    assert list(count(3)) == [0, 1, 2]
    with pytest.raises(RuntimeError, match="as is"):
        explode("as is")


def test_tools_record_into_the_current_session(
    configured: sentrial.SentrialClient, reader: Reader
) -> None:
    with sentrial.begin(user_id="u", event="agent") as interaction:
        assert add(1, b=5) == 6
        assert asyncio.run(search("q")) == ["q"]
        with pytest.raises(RuntimeError):
            explode("boom")
        assert list(count(2)) == [0, 1]

        async def consume() -> list[int]:
            return [i async for i in acount(2)]

        assert asyncio.run(consume()) == [0, 1]
    assert configured.flush(10)
    events = reader.events(interaction.session_id)
    assert [e["toolName"] for e in events] == ["add", "web_search", "explode", "count", "acount"]
    assert events[0]["toolInput"] == {"a": 1, "b": 5}
    assert events[0]["toolOutput"] == {"result": 6}
    assert events[0]["durationMs"] >= 0
    assert events[2]["toolError"]["type"] == "RuntimeError"
    assert events[2]["toolError"]["message"] == "boom"
    assert events[3]["toolOutput"] == {"result": [0, 1]}


def test_tools_outside_a_session_do_nothing(configured: sentrial.SentrialClient) -> None:
    assert add(2) == 4
    assert configured.stats()["tracked"] == 0


@sentrial.session("session-agent")
def handle(question: str, user_id: str) -> str:
    add(1)
    return question.upper()


@sentrial.session("async-session-agent")
async def ahandle(question: str, user_id: str = "anon") -> str:
    await search(question)
    if question == "fail":
        raise ValueError("no answer")
    return question


def test_session_decorator(configured: sentrial.SentrialClient, reader: Reader) -> None:
    assert handle("hi", user_id="u7") == "HI"
    assert asyncio.run(ahandle("ok", user_id="u8")) == "ok"
    with pytest.raises(ValueError, match="no answer"):
        asyncio.run(ahandle("fail"))
    assert configured.flush(10)
    sessions = {s["userId"]: s for s in reader.sessions()}
    assert sessions["u7"]["agentName"] == "session-agent"
    assert sessions["u7"]["assistantOutput"] == "HI"
    assert sessions["u7"]["status"] == "completed"
    assert sessions["u8"]["status"] == "completed"
    assert sessions["anon"]["status"] == "failed"
    assert sessions["anon"]["failureReason"] == "ValueError: no answer"
    assert [e["toolName"] for e in reader.events(sessions["u7"]["id"])] == ["add"]
    assert [e["toolName"] for e in reader.events(sessions["anon"]["id"])] == ["web_search"]


def test_threads_and_tasks_each_see_their_own_session(
    configured: sentrial.SentrialClient, reader: Reader
) -> None:
    def worker(n: int) -> None:
        with sentrial.begin(user_id=f"thread{n}", event="t"):
            for _ in range(n + 1):
                add(n)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    async def task(n: int) -> None:
        with sentrial.begin(user_id=f"task{n}", event="t"):
            for _ in range(n + 1):
                await search(str(n))
                await asyncio.sleep(0)

    async def main() -> None:
        await asyncio.gather(*(task(n) for n in range(8)))

    asyncio.run(main())
    assert configured.flush(10)
    counts = {s["userId"]: s["eventCount"] for s in reader.sessions()}
    assert counts == {f"{kind}{n}": n + 1 for kind in ("thread", "task") for n in range(8)}


# -- generators: `yield from` semantics (send, throw, close, return value) -------------

seen_by_generators: list[str] = []


@sentrial.tool
def running_total(start: int) -> Generator[int, int | None, str]:
    """Adds what it is sent; a KeyError thrown in adds 100; None ends it."""
    total = start
    try:
        while True:
            try:
                value = yield total
            except KeyError:
                value = 100
            if value is None:
                return f"done at {total}"
            total += value
    except BaseException as exc:
        seen_by_generators.append(f"running_total saw {type(exc).__name__}")
        raise
    finally:
        seen_by_generators.append("running_total finished")


@sentrial.tool
async def arunning_total(start: int) -> AsyncGenerator[int, int | None]:
    total = start
    try:
        while True:
            try:
                value = yield total
            except KeyError:
                value = 100
            if value is None:
                return
            total += value
    except BaseException as exc:
        seen_by_generators.append(f"arunning_total saw {type(exc).__name__}")
        raise
    finally:
        seen_by_generators.append("arunning_total finished")


def test_tool_generators_pass_send_throw_and_return_through(
    configured: sentrial.SentrialClient, reader: Reader
) -> None:
    seen_by_generators.clear()
    with sentrial.begin(user_id="u", event="agent") as interaction:
        gen = running_total(1)
        assert next(gen) == 1
        assert gen.send(2) == 3
        assert gen.throw(KeyError("handled")) == 103
        with pytest.raises(StopIteration) as stop:
            gen.send(None)
        assert stop.value.value == "done at 103"

        failing = running_total(5)
        assert next(failing) == 5
        with pytest.raises(RuntimeError, match=r"^thrown in$"):
            failing.throw(RuntimeError("thrown in"))
    assert configured.flush(10)
    assert seen_by_generators == [
        "running_total finished",
        "running_total saw RuntimeError",
        "running_total finished",
    ]
    ok, failed = reader.events(interaction.session_id)
    assert ok["toolName"] == "running_total" and ok["toolInput"] == {"start": 1}
    assert ok["toolOutput"] == {"result": [1, 3, 103]}  # what it yielded, recorded once
    assert ok.get("toolError") is None
    assert failed["toolInput"] == {"start": 5} and failed.get("toolOutput") is None
    assert failed["toolError"]["type"] == "RuntimeError"
    assert failed["toolError"]["message"] == "thrown in"


def test_tool_generators_pass_close_through(
    configured: sentrial.SentrialClient, reader: Reader
) -> None:
    seen_by_generators.clear()
    with sentrial.begin(user_id="u", event="agent") as interaction:
        gen = running_total(1)
        assert next(gen) == 1
        gen.close()
        assert seen_by_generators == ["running_total saw GeneratorExit", "running_total finished"]
    assert configured.flush(10)
    (event,) = reader.events(interaction.session_id)
    assert event["toolName"] == "running_total"


def test_tool_async_generators_pass_asend_and_athrow_through(
    configured: sentrial.SentrialClient, reader: Reader
) -> None:
    seen_by_generators.clear()

    async def drive() -> None:
        gen = arunning_total(1)
        assert await gen.__anext__() == 1
        assert await gen.asend(2) == 3
        assert await gen.athrow(KeyError("handled")) == 103
        with pytest.raises(StopAsyncIteration):
            await gen.asend(None)

        failing = arunning_total(5)
        assert await failing.__anext__() == 5
        with pytest.raises(RuntimeError, match=r"^thrown in$"):
            await failing.athrow(RuntimeError("thrown in"))

        closing = arunning_total(7)
        assert await closing.__anext__() == 7
        await closing.aclose()

    with sentrial.begin(user_id="u", event="agent") as interaction:
        asyncio.run(drive())
    assert configured.flush(10)
    assert seen_by_generators == [
        "arunning_total finished",
        "arunning_total saw RuntimeError",
        "arunning_total finished",
        "arunning_total saw GeneratorExit",
        "arunning_total finished",
    ]
    ok, failed, closed = reader.events(interaction.session_id)
    assert ok["toolName"] == "arunning_total" and ok["toolInput"] == {"start": 1}
    assert ok["toolOutput"] == {"result": [1, 3, 103]}
    assert ok.get("toolError") is None
    assert failed["toolInput"] == {"start": 5} and failed.get("toolOutput") is None
    assert failed["toolError"]["type"] == "RuntimeError"
    assert failed["toolError"]["message"] == "thrown in"
    assert closed["toolInput"] == {"start": 7}


@sentrial.session("chat-agent")
def chat(user_id: str) -> Generator[str, str, int]:
    reply = yield "hello"
    turns = 0
    while reply != "bye":
        turns += 1
        try:
            reply = yield f"you said {reply}"
        except KeyError:
            reply = "(interrupted)"
    return turns


@sentrial.session("async-chat-agent")
async def achat(user_id: str) -> AsyncGenerator[str, str]:
    reply = yield "hello"
    while reply != "bye":
        try:
            reply = yield f"you said {reply}"
        except KeyError:
            reply = "(interrupted)"


def test_session_generators_pass_send_throw_and_return_through(
    configured: sentrial.SentrialClient, reader: Reader
) -> None:
    gen = chat("sync-user")
    assert next(gen) == "hello"
    assert gen.send("hi") == "you said hi"
    assert gen.throw(KeyError("k")) == "you said (interrupted)"
    with pytest.raises(StopIteration) as stop:
        gen.send("bye")
    assert stop.value.value == 2

    failing = chat("failing-user")
    next(failing)
    with pytest.raises(ValueError, match=r"^no more$"):
        failing.throw(ValueError("no more"))

    async def drive() -> None:
        agen = achat("async-user")
        assert await agen.__anext__() == "hello"
        assert await agen.asend("hi") == "you said hi"
        assert await agen.athrow(KeyError("k")) == "you said (interrupted)"
        with pytest.raises(StopAsyncIteration):
            await agen.asend("bye")

        afailing = achat("async-failing-user")
        await afailing.__anext__()
        with pytest.raises(ValueError, match=r"^no more$"):
            await afailing.athrow(ValueError("no more"))

    asyncio.run(drive())
    assert configured.flush(10)
    sessions = {s["userId"]: s for s in reader.sessions()}
    for user in ("sync-user", "async-user"):
        assert sessions[user]["status"] == "completed"
        assert sessions[user]["assistantOutput"] == (
            '["hello","you said hi","you said (interrupted)"]'
        )
    for user in ("failing-user", "async-failing-user"):
        assert sessions[user]["status"] == "failed"
        assert sessions[user]["failureReason"] == "ValueError: no more"


@sentrial.session("twin-agent")
def twin(user_id: str, question: str, limit: int = 3) -> dict[str, object]:
    add(limit)
    return {"answer": question[::-1], "limit": limit}


@sentrial.session("twin-agent")
async def atwin(user_id: str, question: str, limit: int = 3) -> dict[str, object]:
    await search(question)
    return {"answer": question[::-1], "limit": limit}


def test_an_async_session_is_stored_as_fully_as_its_sync_twin(
    configured: sentrial.SentrialClient, reader: Reader
) -> None:
    assert twin("sync-twin", "abc", limit=4) == {"answer": "cba", "limit": 4}
    assert asyncio.run(atwin("async-twin", "abc", limit=4)) == {"answer": "cba", "limit": 4}
    assert configured.flush(10)
    sessions = {s["userId"]: s for s in reader.sessions(agentName="twin-agent")}
    assert sorted(sessions) == ["async-twin", "sync-twin"]
    for user, tool in (("sync-twin", "add"), ("async-twin", "web_search")):
        stored = sessions[user]
        assert stored["status"] == "completed" and stored["success"] is True, user
        assert stored["assistantOutput"] == '{"answer":"cba","limit":4}', user
        expected_input = {"user_id": user, "question": "abc", "limit": 4}
        assert stored["userInput"] == json.dumps(expected_input, separators=(",", ":")), user
        assert stored["name"].startswith("twin-agent:"), user
        assert [e["toolName"] for e in reader.events(stored["id"])] == [tool], user
