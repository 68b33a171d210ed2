"""The hot-path figure for peers: langfuse ``@observe`` and langsmith ``@traceable``.

Each peer runs in its own venv (made once under ``.bench-venvs/``) against a
local HTTP sink that accepts anything, with the same ~1 KB payload and the
same timing loop as ``hot_path``. Optional: a peer that cannot be installed
is reported as such.
"""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bench._common import OUTPUT_1KB, PAYLOAD_1KB
from sentrial._server import ASGIThread

ROOT = Path(__file__).resolve().parents[1]
VENVS = ROOT / ".bench-venvs"
PEERS = {"langfuse": "langfuse==5.0.4", "langsmith": "langsmith==0.15.1"}

_COMMON = """
import gc, json, os, statistics, sys, time
PAYLOAD_1KB, OUTPUT_1KB = json.loads(sys.argv[1]), json.loads(sys.argv[2])
"""

_MEASURE = """
samples = []
for _ in range(500):
    tool(PAYLOAD_1KB)
gc.disable()
for _ in range(5000):
    start = time.perf_counter_ns()
    tool(PAYLOAD_1KB)
    samples.append(time.perf_counter_ns() - start)
gc.enable()
samples.sort()
print(json.dumps({{"median_us": round(statistics.median(samples) / 1000, 2),
                  "p99_us": round(samples[int(len(samples) * 0.99)] / 1000, 2)}}))
"""

_SCRIPTS = {
    "langsmith": """
os.environ.update(LANGSMITH_TRACING="true", LANGSMITH_ENDPOINT={sink!r}, LANGSMITH_API_KEY="k")
from langsmith import traceable

@traceable(name="search")
def tool(payload):
    return OUTPUT_1KB
""",
    "langfuse": """
os.environ.update(LANGFUSE_HOST={sink!r}, LANGFUSE_BASE_URL={sink!r}, LANGFUSE_PUBLIC_KEY="pk-lf-x",
                  LANGFUSE_SECRET_KEY="sk-lf-x")
from langfuse import observe

@observe(name="search")
def tool(payload):
    return OUTPUT_1KB
""",
}


def _sink() -> Starlette:
    async def anything(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse({})

    return Starlette(
        routes=[Route("/{path:path}", anything, methods=["GET", "POST", "PUT", "PATCH"])]
    )


def _python(peer: str) -> Path:
    env = VENVS / peer
    python = env / "bin" / "python"
    if not python.exists():
        venv.create(env, with_pip=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", PEERS[peer]],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return python


def run() -> dict[str, Any]:
    results: dict[str, Any] = {}
    with ASGIThread(_sink()) as sink:
        for peer in PEERS:
            try:
                python = _python(peer)
                code = _COMMON + _SCRIPTS[peer].format(sink=sink.url) + _MEASURE.format()
                out = subprocess.run(
                    [str(python), "-c", code, json.dumps(PAYLOAD_1KB), json.dumps(OUTPUT_1KB)],
                    capture_output=True,
                    text=True,
                    timeout=300,
                    check=True,
                ).stdout
                results[peer] = json.loads(out.strip().splitlines()[-1])
                results[peer]["package"] = PEERS[peer]
            except subprocess.CalledProcessError as exc:
                tail = (exc.stderr or "").strip().splitlines()[-1:] or [str(exc)]
                results[peer] = {"measured": False, "reason": tail[0][:300]}
            except (subprocess.SubprocessError, OSError, ValueError, IndexError) as exc:
                results[peer] = {"measured": False, "reason": f"{type(exc).__name__}: {exc}"[:300]}
    return results


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
    sys.exit(0)
