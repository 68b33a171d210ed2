"""The delivery engine under real network faults, many threads, forks and restarts."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

import sentrial
from sentrial import SentrialClient
from sentrial._server import LocalServer, _spec

from ._faults import FaultProxy, serve_app
from ._standins import StandIn
from .conftest import Reader

MakeClient = Callable[..., SentrialClient]


def _track_sessions(client: SentrialClient, sessions: int, events: int) -> list[str]:
    ids = []
    for s in range(sessions):
        sid = client.create_session(f"s{s}", "agent", "u")
        for e in range(events):
            client.track_tool_call(sid, "step", {"n": e}, {"ok": True})
        client.complete_session(sid, success=True)
        ids.append(sid)
    return ids


def _assert_exactly_once_in_order(reader: Reader, ids: list[str], events: int) -> None:
    for sid in ids:
        session = reader.session(sid)
        assert session["status"] == "completed", sid
        stored = reader.events(sid)
        assert [e["toolInput"]["n"] for e in stored] == list(range(events)), sid
        assert len({e["id"] for e in stored}) == events


@pytest.mark.parametrize("fault", ["500", "502", "503", "429", "reset", "drop_after_forward"])
def test_retries_each_fault_without_duplicates(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path, fault: str
) -> None:
    with FaultProxy(sentrial_server.url, {"ok": 1, fault: 1}, seed=7) as proxy:
        client = SentrialClient(
            api_key=sentrial_server.api_key,
            api_url=proxy.url,
            spool_dir=str(tmp_path),
            batch_size=5,
            request_timeout=2,
        )
        ids = _track_sessions(client, 6, 8)
        assert client.flush(60), client.stats()
        stats = client.stats()
        client.shutdown(2)
    assert proxy.counts[fault] > 0
    _assert_exactly_once_in_order(reader, ids, 8)
    assert stats["sent"] == stats["tracked"] == 6 * 10
    assert stats["retried"] >= 1 and stats["dropped"] == {}


def test_retry_after_is_honoured(sentrial_server: LocalServer, tmp_path: Path) -> None:
    from sentrial._delivery._policy import parse_retry_after as _retry_after

    assert _retry_after("2") == 2.0
    assert _retry_after(None) is None
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    # a delay of 0 is a delay; negative, NaN and infinite ones are not
    assert (_retry_after("0"), _retry_after("0.5")) == (0.0, 0.5)
    assert [_retry_after(v) for v in ("-1", "nan", "inf", "soon")] == [None] * 4


def test_the_response_policy_table() -> None:
    from sentrial._delivery._policy import ItemResult, for_status

    def verdict(status: int, several: bool = False) -> tuple[str, str, float | None]:
        v = for_status(status, "7", several=several)
        return v.action, v.reason, v.retry_after

    assert [verdict(s) for s in (200, 201, 299)] == [("ok", "", None)] * 3
    assert [verdict(s) for s in (408, 425, 429, 500, 502, 503, 504)] == [
        ("retry", f"http_{s}", 7.0) for s in (408, 425, 429, 500, 502, 503, 504)
    ]
    assert verdict(413, several=True) == ("split", "", None)
    assert [verdict(s) for s in (401, 403)] == [("dead_letter", "unauthorized", None)] * 2
    assert [verdict(s) for s in (199, 300, 400, 404, 413, 422, 501)] == [
        ("dead_letter", f"rejected_{s}", None) for s in (199, 300, 400, 404, 413, 422, 501)
    ]
    assert for_status(503).retry_after is None  # no header: the usual backoff
    item = ItemResult(503)
    assert (item.ok, item.retryable, item.message, item.server_id) == (False, True, "", None)
    assert (ItemResult(200, "m", "id1").ok, ItemResult(200).retryable) == (True, False)


def test_hanging_server_does_not_slow_the_caller(
    sentrial_server: LocalServer, tmp_path: Path
) -> None:
    with FaultProxy(sentrial_server.url, {"stall": 1}, stall_seconds=30) as proxy:
        client = SentrialClient(
            api_key="k", api_url=proxy.url, spool_dir=str(tmp_path), request_timeout=5
        )
        sid = client.create_session("n", "a", "u")
        worst = 0.0
        for i in range(2000):
            start = time.perf_counter()
            client.track_tool_call(sid, "t", {"i": i}, {"ok": True})
            worst = max(worst, time.perf_counter() - start)
        # Each call is a queue append; a blocking call would take the 5 s timeout.
        assert worst < 1.0
        start = time.perf_counter()
        client.shutdown(timeout=1)
        assert time.perf_counter() - start < 4
    # What could not be delivered is on disk, not lost.
    assert client.stats()["dropped"] == {}


_DEAD_SERVER_AT_EXIT = """
import sys, time
import sentrial
client = sentrial.SentrialClient(api_key="k", api_url=sys.argv[1], spool_dir=sys.argv[2],
                                 shutdown_timeout=float(sys.argv[3]), request_timeout=30)
sid = client.create_session("n", "a", "u")
for i in range(100):
    client.track_tool_call(sid, "t", {"i": i}, {})
print(time.perf_counter(), flush=True)
"""


def test_dead_server_at_exit_costs_at_most_the_shutdown_timeout(
    sentrial_server: LocalServer, tmp_path: Path
) -> None:
    with FaultProxy(sentrial_server.url, {"stall": 1}, stall_seconds=60) as proxy:
        proc = subprocess.run(
            [sys.executable, "-c", _DEAD_SERVER_AT_EXIT, proxy.url, str(tmp_path), "1.5"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        end = time.perf_counter()
    assert proc.returncode == 0, proc.stderr
    exit_cost = end - float(proc.stdout.strip())
    assert exit_cost < 1.5 + 2.0  # the timeout, plus interpreter teardown
    # Nothing lost: the 101 operations wait in the spool for the next process.
    spooled = sum(len(p.read_bytes().splitlines()) for p in tmp_path.rglob("*.spool"))
    assert spooled == 101


_SPOOL_WRITER = """
import sys
import sentrial
client = sentrial.SentrialClient(api_key=sys.argv[2], api_url=sys.argv[1],
                                 spool_dir=sys.argv[3], shutdown_timeout=0.5)
sid = client.create_session("spooled", "agent", "u")
for i in range(int(sys.argv[4])):
    client.track_tool_call(sid, "t", {"n": i}, {})
client.complete_session(sid)
print(sid)
"""


def test_spool_and_replay_across_two_processes(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    # First process: the API is down (nothing listens on the proxy's port).
    with FaultProxy(sentrial_server.url, {"reset": 1}) as down:
        url = down.url
        first = subprocess.run(
            [
                sys.executable,
                "-c",
                _SPOOL_WRITER,
                url,
                sentrial_server.api_key,
                str(tmp_path),
                "500",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert first.returncode == 0, first.stderr
    sid = first.stdout.strip()
    assert any(tmp_path.rglob("*.spool"))
    assert reader.sessions() == []

    # Second process, same URL and key, API back up: it replays the first one's spool.
    with FaultProxy(sentrial_server.url, {"ok": 1}, port=int(url.rsplit(":", 1)[1])):
        client = SentrialClient(
            api_key=sentrial_server.api_key, api_url=url, spool_dir=str(tmp_path)
        )
        client.create_session("trigger", "agent", "u")
        assert client.flush(30), client.stats()
        assert client.stats()["replayed"] == 502
        client.shutdown(5)
    _assert_exactly_once_in_order(reader, [sid], 500)
    assert not list(tmp_path.rglob("*.spool"))


def test_queue_overflow_spills_to_disk_and_keeps_order(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    with FaultProxy(sentrial_server.url, {"ok": 1}) as proxy:
        proxy.stop()  # API down while the agent works
        client = SentrialClient(
            api_key=sentrial_server.api_key,
            api_url=proxy.url,
            spool_dir=str(tmp_path),
            max_queue_size=50,
            batch_size=20,
        )
        ids = _track_sessions(client, 10, 30)
        stats = client.stats()
        assert stats["queued"] <= 50 and stats["spool_pending"] > 200  # on disk, or buffered for it
        proxy.start()  # API back on the same port
        assert client.flush(60), client.stats()
        client.shutdown(5)
    _assert_exactly_once_in_order(reader, ids, 30)
    assert client.stats()["dropped"] == {}


def test_spool_cap_drops_are_counted(sentrial_server: LocalServer, tmp_path: Path) -> None:
    client = SentrialClient(
        api_key="k",
        api_url="http://127.0.0.1:9",
        spool_dir=str(tmp_path),
        max_queue_size=1,
        max_spool_bytes=2000,
    )
    sid = client.create_session("n", "a", "u")
    for i in range(100):
        client.track_tool_call(sid, "t", {"i": i}, {})
    stats = client.stats()
    assert stats["dropped"].get("spool_full", 0) > 0
    assert stats["tracked"] == 101
    client.shutdown(0.5)


def test_fork_child_gets_a_fresh_worker(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    client = SentrialClient(
        api_key=sentrial_server.api_key,
        api_url=sentrial_server.url,
        spool_dir=str(tmp_path),
        flush_interval=30,
    )
    parent = client.create_session("parent", "agent", "u")
    client.track_tool_call(parent, "before_fork", {}, {})
    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            if client.stats()["queued"] == 0:
                child = client.create_session("child", "agent", "u")
                client.track_tool_call(child, "in_child", {}, {})
                client.complete_session(child)
                code = 0 if client.flush(10) else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    client.complete_session(parent)
    assert client.flush(10)
    sessions = {s["name"]: s for s in reader.sessions()}
    assert set(sessions) == {"parent", "child"}
    # The parent's queued event was sent once, by the parent.
    assert [e["toolName"] for e in reader.events(parent)] == ["before_fork"]
    assert [e["toolName"] for e in reader.events(sessions["child"]["id"])] == ["in_child"]
    client.shutdown(2)


def test_32_threads_at_once(make_client: MakeClient, reader: Reader) -> None:
    client = make_client()
    ids: list[str] = []
    lock = threading.Lock()

    def agent(n: int) -> None:
        made = _track_sessions(client, 3, 20)
        with lock:
            ids.extend(made)

    threads = [threading.Thread(target=agent, args=(n,)) for n in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert client.flush(60)
    assert client.stats()["sent"] == client.stats()["tracked"] == 32 * 3 * 22
    _assert_exactly_once_in_order(reader, ids, 20)


def test_1000_asyncio_tasks_at_once(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    async def scenario() -> list[str]:
        client = sentrial.AsyncSentrialClient(
            api_key=sentrial_server.api_key, api_url=sentrial_server.url, spool_dir=str(tmp_path)
        )

        async def agent(n: int) -> str:
            sid = await client.create_session(f"t{n}", "agent", "u")
            for e in range(5):
                await client.track_tool_call(sid, "step", {"n": e}, {})
                await asyncio.sleep(0)
            await client.complete_session(sid)
            return sid

        ids = await asyncio.gather(*(agent(n) for n in range(1000)))
        assert await client.flush(60)
        await client.shutdown()
        return list(ids)

    ids = asyncio.run(scenario())
    assert len(reader.sessions()) == 1000
    _assert_exactly_once_in_order(reader, ids[:50], 5)


def test_plain_sentrial_fallback_maps_server_ids(tmp_path: Path) -> None:
    plain = StandIn()
    with serve_app(plain.app()) as url:
        client = SentrialClient(api_key="k", api_url=url, spool_dir=str(tmp_path))
        ours = _track_sessions(client, 3, 4)
        assert client.flush(20), client.stats()
        stats = client.stats()
        client.shutdown(2)
    assert stats["sent"] == 3 * 6 and stats["dropped"] == {}
    assert "POST /api/sdk/sessions" in plain.paths()
    assert len(plain.sessions) == 3
    for theirs, session in plain.sessions.items():
        assert theirs.startswith("srv-") and theirs not in ours
        assert session["status"] == "completed"
        events = [e for e in plain.events if e["sessionId"] == theirs]
        assert [e["toolInput"]["n"] for e in events] == [0, 1, 2, 3]


def test_every_request_the_sdk_sends_validates_against_the_spec(
    sentrial_server: LocalServer, tmp_path: Path
) -> None:
    with FaultProxy(sentrial_server.url, {"ok": 1}) as proxy:
        client = SentrialClient(
            api_key=sentrial_server.api_key, api_url=proxy.url, spool_dir=str(tmp_path)
        )
        sid = client.create_session(
            "n",
            "a",
            "u",
            parent_session_id="sess_p",
            convo_id="c",
            metadata={"k": [1, {"x": None}]},
        )
        client.track_tool_call(
            sid,
            "t",
            "not a dict",
            [1, 2],
            reasoning="r",
            tool_error={"message": 5, "extra": True},
            trace_id="tr",
            span_id="sp",
            metadata={"m": 1},
            duration_ms=3,
        )
        client.track_decision(sid, "r", ("a", "b"), 0.5, token_count=3)
        client.track_error(sid, "e", "T", "tool", "stack")
        client.track_llm_call(
            sid,
            "m",
            provider="p",
            input={"a": 1},
            output=[1],
            prompt_tokens=1,
            completion_tokens=2,
            cached_tokens=0,
            error=RuntimeError("x"),
        )
        client.complete_session(sid, False, "why", 1.5, {"a": 1}, 10, 1, 2, 3, "in", "out")
        assert client.flush(10)
        sync = SentrialClient(api_key=sentrial_server.api_key, api_url=proxy.url, delivery="sync")
        sid2 = sync.create_session("n", "a", "u")
        sync.track_tool_call(sid2, "t", {}, {})
        sync.complete_session(sid2)
        client.shutdown(2)
    checked = Counter[str]()
    schemas = {
        "/api/sdk/sessions": "SessionCreate",
        "/api/sdk/events": "EventCreate",
        "/api/sdk/batch": "BatchRequest",
    }
    for method, path, body in proxy.requests:
        if method == "GET":  # the capability probe
            assert path == "/api/sdk/health" and body == b""
            checked["probe"] += 1
            continue
        document: Any = orjson.loads(body)
        schema = "SessionUpdate" if method == "PATCH" else schemas[path]
        _spec.component(schema).check(document)
        checked[schema] += 1
    assert checked["BatchRequest"] >= 1 and checked["SessionCreate"] == 1
    assert checked["EventCreate"] == 1 and checked["SessionUpdate"] == 1
    assert checked["probe"] == 2  # one per client, cached
    assert client.stats()["dropped"] == {}


def test_interpreter_shutdown_flushes(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    code = textwrap.dedent("""
        import sys, sentrial
        sentrial.configure(api_key=sys.argv[2], api_url=sys.argv[1], spool_dir=sys.argv[3])
        with sentrial.begin(user_id="u", event="atexit-agent", input="x") as i:
            i.track_tool_call("t", {}, {})
        # no flush: the exit hook delivers
    """)
    proc = subprocess.run(
        [sys.executable, "-c", code, sentrial_server.url, sentrial_server.api_key, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    (session,) = reader.sessions()
    assert session["agentName"] == "atexit-agent" and session["eventCount"] == 1


def test_tracking_while_the_spool_replays_loses_nothing(
    make_client: MakeClient, reader: Reader
) -> None:
    # A tiny queue: callers spill to disk while the worker is replaying from it.
    client = make_client(max_queue_size=100, batch_size=50)
    ids: list[str] = []
    lock = threading.Lock()

    def agent() -> None:
        made = _track_sessions(client, 5, 200)
        with lock:
            ids.extend(made)

    threads = [threading.Thread(target=agent) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert client.flush(60), client.stats()
    stats = client.stats()
    assert stats["spooled"] > 1000 and stats["replayed"] == stats["spooled"]
    assert stats["sent"] == stats["tracked"] == 4 * 5 * 202
    _assert_exactly_once_in_order(reader, ids, 200)


def test_threads_racing_to_start_share_one_engine(make_client: MakeClient, reader: Reader) -> None:
    lock = threading.Lock()
    engines: set[int] = set()

    def first_call(client: SentrialClient, barrier: threading.Barrier) -> None:
        barrier.wait()
        client.create_session("race", "race-agent", "u")
        with lock:
            engines.add(id(client._tracker._delivery))

    for _ in range(20):
        client = make_client()
        barrier = threading.Barrier(8)
        engines.clear()
        threads = [threading.Thread(target=first_call, args=(client, barrier)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(engines) == 1
        assert client.flush(10) and client.stats()["sent"] == 8
    assert len(reader.sessions(agentName="race-agent")) == 160
