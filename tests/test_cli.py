"""The sentrial command line against a real local server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import sentrial
from sentrial import SentrialClient
from sentrial._server import LocalServer

from ._faults import FaultProxy
from .conftest import Reader, run_cli


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
    out = run_cli("sessions", env=env)
    assert out.returncode == 0, out.stderr
    assert recorded["ok"] in out.stdout and recorded["bad"] in out.stdout
    assert "agent" in out.stdout.splitlines()[0] and "cost" in out.stdout.splitlines()[0]
    failed = run_cli("sessions", "--status", "failed", env=env)
    assert recorded["bad"] in failed.stdout and recorded["ok"] not in failed.stdout
    by_agent = run_cli("sessions", "--agent", "support", env=env)
    assert recorded["ok"] in by_agent.stdout and recorded["bad"] not in by_agent.stdout


def test_show_prints_the_timeline(env: dict[str, str], recorded: dict[str, str]) -> None:
    out = run_cli("show", recorded["ok"], env=env)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "good run" in lines[0] and "support" in lines[0] and "120 tokens" in lines[0]
    assert recorded["ok"] in lines[1]
    assert "tool_call" in lines[2] and "lookup_order" in lines[2] and "12ms" in lines[2]
    assert lines[3].split() == ["│", "input:", '{"id":', "1}"]
    assert lines[4].split() == ["│", "output:", '{"status":', '"shipped"}']
    assert "llm_call" in lines[5] and "gpt-4o-mini" in lines[5] and "120 tok" in lines[5]
    bad = run_cli("show", recorded["bad"], env=env)
    assert "FAILED" in bad.stdout and "ERROR KeyError" in bad.stdout


def test_bad_input_gives_clear_errors_and_exit_codes(env: dict[str, str]) -> None:
    missing = run_cli("show", "sess_nope", env=env)
    assert missing.returncode == 2 and "sess_nope" in missing.stderr
    bad_status = run_cli("sessions", "--status", "weird", env=env)
    assert bad_status.returncode == 2 and "--status" in bad_status.stderr
    bad_date = run_cli("sessions", "--since", "someday", env=env)
    assert bad_date.returncode == 2 and "ISO" in bad_date.stderr
    bad_url = run_cli("sessions", "--api-url", "ftp://x", env=env)
    assert bad_url.returncode == 2 and "api_url" in bad_url.stderr
    down = run_cli("sessions", "--api-url", "http://127.0.0.1:9", env=env)
    assert down.returncode == 1 and "cannot reach" in down.stderr


def test_doctor(env: dict[str, str], recorded: dict[str, str]) -> None:
    out = run_cli("doctor", env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert env["SENTRIAL_API_KEY"] not in out.stdout
    assert "sent..._dev" in out.stdout
    assert "connectivity:      ok" in out.stdout and "auth:              ok" in out.stdout
    assert "spool:" in out.stdout
    wrong = run_cli("doctor", "--api-key", "wrong-key-123456", env=env)
    assert wrong.returncode == 1 and "FAILED (HTTP 401: the server refused the key)" in wrong.stdout


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
    doctor = run_cli("doctor", env=spool_env)
    assert "file(s)" in doctor.stdout and "flush-spool" in doctor.stdout
    with FaultProxy(sentrial_server.url, {"ok": 1}, port=int(url.rsplit(":", 1)[1])):
        out = run_cli("flush-spool", env=spool_env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "302/302 delivered" in out.stdout
    assert "\r" not in out.stdout  # not a terminal: plain lines, no redrawing
    (session,) = Reader(sentrial_server).sessions(agentName="spooler")
    assert session["eventCount"] == 300 and session["status"] == "completed"
    assert "nothing to flush" in run_cli("flush-spool", env=spool_env).stdout


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
        listed = run_cli("flush-spool", env=spool_env)
        assert "3 rejected_400" in listed.stdout and "--dead-letter" in listed.stdout
        assert "nothing to flush" in listed.stdout
        assert Reader(sentrial_server).sessions(agentName="dead-letter-agent") == []
        sent = run_cli("flush-spool", "--dead-letter", env=spool_env)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert "3/3 delivered, not delivered: none" in sent.stdout
    (session,) = Reader(sentrial_server).sessions(agentName="dead-letter-agent")
    assert session["eventCount"] == 1 and session["status"] == "completed"
    assert "dead letters" not in run_cli("flush-spool", env=spool_env).stdout


def _json(out: subprocess.CompletedProcess[str]) -> Any:
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout)


def test_version() -> None:
    out = run_cli("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"sentrial {sentrial.__version__}"


def test_sessions_json_pages_with_a_cursor_and_all(
    env: dict[str, str], recorded: dict[str, str]
) -> None:
    client = SentrialClient(
        api_key=env["SENTRIAL_API_KEY"],
        api_url=env["SENTRIAL_API_URL"],
        spool_dir=env["SENTRIAL_SPOOL_DIR"],
    )
    made = [client.create_session(f"run {i}", "pager", "zed") for i in range(7)]
    assert client.flush(10)
    client.close()
    first = _json(run_cli("sessions", "--agent", "pager", "--limit", "3", "--json", env=env))
    assert [s["id"] for s in first["data"]] == made[::-1][:3] and first["nextCursor"]
    assert first["data"][0]["agentName"] == "pager" and first["data"][0]["userId"] == "zed"
    second = _json(
        run_cli(
            "sessions",
            "--agent",
            "pager",
            "--limit",
            "3",
            "--cursor",
            first["nextCursor"],
            "--json",
            env=env,
        )
    )
    assert [s["id"] for s in second["data"]] == made[::-1][3:6]
    every = _json(run_cli("sessions", "--all", "--limit", "3", "--json", env=env))
    assert len(every["data"]) == 9 and every["nextCursor"] is None
    assert {recorded["ok"], recorded["bad"], *made} == {s["id"] for s in every["data"]}

    table = run_cli("sessions", "--agent", "pager", "--limit", "3", env=env)
    assert table.returncode == 0 and len(table.stdout.splitlines()) == 2 + 3
    assert f"--cursor {first['nextCursor']}" in table.stderr
    listed = run_cli("sessions", env=env).stdout
    assert "$0.000000" not in listed and "e-0" not in listed and "$0.0000" in listed  # ~$0.00003

    recent = _json(run_cli("sessions", "--since", "1h", "--json", env=env))
    assert len(recent["data"]) == 9
    future = _json(run_cli("sessions", "--since", "2999-01-01", "--json", env=env))
    assert future["data"] == []
    before = _json(run_cli("sessions", "--until", "2000-01-01T00:00:00Z", "--json", env=env))
    assert before["data"] == []


def test_show_truncates_inputs_and_outputs_unless_full(env: dict[str, str]) -> None:
    client = SentrialClient(
        api_key=env["SENTRIAL_API_KEY"],
        api_url=env["SENTRIAL_API_URL"],
        spool_dir=env["SENTRIAL_SPOOL_DIR"],
    )
    sid = client.create_session("long talk", "talker", "ana")
    client.track_tool_call(sid, "search", {"q": "x" * 500}, {"hits": 1})
    client.complete_session(sid, user_input="hello " * 100, assistant_output="the end")
    assert client.flush(10)
    client.close()
    out = run_cli("show", sid, env=env)
    assert out.returncode == 0, out.stderr
    (line,) = [x for x in out.stdout.splitlines() if x.strip().startswith("input: hello")]
    assert line.endswith("… (399 more characters: --full shows all)")  # 599 on one line
    assert "output: the end" in out.stdout
    assert "x" * 500 not in out.stdout and "more characters" in out.stdout
    full = run_cli("show", sid, "--full", env=env)
    assert ("hello " * 100).strip() in full.stdout and "x" * 500 in full.stdout
    assert "more characters" not in full.stdout
    shown = _json(run_cli("show", sid, "--json", env=env))
    assert shown["session"]["userInput"] == "hello " * 100
    assert [e["toolName"] for e in shown["events"]] == ["search"]


def test_tail_follows_new_sessions_and_events(
    env: dict[str, str], recorded: dict[str, str]
) -> None:
    follower = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sentrial",
            "tail",
            "--json",
            "--interval",
            "0.2",
            "--timeout",
            "60",
            "-n",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )
    try:
        assert follower.stdout is not None
        first = json.loads(follower.stdout.readline())
        assert first["kind"] == "session" and first["id"] == recorded["bad"]  # the newest
        client = SentrialClient(
            api_key=env["SENTRIAL_API_KEY"],
            api_url=env["SENTRIAL_API_URL"],
            spool_dir=env["SENTRIAL_SPOOL_DIR"],
        )
        sid = client.create_session("live one", "tailed", "ana")
        assert client.flush(10)
        client.track_tool_call(sid, "step", {"n": 1}, {"ok": True})
        assert client.flush(10)
        client.complete_session(sid, success=False, failure_reason="gave up")
        assert client.flush(10)
        client.close()
        seen = [json.loads(follower.stdout.readline()) for _ in range(3)]
    finally:
        follower.kill()
        follower.wait()
    assert [(x["kind"], x.get("id") if x["kind"] != "event" else x["sessionId"]) for x in seen] == [
        ("session", sid),
        ("event", sid),
        ("status", sid),
    ]
    assert seen[1]["toolName"] == "step" and seen[2]["failureReason"] == "gave up"

    plain = run_cli("tail", "--interval", "0.1", "--timeout", "0.3", env=env)
    assert plain.returncode == 0, plain.stderr
    lines = plain.stdout.splitlines()
    assert len(lines) == 3 and all(" + sess_" in line for line in lines)  # -n 10: all 3
    assert "live one" in lines[-1] and "agent=tailed user=ana" in lines[-1]


def test_export_jsonl_holds_sessions_with_their_events(
    env: dict[str, str], recorded: dict[str, str], tmp_path: Path
) -> None:
    target = tmp_path / "export.jsonl"
    out = run_cli("export", "--format", "jsonl", "--output", str(target), env=env)
    assert out.returncode == 0, out.stderr
    assert "exported 2 sessions with 3 events" in out.stderr and "\r" not in out.stderr
    records = [json.loads(line) for line in target.read_text().splitlines()]
    by_id = {r["id"]: r for r in records}
    assert set(by_id) == {recorded["ok"], recorded["bad"]}
    assert [e["eventType"] for e in by_id[recorded["ok"]]["events"]] == ["tool_call", "llm_call"]
    assert by_id[recorded["bad"]]["events"][0]["toolError"]["type"] == "KeyError"
    assert by_id[recorded["bad"]]["status"] == "failed"
    piped = run_cli("export", "--format", "jsonl", "--status", "failed", env=env)
    assert [json.loads(x)["id"] for x in piped.stdout.splitlines()] == [recorded["bad"]]
    bad_format = run_cli("export", "--format", "xml", env=env)
    assert bad_format.returncode == 2 and "--format" in bad_format.stderr
    unwritable = run_cli("export", "--output", str(tmp_path / "no" / "such" / "x.jsonl"), env=env)
    assert unwritable.returncode == 2 and "cannot write" in unwritable.stderr


def test_doctor_json_and_what_it_tells_apart(env: dict[str, str], recorded: dict[str, str]) -> None:
    report = _json(run_cli("doctor", "--json", env=env))
    assert report["ok"] is True and report["connectivity"]["ok"] is True
    assert report["auth"] == {"ok": True, "detail": "ok"}
    assert report["config"]["api_key"] == "sent..._dev" and report["spool"]["files"] == 0

    no_key = run_cli("doctor", "--json", env={**env, "SENTRIAL_API_KEY": ""})
    assert no_key.returncode == 1
    answer = json.loads(no_key.stdout)
    assert answer["connectivity"]["ok"] is True and answer["auth"]["ok"] is False
    assert "no API key" in answer["auth"]["detail"]

    down = run_cli("doctor", "--json", "--api-url", "http://127.0.0.1:9", env=env)
    assert down.returncode == 1
    answer = json.loads(down.stdout)
    assert answer["connectivity"]["detail"] == "cannot reach http://127.0.0.1:9: connection refused"
    assert answer["auth"]["ok"] is None and "unreachable" in answer["auth"]["detail"]
    text = run_cli("doctor", "--api-url", "http://127.0.0.1:9", env=env).stdout
    assert "FAILED (cannot reach http://127.0.0.1:9: connection refused)" in text

    with_path = run_cli("doctor", "--api-url", env["SENTRIAL_API_URL"] + "/v1/api", env=env)
    assert with_path.returncode == 1
    assert "not a Sentrial API" in with_path.stdout and "'/v1/api'" in with_path.stdout
    assert f"try {env['SENTRIAL_API_URL']}" in with_path.stdout


def test_numeric_options_are_checked(env: dict[str, str]) -> None:
    for args, message in (
        (("sessions", "--limit", "0"), "between 1 and 500"),
        (("sessions", "--limit", "501"), "between 1 and 500"),
        (("sessions", "--limit", "ten"), "not a whole number"),
        (("tail", "--interval", "0"), "above 0"),
        (("tail", "-n", "-1"), "between 0 and 100"),
        (("tail", "--timeout", "nan"), "above 0"),
        (("flush-spool", "--timeout", "-5"), "above 0"),
        (("sessions", "--since", "someday"), "ISO date"),
    ):
        out = run_cli(*args, env=env)
        assert out.returncode == 2 and message in out.stderr, (args, out.stderr)


def test_flush_spool_exits_1_and_keeps_the_spool_when_delivery_fails(
    sentrial_server: LocalServer, env: dict[str, str]
) -> None:
    with FaultProxy(sentrial_server.url) as proxy:
        url = proxy.url  # closed below: nothing listens there any more
    spool_env = {**env, "SENTRIAL_API_URL": url}
    code = (
        "import sentrial; c = sentrial.SentrialClient(shutdown_timeout=0.3);"
        "s = c.create_session('offline', 'still-away', 'u');"
        "[c.track_tool_call(s, 't', {'i': i}, {}) for i in range(20)];"
        "c.complete_session(s)"
    )
    subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **spool_env}, check=True, timeout=60
    )
    out = run_cli("flush-spool", "--timeout", "2", env=spool_env)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "0/22 delivered, not delivered: 22 kept on disk" in out.stdout, out.stdout
    # Kept: the next flush-spool, with the API back, delivers every one.
    with FaultProxy(sentrial_server.url, port=int(url.rsplit(":", 1)[1])):
        again = run_cli("flush-spool", env=spool_env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "22/22 delivered, not delivered: none" in again.stdout
    (session,) = Reader(sentrial_server).sessions(agentName="still-away")
    assert session["eventCount"] == 20 and session["status"] == "completed"
