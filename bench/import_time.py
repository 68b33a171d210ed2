"""``import sentrial`` against ``import httpx`` (which it needs), fresh interpreters."""

from __future__ import annotations

import statistics
import subprocess
import sys
from typing import Any

_PROBE = (
    "import time; t = time.perf_counter(); import {module}; print((time.perf_counter() - t) * 1000)"
)


def _median_ms(module: str, runs: int) -> float:
    times = [
        float(
            subprocess.run(
                [sys.executable, "-c", _PROBE.format(module=module)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        for _ in range(runs)
    ]
    return round(statistics.median(times), 1)


def run(runs: int = 10) -> dict[str, Any]:
    httpx_ms = _median_ms("httpx", runs)
    sentrial_ms = _median_ms("sentrial", runs)
    return {
        "sentrial": sentrial_ms,
        "httpx": httpx_ms,
        "difference": round(sentrial_ms - httpx_ms, 1),
        "runs": runs,
    }
