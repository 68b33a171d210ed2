"""Delivery promises checked by what the server stored, each against a breakage
that the rest of the suite once let through: Retry-After honoured, a batch
split on 413, shutdown keeping what it could not send on disk, a forked child
with its own spool and connections, and exactly-once across a spool replay
(the operation re-encoded after the server had already stored it).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from sentrial import SentrialClient
from sentrial._server import LocalServer

from ._faults import FaultProxy
from .conftest import Reader

BATCH = ("POST", "/api/sdk/batch")


def _batch_ops(body: bytes) -> list[dict[str, Any]]:
    ops: list[dict[str, Any]] = orjson.loads(body)["operations"]
    return ops


def _event_ns(reader: Reader, sid: str) -> list[Any]:
    return [e["toolInput"]["n"] for e in reader.events(sid)]


def _client(url: str, key: str, spool: Path, **options: Any) -> SentrialClient:
    return SentrialClient(api_key=key, api_url=url, spool_dir=str(spool), **options)


def test_retry_after_from_the_server_sets_the_wait(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    # Without Retry-After the first retry waits uniform(0, 0.5) s; the server asks 1.5 s.
    with FaultProxy(sentrial_server.url, once={BATCH: 429}, retry_after="1.5") as proxy:
        client = _client(proxy.url, sentrial_server.api_key, tmp_path)
        sid = client.create_session("s", "agent", "u")
        client.track_tool_call(sid, "step", {"n": 0}, {})
        assert client.flush(20), client.stats()
        stats = client.stats()
        client.shutdown(2)
        batches = [i for i, (m, p, _) in enumerate(proxy.requests) if (m, p) == BATCH]
    assert proxy.counts["429"] == 1 and len(batches) == 2
    waited = proxy.received_at[batches[1]] - proxy.received_at[batches[0]]
    assert 1.5 <= waited < 3.0, waited
    assert stats["retried"] == 1 and stats["sent"] == stats["tracked"] == 2
    assert _event_ns(reader, sid) == [0]


def test_a_retry_is_logged_once_with_the_servers_answer(
    sentrial_server: LocalServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.INFO, logger="sentrial"),
        FaultProxy(sentrial_server.url, {"ok": 1}, seed=3) as proxy,
    ):
        client = _client(proxy.url, sentrial_server.api_key, tmp_path, batch_size=1)
        client.create_session("warm", "agent", "u")
        assert client.flush(10)
        proxy.once = {BATCH: 503}
        client.create_session("s1", "agent", "u")
        assert client.flush(20)
        proxy.once = {BATCH: 503}
        client.create_session("s2", "agent", "u")
        assert client.flush(20)
        stats = client.stats()
        client.shutdown(2)
    retries = [r.getMessage() for r in caplog.records if "will retry" in r.getMessage()]
    assert retries == ["sentrial: will retry: HTTP 503: fault proxy"]  # once per status
    assert stats["retried"] == 2 and stats["sent"] == 3


def test_a_batch_answered_413_is_split_in_halves(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    with FaultProxy(sentrial_server.url, once={BATCH: 413}) as proxy:
        client = _client(proxy.url, sentrial_server.api_key, tmp_path, flush_interval=30)
        sid = client.create_session("s", "agent", "u")
        for n in range(9):
            client.track_tool_call(sid, "step", {"n": n}, {})
        assert client.flush(20), client.stats()
        stats = client.stats()
        client.shutdown(2)
    sizes = [len(_batch_ops(body)) for m, p, body in proxy.requests if (m, p) == BATCH]
    assert sizes == [10, 5, 5]
    assert proxy.counts["413"] == 1
    assert stats["sent"] == stats["tracked"] == 10 and stats["dropped"] == {}
    assert stats["retried"] == 0
    assert _event_ns(reader, sid) == list(range(9))


def test_shutdown_keeps_what_it_could_not_send_on_disk(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    with FaultProxy(sentrial_server.url, {"stall": 1}, stall_seconds=30) as proxy:
        client = _client(proxy.url, sentrial_server.api_key, tmp_path, request_timeout=5)
        sid = client.create_session("s", "agent", "u")
        for n in range(300):
            client.track_tool_call(sid, "step", {"n": n}, {})
        client.complete_session(sid)
        assert client.shutdown(timeout=1) is False
        stats = client.stats()
    assert stats["tracked"] == 302 and stats["sent"] == 0 and stats["dropped"] == {}
    assert stats["spooled"] == 302
    assert reader.sessions() == []
    # A later process with the same URL and key delivers all of it, once.
    again = _client(proxy.url, sentrial_server.api_key, tmp_path)
    with FaultProxy(sentrial_server.url, {"ok": 1}, port=proxy.port):
        again.create_session("trigger", "agent", "u")
        assert again.flush(30), again.stats()
        assert again.stats()["replayed"] == 302
        again.shutdown(2)
    assert _event_ns(reader, sid) == list(range(300))
    assert reader.session(sid)["status"] == "completed"
    assert not list(tmp_path.rglob("*.spool"))


@pytest.mark.parametrize("attempt", range(3))
def test_a_quick_shutdown_keeps_the_batch_being_handed_over(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path, attempt: int
) -> None:
    # The sender is stuck in a request with one batch, the next waits in the
    # hand-off, and the delivery thread holds a third, retrying the hand-off
    # every 0.1 s. A shutdown shorter than that must still keep the third on
    # disk (it once went nowhere: neither queued, nor handed over, nor sent).
    with FaultProxy(sentrial_server.url, {"stall": 1}, stall_seconds=30) as proxy:
        client = _client(
            proxy.url, sentrial_server.api_key, tmp_path, request_timeout=5, batch_size=20
        )
        sid = client.create_session("s", "agent", "u")
        for n in range(99):
            client.track_tool_call(sid, "step", {"n": n}, {})
        time.sleep(0.3)  # the three batches are where the comment says
        client.shutdown(timeout=0.05)
        stats = client.stats()
    assert stats["tracked"] == 100 and stats["spooled"] == 100 and stats["dropped"] == {}
    again = _client(proxy.url, sentrial_server.api_key, tmp_path)
    with FaultProxy(sentrial_server.url, {"ok": 1}, port=proxy.port):
        again.create_session("trigger", "agent", "u")
        assert again.flush(30), again.stats()
        again.shutdown(2)
    assert _event_ns(reader, sid) == list(range(99))


def test_replay_of_operations_the_server_already_stored_adds_nothing(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    # The server stores every batch, the client never hears back: at exit all of
    # it goes to disk, and the next process re-encodes it from the spool.
    with FaultProxy(sentrial_server.url, {"ok": 1}) as proxy:
        client = _client(
            proxy.url, sentrial_server.api_key, tmp_path, request_timeout=2, batch_size=50
        )
        client.create_session("warm", "agent", "u")
        assert client.flush(10)  # the server's capabilities are known
        proxy.weights = {"drop_after_forward": 1}
        sid = client.create_session("s", "agent", "u")
        for n in range(20):
            client.track_tool_call(sid, "step", {"n": n}, {"ok": n})
        client.complete_session(sid, success=True)
        assert client.shutdown(timeout=1.5) is False
        assert proxy.counts["drop_after_forward"] >= 1
    first = reader.events(sid)
    assert [e["toolInput"]["n"] for e in first] == list(range(20))
    assert client.stats()["spooled"] == 22
    # The same URL and key (the spool directory is theirs), the API answering now.
    again = _client(proxy.url, sentrial_server.api_key, tmp_path)
    with FaultProxy(sentrial_server.url, {"ok": 1}, port=proxy.port):
        again.create_session("trigger", "agent", "u")
        assert again.flush(30), again.stats()
        assert again.stats()["replayed"] == 22 and again.stats()["sent"] == 23, again.stats()
        again.shutdown(2)
    after = reader.events(sid)
    assert [e["id"] for e in after] == [e["id"] for e in first]
    assert len(after) == 20 and reader.session(sid)["eventCount"] == 20


def _fork_child(client: SentrialClient, results: Path) -> int:
    """In a forked child: one session of three operations; its stats to ``results``."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            child = client.create_session("child", "agent", "u")
            client.track_tool_call(child, "in_child", {}, {})
            client.complete_session(child)
            delivered = client.flush(20)
            results.write_bytes(orjson.dumps({"ok": delivered, **client.stats()}))
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_fork_child_leaves_the_parents_spool_alone(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    results = tmp_path / "child.json"
    with FaultProxy(sentrial_server.url, {"ok": 1}) as proxy:
        client = _client(
            proxy.url, sentrial_server.api_key, tmp_path / "spool", max_queue_size=5, batch_size=5
        )
        warm = client.create_session("warm", "agent", "u")
        assert client.flush(10)
        proxy.weights = {"503": 1}  # the API fails: the parent spills to its spool
        parent = client.create_session("parent", "agent", "u")
        for n in range(40):
            client.track_tool_call(parent, "step", {"n": n}, {})
        deadline = time.monotonic() + 10  # the delivery thread writes the spool's buffer
        while not list((tmp_path / "spool").rglob("*.spool")) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert client.stats()["spooled"] > 0 and client.stats()["sent"] == 1
        proxy.weights = {"ok": 1}
        assert _fork_child(client, results) == 0
        child_stats = orjson.loads(results.read_bytes())
        client.complete_session(parent)
        client.complete_session(warm)
        assert client.flush(30), client.stats()
        client.shutdown(2)
    # The child sent its own three operations, none of the parent's spool.
    assert child_stats["ok"] is True
    assert child_stats["tracked"] == child_stats["sent"] == 3
    assert child_stats["replayed"] == 0 and child_stats["dropped"] == {}
    sessions = {s["name"]: s for s in reader.sessions()}
    assert set(sessions) == {"warm", "parent", "child"}
    assert _event_ns(reader, parent) == list(range(40))
    assert [e["toolName"] for e in reader.events(sessions["child"]["id"])] == ["in_child"]


def test_fork_child_opens_its_own_connections(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    results = tmp_path / "child.json"
    with FaultProxy(sentrial_server.url, {"ok": 1}) as proxy:
        client = _client(proxy.url, sentrial_server.api_key, tmp_path / "spool")
        parent = client.create_session("parent", "agent", "u")
        assert client.flush(10)  # idle now, its connection kept alive in the pool
        parent_ports = set(proxy.client_ports)
        seen = len(proxy.requests)
        assert _fork_child(client, results) == 0
        child_ports = set(proxy.client_ports[seen:])
        child_bodies = [body for _, _, body in proxy.requests[seen:]]
        client.complete_session(parent)
        assert client.flush(10)
        client.shutdown(2)
    assert orjson.loads(results.read_bytes())["sent"] == 3
    assert any(b"in_child" in body for body in child_bodies)
    # A shared pool would put the child's requests on the parent's socket.
    assert child_ports and not child_ports & parent_ports, (child_ports, parent_ports)
    assert {s["name"] for s in reader.sessions()} == {"parent", "child"}
