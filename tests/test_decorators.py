"""@sentrial.tool and @sentrial.session on functions, coroutines and generators."""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import AsyncIterator, Iterator
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
    for session in reader.sessions():
        n = int(session["userId"][-1])
        assert session["eventCount"] == n + 1, session["userId"]
