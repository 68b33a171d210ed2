"""``viewer_ms``: the viewer's pages with 1,000,000 events stored.

The store (51,000 sessions over 5 agents, each finished with a duration
and a cost: 1,000 of 500 events and 50,000 of 10) is written through the storage layer in
this process, then ``sentrial serve`` reads it in its own process. Over
HTTP: the p95 time of the sessions list page (``/``) and of a 500-event
session page, one request at a time; then the p95 of ``GET
/api/sdk/health`` while another process loads both pages without pause,
against its p95 on the idle server measured in the same run (the baseline:
pages must not stall the event loop).
"""

from __future__ import annotations

import multiprocessing
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench._common import server_process

SESSIONS = 51_000  # every 51st has 500 events, the others 10: 1,000,000 events
LONG_EVERY = 51
LONG_EVENTS = 500
SHORT_EVENTS = 10
AGENTS = 5
START = datetime(2026, 1, 1, tzinfo=UTC)


def _long_session(k: int, sessions: int) -> str:
    """The id of a 500-event session (the ``k``-th, wrapping)."""
    return f"sess_view{k * LONG_EVERY % sessions // LONG_EVERY * LONG_EVERY}"


def _fill(path: str, sessions: int) -> int:
    from sentrial._server._storage import Storage

    storage = Storage(path)
    event = {"eventType": "tool_call", "toolName": "search", "timestamp": "2026-01-01T00:00:00Z"}
    stored = 0
    ops: list[tuple[str, str | None, dict[str, Any]]] = []

    def flush() -> None:
        results = storage.apply_batch(ops)
        assert all(isinstance(r, str) for r in results), results[:3]
        ops.clear()

    try:
        for s in range(sessions):
            sid = f"sess_view{s}"
            count = LONG_EVENTS if s % LONG_EVERY == 0 else SHORT_EVENTS
            started = (START + timedelta(seconds=s)).isoformat()
            session = {
                "id": sid,
                "name": f"session {s}",
                "agentName": f"agent{s % AGENTS}",
                "userId": f"user{s % 97}",
                "startedAt": started,
            }
            ops.append(("createSession", None, session))
            ops += [
                (
                    "createEvent",
                    None,
                    {
                        **event,
                        "id": f"evt_view{s}_{i}",
                        "sessionId": sid,
                        "toolInput": {"query": f"q{i}"},
                        "toolOutput": {"hits": i},
                        "durationMs": i,
                    },
                )
                for i in range(count)
            ]
            outcome = {"success": s % 7 != 0, "durationMs": s % 1000, "estimatedCost": 0.001}
            ops.append(("updateSession", sid, outcome))
            stored += count
            if len(ops) >= 5000:
                flush()
        flush()
    finally:
        storage.close()
    return stored


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 2)


def _timed_get(http: httpx.Client, path: str) -> float:
    start = time.perf_counter()
    answer = http.get(path)
    elapsed = (time.perf_counter() - start) * 1000
    answer.raise_for_status()
    return elapsed


def _health_p95(http: httpx.Client, count: int) -> float:
    samples = []
    for _ in range(count):
        samples.append(_timed_get(http, "/api/sdk/health"))
        time.sleep(0.002)
    return _p95(samples)


def _load(url: str, sessions: int, stop: Any) -> None:
    """Load both pages, one after the other, until ``stop`` is set (another process)."""
    with httpx.Client(base_url=url, timeout=60) as http:
        r = 0
        while not stop.is_set():
            _timed_get(http, "/")
            _timed_get(http, f"/sessions/{_long_session(r * 7, sessions)}")
            r += 1


def measure(url: str, sessions: int, rounds: int = 60) -> dict[str, Any]:
    """Page and health times (ms) against the server at ``url``."""
    with httpx.Client(base_url=url, timeout=60) as http:
        for path in ("/", "/sessions/sess_view0", "/api/sdk/health"):
            http.get(path).raise_for_status()  # warm up
        health_idle = _health_p95(http, 200)
        list_page = [_timed_get(http, "/") for _ in range(rounds)]
        session_page = [
            _timed_get(http, f"/sessions/{_long_session(r * 13, sessions)}") for r in range(rounds)
        ]
        # Pages loading without pause from another process (its own GIL), health from this one.
        spawn = multiprocessing.get_context("spawn")
        stop = spawn.Event()
        loader = spawn.Process(target=_load, args=(url, sessions, stop), daemon=True)
        loader.start()
        try:
            time.sleep(1.0)  # the loader is up and loading
            health_during = _health_p95(http, 300)
        finally:
            stop.set()
            loader.join(60)
        if loader.exitcode != 0:
            raise RuntimeError(f"the page loader failed (exit code {loader.exitcode})")
    return {
        "sessions_page_p95": _p95(list_page),
        "session_page_p95": _p95(session_page),
        "health_p95_during": health_during,
        "health_p95_idle": health_idle,
        "page_loads": 2 * rounds,
    }


def run(sessions: int = SESSIONS) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "viewer.db")
        start = time.perf_counter()
        events = _fill(db, sessions)
        fill_s = time.perf_counter() - start
        with server_process(db) as url:
            figures = measure(url, sessions)
    return {
        **figures,
        "events": events,
        "sessions": sessions,
        "events_per_session_page": LONG_EVENTS,
        "fill_s": round(fill_s, 1),
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(*(int(a) for a in sys.argv[1:])), indent=2))
