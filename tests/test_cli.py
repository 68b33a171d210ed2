"""The sentrial command line against a real local server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sentrial import SentrialClient
from sentrial._server import LocalServer

from ._faults import FaultProxy
from .conftest import Reader


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sentrial", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def env(sentrial_server: LocalServer, tmp_path: Path) -> dict[str, str]:
    return {
        "SENTRIAL_API_URL": sentrial_server.url,
        "SENTRIAL_API_KEY": sentrial_server.api_key,
        "SENTRIAL_SPOOL_DIR": str(tmp_path / "spool"),
    }


@pytest.fixture
def recorded(env: dict[str, str]) -> dict[str, str]:
    client = SentrialClient(
        api_key=env["SENTRIAL_API_KEY"],
        api_url=env["SENTRIAL_API_URL"],
        spool_dir=env["SENTRIAL_SPOOL_DIR"],
    )
    ok = client.create_session("good run", "support", "ana")
    client.track_tool_call(ok, "lookup_order", {"id": 1}, {"status": "shipped"}, duration_ms=12)
    client.track_llm_call(ok, "gpt-4o-mini", prompt_tokens=100, completion_tokens=20)
    client.complete_session(ok, success=True)
    bad = client.create_session("bad run", "billing", "ben")
    client.track_error(bad, KeyError("no such order"), tool_name="lookup_order")
    client.complete_session(bad, success=False, failure_reason="KeyError: no such order")
    assert client.flush(10)
    client.close()
    return {"ok": ok, "bad": bad}


def test_sessions_table_and_filters(env: dict[str, str], recorded: dict[str, str]) -> None:
    out = _cli("sessions", env=env)
    assert out.returncode == 0, out.stderr
    assert recorded["ok"] in out.stdout and recorded["bad"] in out.stdout
    assert "agent" in out.stdout.splitlines()[0] and "cost" in out.stdout.splitlines()[0]
    failed = _cli("sessions", "--status", "failed", env=env)
    assert recorded["bad"] in failed.stdout and recorded["ok"] not in failed.stdout
    by_agent = _cli("sessions", "--agent", "support", env=env)
    assert recorded["ok"] in by_agent.stdout and recorded["bad"] not in by_agent.stdout


def test_show_prints_the_timeline(env: dict[str, str], recorded: dict[str, str]) -> None:
    out = _cli("show", recorded["ok"], env=env)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "good run" in lines[0] and "support" in lines[0] and "120 tokens" in lines[0]
    assert "tool_call" in lines[1] and "lookup_order" in lines[1] and "12ms" in lines[1]
    assert "llm_call" in lines[2] and "gpt-4o-mini" in lines[2] and "120 tok" in lines[2]
    bad = _cli("show", recorded["bad"], env=env)
    assert "FAILED" in bad.stdout and "ERROR KeyError" in bad.stdout


def test_bad_input_gives_clear_errors_and_exit_codes(env: dict[str, str]) -> None:
    missing = _cli("show", "sess_nope", env=env)
    assert missing.returncode == 2 and "sess_nope" in missing.stderr
    bad_status = _cli("sessions", "--status", "weird", env=env)
    assert bad_status.returncode == 2 and "--status" in bad_status.stderr
    bad_date = _cli("sessions", "--since", "yesterday", env=env)
    assert bad_date.returncode == 2 and "ISO" in bad_date.stderr
    bad_url = _cli("sessions", "--api-url", "ftp://x", env=env)
    assert bad_url.returncode == 2 and "api_url" in bad_url.stderr
    down = _cli("sessions", "--api-url", "http://127.0.0.1:9", env=env)
    assert down.returncode == 1 and "cannot reach" in down.stderr


def test_doctor(env: dict[str, str], recorded: dict[str, str]) -> None:
    out = _cli("doctor", env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert env["SENTRIAL_API_KEY"] not in out.stdout
    assert "sent..._dev" in out.stdout
    assert "connectivity:      ok" in out.stdout and "auth:              ok" in out.stdout
    assert "spool:" in out.stdout
    wrong = _cli("doctor", "--api-key", "wrong-key-123456", env=env)
    assert wrong.returncode == 1 and "FAILED (HTTP 401)" in wrong.stdout


def test_flush_spool_delivers_what_a_dead_process_left(
    sentrial_server: LocalServer, env: dict[str, str]
) -> None:
    with FaultProxy(sentrial_server.url, {"ok": 1}) as proxy:
        url = proxy.url
    # The API is down: a process spools and exits.
    code = (
        "import sys, sentrial; c = sentrial.SentrialClient(shutdown_timeout=0.3);"
        "s = c.create_session('offline', 'spooler', 'u');"
        "[c.track_tool_call(s, 't', {'i': i}, {}) for i in range(300)];"
        "c.complete_session(s)"
    )
    spool_env = {**env, "SENTRIAL_API_URL": url}
    subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **spool_env}, check=True, timeout=60
    )
    doctor = _cli("doctor", env=spool_env)
    assert "file(s)" in doctor.stdout and "flush-spool" in doctor.stdout
    with FaultProxy(sentrial_server.url, {"ok": 1}, port=int(url.rsplit(":", 1)[1])):
        out = _cli("flush-spool", env=spool_env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "302/302 delivered" in out.stdout
    (session,) = Reader(sentrial_server).sessions(agentName="spooler")
    assert session["eventCount"] == 300 and session["status"] == "completed"
    assert "nothing to flush" in _cli("flush-spool", env=spool_env).stdout


def test_flush_spool_lists_and_sends_dead_letters_again(
    sentrial_server: LocalServer, env: dict[str, str]
) -> None:
    with FaultProxy(sentrial_server.url, once={("POST", "/api/sdk/batch"): 400}) as proxy:
        spool_env = {**env, "SENTRIAL_API_URL": proxy.url}
        code = (
            "import sentrial; c = sentrial.SentrialClient();"
            "s = c.create_session('refused once', 'dead-letter-agent', 'u');"
            "c.track_tool_call(s, 't', {'i': 1}, {}); c.complete_session(s);"
            "assert c.flush(10) is False"
        )
        subprocess.run(
            [sys.executable, "-c", code], env={**os.environ, **spool_env}, check=True, timeout=60
        )
        listed = _cli("flush-spool", env=spool_env)
        assert "3 rejected_400" in listed.stdout and "--dead-letter" in listed.stdout
        assert "nothing to flush" in listed.stdout
        assert Reader(sentrial_server).sessions(agentName="dead-letter-agent") == []
        sent = _cli("flush-spool", "--dead-letter", env=spool_env)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert "3/3 delivered, not delivered: none" in sent.stdout
    (session,) = Reader(sentrial_server).sessions(agentName="dead-letter-agent")
    assert session["eventCount"] == 1 and session["status"] == "completed"
    assert "dead letters" not in _cli("flush-spool", env=spool_env).stdout
