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
DRY_RUN = {"make test", "make bench"}


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
        "SENTRIAL_DEMO_PORT": str(_free_port()),
    }


def test_the_readme_has_blocks_to_run() -> None:
    assert len(_blocks("python")) >= 8 and len(_blocks("sh")) >= 4


@pytest.mark.parametrize("index", range(len(_blocks("python"))))
def test_python_block(index: int, env: dict[str, str], tmp_path: Path) -> None:
    code = _blocks("python")[index]
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
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
        subprocess.run(
            [sys.executable, "-c", _blocks("python")[index]],
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
    agents = {s["agentName"] for s in Reader(servers[0]).sessions()}
    assert {
        "chat_request",
        "my-custom-agent",
        "support-agent",
        "async-agent",
        "support",
        "raw-agent",
    } <= agents


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
