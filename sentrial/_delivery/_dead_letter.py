"""Operations that could not be delivered, kept on disk with the reason why.

A server that refuses an operation (400, 401, 404, ...), an operation that
keeps failing while the server otherwise works (a poison operation), one
that cannot be encoded, an unreadable spool line: each goes to
``dead-letter.jsonl`` in the spool directory, one JSON object per line
(``reason``, ``message``, ``at``, and the operation as its spool record, or
the raw ``line`` when it could not be read). ``sentrial flush-spool`` lists
them by reason; ``sentrial flush-spool --dead-letter`` sends them again. The
file is bounded (``max_bytes``); past it, operations are dropped, counted
under ``dead_letter_full``.
"""

from __future__ import annotations

import collections
import datetime as dt
import fcntl
import logging
import os
import secrets
import threading
from pathlib import Path
from typing import IO, Any

import orjson

from .._operation import Operation
from .._private import locked_append, open_private, private_dir

logger = logging.getLogger("sentrial")

FILE_NAME = "dead-letter.jsonl"
TAKEN = ".taken"  # dead-letter.jsonl.<pid>-<random>.taken: being sent again


class DeadLetter:
    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.path = directory / FILE_NAME
        self.max_bytes = max_bytes
        self._lock = threading.Lock()

    def add(self, ops: list[Operation], reason: str, message: str) -> int:
        """Keep ``ops``; returns how many were written (the rest is lost)."""
        at = dt.datetime.now(dt.UTC).isoformat()
        lines = []
        for op in ops:
            record: Any
            try:
                record = orjson.Fragment(op.to_record())
            except Exception:  # fields that cannot be encoded: keep what can be
                record = [op.kind, op.session_id, {k: repr(v) for k, v in op.fields.items()}]
            entry = {"reason": reason, "message": message[:500], "at": at, "op": record}
            lines.append(orjson.dumps(entry, default=repr) + b"\n")
        return self._write(lines)

    def add_raw(self, line: bytes, reason: str, message: str) -> int:
        """Keep a spool line that could not be read as an operation."""
        at = dt.datetime.now(dt.UTC).isoformat()
        text = line.decode("utf-8", "replace")
        entry = {"reason": reason, "message": message[:500], "at": at, "line": text}
        return self._write([orjson.dumps(entry) + b"\n"])

    def _write(self, lines: list[bytes]) -> int:
        written = 0
        if not lines:
            return 0
        with self._lock:
            try:
                private_dir(self.path.parent)
                with locked_append(self.path) as handle:
                    size = os.fstat(handle.fileno()).st_size
                    for line in lines:
                        if size + len(line) > self.max_bytes:
                            break
                        handle.write(line)
                        size += len(line)
                        written += 1
                    handle.flush()
            except OSError as exc:
                logger.warning(
                    "sentrial: cannot write the dead-letter file %s (%s)", self.path, exc
                )
                return 0
        return written

    def _files(self) -> list[Path]:
        """The file, and files taken by a ``flush-spool --dead-letter`` that
        has not finished (running, or killed: then the next one takes them)."""
        try:
            taken = sorted(self.path.parent.glob(f"{FILE_NAME}.*{TAKEN}"))
        except OSError:
            taken = []
        return [*taken, self.path]

    def entries(self) -> list[dict[str, Any]]:
        """Every entry, oldest first (unreadable lines skipped)."""
        out = []
        for path in self._files():
            try:
                data = path.read_bytes()
            except (FileNotFoundError, IsADirectoryError):
                continue
            for line in data.splitlines():
                try:
                    entry = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue
                if isinstance(entry, dict):
                    out.append(entry)
        return out

    def summary(self) -> dict[str, int]:
        return dict(collections.Counter(str(e.get("reason")) for e in self.entries()))

    def take(self) -> Taken:
        """The dead letters, to be sent again; they stay on disk until
        :meth:`Taken.release` (call it once each operation is acknowledged,
        dead-lettered again or spooled). Under the lock writers hold, the file
        is moved aside (its writers then start a new one); files a killed
        taker left are taken again."""
        handles: list[IO[bytes]] = []
        paths: list[Path] = []
        for path in self._files()[:-1]:  # left by a taker that is gone
            handle = _lock_if_free(path)
            if handle is not None:
                handles.append(handle)
                paths.append(path)
        if self.path.exists():
            taken = self.path.with_name(f"{FILE_NAME}.{os.getpid()}-{secrets.token_hex(4)}{TAKEN}")
            with self._lock:
                try:
                    with locked_append(self.path):  # no writer is in the middle of a line
                        os.rename(self.path, taken)
                except OSError as exc:
                    logger.warning("sentrial: cannot take %s (%s)", self.path, exc)
            # Locked once the writers' lock is let go (another taker may win it: then it is theirs).
            handle = _lock_if_free(taken)
            if handle is not None:
                handles.append(handle)
                paths.append(taken)
        ops: list[Operation] = []
        unreadable: list[bytes] = []
        for path in paths:
            for line in path.read_bytes().splitlines():
                if not line.strip():
                    continue
                try:
                    ops.append(Operation.from_record(orjson.dumps(orjson.loads(line)["op"])))
                except (KeyError, ValueError, TypeError):
                    unreadable.append(line + b"\n")
        return Taken(self, paths, handles, ops, unreadable)


class Taken:
    """Dead letters taken to be sent again (see :meth:`DeadLetter.take`)."""

    def __init__(
        self,
        dead: DeadLetter,
        paths: list[Path],
        handles: list[IO[bytes]],
        ops: list[Operation],
        unreadable: list[bytes],
    ) -> None:
        self._dead = dead
        self._paths = paths
        self._handles = handles
        self.ops = ops
        # Entries holding no operation that can be sent (an unreadable spool
        # line kept as text): never sent, kept in the dead-letter file.
        self.unreadable = unreadable

    def release(self) -> int:
        """Every operation taken is settled: put the unreadable entries back in
        the dead-letter file and remove the taken files. Returns how many
        unreadable entries could not be put back (then their files stay)."""
        lost = len(self.unreadable) - self._dead._write(self.unreadable)
        if lost:
            return lost
        for path in self._paths:
            path.unlink(missing_ok=True)
        for handle in self._handles:
            handle.close()
        return 0


def _lock_if_free(path: Path) -> IO[bytes] | None:
    """``path`` opened and locked for us, or None when another process holds
    it (a taker still running) or it is gone."""
    try:
        handle = open_private(path, "ab")
    except OSError:
        return None
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    if not path.exists():
        handle.close()
        return None
    return handle
