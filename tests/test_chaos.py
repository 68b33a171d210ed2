"""Chaos: 10,000+ events through a proxy that fails in every way a network can.

Seeded faults: 5xx, 429 with Retry-After, connection resets, requests that
reach the server but whose answer is lost, answers slower than the client's
timeout, and the proxy killed and restarted mid-run. Everything must arrive
exactly once, in order, with the right totals, and the callers must never wait
on the network.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from sentrial import SentrialClient
from sentrial._server import LocalServer

from ._faults import FaultProxy
from .conftest import Reader

THREADS = 4
SESSIONS_PER_THREAD = 50
EVENTS_PER_SESSION = 50
COST = 0.001
FAULTS = {
    "ok": 0.62,
    "500": 0.04,
    "502": 0.04,
    "503": 0.04,
    "429": 0.06,
    "reset": 0.07,
    "drop_after_forward": 0.08,
    "stall": 0.05,
}


@pytest.mark.timeout(240)
def test_chaos(sentrial_server: LocalServer, reader: Reader, tmp_path: Path) -> None:
    proxy = FaultProxy(sentrial_server.url, FAULTS, seed=20261126, stall_seconds=1.5).start()
    client = SentrialClient(
        api_key=sentrial_server.api_key,
        api_url=proxy.url,
        spool_dir=str(tmp_path),
        request_timeout=1.0,
        batch_size=50,
        max_queue_size=2000,
    )
    sessions: list[str] = []
    slowest: list[float] = []
    lock = threading.Lock()

    def agent(worker: int) -> None:
        worst = 0.0
        mine = []
        for s in range(SESSIONS_PER_THREAD):
            start = time.perf_counter()
            sid = client.create_session(f"w{worker}-s{s}", "chaos-agent", f"user{worker}")
            worst = max(worst, time.perf_counter() - start)
            for e in range(EVENTS_PER_SESSION):
                start = time.perf_counter()
                client.track_tool_call(sid, "step", {"n": e}, {"ok": True}, estimated_cost=COST)
                worst = max(worst, time.perf_counter() - start)
            start = time.perf_counter()
            client.complete_session(sid, success=True)
            worst = max(worst, time.perf_counter() - start)
            mine.append(sid)
        with lock:
            sessions.extend(mine)
            slowest.append(worst)

    threads = [threading.Thread(target=agent, args=(w,)) for w in range(THREADS)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    proxy.stop()  # the API disappears mid-run...
    time.sleep(0.7)
    proxy.start()  # ...and comes back on the same port
    for t in threads:
        t.join()

    assert client.flush(180), client.stats()
    stats = client.stats()
    client.shutdown(5)
    proxy.stop()

    # Every kind of fault really happened.
    assert all(proxy.counts[fault] > 0 for fault in FAULTS), proxy.counts
    # Callers never waited on the network: a blocked call would take at least
    # the 1 s request timeout (or the 1.5 s stall).
    assert max(slowest) < 1.0, slowest

    total_events = THREADS * SESSIONS_PER_THREAD * EVENTS_PER_SESSION
    assert total_events >= 10_000
    stored = reader.sessions(agentName="chaos-agent")
    assert sorted(s["id"] for s in stored) == sorted(sessions)
    for session in stored:
        assert session["status"] == "completed" and session["success"] is True
        assert session["eventCount"] == EVENTS_PER_SESSION
        assert session["estimatedCost"] == pytest.approx(EVENTS_PER_SESSION * COST)
    for sid in sessions[:: max(1, len(sessions) // 40)]:  # order, checked on a sample
        events = reader.events(sid)
        assert [e["toolInput"]["n"] for e in events] == list(range(EVENTS_PER_SESSION))
        assert len({e["id"] for e in events}) == EVENTS_PER_SESSION

    # The client's accounting matches what the server holds.
    operations = total_events + 2 * len(sessions)
    assert stats["tracked"] == stats["sent"] == operations
    assert stats["dropped"] == {} and stats["retried"] > 0
    server_events = sum(s["eventCount"] for s in stored)
    assert server_events == total_events
