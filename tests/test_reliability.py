"""Delivery that loses nothing and never gets stuck.

Each test breaks something for real (a poison operation, a deleted or
unwritable spool, unreadable spool lines, a hung API at exit, children of
multiprocessing, a missing optional package) and checks exact counts: every
operation is stored exactly once, or is in the dead-letter file with its
reason.
"""

from __future__ import annotations

import multiprocessing
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

import sentrial
from sentrial import SentrialClient
from sentrial._delivery._dead_letter import DeadLetter
from sentrial._delivery._policy import parse_retry_after
from sentrial._delivery._spool import spool_directory
from sentrial._operation import Operation
from sentrial._server import LocalServer

from ._faults import FaultProxy, serve_app
from ._standins import Behaviour, StandIn
from .conftest import Reader


def _sessions(client: SentrialClient, sessions: int, events: int, poison_at: int = -1) -> list[str]:
    ids = []
    for s in range(sessions):
        sid = client.create_session(f"s{s}", "agent", "u")
        for e in range(events):
            value: Any = "POISON" if s * events + e == poison_at else e
            client.track_tool_call(sid, "step", {"n": value}, {})
        client.complete_session(sid)
        ids.append(sid)
    return ids


def _dead_letters(client: SentrialClient) -> list[dict[str, Any]]:
    return DeadLetter(spool_directory(client.config), 1 << 30).entries()


def _stored_ns(reader: Reader, sid: str) -> list[Any]:
    return [e["toolInput"]["n"] for e in reader.events(sid)]


def test_poison_operation_does_not_block_the_rest(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    with FaultProxy(sentrial_server.url, poison=b"POISON") as proxy:
        client = SentrialClient(
            api_key=sentrial_server.api_key,
            api_url=proxy.url,
            spool_dir=str(tmp_path),
            batch_size=40,
        )
        ids = _sessions(client, 6, 10, poison_at=23)  # session 2's 4th event
        assert client.flush(90) is False  # one operation was not delivered
        stats = client.stats()
        assert client.flush(5) is True  # and nothing since
        client.shutdown(2)
    assert stats["dead_lettered"] == {"poison_500": 1} and stats["dropped"] == {}
    assert stats["sent"] == stats["tracked"] - 1 == 6 * 12 - 1
    for s, sid in enumerate(ids):
        expected = [e for e in range(10) if s * 10 + e != 23]
        assert _stored_ns(reader, sid) == expected
        assert reader.session(sid)["status"] == "completed"
    (entry,) = _dead_letters(client)
    assert entry["reason"] == "poison_500"
    assert entry["op"][0] == "create_event" and entry["op"][1] == ids[2]
    assert entry["op"][2]["tool_input"] == {"n": "POISON"}


def test_poison_operation_on_a_plain_server_blocks_only_its_session(tmp_path: Path) -> None:
    standin = StandIn(Behaviour(poison=b"POISON"))
    with serve_app(standin.app()) as url:
        client = SentrialClient(api_key="k", api_url=url, spool_dir=str(tmp_path))
        _sessions(client, 4, 5, poison_at=7)
        assert client.flush(90) is False
        stats = client.stats()
        client.shutdown(2)
    assert stats["dead_lettered"] == {"poison_500": 1}
    assert stats["sent"] == 4 * 7 - 1
    for session in standin.sessions.values():
        s = int(session["name"][1:])
        assert session["status"] == "completed"
        ns = [e["toolInput"]["n"] for e in standin.events_of(session["id"])]
        assert ns == [e for e in range(5) if s * 5 + e != 7]


def test_an_outage_behind_a_live_router_dead_letters_nothing(tmp_path: Path) -> None:
    # The hosted API has no health check: its router answers 404 there while
    # the backend is down and every operation gets a 503. That is an outage,
    # not a poison operation: everything waits and goes through afterwards.
    standin = StandIn(Behaviour(faults=[(503, "0")] * 40))
    with serve_app(standin.app()) as url:
        client = SentrialClient(api_key="k", api_url=url, spool_dir=str(tmp_path))
        _sessions(client, 2, 3)
        assert client.flush(60) is True, client.stats()
        stats = client.stats()
        client.shutdown(2)
    assert standin.behaviour.faults == []  # all 40 were answered
    assert stats["dead_lettered"] == {} and stats["dropped"] == {}
    assert stats["sent"] == stats["tracked"] == 2 * 5
    for session in standin.sessions.values():
        assert session["status"] == "completed"
        assert [e["toolInput"]["n"] for e in standin.events_of(session["id"])] == [0, 1, 2]


def test_a_503_poison_is_told_from_an_outage_by_the_operations_that_pass(
    tmp_path: Path,
) -> None:
    # One body is answered 503 every time by a server without a health check,
    # while another session's operations keep going through between its
    # tries: that is evidence against this operation, so it is dead-lettered.
    standin = StandIn(Behaviour(poison=b"POISON", poison_status=503))
    with serve_app(standin.app()) as url:
        client = SentrialClient(api_key="k", api_url=url, spool_dir=str(tmp_path))
        _sessions(client, 1, 3, poison_at=1)
        busy = client.create_session("busy", "agent", "u")
        n = 0
        while not client.stats()["dead_lettered"] and n < 2000:
            client.track_tool_call(busy, "step", {"n": n}, {})
            n += 1
            time.sleep(0.01)
        client.complete_session(busy)
        assert client.flush(30) is False  # the poison operation is not delivered
        stats = client.stats()
        client.shutdown(2)
    assert stats["dead_lettered"] == {"poison_503": 1} and stats["dropped"] == {}
    assert stats["sent"] == stats["tracked"] - 1
    by_name = {session["name"]: session for session in standin.sessions.values()}
    assert [e["toolInput"]["n"] for e in standin.events_of(by_name["s0"]["id"])] == [0, 2]
    assert len(standin.events_of(by_name["busy"]["id"])) == n


def test_dead_letters_can_be_sent_again(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    wrong = SentrialClient(api_key="wrong", api_url=sentrial_server.url, spool_dir=str(tmp_path))
    # Same spool directory as the right key's client would use? No: keyed by
    # URL and key. Dead letters are read back with the same configuration.
    sid = wrong.create_session("n", "a", "u")
    wrong.track_tool_call(sid, "t", {"n": 1}, {})
    assert wrong.flush(20) is False
    assert wrong.stats()["dead_lettered"] == {"unauthorized": 2}
    wrong.shutdown(2)
    taken = DeadLetter(spool_directory(wrong.config), 1 << 30).take()
    ops = taken.ops
    assert [op.kind for op in ops] == ["create_session", "create_event"]
    right = SentrialClient(
        api_key=sentrial_server.api_key, api_url=sentrial_server.url, spool_dir=str(tmp_path)
    )
    delivery = right._tracker.delivery
    for op in ops:
        delivery.submit(op)
    assert right.flush(20) is True
    right.shutdown(2)
    assert taken.release() == 0  # delivered: the dead letters can go
    assert DeadLetter(spool_directory(wrong.config), 1 << 30).entries() == []
    assert _stored_ns(reader, sid) == [1]


def test_unreadable_spool_lines_are_set_aside(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    config = SentrialClient(
        api_key=sentrial_server.api_key, api_url=sentrial_server.url, spool_dir=str(tmp_path)
    ).config
    directory = spool_directory(config)
    directory.mkdir(parents=True)
    now = time.time_ns()
    good = [
        Operation(
            "create_session",
            "sess_spooled",
            {"name": "n", "agent_name": "a", "user_id": "u", "started_at": now},
        ),
        Operation(
            "create_event",
            "sess_spooled",
            {"id": "evt_spooled1", "event_type": "tool_call", "tool_name": "t", "timestamp": now},
        ),
        Operation("update_session", "sess_spooled", {"status": "completed", "success": True}),
    ]
    lines = [
        good[0].to_record(),
        b"this is not json",
        b"[1, 2]",
        good[1].to_record(),
        b'["create_event", 5, {}]',
        good[2].to_record(),
    ]
    (directory / "0000000000000000001-1-abc.spool").write_bytes(b"\n".join(lines) + b"\n")
    client = SentrialClient(
        api_key=sentrial_server.api_key, api_url=sentrial_server.url, spool_dir=str(tmp_path)
    )
    client._tracker.delivery.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and client.stats()["replayed"] < 3:
        time.sleep(0.05)
    later = client.create_session("later", "a", "u")  # the thread is alive
    assert client.flush(20) is False  # three lines were not delivered
    stats = client.stats()
    client.shutdown(2)
    assert stats["dead_lettered"] == {"unreadable_spool_line": 3}
    assert stats["sent"] == 4 and stats["replayed"] == 3
    assert reader.session("sess_spooled")["status"] == "completed"
    assert [e["id"] for e in reader.events("sess_spooled")] == ["evt_spooled1"]
    assert reader.session(later)["name"] == "later"
    raw = [e["line"] for e in _dead_letters(client)]
    assert raw == ["this is not json", "[1, 2]", '["create_event", 5, {}]']


def test_deleted_spool_directory_loses_nothing(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    with FaultProxy(sentrial_server.url) as proxy:
        proxy.stop()  # the API is down: the queue spills to disk
        client = SentrialClient(
            api_key=sentrial_server.api_key,
            api_url=proxy.url,
            spool_dir=str(tmp_path),
            max_queue_size=20,
            batch_size=10,
        )
        first = _sessions(client, 3, 30)
        assert client.stats()["spool_pending"] > 50
        # Someone cleans the cache meanwhile. The delivery thread may write a new
        # segment while the tree is being removed (rmtree then finds the
        # directory not empty): that race is part of what is tested, not an error.
        shutil.rmtree(tmp_path, ignore_errors=True)
        second = _sessions(client, 2, 10)
        proxy.start()
        assert client.flush(60) is True, client.stats()
        stats = client.stats()
        client.shutdown(2)
    assert stats["sent"] == stats["tracked"] == 3 * 32 + 2 * 12
    for sid in first:
        assert _stored_ns(reader, sid) == list(range(30))
    for sid in second:
        assert _stored_ns(reader, sid) == list(range(10))


_FILE_SIZE_LIMIT = """
import resource, signal, sys, orjson
import sentrial
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (6000, 6000))
client = sentrial.SentrialClient(api_key=sys.argv[2], api_url=sys.argv[1], spool_dir=sys.argv[3],
                                 max_queue_size=10, batch_size=5)
ids = []
for s in range(4):
    sid = client.create_session(f"s{s}", "agent", "u")
    for e in range(25):
        client.track_tool_call(sid, "step", {"n": e, "pad": "x" * 100}, {})
    client.complete_session(sid)
    ids.append(sid)
print(orjson.dumps({"ids": ids, "stats": client.stats()}).decode(), flush=True)
sys.stdin.readline()  # the API is up now
ok = client.flush(60)
print(orjson.dumps({"flushed": ok, "stats": client.stats()}).decode(), flush=True)
"""


def test_file_too_large_loses_nothing(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    with FaultProxy(sentrial_server.url) as proxy:
        proxy.stop()
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _FILE_SIZE_LIMIT,
                proxy.url,
                sentrial_server.api_key,
                str(tmp_path),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None and child.stdin is not None
        before = orjson.loads(child.stdout.readline())
        assert before["stats"]["spool_pending"] > 60  # spilled across several segments
        proxy.start()
        child.stdin.write("go\n")
        child.stdin.flush()
        after = orjson.loads(child.stdout.readline())
        child.communicate(timeout=30)
    assert after["flushed"] is True, str(after)
    assert after["stats"]["sent"] == 4 * 27 and after["stats"]["dropped"] == {}
    for sid in before["ids"]:
        assert _stored_ns(reader, sid) == list(range(25))


_EXIT_WHILE_HUNG = """
import sys, time
import sentrial
client = sentrial.SentrialClient(api_key="k", api_url=sys.argv[1], spool_dir=sys.argv[2],
                                 shutdown_timeout=1.5, request_timeout=30, batch_size=10,
                                 flush_interval=0.01)
sid = client.create_session("n", "a", "u")
for i in range(100):
    client.track_tool_call(sid, "t", {"i": i}, {})
time.sleep(0.5)  # the sender is stuck in a request, the next batches wait behind it
print(time.perf_counter(), flush=True)
"""


def test_exit_while_the_api_hangs_saves_everything_in_time(
    sentrial_server: LocalServer, tmp_path: Path
) -> None:
    with FaultProxy(sentrial_server.url, {"stall": 1}, stall_seconds=60) as proxy:
        proc = subprocess.run(
            [sys.executable, "-c", _EXIT_WHILE_HUNG, proxy.url, str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        end = time.perf_counter()
    assert proc.returncode == 0, proc.stderr
    assert end - float(proc.stdout.strip()) < 1.5 + 1.0  # the timeout, plus teardown
    spooled = b"".join(p.read_bytes() for p in tmp_path.rglob("*.spool")).splitlines()
    events = sorted(orjson.loads(line)[2]["tool_input"]["i"] for line in spooled[1:])
    assert len(spooled) == 101 and events == list(range(100))


_SPILL_THEN_EXIT = """
import sys
import sentrial
client = sentrial.SentrialClient(api_key=sys.argv[2], api_url=sys.argv[1], spool_dir=sys.argv[3],
                                 shutdown_timeout=0.5, max_queue_size=25, batch_size=10)
for s in range(3):
    sid = client.create_session(f"s{s}", "agent", "u")
    for e in range(30):
        client.track_tool_call(sid, "t", {"n": e}, {})
    client.complete_session(sid)
    print(sid, flush=True)
"""


def _offline_then_replay(
    server: LocalServer, spool: Path, script: str, returncode: int, operations: int
) -> tuple[list[str], dict[str, Any]]:
    """Run ``script`` (argv: URL, key, spool dir) while the API is down, then
    replay what it left with the API up; returns the session ids it printed
    and the replaying client's stats."""
    with FaultProxy(server.url) as proxy:
        proxy.stop()
        first = subprocess.run(
            [sys.executable, "-c", script, proxy.url, server.api_key, str(spool)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert first.returncode == returncode, first.stderr
        proxy.start()
        client = SentrialClient(api_key=server.api_key, api_url=proxy.url, spool_dir=str(spool))
        client._tracker.delivery.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and client.stats()["sent"] < operations:
            client.flush(1)
        assert client.flush(10) is True
        stats = client.stats()
        client.shutdown(2)
    return first.stdout.split(), stats


def test_exit_with_a_spilled_queue_replays_creates_first(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    ids, stats = _offline_then_replay(sentrial_server, tmp_path, _SPILL_THEN_EXIT, 0, 96)
    assert stats["replayed"] == 96 and stats["sent"] == 96, stats
    for sid in ids:
        assert _stored_ns(reader, sid) == list(range(30))
        assert reader.session(sid)["status"] == "completed"


def test_retry_after_that_is_not_a_delay_falls_back_to_backoff(tmp_path: Path) -> None:
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-3") is None
    assert parse_retry_after("Wed, 99 Foo 2015") is None
    assert parse_retry_after("2.5") == 2.5
    standin = StandIn(Behaviour(faults=[(429, "soon"), (503, "Wed, 99 Foo 2015")]))
    with serve_app(standin.app()) as url:
        client = SentrialClient(api_key="k", api_url=url, spool_dir=str(tmp_path))
        _sessions(client, 2, 3)
        assert client.flush(30) is True
        stats = client.stats()
        client.shutdown(2)
    assert stats["sent"] == 10 and stats["retried"] == 2 and stats["dead_lettered"] == {}


class _FlakyBatchServer:
    """A server with batches and client ids whose answer fails the items
    carrying ``FLAKY`` with 503, twice, then stores them."""

    def __init__(self) -> None:
        self.stored: dict[str, dict[str, Any]] = {}
        self.batches: list[float] = []
        self.flaky_left = 2

    def app(self) -> Any:
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        async def health(request: Request) -> JSONResponse:
            return JSONResponse({"status": "ok", "capabilities": ["batch", "client_ids"]})

        async def batch(request: Request) -> JSONResponse:
            self.batches.append(time.monotonic())
            operations = orjson.loads(await request.body())["operations"]
            flaky = any(b"FLAKY" in orjson.dumps(op) for op in operations)
            results = []
            for index, op in enumerate(operations):
                if flaky and self.flaky_left and b"FLAKY" in orjson.dumps(op):
                    results.append({"index": index, "status": 503, "message": "busy"})
                    continue
                body = op["body"]
                key = body.get("id") or op.get("sessionId")
                self.stored.setdefault(f"{op['op']}:{key}", body)
                results.append({"index": index, "status": 200, "id": body.get("id")})
            if flaky and self.flaky_left:
                self.flaky_left -= 1
            return JSONResponse({"results": results})

        return Starlette(
            routes=[
                Route("/api/sdk/health", health),
                Route("/api/sdk/batch", batch, methods=["POST"]),
            ]
        )


def test_item_level_503_is_retried_with_backoff_and_counted(tmp_path: Path) -> None:
    server = _FlakyBatchServer()
    with serve_app(server.app()) as url:
        client = SentrialClient(api_key="k", api_url=url, spool_dir=str(tmp_path))
        sid = client.create_session("n", "a", "u")
        client.track_tool_call(sid, "t", {"n": "FLAKY"}, {})
        client.track_tool_call(sid, "t", {"n": 2}, {})
        assert client.flush(30) is True
        stats = client.stats()
        client.shutdown(2)
    assert stats["retried"] == 2 and stats["sent"] == 3
    assert len(server.batches) == 3  # the first, then one retry per 503
    assert len(server.stored) == 3


def test_flush_tells_the_truth_when_everything_was_refused(
    sentrial_server: LocalServer, tmp_path: Path
) -> None:
    client = SentrialClient(api_key="wrong", api_url=sentrial_server.url, spool_dir=str(tmp_path))
    _sessions(client, 1, 2)
    time.sleep(1.0)  # refused in the background before flush is even called
    assert client.flush(20) is False
    client.shutdown(2)
    stats = client.stats()  # still readable after shutdown
    assert stats["dead_lettered"] == {"unauthorized": 4} and stats["tracked"] == 4


def _child(url: str, key: str, spool: str, n: int) -> None:
    client = sentrial.SentrialClient(api_key=key, api_url=url, spool_dir=spool)
    sid = client.create_session(f"child-{n}", "mp-agent", "u")
    client.track_tool_call(sid, "t", {"n": n}, {})
    client.complete_session(sid)
    # no flush: the process ends through multiprocessing's exit path


@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
def test_multiprocessing_children_deliver_at_exit(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path, method: str
) -> None:
    context: Any = multiprocessing.get_context(method)
    children = [
        context.Process(
            target=_child, args=(sentrial_server.url, sentrial_server.api_key, str(tmp_path), n)
        )
        for n in range(5)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
        assert child.exitcode == 0
    stored = sorted(s["name"] for s in reader.sessions(agentName="mp-agent"))
    assert stored == [f"child-{n}" for n in range(5)]


_NO_GENAI_PRICES = """
import sys
sys.modules["genai_prices"] = None  # as if the package were not installed
import sentrial
client = sentrial.SentrialClient(api_key=sys.argv[2], api_url=sys.argv[1], spool_dir=sys.argv[3])
sid = client.create_session("no-prices", "agent", "u")
client.track_llm_call(sid, "gpt-4o", provider="openai", prompt_tokens=10, completion_tokens=5)
client.track_tool_call(sid, "after", {}, {})
client.complete_session(sid)
assert client.flush(20), client.stats()
assert client.stats()["sent"] == 4, client.stats()
print(sid)
"""


def test_missing_genai_prices_never_breaks_delivery(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _NO_GENAI_PRICES,
            sentrial_server.url,
            sentrial_server.api_key,
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    sid = proc.stdout.strip()
    events = reader.events(sid)
    assert [e["eventType"] for e in events] == ["llm_call", "tool_call"]
    assert events[0]["promptTokens"] == 10 and events[0].get("estimatedCost") is None
    assert reader.session(sid)["status"] == "completed"


def test_wrong_url_is_named_once_at_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    client = SentrialClient(api_key="k", api_url="http://127.0.0.1:9", spool_dir=str(tmp_path))
    for _ in range(3):
        client.create_session("n", "a", "u")
    client.flush(1.5)
    client.shutdown(0.5)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    unreachable = [m for m in warnings if "cannot reach http://127.0.0.1:9" in m]
    assert len(unreachable) == 1


_KILLED_DURING_OUTAGE = """
import os, signal, sys, time
import sentrial
client = sentrial.SentrialClient(api_key=sys.argv[2], api_url=sys.argv[1], spool_dir=sys.argv[3],
                                 max_queue_size=20, batch_size=10, flush_interval=0.05)
for s in range(4):
    sid = client.create_session(f"s{s}", "agent", "u")
    print(sid, flush=True)
    for e in range(30):
        client.track_tool_call(sid, "t", {"n": e}, {})
        if s == 0 and e == 5:
            time.sleep(0.3)  # the first batches are taken (in flight) before the queue spills
    client.complete_session(sid)
time.sleep(0.3)
os.kill(os.getpid(), signal.SIGKILL)  # no exit hook, no flush: only what is on disk survives
"""


def test_sigkill_during_an_outage_then_replay(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    ids, stats = _offline_then_replay(sentrial_server, tmp_path, _KILLED_DURING_OUTAGE, -9, 128)
    assert stats["dead_lettered"] == {} and stats["dropped"] == {}, stats
    for sid in ids:
        assert _stored_ns(reader, sid) == list(range(30))
        assert reader.session(sid)["status"] == "completed"


def test_an_operation_that_cannot_be_encoded_is_isolated(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    client = SentrialClient(
        api_key=sentrial_server.api_key, api_url=sentrial_server.url, spool_dir=str(tmp_path)
    )
    sid = client.create_session("n", "a", "u")
    for n in range(10):
        client.track_tool_call(sid, "t", {"n": n}, {})
        if n == 4:  # a bug of ours, say: a value no encoder knows
            broken = {"event_type": "tool_call", "tool_name": object(), "id": "evt_broken"}
            client._tracker.delivery.submit(Operation("create_event", sid, broken))
    client.complete_session(sid)
    assert client.flush(60) is False
    stats = client.stats()
    client.shutdown(2)
    assert stats["dead_lettered"] == {"internal_error": 1} and stats["sent"] == 12
    assert _stored_ns(reader, sid) == list(range(10))
    (entry,) = _dead_letters(client)
    assert entry["reason"] == "internal_error" and entry["op"][2]["id"] == "'evt_broken'"


_PEEKS_AT_HTTPX = """
import sys, threading, time
import sentrial
client = sentrial.SentrialClient(api_key=sys.argv[3], api_url=sys.argv[1], spool_dir=sys.argv[2])
# The host app from here on: its libraries may look at sys.modules["httpx"] at any
# moment (openai's client does, to accept that module's Response type too).
seen = set()
def peek():
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        module = sys.modules.get("httpx")
        seen.add("absent" if module is None else
                 "complete" if hasattr(module, "Response") else "half-imported")
peeker = threading.Thread(target=peek)
peeker.start()
client.track_tool_call(client.create_session("s", "peek", "u"), "search", {"q": 1})
peeker.join()
print(sorted(seen), client.flush(10))
client.shutdown(5)
"""


def test_the_delivery_thread_never_half_imports_httpx_under_the_app(
    sentrial_server: LocalServer, tmp_path: Path
) -> None:
    """A library of the host app looking at sys.modules["httpx"] never finds it
    half-imported by our delivery thread (reproduced with AutoGen's OpenAI
    client: "partially initialized module 'httpx' has no attribute 'Response'"):
    the client imports it on the caller's thread when it is made."""
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            _PEEKS_AT_HTTPX,
            sentrial_server.url,
            str(tmp_path),
            sentrial_server.api_key,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert out.split() == ["['complete']", "True"]
