"""WAL checkpoints on a thread of their own, off the write path.

SQLite's automatic checkpoint runs inside the COMMIT that crosses its
threshold: that one request waits while the WAL is copied into the database
and both files are synced (~100 ms per 40 MB here), which cost the batch
endpoint about a third of its ingest rate. The writer therefore never
checkpoints (``wal_autocheckpoint=0``) and this thread does, on a connection
of its own, with PASSIVE checkpoints: they wait for neither the writer nor
the readers. Once one has copied every frame, the next write transaction
starts the WAL again from its beginning, so the file stays bounded.
"""

from __future__ import annotations

import sqlite3
import threading

# After a commit wakes it, the thread waits this long for more commits, so one
# checkpoint (and its syncs) covers a burst of them.
GATHER_SECONDS = 0.25


class Checkpointer:
    """Checkpoints the WAL of ``path`` shortly after commits; ``close`` ends it."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._wake = threading.Event()
        self._closing = threading.Event()
        self.checkpoints = 0  # completed checkpoints, for tests and curiosity
        self._thread = threading.Thread(target=self._run, name="sentrial-checkpoint", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        """Called after each write transaction: cheap (an Event.set)."""
        self._wake.set()

    def close(self) -> None:
        """Stop the thread after a last checkpoint of what was committed."""
        self._closing.set()
        self._wake.set()
        self._thread.join()

    def _run(self) -> None:
        db = sqlite3.connect(self._path, isolation_level=None)
        try:
            while True:
                self._wake.wait()
                self._closing.wait(GATHER_SECONDS)  # gather a burst (cut short by close)
                self._wake.clear()
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    self.checkpoints += 1
                except sqlite3.Error:
                    pass  # busy or closing: the next commit wakes us again
                if self._closing.is_set():
                    return
        finally:
            db.close()
