"""``first_call_ms`` and ``cpu_us_per_event``: what tracking costs a process.

``first_call_ms``: the first ``sentrial.begin()`` of a fresh process (the
engine starts; httpx and the generated client were imported by
``configure()``, on the caller's thread: a library of the app must never find
them half-imported by ours), median over fresh processes, against the same
process's first direct ``httpx.post`` (import included: what the published
SDK's first call costs at least).

``cpu_us_per_event``: whole-process CPU time (every thread: the caller's,
encoding, sending) from the first call through ``flush()``, divided by the
events, for 20,000 ~1 KB tool calls against ``sentrial serve`` in another
process. Baseline in the same run: the CPU of only serializing the same
payloads with orjson (the least any SDK must do).

Both run with bytecode caching on (as installed packages do), after a warm-up.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench._common import API_KEY, server_process

_FIRST_CALL = """
import sys, time
import sentrial
sentrial.configure(api_key=sys.argv[2], api_url=sys.argv[1], spool_dir=sys.argv[3])
start = time.perf_counter()
interaction = sentrial.begin(user_id="u", event="cold-start", input="hello")
first = time.perf_counter() - start
start = time.perf_counter()
import httpx
httpx.post(sys.argv[1] + "/api/sdk/sessions", headers={"Authorization": "Bearer " + sys.argv[2]},
           json={"name": "direct", "agentName": "cold-start-direct", "userId": "u"})
direct = time.perf_counter() - start
interaction.finish(output="bye")
print(first * 1000, direct * 1000)
"""

_CPU = """
import json, resource, sys
import orjson
from bench._payloads import OUTPUT_1KB, PAYLOAD_1KB  # imports nothing: httpx counts

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of the process
    return usage.ru_utime + usage.ru_stime

events = int(sys.argv[4])
start = cpu()
for _ in range(events):
    orjson.dumps(PAYLOAD_1KB), orjson.dumps(OUTPUT_1KB)
baseline = cpu() - start

import sentrial
client = sentrial.SentrialClient(api_key=sys.argv[2], api_url=sys.argv[1], spool_dir=sys.argv[3])
start = cpu()
sid = client.create_session("cpu", "cpu-per-event", "u")
for _ in range(events):
    client.track_tool_call(sid, "search", PAYLOAD_1KB, OUTPUT_1KB)
client.complete_session(sid)
flushed = client.flush(120)
used = cpu() - start
print(json.dumps({"cpu_s": used, "baseline_s": baseline, "flushed": flushed,
                  "stats": client.stats()}))
client.shutdown(5)
"""

ROOT = Path(__file__).resolve().parents[1]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT)
    return env


def first_call(url: str, spool: str, runs: int = 10) -> dict[str, Any]:
    def once() -> tuple[float, float]:
        out = subprocess.run(
            [sys.executable, "-c", _FIRST_CALL, url, API_KEY, spool],
            capture_output=True,
            text=True,
            check=True,
            env=_env(),
        ).stdout.split()
        return float(out[0]), float(out[1])

    once()  # warm-up: writes the bytecode caches
    samples = [once() for _ in range(runs)]
    ours = statistics.median(s[0] for s in samples)
    direct = statistics.median(s[1] for s in samples)
    return {
        "sentrial": round(ours, 3),
        "direct_post": round(direct, 1),
        "ratio": round(direct / ours, 1) if ours else None,
        "runs": runs,
    }


def cpu_per_event(url: str, spool: str, events: int = 20_000) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", _CPU, url, API_KEY, spool, str(events)],
        capture_output=True,
        text=True,
        check=True,
        env=_env(),
        cwd=ROOT,
    ).stdout
    result = json.loads(out)
    ops = events + 2
    return {
        "sentrial": round(result["cpu_s"] / ops * 1e6, 1),
        "serialize_only": round(result["baseline_s"] / events * 1e6, 1),
        "events": events,
        # from stats(): every operation sent, nothing dropped (not flush()'s answer)
        "delivered": result["stats"]["sent"] == ops and not result["stats"]["dropped"],
    }


def run(runs: int = 10, events: int = 20_000) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, server_process(str(Path(tmp) / "cold.db")) as url:
        return {
            "first_call_ms": first_call(url, str(Path(tmp) / "spool"), runs),
            "cpu_us_per_event": cpu_per_event(url, str(Path(tmp) / "spool"), events),
        }


if __name__ == "__main__":
    print(run())
