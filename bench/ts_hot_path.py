"""The TypeScript SDK's caller-side cost: median per ``trackToolCall`` with the
same ~1 KB payload as ``hot_path_us``, against a local server in its own process.

Runs ``typescript/dist/bench/hot_path.js`` (built by ``make ts-build``, which
``make bench`` runs first) with Node.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from bench._common import API_KEY, OUTPUT_1KB, PAYLOAD_1KB, server_process

SCRIPT = Path(__file__).resolve().parents[1] / "typescript" / "dist" / "bench" / "hot_path.js"


def run(calls: int = 20_000) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None or not SCRIPT.exists():
        raise RuntimeError(f"needs node and {SCRIPT}: run `make ts-build` (make bench does)")
    with server_process() as url:
        done = subprocess.run(
            [node, str(SCRIPT), url, API_KEY, str(calls)],
            input=json.dumps([PAYLOAD_1KB, OUTPUT_1KB]),
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "ts_hot_path_us": {
            "sentrial": figures["median_us"],
            "sentrial_p99": figures["p99_us"],
            "mean": figures["mean_us"],
            "calls": calls,
            "all_delivered": figures["delivered"] and figures["sent"] >= calls,
        }
    }
