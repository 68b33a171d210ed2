"""What an app tracks in its own exit handlers is not lost.

atexit runs the handlers registered last first. An app that registers one
after ``import sentrial`` (at start-up, before its first tracking call) must
still have what that handler tracks delivered; one whose handler runs after
sentrial's own (registered before ``import sentrial``) gets it kept on disk
and delivered by the next process, with a warning.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import sentrial
from sentrial._server import LocalServer
from tests.conftest import ROOT, Reader

_APP = """
import atexit, sys

def on_exit():  # e.g. "record the worker's shutdown"
    import sentrial
    with sentrial.begin(user_id="u", event="exit-agent", input="shutting down") as it:
        it.track_tool_call("cleanup", {}, {"ok": True})
    print(it.session_id, flush=True)

if sys.argv[4] == "before":
    atexit.register(on_exit)  # before sentrial is even imported: runs after its hook
import sentrial
if sys.argv[4] == "after":
    atexit.register(on_exit)  # after the import, before the first call
sentrial.configure(api_key=sys.argv[2], api_url=sys.argv[1], spool_dir=sys.argv[3])
with sentrial.begin(user_id="u", event="exit-agent", input="main") as it:
    pass
print(it.session_id, flush=True)
"""


def _run_app(server: LocalServer, spool: Path, when: str) -> tuple[str, str, str]:
    done = subprocess.run(
        [sys.executable, "-c", _APP, server.url, server.api_key, str(spool), when],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    main_sid, exit_sid = done.stdout.split()
    return main_sid, exit_sid, done.stderr


def _assert_complete(reader: Reader, sid: str) -> None:
    session = reader.session(sid)
    assert session["status"] == "completed"
    assert [e["toolName"] for e in reader.events(sid)] == ["cleanup"]


def test_an_exit_handler_registered_after_import_is_delivered_by_the_same_process(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    main_sid, exit_sid, stderr = _run_app(sentrial_server, tmp_path / "spool", "after")
    assert reader.session(main_sid)["status"] == "completed"
    _assert_complete(reader, exit_sid)  # no later process needed
    assert "Traceback" not in stderr


def test_an_exit_handler_that_runs_after_sentrials_keeps_it_on_disk_for_the_next_process(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    main_sid, exit_sid, stderr = _run_app(sentrial_server, spool, "before")
    assert reader.session(main_sid)["status"] == "completed"
    assert "kept on disk" in stderr  # said, not silently lost
    assert "Traceback" not in stderr
    # The next process with the same server and key replays what was kept.
    client = sentrial.SentrialClient(
        api_key=sentrial_server.api_key, api_url=sentrial_server.url, spool_dir=str(spool)
    )
    client.create_session("next", "next-process", "u")  # starts its engine: it replays
    assert client.flush(20) is True
    client.shutdown(5)
    _assert_complete(reader, exit_sid)


_POOL_APP = """
import multiprocessing, sys
import sentrial

URL, KEY, SPOOL, METHOD = sys.argv[1:5]


def job(i):
    sentrial.configure(api_key=KEY, api_url=URL, spool_dir=SPOOL)
    with sentrial.begin(user_id="u", event="pool-agent-" + METHOD, input=f"task {i}") as it:
        it.track_tool_call("lookup", {"i": i}, {"ok": True})
    return i * i


if __name__ == "__main__":
    # The pattern of Python's docs: Pool.__exit__ terminates the workers (SIGTERM)
    # as soon as map() has its results, before their engines have sent anything.
    with multiprocessing.get_context(METHOD).Pool(2) as pool:
        print(pool.map(job, range(6)))
"""


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_pool_workers_terminated_by_the_pool_lose_nothing(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path, method: str
) -> None:
    app = tmp_path / "pool_app.py"
    app.write_text(_POOL_APP)
    spool = tmp_path / "spool"
    done = subprocess.run(
        [
            sys.executable,
            str(app),
            sentrial_server.url,
            sentrial_server.api_key,
            str(spool),
            method,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[0] == "[0, 1, 4, 9, 16, 25]"
    assert "Traceback" not in done.stderr
    # Whatever the workers could not send before the pool ended them is on disk:
    # the next process replays it.
    client = sentrial.SentrialClient(
        api_key=sentrial_server.api_key, api_url=sentrial_server.url, spool_dir=str(spool)
    )
    client.create_session("next", "next-process", "u")
    assert client.flush(30) is True
    client.shutdown(5)
    sessions = reader.sessions(agentName=f"pool-agent-{method}")
    assert sorted(s["userInput"] for s in sessions) == [f"task {i}" for i in range(6)]
    assert all(s["status"] == "completed" for s in sessions)
    for session in sessions:
        assert [e["toolName"] for e in reader.events(session["id"])] == ["lookup"]


_HOLDING_APP = """
import multiprocessing, signal, sys, time
import sentrial

URL, KEY, SPOOL = sys.argv[1:4]


def child(conn):
    sentrial.configure(api_key=KEY, api_url=URL, spool_dir=SPOOL)
    with sentrial.begin(user_id="u", event="held-agent", input="held") as it:
        it.track_tool_call("lookup", {}, {"ok": True})
    conn.send(it.session_id)
    # SIGTERM arrives while this (main) thread holds one of the engine's locks,
    # as it does for a moment inside submit() or flush(); it lets go as soon as
    # the code it was running goes on.
    with sentrial.get_client()._tracker.delivery._lock:
        conn.send("holding")
        while signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            time.sleep(0.01)
    time.sleep(60)  # ended by SIGTERM, after the save


if __name__ == "__main__":
    ours, theirs = multiprocessing.get_context("spawn").Pipe()
    process = multiprocessing.get_context("spawn").Process(target=child, args=(theirs,))
    process.start()
    print(ours.recv(), flush=True)
    assert ours.recv() == "holding"
    process.terminate()
    process.join(60)
    print(process.exitcode, flush=True)
"""


def test_a_child_terminated_while_it_holds_an_engine_lock_loses_nothing(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    app = tmp_path / "holding_app.py"
    app.write_text(_HOLDING_APP)
    spool = tmp_path / "spool"
    done = subprocess.run(
        [sys.executable, str(app), sentrial_server.url, sentrial_server.api_key, str(spool)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    sid, exitcode = done.stdout.split()
    assert exitcode == "-15"  # still ended by SIGTERM, as asked
    client = sentrial.SentrialClient(
        api_key=sentrial_server.api_key, api_url=sentrial_server.url, spool_dir=str(spool)
    )
    client.create_session("next", "next-process", "u")  # replays what the child kept
    assert client.flush(30) is True
    client.shutdown(5)
    assert reader.session(sid)["status"] == "completed"
    assert [e["toolName"] for e in reader.events(sid)] == ["lookup"]
