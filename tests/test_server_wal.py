"""The local server's WAL: commits never wait for a checkpoint, and the file stays bounded.

SQLite's automatic checkpoint would run inside the COMMIT of whichever batch
crosses its threshold (a ~100 ms stall for that request); a thread of the
store's own checkpoints instead (sentrial/_server/_checkpointer.py).
"""

from __future__ import annotations

import time
from pathlib import Path

from sentrial._server._storage import Storage

PAYLOAD = {"text": "y" * 2000}
BURST = 500  # events per batch, about 1.2 MB of WAL each


def _burst(store: Storage, n: int) -> None:
    session = f"sess_wal{n}"
    outcomes = store.apply_batch(
        [("createSession", None, {"id": session, "agentName": "wal", "userId": "u"})]
        + [
            (
                "createEvent",
                None,
                {
                    "id": f"evt_wal{n}_{i}",
                    "sessionId": session,
                    "eventType": "tool_call",
                    "toolName": "t",
                    "toolInput": PAYLOAD,
                },
            )
            for i in range(BURST)
        ]
    )
    assert all(isinstance(outcome, str) for outcome in outcomes)


def test_the_writer_never_checkpoints_and_the_wal_is_reused(tmp_path: Path) -> None:
    path = str(tmp_path / "wal.db")
    store = Storage(path)
    try:
        (auto,) = store._db.execute("PRAGMA wal_autocheckpoint").fetchone()
        assert auto == 0  # no COMMIT ever runs a checkpoint
        checkpointer = store._checkpointer
        assert checkpointer is not None
        one_burst = 0
        for n in range(8):
            _burst(store, n)
            if n == 0:
                one_burst = Path(path + "-wal").stat().st_size
            deadline = time.monotonic() + 20
            while checkpointer.checkpoints <= n:  # each burst is followed by a checkpoint
                assert time.monotonic() < deadline, "no checkpoint after a commit"
                time.sleep(0.02)
        # Without checkpoints the WAL would hold all eight bursts; with them the
        # next transaction after each one starts the file over.
        assert Path(path + "-wal").stat().st_size < 3 * one_burst
    finally:
        store.close()
    reopened = Storage(path)
    try:
        (count,) = reopened._db.execute("SELECT COUNT(*) FROM events").fetchone()
        assert count == 8 * BURST
    finally:
        reopened.close()


def test_memory_stores_have_no_checkpointer() -> None:
    store = Storage(":memory:")
    try:
        assert store._checkpointer is None
        _burst(store, 0)
    finally:
        store.close()
