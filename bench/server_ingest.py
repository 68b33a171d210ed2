"""Events stored per second by the local server through the batch endpoint.

The server runs in its own process (``sentrial serve`` on a WAL file), the
client posts prepared bodies from this one: the figure is the server's alone.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench._common import API_KEY, OUTPUT_1KB, PAYLOAD_1KB, median_run, server_process


def _batches(count: int, size: int, finish: bool = False) -> list[bytes]:
    """``count`` batches of one session and ``size - 1`` events; with ``finish``,
    each batch ends by completing its session (which the server then classifies)."""
    out = []
    for b in range(count):
        ops: list[dict[str, Any]] = [
            {
                "op": "createSession",
                "body": {
                    "id": f"sess_bench{b}",
                    "name": "bench",
                    "agentName": "bench",
                    "userId": "u",
                },
            }
        ]
        ops += [
            {
                "op": "createEvent",
                "body": {
                    "id": f"evt_bench{b}_{i}",
                    "sessionId": f"sess_bench{b}",
                    "eventType": "tool_call",
                    "toolName": "search",
                    "toolInput": PAYLOAD_1KB,
                    "toolOutput": OUTPUT_1KB,
                    "timestamp": "2026-01-01T00:00:00Z",
                },
            }
            for i in range(size - 1)
        ]
        if finish:
            ops[-1] = {
                "op": "updateSession",
                "sessionId": f"sess_bench{b}",
                "body": {"status": "completed", "durationMs": 1000 + b, "estimatedCost": 0.01},
            }
        out.append(orjson.dumps({"operations": ops}))
    return out


def run(batches: int = 120, size: int = 300, repeats: int = 3) -> dict[str, Any]:
    """Median of ``repeats`` runs, each on a fresh database file."""
    return median_run(lambda: _run_once(batches, size), repeats, "events_per_s")


def run_signals(batches: int = 120, size: int = 300, repeats: int = 3) -> dict[str, Any]:
    """``server_ingest_eps_signals``: the same ingest with every session completed
    (so classified), with classification off and on, alternating in one run.
    ``drop_pct`` compares the medians (the issue's bound: at most 5)."""
    runs: dict[str, list[dict[str, Any]]] = {"off": [], "on": []}
    for _ in range(repeats):
        for mode in runs:
            runs[mode].append(_run_once(batches, size, finish=True, signals=mode))
    medians = {
        mode: sorted(r["events_per_s"] for r in found)[len(found) // 2]
        for mode, found in runs.items()
    }
    drop = 100 * (medians["off"] - medians["on"]) / medians["off"]
    return {
        "sentrial": medians["on"],
        "signals_off": medians["off"],
        "drop_pct": round(drop, 1),
        "runs": {mode: [r["events_per_s"] for r in found] for mode, found in runs.items()},
    }


def _run_once(batches: int, size: int, finish: bool = False, signals: str = "on") -> dict[str, Any]:
    bodies = _batches(batches, size, finish)
    env = {"SENTRIAL_SIGNALS": signals}
    with (
        tempfile.TemporaryDirectory() as tmp,
        server_process(str(Path(tmp) / "b.db"), env=env) as url,
    ):
        headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
        with httpx.Client(base_url=url, headers=headers) as http:
            http.post("/api/sdk/batch", content=bodies[0]).raise_for_status()  # warm up
            start = time.perf_counter()
            for body in bodies[1:]:
                results = http.post("/api/sdk/batch", content=body).json()["results"]
                assert all(r["status"] == 200 for r in results)
            elapsed = time.perf_counter() - start
    events = (batches - 1) * (size - 1)
    return {
        "events_per_s": round(events / elapsed),
        "events": events,
        "batch_size": size,
        "seconds": round(elapsed, 3),
    }
