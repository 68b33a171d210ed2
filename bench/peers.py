"""The hot-path figure for peers: langfuse ``@observe`` and langsmith ``@traceable``,
against ours timed the same way: ``@sentrial.tool`` called inside ``begin()``.

Each peer runs in its own venv (made once under ``.bench-venvs/``) against a
local HTTP sink that accepts anything; ours runs in this project's Python
against a local server. All of them run the same script: the same ~1 KB
payload, a decorated function called ``warmup`` times, then timed ``samples``
times, the same median and p99 formula. Ours also reports what the server
was sent (``stats()``: sent == tracked, nothing dropped). Optional: a peer
that cannot be installed is reported as such.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import venv
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bench._common import OUTPUT_1KB, PAYLOAD_1KB
from bench.throughput import stored_events
from sentrial._server import ASGIThread, LocalServer

ROOT = Path(__file__).resolve().parents[1]
VENVS = ROOT / ".bench-venvs"
PEERS = {"langfuse": "langfuse==5.0.4", "langsmith": "langsmith==0.15.1"}

_COMMON = """
import gc, json, os, statistics, sys, time
PAYLOAD_1KB, OUTPUT_1KB = json.loads(sys.argv[1]), json.loads(sys.argv[2])
"""

_MEASURE = """
samples = []
for _ in range({warmup}):
    tool(PAYLOAD_1KB)
gc.disable()
for _ in range({samples}):
    start = time.perf_counter_ns()
    tool(PAYLOAD_1KB)
    samples.append(time.perf_counter_ns() - start)
gc.enable()
samples.sort()
result = {{"median_us": round(statistics.median(samples) / 1000, 2),
          "p99_us": round(samples[int(len(samples) * 0.99)] / 1000, 2),
          "samples": len(samples)}}
{after}
print(json.dumps(result))
"""

_SCRIPTS = {
    "sentrial": """
import sentrial
sentrial.configure(api_key={key!r}, api_url={sink!r}, spool_dir={spool!r})

@sentrial.tool("search")
def tool(payload):
    return OUTPUT_1KB

interaction = sentrial.begin(user_id="u", event="peers-bench", input="question")
""",
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


# Ours: the session ends, then what the server was sent comes from stats().
_SENTRIAL_AFTER = """
interaction.finish(output="answer", success=True)
sentrial.flush(60)
stats = sentrial.get_client().stats()
result.update(tracked=stats["tracked"], sent=stats["sent"], dropped=stats["dropped"],
              delivered=stats["sent"] == stats["tracked"] and not stats["dropped"])
"""


def _sentrial(samples: int, warmup: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as spool, LocalServer() as server:
        code = (
            _COMMON
            + _SCRIPTS["sentrial"].format(key=server.api_key, sink=server.url, spool=spool)
            + _MEASURE.format(warmup=warmup, samples=samples, after=_SENTRIAL_AFTER)
        )
        out = subprocess.run(
            [sys.executable, "-c", code, json.dumps(PAYLOAD_1KB), json.dumps(OUTPUT_1KB)],
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        ).stdout
        result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        # Every call of the decorated function, as the server stored it.
        result["stored_events"] = stored_events(server.url, "peers-bench")
    return result


def run(
    samples: int = 5000, warmup: int = 500, peers: tuple[str, ...] = tuple(PEERS)
) -> dict[str, Any]:
    results: dict[str, Any] = {"sentrial": _sentrial(samples, warmup)}
    with ASGIThread(_sink()) as sink:
        for peer in peers:
            try:
                python = _python(peer)
                code = (
                    _COMMON
                    + _SCRIPTS[peer].format(sink=sink.url)
                    + _MEASURE.format(warmup=warmup, samples=samples, after="")
                )
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
