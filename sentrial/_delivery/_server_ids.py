"""Our session ids -> the ids a server chose, kept beside the spool.

A server without client-chosen ids answers a create with an id of its own;
later updates and events of that session must use it. Operations spooled by
one process are often replayed by the next, so the map lives on disk too: one
JSON line per session in ``server-ids.jsonl`` in the spool directory, appended
under an ``flock`` and read again (at most once a second) when an id is
missing, so a replaying process sees what a dead one learned. The file is
rewritten with the newest ``limit`` entries when it grows well past that.
"""

from __future__ import annotations

import collections
import logging
import os
import threading
import time
from pathlib import Path

import orjson

from .._private import locked_append, open_private, private_dir

logger = logging.getLogger("sentrial")

# Why a create's answer was not taken (see ServerIds.learn): retried as a
# proxy's error would be (HTTP 502).
MISMATCH = (
    "the answer names another session's id (a cache or proxy answering for the"
    " server?): not taken, the create is sent again"
)

FILE_NAME = "server-ids.jsonl"
ID_MAP_SIZE = 100_000
RELOAD_INTERVAL = 1.0
COMPACT_BYTES_PER_ENTRY = 200  # a line is ~70 bytes: compact at ~3 lines per entry


class ServerIds:
    def __init__(self, directory: Path, limit: int = ID_MAP_SIZE) -> None:
        self.path = directory / FILE_NAME
        self.limit = limit
        self._map: collections.OrderedDict[str, str] = collections.OrderedDict()
        self._owners: dict[str, str] = {}  # theirs -> ours: an id is one session's
        self._lock = threading.Lock()
        self._read_at = 0  # bytes of the file already read
        self._next_reload = 0.0
        self._warned = False
        self._warned_full = False

    def get(self, ours: str) -> str:
        """The server's id for ``ours`` (``ours`` itself when it has none)."""
        theirs = self._map.get(ours)
        if theirs is not None:
            with self._lock:  # least recently used goes first (see _put)
                if ours in self._map:
                    self._map.move_to_end(ours)
            return theirs
        if time.monotonic() >= self._next_reload:
            with self._lock:
                self._reload()
            return self._map.get(ours, ours)
        return ours

    def learn(self, ours: str, theirs: str | None, client_ids: bool) -> bool:
        """Take what a server answered to the create of session ``ours``;
        False when it cannot be that create's answer (then the create is sent
        again): a server taking client ids that names another id, or an id
        another of our sessions already has (a cache or a misbehaving proxy
        answering one create's answer to another)."""
        if theirs is None or theirs == ours:
            return True
        if client_ids:
            return False
        self.get(ours)  # ids other processes learned, read if due
        owner = self._owners.get(theirs)
        if (owner is not None and owner != ours) or theirs in self._map:
            return False
        self.remember(ours, theirs)
        return True

    def remember(self, ours: str, theirs: str) -> None:
        line = orjson.dumps([ours, theirs]) + b"\n"
        with self._lock:
            self._put(ours, theirs)
            try:
                private_dir(self.path.parent)
                with locked_append(self.path) as handle:
                    handle.write(line)
                    if handle.tell() > self.limit * COMPACT_BYTES_PER_ENTRY:
                        self._compact()
            except OSError as exc:  # kept in memory: only a later process loses it
                if not self._warned:
                    self._warned = True
                    logger.warning("sentrial: cannot save server ids in %s (%s)", self.path, exc)

    def _put(self, ours: str, theirs: str) -> None:
        self._map[ours] = theirs
        self._map.move_to_end(ours)
        self._owners[theirs] = ours
        if len(self._map) > self.limit:
            old, gone = self._map.popitem(last=False)
            if self._owners.get(gone) == old:
                del self._owners[gone]
            if not self._warned_full:
                self._warned_full = True
                logger.warning(
                    "sentrial: more than %s sessions with server-chosen ids in use: the"
                    " least recently used are forgotten (their later events would go"
                    " to the client's id)",
                    f"{self.limit:,}",
                )

    def _reload(self) -> None:
        """Read lines other processes (or earlier ones) appended."""
        self._next_reload = time.monotonic() + RELOAD_INTERVAL
        try:
            with open(self.path, "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size < self._read_at:  # compacted by another process: read it all
                    self._read_at = 0
                if size == self._read_at:
                    return
                handle.seek(self._read_at)
                data = handle.read(size - self._read_at)
        except FileNotFoundError:
            return
        except OSError as exc:
            logger.debug("sentrial: cannot read %s (%s)", self.path, exc)
            return
        end = data.rfind(b"\n") + 1  # a line still being written is read next time
        self._read_at += end
        for line in data[:end].splitlines():
            try:
                ours, theirs = orjson.loads(line)
            except (orjson.JSONDecodeError, TypeError, ValueError):
                continue
            if isinstance(ours, str) and isinstance(theirs, str):
                self._put(ours, theirs)

    def _compact(self) -> None:
        """Rewrite the file with what is in memory (called holding its lock)."""
        self._reload()
        tmp = self.path.with_name(f".{FILE_NAME}.{os.getpid()}.tmp")
        data = b"".join(orjson.dumps([o, t]) + b"\n" for o, t in self._map.items())
        with open_private(tmp, "wb") as handle:
            handle.write(data)
        os.replace(tmp, self.path)
        self._read_at = len(data)
