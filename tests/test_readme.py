"""Every code block of README.md runs, as written, against real servers.

Python blocks run in fresh interpreters with SENTRIAL_API_URL/KEY pointing at
a local server (and OPENAI_BASE_URL at the local model stand-in); shell blocks
run in bash from the repository root. Two lines are checked with `make -n`
rather than run: `make test` (the command running this very test) and
`make bench` (minutes of load; it has its own target and output file).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sentrial._server import ASGIThread, LocalServer, create_llm_app

from .conftest import Reader

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)
# Shown as `make -n`: they take minutes, or (make generate) rewrite the generated
# package in this tree while tests in other workers import it.
DRY_RUN = {"make test", "make bench", "make generate"}


def _blocks(language: str) -> list[str]:
    return [
        body for lang, body in BLOCK.findall((ROOT / "README.md").read_text()) if lang == language
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[LocalServer, str]]:
    with LocalServer() as server, ASGIThread(create_llm_app()) as llm:
        yield server, llm.url


@pytest.fixture(scope="module")
def env(
    servers: tuple[LocalServer, str], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    server, llm = servers
    return {
        **os.environ,
        "SENTRIAL_API_URL": server.url,
        "SENTRIAL_API_KEY": server.api_key,
        "SENTRIAL_SPOOL_DIR": str(tmp_path_factory.mktemp("spool")),
        "OPENAI_BASE_URL": llm + "/v1",
        "OPENAI_API_KEY": "sk-readme",
        "GOOGLE_GEMINI_BASE_URL": llm,  # google-genai's base URL: the same stand-in
        "GEMINI_API_KEY": "readme-key",
        "SENTRIAL_DEMO_PORT": str(_free_port()),
        # CrewAI keeps a key file and a database under the home directory: a
        # scratch home keeps the user's clean.
        "HOME": str(tmp_path_factory.mktemp("home")),
    }


def test_the_readme_has_blocks_to_run() -> None:
    assert len(_blocks("python")) >= 8 and len(_blocks("sh")) >= 4


def _strict(env: dict[str, str]) -> dict[str, str]:
    """The SDK raises instead of swallowing errors: a wrong call in a block fails it."""
    return {**env, "SENTRIAL_FAIL_SILENTLY": "false"}


# What the blocks store, per agent: (status, events, session cost), in any order.
# The cost of an LLM call is the price list's: gpt-4o 820 input and 95 output
# tokens = (820 * 2.50 + 95 * 10.00) / 1e6 USD.
STORED: dict[str, list[tuple[str, int, float | None]]] = {
    "chat_request": [("completed", 0, 0.023), ("completed", 2, None)],
    "my-custom-agent": [("completed", 4, 0.003)],
    "support-agent": [("completed", 1, None)],
    "async-agent": [("completed", 1, None)],
    "support": [("completed", 1, None), ("completed", 1, 0.0000117)],
    "raw-agent": [("active", 0, None)],
    # gemini-2.5-flash, 3 input and 18 output tokens (the stand-in's counts)
    "gemini-support": [("completed", 1, 0.0000459)],
    # gpt-4o-mini: 7 input (with 3 per request) and 16 output tokens
    "lc-support": [("completed", 1, 0.00001065)],
    "otel-app": [("completed", 1, 0.003)],
    "otlp-export": [("completed", 1, None)],
    # gpt-4o 820 input and 95 output tokens, as for my-custom-agent
    "langfuse-mirror": [("completed", 2, 0.003)],
    # gpt-4o-mini through the Agents SDK: an llm_call and the agent's decision
    "agents-demo": [("completed", 2, 0.00001245)],
    # gpt-4o-mini through CrewAI: 71 input and 51 output tokens = (71 * 0.15 + 51 * 0.60) / 1e6;
    # the wrapped crew also records its final answer
    "research-crew": [("completed", 2, 0.00004125)],
    "research-crew-fn": [("completed", 1, 0.00004125)],
}


@pytest.mark.parametrize("index", range(len(_blocks("python"))))
def test_python_block(index: int, env: dict[str, str], tmp_path: Path) -> None:
    code = _blocks("python")[index]
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=_strict(env),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"block {index}:\n{code}\n{result.stderr}"
    assert "Traceback" not in result.stderr


def test_python_blocks_recorded_what_they_say(
    servers: tuple[LocalServer, str], env: dict[str, str]
) -> None:
    for index in range(len(_blocks("python"))):
        done = subprocess.run(
            [sys.executable, "-c", _blocks("python")[index]],
            env=_strict(env),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"block {index}:\n{done.stderr}"
    reader = Reader(servers[0])
    sessions = reader.sessions()
    stored: dict[str, list[tuple[str, int, float | None]]] = {}
    for session in sessions:
        cost = session["estimatedCost"]
        row = (session["status"], session["eventCount"], None if cost is None else round(cost, 9))
        stored.setdefault(session["agentName"], []).append(row)
    # The server saw every block twice (test_python_block ran them first).
    for agent, rows in STORED.items():
        assert set(stored.get(agent, [])) == set(rows), agent
    full = [s for s in sessions if s["agentName"] == "my-custom-agent"]
    assert full
    for session in full:
        events = reader.events(session["id"])
        kinds = [e["eventType"] for e in events]
        assert kinds == ["llm_decision", "tool_call", "llm_call", "error"]
        assert events[1]["toolName"] == "search_database"
        assert events[1]["toolOutput"] == {"results": ["kb-12"]}
        assert (events[2]["promptTokens"], events[2]["completionTokens"]) == (820, 95)


@pytest.mark.parametrize("index", range(len(_blocks("sh"))))
def test_shell_block(index: int, env: dict[str, str]) -> None:
    lines = []
    for line in _blocks("sh")[index].splitlines():
        command = line.split("#", 1)[0].strip()
        if command in DRY_RUN:
            command = command.replace("make ", "make -n ", 1)
        lines.append(command)
    script = "set -e\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + "\n".join(lines)
    serves = "sentrial serve" in script
    if serves:  # the block starts a server in the background: check it answers
        probe = "import httpx; print(httpx.get('http://127.0.0.1:8787/api/sdk/health').text)"
        script += (
            f'\nfor i in $(seq 100); do {sys.executable} -c "{probe}" 2>/dev/null'
            " && exit 0; sleep 0.1; done; exit 1"
        )
    result = subprocess.run(
        ["bash", "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"block {index}:\n{script}\n{result.stdout}\n{result.stderr}"
    if serves:
        assert '"status":"ok"' in result.stdout
    if "make demo" in script:
        assert "support_agent" in result.stdout and "viewer:" in result.stdout


def test_make_bench_and_test_targets_exist() -> None:
    for target in ("test", "bench", "demo"):
        result = subprocess.run(
            ["make", "-n", target], cwd=ROOT, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr
