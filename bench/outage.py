"""1,000,000 events tracked while the API is down, then the API comes back.

Runs the agent in its own process so that its peak RSS is its own; the spool
keeps memory bounded, and every event must be delivered after recovery.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._common import API_KEY, free_port, server_process
from bench.throughput import stored_events

_AGENT = """
import json, sys, time
import sentrial

def peak_kb():
    # VmHWM: this process's own peak RSS (ru_maxrss would carry the parent's over exec)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

url, spool, key = sys.argv[1], sys.argv[2], sys.argv[5]
events, sessions = int(sys.argv[3]), int(sys.argv[4])
client = sentrial.SentrialClient(api_key=key, api_url=url, spool_dir=spool)
client.create_session("warm-up", "outage-warmup", "u")
before = peak_kb()
start = time.perf_counter()
per = events // sessions
for s in range(sessions):
    sid = client.create_session(f"s{s}", "outage", "u")
    for i in range(per):
        client.track_tool_call(sid, "step", {"i": i, "query": "where is my order"},
                               {"status": "shipped"})
    client.complete_session(sid)
tracked_s = time.perf_counter() - start
peak = peak_kb()
print(json.dumps({"rss_before_kb": before, "rss_peak_kb": peak, "tracking_seconds": tracked_s,
                  "stats": client.stats()}), flush=True)
sys.stdin.readline()  # the API is back: deliver
start = time.perf_counter()
ok = client.flush(600)
peak = peak_kb()
print(json.dumps({"flushed": ok, "recovery_seconds": time.perf_counter() - start,
                  "rss_peak_kb": peak, "stats": client.stats()}), flush=True)
client.shutdown(5)
"""


def run(events: int = 1_000_000, sessions: int = 100) -> dict[str, Any]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        agent = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _AGENT,
                url,
                str(Path(tmp) / "spool"),
                str(events),
                str(sessions),
                API_KEY,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert agent.stdin is not None and agent.stdout is not None
        down = json.loads(agent.stdout.readline())
        with server_process(str(Path(tmp) / "outage.db"), port=port):
            start = time.perf_counter()
            agent.stdin.write("\n")
            agent.stdin.flush()
            up = json.loads(agent.stdout.readline())
            agent.wait(60)
            delivered = stored_events(url, "outage")
            elapsed = time.perf_counter() - start
    growth_mb = (max(down["rss_peak_kb"], up["rss_peak_kb"]) - down["rss_before_kb"]) / 1024
    return {
        "rss_growth_mb": round(growth_mb, 1),
        "rss_before_mb": round(down["rss_before_kb"] / 1024, 1),
        "rss_peak_tracking_mb": round(down["rss_peak_kb"] / 1024, 1),
        "rss_peak_recovery_mb": round(up["rss_peak_kb"] / 1024, 1),
        "tracked": events,
        "delivered": delivered,
        "tracking_seconds": round(down["tracking_seconds"], 1),
        "recovery_seconds": round(elapsed, 1),
        "spooled": down["stats"]["spooled"],
        "dropped": up["stats"]["dropped"],
    }
