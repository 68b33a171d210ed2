"""Operations on disk: when the queue is full, the API is down, or at exit.

A spool is a set of append-only segment files in one directory per API URL
and key, named ``<first-op-time>-<pid>-<random>.spool``: the time (ns) of
the oldest operation in it comes first, so sorting names replays segments
in the order their operations happened, even when a process at exit writes
the operations it still held in memory after others it had spooled before.

A process holds an exclusive ``flock`` on each of its segments until they
are replayed, so another process can tell live segments from those of
processes that are gone: segments whose lock can be taken are adopted and
replayed, oldest first. Writes are unbuffered (``stats()`` counts an
operation as spooled once the OS has it) and reads go through the open
handle (``pread``), so a spool directory deleted under a live process costs
nothing already written. A failed or short write (disk full, file too
large) ends that segment: its complete lines stay readable, and the next
write starts a new one. Replaying twice is harmless: every operation
carries its id and the API treats repeats as no-ops.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import secrets
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import IO

from .._config import Config
from .._operation import Operation
from .._private import open_private, private_dir

logger = logging.getLogger("sentrial")

SEGMENT_BYTES = 16 * 1024 * 1024
BUFFER_BYTES = 64 * 1024
READ_CHUNK = 256 * 1024
NEW_SEGMENT_TRIES = 3  # see Spool._new_segment

#: Called with a spool line that is not an operation, and why.
BadLine = Callable[[bytes, str], None]


def spool_directory(config: Config) -> Path:
    """Where spool files (and dead letters) for this API URL and key live.

    One directory per URL *and* key: a process replays on its own only what
    was spooled with its own URL and key. Two keys on one server may be two
    projects, so operations never change key unasked, and they never go to
    another URL. The name is a hash, so it holds no key and does not say
    which URL it is for: after a key change (a typo fixed, a key rotated),
    ``sentrial flush-spool`` lists the other directories that hold
    operations, with the command that sends them with the key in effect now
    (``--from-dir``); the user, who knows which URL they were meant for,
    decides.
    """
    if config.spool_dir:
        base = Path(config.spool_dir)
    else:
        import platformdirs

        base = Path(platformdirs.user_cache_dir("sentrial", appauthor=False)) / "spool"
    digest = hashlib.sha256(f"{config.api_url}\0{config.api_key}".encode()).hexdigest()[:16]
    return base / digest


def _ignore(line: bytes, why: str) -> None:
    logger.warning("sentrial: skipping an unreadable spool line (%s)", why)


class _Segment:
    """One file, locked by its handle for as long as it is open."""

    def __init__(self, path: Path, handle: IO[bytes], size: int = 0) -> None:
        self.path = path
        self.handle = handle
        self.size = size  # bytes written (ours) or found (adopted)
        self.read_at = 0
        # Operations read and not yet settled: the file stays until they are,
        # so a crash while they are in flight does not lose them.
        self._outstanding = 0
        self._finished = False
        self._lock = threading.Lock()

    def read(self, limit: int, on_bad_line: BadLine = _ignore) -> list[Operation]:
        """Up to ``limit`` operations after the last ones read."""
        ops: list[Operation] = []
        fd = self.handle.fileno()
        want = READ_CHUNK
        while len(ops) < limit:
            chunk = os.pread(fd, want, self.read_at)
            end = chunk.rfind(b"\n") + 1
            if not end:
                if len(chunk) == want:  # one line longer than a chunk
                    want *= 2
                    continue
                break  # end of file (or a torn last line of a crashed writer)
            for line in chunk[:end].splitlines(keepends=True):
                if len(ops) >= limit:
                    break
                self.read_at += len(line)
                try:
                    op = Operation.from_record(line)
                except (ValueError, TypeError) as exc:
                    on_bad_line(line.rstrip(b"\n"), f"{self.path.name}: {exc}")
                    continue
                op.segment = self
                ops.append(op)
        with self._lock:
            self._outstanding += len(ops)
        return ops

    def finish(self) -> None:
        """Nothing more to read: remove the file once what was read is settled."""
        with self._lock:
            self._finished = True
            done = self._outstanding == 0
        if done:
            self.remove()

    def settle(self) -> None:
        """One operation read from here is delivered, dead-lettered, or saved elsewhere."""
        with self._lock:
            self._outstanding -= 1
            done = self._finished and self._outstanding == 0
        if done:
            self.remove()

    def exhausted(self) -> bool:
        try:
            return self.read_at >= os.fstat(self.handle.fileno()).st_size
        except (OSError, ValueError):
            return True

    def remove(self) -> None:
        try:
            self.path.unlink(missing_ok=True)
        except OSError as exc:  # the directory is gone (or a file now): nothing to remove
            logger.debug("sentrial: spool segment %s not removed (%s)", self.path.name, exc)
        finally:
            self.handle.close()


class Spool:
    """Operations written by any thread, read back in order by the delivery thread."""

    def __init__(self, directory: Path, max_bytes: int, on_bad_line: BadLine = _ignore) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.on_bad_line = on_bad_line
        self._lock = threading.Lock()
        self._active: _Segment | None = None
        self._closed: deque[_Segment] = deque()  # ours, written, waiting for replay
        self._bytes = 0
        self._buffer: list[tuple[Operation, bytes]] = []  # see append(buffered=True)
        self._buffered_bytes = 0
        self.pending = 0  # our operations spooled (buffered or on disk), not yet read back
        self.written = 0  # operations that reached the OS, ever

    def _new_segment(self, first: Operation) -> _Segment:
        """A new locked segment. A directory removed while it is made (a cache
        cleaner running at that moment) is made again: one such race used to
        fail the write, and what it held went to memory or the dead letters."""
        for attempt in range(NEW_SEGMENT_TRIES):
            try:
                return self._try_new_segment(first)
            except FileNotFoundError:
                if attempt == NEW_SEGMENT_TRIES - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _try_new_segment(self, first: Operation) -> _Segment:
        private_dir(self.directory)
        name = f"{first.time_ns:019d}-{os.getpid()}-{secrets.token_hex(6)}"
        # Locked before it gets the name other processes (and our own orphan
        # scan) look for: a *.spool file is never seen unlocked by its writer.
        hidden = self.directory / f".{name}.new"
        handle = open_private(hidden, "a+b", buffering=0)  # the lock lives with it
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            path = self.directory / f"{name}.spool"
            hidden.rename(path)  # the lock belongs to the open file, not the name
        except BaseException:
            handle.close()
            raise
        return _Segment(path, handle)

    def append(
        self, ops: list[Operation], *, fresh: bool = False, buffered: bool = False
    ) -> tuple[int, list[Operation], OSError | None]:
        """Spool ``ops`` in order. Returns how many were taken (the rest did
        not fit under ``max_bytes``), the operations a failed write gave back
        (older ones first: they may come from the buffer) and that error.

        ``buffered`` keeps them in memory until ``BUFFER_BYTES`` gather (one
        write for many operations, on the caller's thread); the delivery
        thread writes the rest within ``flush_interval`` (``flush``).
        ``written`` counts only what reached the OS. ``fresh`` starts a new
        segment, for operations older than those already spooled.
        """
        with self._lock:
            lines: list[tuple[Operation, bytes]] = []
            size = self._bytes + self._buffered_bytes
            for op in ops:
                line = op.to_record() + b"\n"
                if size + len(line) > self.max_bytes:
                    break
                lines.append((op, line))
                size += len(line)
            if buffered and not fresh:
                self._buffer.extend(lines)
                self._buffered_bytes += sum(len(line) for _, line in lines)
                self.pending += len(lines)
                if self._buffered_bytes < BUFFER_BYTES:
                    return len(lines), [], None
                failed, error = self._write_buffer()
                return len(lines), failed, error
            failed, error = self._write_buffer()
            if not failed:
                self.pending += len(lines)
                more, error = self._write(lines, fresh)
                failed.extend(more)
            else:
                failed.extend(op for op, _ in lines)
            if fresh:
                self._rotate()  # later appends must not land after older ones
            return len(lines), failed, error

    def flush(self) -> tuple[list[Operation], OSError | None]:
        """Write what ``append(buffered=True)`` holds; gives back what failed."""
        with self._lock:
            return self._write_buffer()

    def _write_buffer(self) -> tuple[list[Operation], OSError | None]:
        if not self._buffer:
            return [], None
        lines, self._buffer, self._buffered_bytes = self._buffer, [], 0
        return self._write(lines, False)

    def _write(
        self, lines: list[tuple[Operation, bytes]], fresh: bool
    ) -> tuple[list[Operation], OSError | None]:
        """Write ``lines`` (counted in ``pending`` already); gives back the
        operations that could not be written, and the error."""
        stored = 0
        error: OSError | None = None
        start_new = fresh
        while stored < len(lines):
            new = start_new or self._active is None or self._active.size >= SEGMENT_BYTES
            if new:
                self._rotate()
                try:
                    self._active = self._new_segment(lines[stored][0])
                except OSError as exc:
                    error = exc
                    break
                start_new = False
            active = self._active
            assert active is not None
            data = b"".join(line for _, line in lines[stored:])
            try:
                written = os.write(active.handle.fileno(), data)
            except OSError as exc:
                written, error = 0, exc
            done = data.count(b"\n", 0, written)  # whole lines; a torn tail is ignored
            active.size += written
            self._bytes += written
            self.written += done
            stored += done
            if written < len(data):
                self._rotate()  # ends this segment; the rest goes to a new one
                if new and not done:  # not even one line fits a new segment
                    error = error or OSError("short write to the spool")
                    break
                error = None
        failed = [op for op, _ in lines[stored:]]
        self.pending -= len(failed)
        return failed, error

    def journal(self, ops: list[Operation]) -> _Segment:
        """A locked segment holding copies of ``ops``, which this process never
        replays (another one does, if this one dies before removing it)."""
        segment = self._new_segment(min(ops, key=lambda op: op.time_ns or 1 << 62))
        try:
            for start in range(0, len(ops), 1000):  # bounded memory, however many
                data = b"".join(op.to_record() + b"\n" for op in ops[start : start + 1000])
                written = os.write(segment.handle.fileno(), data)
                segment.size += written
                if written < len(data):
                    raise OSError("short write to the spool")
        except OSError:
            segment.remove()
            raise
        return segment

    def _rotate(self) -> None:
        if self._active is not None:
            self._closed.append(self._active)
            self._active = None

    def sync(self) -> None:
        """Flush to disk (at exit; ``flush`` the buffer first)."""
        with self._lock:
            for segment in [*self._closed, *([self._active] if self._active else [])]:
                with contextlib.suppress(OSError):
                    os.fsync(segment.handle.fileno())

    def read_own(self, limit: int) -> list[Operation]:
        """Up to ``limit`` of our own spooled operations, oldest first (call
        ``flush`` first: buffered ones are read once written)."""
        with self._lock:
            while True:
                if not self._closed:
                    if self._active is None or self._active.size == 0:
                        self.pending = len(self._buffer)  # all the rest has been read back
                        return []
                    self._rotate()  # writers move on to a new segment
                segment = self._closed[0]
                before = segment.read_at
                ops = segment.read(limit, self.on_bad_line)
                if ops:
                    self.pending = max(0, self.pending - len(ops))
                    return ops
                if segment.read_at == before or segment.exhausted():
                    self._closed.popleft()
                    self._bytes -= segment.size
                    segment.finish()

    def orphan(self) -> _Segment | None:
        """A segment left by a process that is gone, locked for us; oldest first."""
        if not self.directory.is_dir():
            return None
        ours = {s.path for s in self._closed} | ({self._active.path} if self._active else set())
        try:
            candidates = sorted(p for p in self.directory.glob("*.spool") if p not in ours)
        except OSError:
            return None
        for path in candidates:
            try:
                handle = open_private(path, "a+b", buffering=0)
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
            return _Segment(path, handle, os.fstat(handle.fileno()).st_size)
        return None

    def close(self) -> None:
        with self._lock:
            for segment in [*self._closed, *([self._active] if self._active else [])]:
                if segment.exhausted():
                    segment.path.unlink(missing_ok=True)
                segment.handle.close()
            self._closed.clear()
            self._active = None
            self.pending = 0  # what is left belongs to the next process now
