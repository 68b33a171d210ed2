"""What ``wrapAISDK`` adds to one ``generateText`` call of the Vercel AI SDK:
median wrapped minus median unwrapped, the two alternating in one run, on the
``ai`` package's own mock model, against a local server in its own process.

Runs ``typescript/dist/bench/vercel_overhead.js`` (built by ``make ts-build``,
which ``make bench`` runs first) with Node.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from bench._common import API_KEY, server_process

SCRIPT = Path(__file__).resolve().parents[1] / "typescript/dist/bench/vercel_overhead.js"


def run(calls: int = 2_000) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None or not SCRIPT.exists():
        raise RuntimeError(f"needs node and {SCRIPT}: run `make ts-build` (make bench does)")
    with server_process() as url:
        done = subprocess.run(
            [node, str(SCRIPT), url, API_KEY, str(calls)],
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "ts_vercel_overhead_us": {
            "sentrial": figures["overhead_us"],
            "wrapped": figures["wrapped_us"],
            "unwrapped": figures["unwrapped_us"],
            "calls": calls,
            "all_delivered": figures["delivered"],
        }
    }
