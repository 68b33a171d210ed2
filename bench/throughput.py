"""End-to-end delivery: 100,000 events tracked from 4 threads, stored by the server."""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

import sentrial
from bench._common import API_KEY, OUTPUT_1KB, PAYLOAD_1KB, server_process


def stored_events(url: str, agent: str) -> int:
    """Events the server holds for ``agent``'s sessions, read back over HTTP."""
    headers = {"Authorization": f"Bearer {API_KEY}"}
    total, cursor = 0, None
    while True:
        params: dict[str, Any] = {"agentName": agent, "limit": 500}
        if cursor:
            params["cursor"] = cursor
        page = httpx.get(
            url + "/api/sdk/sessions", params=params, headers=headers, timeout=60
        ).json()
        total += sum(int(s["eventCount"]) for s in page["data"])
        cursor = page["nextCursor"]
        if cursor is None:
            return total


def run(events: int = 100_000, threads: int = 4) -> dict[str, Any]:
    per_thread = events // threads
    with (
        tempfile.TemporaryDirectory() as tmp,
        server_process(str(Path(tmp) / "throughput.db")) as url,
    ):
        client = sentrial.SentrialClient(
            api_key=API_KEY, api_url=url, spool_dir=str(Path(tmp) / "spool")
        )

        def agent(n: int) -> None:
            sid = client.create_session(f"t{n}", "throughput", "u")
            for _ in range(per_thread):
                client.track_tool_call(sid, "search", PAYLOAD_1KB, OUTPUT_1KB)
            client.complete_session(sid)

        workers = [threading.Thread(target=agent, args=(n,)) for n in range(threads)]
        start = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        tracked_s = time.perf_counter() - start
        delivered_all = client.flush(240)
        elapsed = time.perf_counter() - start
        stats = client.stats()
        client.shutdown(5)
        delivered = stored_events(url, "throughput")
    return {
        "sentrial": round(delivered / elapsed),
        "tracked": per_thread * threads,
        "delivered": delivered,
        "seconds": round(elapsed, 2),
        "tracking_seconds": round(tracked_s, 2),
        "flushed": delivered_all,
        "spooled": stats["spooled"],
        "dropped": stats["dropped"],
    }
