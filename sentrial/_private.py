"""Files only their owner can read: the spool, the dead-letter file, the
server-id map and the local server's database hold tool inputs, LLM output
and whatever users typed. Directories are made 0700 and files 0600, as
credential stores and caches do, whatever the umask; files an older version
made readable by others are made private when opened again."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> None:
    """Make ``path`` and its missing parents with mode 0700; ``path`` itself is
    made private if it exists (parents that existed are the user's business)."""
    missing = [path, *(p for p in path.parents if not p.exists())]
    for directory in reversed(missing):
        directory.mkdir(exist_ok=True, mode=DIR_MODE)
    if path.stat().st_mode & 0o077:
        os.chmod(path, DIR_MODE)


def open_private(path: Path | str, mode: str, **kwargs: Any) -> IO[Any]:
    """``open(path, mode)``, the file created 0600 (or made so)."""
    flags = {
        "ab": os.O_APPEND | os.O_WRONLY,
        "a+b": os.O_APPEND | os.O_RDWR,
        "wb": os.O_TRUNC | os.O_WRONLY,
    }[mode]
    fd = os.open(path, flags | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, FILE_MODE)
        return os.fdopen(fd, mode, **kwargs)
    except BaseException:
        os.close(fd)
        raise


def create_private(path: str) -> None:
    """Create ``path`` empty and 0600 if it does not exist (a database file
    before SQLite opens it: SQLite gives its WAL the database's mode)."""
    if path != ":memory:" and not path.startswith("file:"):
        # There already (left as it is), or cannot be made: SQLite says why.
        with contextlib.suppress(OSError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))


@contextlib.contextmanager
def locked_append(path: Path) -> Iterator[IO[bytes]]:
    """``path`` opened (privately) for append under its ``flock``, the lock
    every writer of the file takes. Always the file at ``path`` now: one that
    was renamed or replaced while we waited (compacted, or taken by
    ``sentrial flush-spool --dead-letter``) is let go and the new one opened,
    so nothing is appended to a file its taker has already read."""
    while True:
        with open_private(path, "ab") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                current = os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino
            except FileNotFoundError:
                current = False
            if current:
                yield handle
                return
