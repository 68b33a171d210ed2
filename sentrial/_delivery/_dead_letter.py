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
import threading
from pathlib import Path
from typing import Any

import orjson

from .._operation import Operation
from .._private import open_private, private_dir

logger = logging.getLogger("sentrial")

FILE_NAME = "dead-letter.jsonl"


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
        with self._lock:
            try:
                private_dir(self.path.parent)
                with open_private(self.path, "ab") as handle:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
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

    def entries(self) -> list[dict[str, Any]]:
        """Every entry, oldest first (unreadable lines skipped)."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        out = []
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

    def take(self) -> list[Operation]:
        """Remove the file and return its operations, to be sent again (entries
        that hold no readable operation are kept in the file)."""
        with self._lock:
            entries = self.entries()
            ops, kept = [], []
            for entry in entries:
                try:
                    ops.append(Operation.from_record(orjson.dumps(entry["op"])))
                except (KeyError, ValueError, TypeError):
                    kept.append(orjson.dumps(entry) + b"\n")
            self.path.unlink(missing_ok=True)
        if kept:
            self._write(kept)
        return ops
