from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import sentrial
from sentrial._server import ASGIThread, LocalServer, create_llm_app

# pytest runs with --doctest-modules, which imports every module under tests/:
# the seed snippets (run as scripts by test_seed.py) and the published SDK's
# workload (run in its own venv; it patches `requests` when imported) are not
# test modules.
collect_ignore = ["seed", "_published_sdk_workload.py"]

pytest_plugins = ["sentrial.testing"]

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _own_spool_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test writes spool or dead-letter files into the user's cache."""
    monkeypatch.setenv("SENTRIAL_SPOOL_DIR", str(tmp_path / "default-spool"))


@pytest.fixture
def root() -> Path:
    return ROOT


class Reader:
    """Reads back what a local server stored (through plain HTTP, independent of the SDK)."""

    def __init__(self, server: LocalServer) -> None:
        self.http = httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {server.api_key}"}
        )

    def session(self, session_id: str) -> dict[str, Any]:
        response = self.http.get(f"/api/sdk/sessions/{session_id}")
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def sessions(self, **params: Any) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        cursor = None
        while True:
            query = {"limit": 500, **params, **({"cursor": cursor} if cursor else {})}
            page = self.http.get("/api/sdk/sessions", params=query).json()
            out += page["data"]
            cursor = page["nextCursor"]
            if cursor is None:
                return out

    def events(self, session_id: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        cursor = None
        while True:
            query = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
            response = self.http.get(f"/api/sdk/sessions/{session_id}/events", params=query)
            assert response.status_code == 200, response.text
            page = response.json()
            out += page["data"]
            cursor = page["nextCursor"]
            if cursor is None:
                return out


@pytest.fixture
def reader(sentrial_server: LocalServer) -> Reader:
    return Reader(sentrial_server)


@pytest.fixture
def make_client(
    sentrial_server: LocalServer, tmp_path: Path
) -> Iterator[Callable[..., sentrial.SentrialClient]]:
    """Clients of the test's server, each spooling into the test's own directory."""
    made: list[sentrial.SentrialClient] = []

    def make(**options: Any) -> sentrial.SentrialClient:
        options.setdefault("api_key", sentrial_server.api_key)
        options.setdefault("api_url", sentrial_server.url)
        options.setdefault("spool_dir", str(tmp_path / "spool"))
        client = sentrial.SentrialClient(**options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.shutdown(timeout=2)


# -- shared by several test modules ---------------------------------------------


@pytest.fixture(scope="module")
def llm() -> Iterator[str]:
    """The LLM stand-in (OpenAI, Anthropic and Gemini shapes) on a loopback port."""
    with ASGIThread(create_llm_app()) as server:
        yield server.url


@pytest.fixture
def client(sentrial_server: LocalServer, tmp_path: Path) -> Iterator[sentrial.SentrialClient]:
    """The default client (``sentrial.configure``) of the test's server, for
    integrations that use it; closed after the test."""
    configured = sentrial.configure(
        api_key=sentrial_server.api_key, api_url=sentrial_server.url, spool_dir=str(tmp_path)
    )
    yield configured
    configured.close()


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m sentrial ARGS`` with ``env`` added to this environment."""
    return subprocess.run(
        [sys.executable, "-m", "sentrial", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def env(sentrial_server: LocalServer, tmp_path: Path) -> dict[str, str]:
    """The environment that points the CLI at the test's server and spool."""
    return {
        "SENTRIAL_API_URL": sentrial_server.url,
        "SENTRIAL_API_KEY": sentrial_server.api_key,
        "SENTRIAL_SPOOL_DIR": str(tmp_path / "spool"),
    }
