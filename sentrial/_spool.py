"""Operations on disk: when the queue is full, the API is down, or at exit.

A spool is a set of append-only segment files, ``<pid>-<n>-<random>.spool``,
in one directory per API URL and key. A process holds an exclusive ``flock``
on each of its segments until they are replayed, so another process can tell
live segments from those of processes that are gone: segments whose lock can
be taken are adopted and replayed, oldest first. Replay streams a segment in
chunks, so memory stays bounded however large the spool grew. Replaying twice
is harmless: every operation carries its id and the API treats repeats as
no-ops.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import secrets
import threading
from collections import deque
from pathlib import Path
from typing import IO

from ._config import Config
from ._operation import Operation

logger = logging.getLogger("sentrial")

SEGMENT_BYTES = 16 * 1024 * 1024


def spool_directory(config: Config) -> Path:
    """Where spool files for this API URL and key live."""
    if config.spool_dir:
        base = Path(config.spool_dir)
    else:
        import platformdirs

        base = Path(platformdirs.user_cache_dir("sentrial", appauthor=False)) / "spool"
    digest = hashlib.sha256(f"{config.api_url}\0{config.api_key}".encode()).hexdigest()[:16]
    return base / digest


class _Segment:
    """One file, locked by its handle for as long as it is open."""

    def __init__(self, path: Path, handle: IO[bytes]) -> None:
        self.path = path
        self.handle = handle
        self.size = 0
        self.read_at = 0

    def read(self, limit: int) -> list[Operation]:
        """Up to ``limit`` operations after the last ones read."""
        self.handle.flush()
        ops: list[Operation] = []
        with open(self.path, "rb") as reader:
            reader.seek(self.read_at)
            while len(ops) < limit:
                line = reader.readline()
                if not line.endswith(b"\n"):
                    break  # end of file (or a torn last line of a crashed writer)
                self.read_at += len(line)
                try:
                    ops.append(Operation.from_record(line))
                except (ValueError, TypeError) as exc:
                    logger.warning(
                        "sentrial: skipping unreadable spool line in %s (%s)", self.path.name, exc
                    )
        return ops

    def exhausted(self) -> bool:
        return self.read_at >= self.path.stat().st_size

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
        self.handle.close()


class Spool:
    """Operations written by any thread, read back in order by the delivery thread."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._active: _Segment | None = None
        self._closed: deque[_Segment] = deque()  # ours, written, waiting for replay
        self._bytes = 0
        self.pending = 0  # our operations on disk, not yet read back

    def _new_segment(self) -> _Segment:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{os.getpid()}-{secrets.token_hex(6)}"
        # Locked before it gets the name other processes (and our own orphan
        # scan) look for: a *.spool file is never seen unlocked by its writer.
        hidden = self.directory / f".{name}.new"
        handle = open(hidden, "ab")  # noqa: SIM115 - held open: the lock lives with it
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        path = self.directory / f"{name}.spool"
        hidden.rename(path)  # the lock belongs to the open file, not the name
        return _Segment(path, handle)

    def append(self, ops: list[Operation]) -> int:
        """Write ``ops`` in order; returns how many fit under ``max_bytes``."""
        with self._lock:
            stored = 0
            for op in ops:
                line = op.to_record() + b"\n"
                if self._bytes + len(line) > self.max_bytes:
                    break
                if self._active is None or self._active.size >= SEGMENT_BYTES:
                    self._rotate()
                    self._active = self._new_segment()
                assert self._active is not None
                self._active.handle.write(line)
                self._active.size += len(line)
                self._bytes += len(line)
                stored += 1
            self.pending += stored
            return stored

    def _rotate(self) -> None:
        if self._active is not None:
            self._active.handle.flush()
            self._closed.append(self._active)
            self._active = None

    def sync(self) -> None:
        """Flush to the OS and disk (at exit)."""
        with self._lock:
            for segment in [*self._closed, *([self._active] if self._active else [])]:
                segment.handle.flush()
                os.fsync(segment.handle.fileno())

    def read_own(self, limit: int) -> list[Operation]:
        """Up to ``limit`` of our own spooled operations, oldest first."""
        with self._lock:
            while True:
                if not self._closed:
                    if self._active is None or self._active.size == 0:
                        self.pending = 0  # everything of ours has been read back
                        return []
                    self._rotate()  # writers move on to a new segment
                segment = self._closed[0]
                ops = segment.read(limit)
                if ops:
                    self.pending -= len(ops)
                    return ops
                self._closed.popleft()
                self._bytes -= segment.size
                segment.remove()

    def drained(self) -> bool:
        with self._lock:
            return self.pending == 0

    def orphan(self) -> _Segment | None:
        """A segment left by a process that is gone, locked for us; oldest first."""
        if not self.directory.is_dir():
            return None
        ours = {s.path for s in self._closed} | ({self._active.path} if self._active else set())
        try:
            candidates = sorted(
                (p for p in self.directory.glob("*.spool") if p not in ours),
                key=lambda p: p.stat().st_mtime,
            )
        except FileNotFoundError:  # another process removed one while we looked
            return None
        for path in candidates:
            try:
                handle = open(path, "ab")  # noqa: SIM115
            except OSError:
                continue
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()  # its process is alive
                continue
            if not path.exists():  # replayed and removed by another process meanwhile
                handle.close()
                continue
            return _Segment(path, handle)
        return None

    def close(self) -> None:
        with self._lock:
            for segment in [*self._closed, *([self._active] if self._active else [])]:
                segment.handle.close()
                if segment.exhausted():
                    segment.path.unlink(missing_ok=True)
            self._closed.clear()
            self._active = None
            self.pending = 0  # what is left belongs to the next process now

    def reset_after_fork(self) -> None:
        """The child owns none of the parent's segments (their locks stay the parent's)."""
        self._lock = threading.Lock()
        self._active = None
        self._closed = deque()
        self._bytes = 0
        self.pending = 0
