"""Shared pieces of the benchmarks: payloads and a local server in its own process."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from bench._payloads import OUTPUT_1KB, PAYLOAD_1KB

__all__ = ["OUTPUT_1KB", "PAYLOAD_1KB"]
API_KEY = "sentrial_local_dev"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def server_process(
    db: str = ":memory:", port: int | None = None, env: dict[str, str] | None = None
) -> Iterator[str]:
    """``sentrial serve`` in its own process (its own GIL and core), with ``env``
    added to this one's; yields the URL."""
    port = port or free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sentrial", "serve", "--port", str(port), "--db", db],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_up(proc, url + "/api/sdk/health")
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def wait_until_up(proc: subprocess.Popen[bytes], url: str) -> None:
    """Wait until the server ``proc`` started answers ``url`` (any status)."""
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError(f"the server for {url} did not start") from None
            time.sleep(0.05)


def summarize_ns(samples: list[int]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_us": round(statistics.median(ordered) / 1000, 2),
        "p99_us": round(ordered[int(len(ordered) * 0.99) - 1] / 1000, 2),
        "mean_us": round(statistics.fmean(ordered) / 1000, 2),
        "n": len(ordered),
    }


def median_run(run_once: Callable[[], dict[str, Any]], repeats: int, key: str) -> dict[str, Any]:
    """The run whose ``key`` is the median of ``repeats`` runs, with every run's
    figure under ``runs`` and the median's under ``sentrial``."""
    runs = sorted((run_once() for _ in range(repeats)), key=lambda r: float(r[key]))
    median = runs[len(runs) // 2]
    return {"sentrial": median[key], **median, "runs": [r[key] for r in runs]}
