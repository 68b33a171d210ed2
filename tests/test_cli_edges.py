"""The sentrial command line at its edges: out-of-range options, a closed
stdout, a deadline shorter than the poll interval, dead letters after a key
change. Real subprocess runs against a real local server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sentrial import SentrialClient
from sentrial._delivery._spool import spool_directory
from sentrial._server import LocalServer

from .conftest import Reader, run_cli


def _usage_error(out: subprocess.CompletedProcess[str], option: str) -> str:
    """Bad input: exit 2, one line on stderr naming ``option``, nothing on stdout."""
    assert out.returncode == 2, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    (line,) = out.stderr.splitlines()
    assert option in line
    assert out.stdout == ""
    return line


@pytest.mark.parametrize(
    ("command", "since"),
    [("sessions", "99999999d"), ("export", "99999999d"), ("tail", "99999999w")],
)
def test_since_too_far_back_is_a_usage_error(env: dict[str, str], command: str, since: str) -> None:
    line = _usage_error(run_cli(command, "--since", since, env=env), "--since")
    assert line == (
        f"sentrial {command}: argument --since: too far back: {since!r}"
        f" (run `sentrial {command} --help`)"
    )


def test_until_too_far_back_and_bad_dates_are_one_line(env: dict[str, str]) -> None:
    _usage_error(run_cli("sessions", "--until", "1e400d", env=env), "--until")
    line = _usage_error(run_cli("sessions", "--since", "someday", env=env), "--since")
    assert "ISO" in line


@pytest.mark.parametrize("interval", ["1e300", "3601", "nan", "inf", "0", "-1"])
def test_tail_interval_out_of_range_is_a_usage_error(env: dict[str, str], interval: str) -> None:
    line = _usage_error(
        run_cli("tail", "--interval", interval, "--timeout", "2", env=env), "--interval"
    )
    assert "a number above 0 and at most 3600" in line


@pytest.mark.parametrize("timeout", ["nan", "1e300", "-inf"])
def test_timeouts_out_of_range_are_usage_errors(env: dict[str, str], timeout: str) -> None:
    _usage_error(run_cli("tail", "--timeout", timeout, env=env), "--timeout")
    _usage_error(run_cli("flush-spool", "--timeout", timeout, env=env), "--timeout")


def test_tail_stops_at_its_timeout_even_with_a_longer_interval(env: dict[str, str]) -> None:
    started = time.monotonic()
    out = run_cli("tail", "--timeout", "1", "--interval", "8", "-n", "0", env=env)
    took = time.monotonic() - started
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    # A correctness bound, not a benchmark: before the fix it slept the whole 8 s.
    assert took < 4, took


def _record_many(env: dict[str, str], sessions: int) -> None:
    client = SentrialClient(
        api_key=env["SENTRIAL_API_KEY"],
        api_url=env["SENTRIAL_API_URL"],
        spool_dir=env["SENTRIAL_SPOOL_DIR"],
    )
    for i in range(sessions):
        sid = client.create_session(f"run {i}", "piped", f"user-{i:05d}-" + "u" * 60)
        client.track_tool_call(sid, "t", {"i": i}, {"text": "y" * 1000})
        client.complete_session(sid)
    assert client.flush(60)
    client.close()


@pytest.mark.parametrize("command", [["export"], ["sessions", "--all"]])
def test_a_closed_stdout_ends_quietly(env: dict[str, str], command: list[str]) -> None:
    # Both outputs are far above a pipe's 64 KiB: the CLI is still writing
    # when the reader goes away, as with `sentrial export | head -1`.
    _record_many(env, 1200)
    proc = subprocess.Popen(
        [sys.executable, "-m", "sentrial", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **env},
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    assert first.strip()
    proc.stdout.close()  # `head -1` exits
    stderr = proc.stderr.read().decode()
    assert proc.wait(60) == 128 + signal.SIGPIPE
    assert stderr == ""


def test_flush_spool_recovers_dead_letters_after_a_key_change(
    sentrial_server: LocalServer, reader: Reader, env: dict[str, str]
) -> None:
    wrong_key = "sentrial_live_TYPO_0000000000"
    wrong = SentrialClient(
        api_key=wrong_key, api_url=sentrial_server.url, spool_dir=env["SENTRIAL_SPOOL_DIR"]
    )
    sid = wrong.create_session("typo", "wrong-key-agent", "u")
    wrong.track_tool_call(sid, "t", {"n": 1}, {})
    wrong.complete_session(sid)
    assert wrong.flush(10) is False
    assert wrong.stats()["dead_lettered"] == {"unauthorized": 3}
    wrong.shutdown(2)
    old = spool_directory(wrong.config)

    # The user fixes the key (env: the right one) and follows the warning's advice.
    listed = run_cli("flush-spool", "--dead-letter", env=env)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    command = f"sentrial flush-spool --dead-letter --from-dir {old}"
    assert command in listed.stdout
    assert f"{old}: 3 unauthorized" in listed.stdout
    for out in (listed.stdout, listed.stderr):
        assert wrong_key not in out and sentrial_server.api_key not in out
    assert reader.sessions(agentName="wrong-key-agent") == []  # nothing sent unasked

    sent = run_cli(*command.split()[1:], env=env)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert "3/3 delivered, not delivered: none" in sent.stdout
    assert reader.session(sid)["status"] == "completed"
    assert [e["toolName"] for e in reader.events(sid)] == ["t"]
    assert not (old / "dead-letter.jsonl").exists()
    again = run_cli("flush-spool", "--dead-letter", env=env)
    assert "--from-dir" not in again.stdout and "nothing to flush" in again.stdout


def test_flush_spool_from_dir_moves_spooled_segments(
    sentrial_server: LocalServer, reader: Reader, env: dict[str, str], tmp_path: Path
) -> None:
    # Operations spooled under another key (its process gone): --from-dir
    # delivers them with the key in effect now.
    wrong = SentrialClient(
        api_key="other-key", api_url=sentrial_server.url, spool_dir=env["SENTRIAL_SPOOL_DIR"]
    )
    old = spool_directory(wrong.config)
    wrong.shutdown(1)
    old.mkdir(parents=True)
    from sentrial._operation import Operation

    now = time.time_ns()
    ops = [
        Operation(
            "create_session",
            "sess_moved",
            {"name": "n", "agent_name": "moved", "user_id": "u", "started_at": now},
        ),
        Operation("update_session", "sess_moved", {"status": "completed", "success": True}),
    ]
    segment = old / f"{now:019d}-1-abcdef.spool"
    segment.write_bytes(b"".join(op.to_record() + b"\n" for op in ops))
    stranger = old.parent / "not-a-spool-directory"  # not named by spool_directory
    stranger.mkdir()
    (stranger / "x.spool").write_bytes(ops[0].to_record() + b"\n")
    listed = run_cli("flush-spool", env=env)
    assert f"sentrial flush-spool --from-dir {old}" in listed.stdout
    assert str(stranger) not in listed.stdout
    assert f"{old}: 2 spooled" in listed.stdout
    sent = run_cli("flush-spool", "--from-dir", str(old), env=env)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert "2/2 delivered, not delivered: none" in sent.stdout
    assert reader.session("sess_moved")["status"] == "completed"
    assert list(old.glob("*.spool")) == []


def test_flush_spool_from_dir_must_be_a_directory(env: dict[str, str], tmp_path: Path) -> None:
    line = _usage_error(
        run_cli("flush-spool", "--from-dir", str(tmp_path / "nope"), env=env), "--from-dir"
    )
    assert line == (f"sentrial flush-spool: --from-dir: not a directory: {tmp_path / 'nope'}")
