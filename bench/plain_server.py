"""``plain_server_eps``: delivery to a server without the batch endpoint.

The hosted Sentrial API documents no batch endpoint, so every operation is a
request of its own. The stand-in (the test suite's, strict about documented
fields, in its own process) adds 50 ms to every answer. Measured in the same
run: the SDK as configured (several requests in flight, sessions in
parallel) against the same SDK sending one request at a time
(``max_concurrency=1``, what delivery did before). Exactly-once is checked
on what the stand-in stored.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

import sentrial
from bench._common import free_port, wait_until_up

ROOT = Path(__file__).resolve().parents[1]

LATENCY = 0.05
_SERVE = """
import sys, uvicorn
from tests._standins import Behaviour, StandIn
app = StandIn(Behaviour(latency=float(sys.argv[2]))).app()
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def _deliver(url: str, sessions: int, events: int, spool: str, **options: Any) -> dict[str, Any]:
    client = sentrial.SentrialClient(api_key="k", api_url=url, spool_dir=spool, **options)
    start = time.perf_counter()
    for s in range(sessions):
        sid = client.create_session(f"s{s}", "plain-bench", "u")
        for n in range(events):
            client.track_tool_call(sid, "search", {"n": n}, {"ok": True})
        client.complete_session(sid)
    flushed = client.flush(600)
    elapsed = time.perf_counter() - start
    stats = client.stats()
    client.shutdown(5)
    dump = httpx.get(url + "/_standin/dump", timeout=60).json()
    return {"elapsed": elapsed, "flushed": flushed, "stats": stats, "dump": dump}


def _exactly_once(dump: dict[str, Any], sessions: int, events: int) -> bool:
    stored = list(dump["sessions"].values())
    if len(stored) != sessions or any(s["status"] != "completed" for s in stored):
        return False
    by_session: dict[str, list[int]] = {sid: [] for sid in dump["sessions"]}
    for event in dump["events"]:
        by_session[event["sessionId"]].append(event["toolInput"]["n"])
    return all(ns == list(range(events)) for ns in by_session.values())


def _serve(port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVE, str(port), str(LATENCY)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until_up(proc, f"http://127.0.0.1:{port}/_standin/dump")
    return proc


def _one(sessions: int, events: int, **options: Any) -> dict[str, Any]:
    port = free_port()
    proc = _serve(port)
    try:
        with tempfile.TemporaryDirectory() as spool:
            run = _deliver(f"http://127.0.0.1:{port}", sessions, events, spool, **options)
    finally:
        proc.terminate()
        proc.wait(10)
    ops = sessions * (events + 2)
    return {
        "eps": round(ops / run["elapsed"]),
        "ops": ops,
        "seconds": round(run["elapsed"], 2),
        "sent": run["stats"]["sent"],
        "dropped": run["stats"]["dropped"],
        # from the stand-in's records (and stats()), not from what flush() returned
        "exactly_once": _exactly_once(run["dump"], sessions, events)
        and run["stats"]["sent"] == ops,
    }


def run(sessions: int = 100, events: int = 48, slow_sessions: int = 4) -> dict[str, Any]:
    ours = _one(sessions, events)  # 5,000 operations, sessions one after the other
    one_at_a_time = _one(slow_sessions, events, max_concurrency=1)  # 200 operations: ~10 s
    return {
        "sentrial": ours["eps"],
        "one_at_a_time": one_at_a_time["eps"],
        "ratio": round(ours["eps"] / max(1, one_at_a_time["eps"]), 1),
        "latency_ms": int(LATENCY * 1000),
        "operations": ours["ops"],
        "seconds": ours["seconds"],
        "exactly_once": ours["exactly_once"] and one_at_a_time["exactly_once"],
        "dropped": ours["dropped"],
    }


if __name__ == "__main__":
    print(run())
