"""Spool segments of a live writer are never adopted as orphans, however the race goes."""

from __future__ import annotations

import fcntl
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from sentrial._delivery import _spool
from sentrial._delivery._spool import Spool
from sentrial._operation import Operation
from sentrial._private import open_private


def test_live_segments_are_never_adopted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_spool, "SEGMENT_BYTES", 200)  # a new segment every few operations
    real_flock = fcntl.flock
    writer_thread = threading.current_thread()

    def slow_flock(fd: int, operation: int) -> None:
        if threading.current_thread() is writer_thread:
            time.sleep(0.005)  # widen the gap between creating a segment and locking it
        real_flock(fd, operation)

    monkeypatch.setattr(fcntl, "flock", slow_flock)
    writer = Spool(tmp_path, 10**9)
    scanner = Spool(tmp_path, 10**9)  # another owner: flock keeps the two apart
    adopted: list[Path] = []
    stop = threading.Event()

    def scan() -> None:
        while not stop.is_set():
            segment = scanner.orphan()
            if segment is not None:
                adopted.append(segment.path)
                segment.handle.close()

    thread = threading.Thread(target=scan)
    thread.start()
    written = 0
    deadline = time.monotonic() + 1.5
    try:
        while time.monotonic() < deadline:
            written += writer.append([Operation("create_event", "sess_x", {"n": written})])[0]
    finally:
        stop.set()
        thread.join()
    assert adopted == []
    read: list[Operation] = []
    while True:
        ops = writer.read_own(1000)
        if not ops:
            break
        read += ops
    assert [op.fields["n"] for op in read] == list(range(written))


@pytest.mark.parametrize("step", ["open", "rename"])
def test_a_directory_removed_while_a_segment_is_made_costs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    """A cache cleaner removing the spool directory between our mkdir and the
    segment's open (or its rename) made the write fail: the engine then kept
    twice its queue in memory and dead-lettered the rest (36 of 120 in
    tests/test_reliability.py's deleted-directory test, now and then)."""
    import shutil

    directory = tmp_path / "spool"
    removed: list[str] = []
    real_open, real_rename = open_private, Path.rename

    def clean_first() -> None:
        if not removed:
            removed.append(step)
            shutil.rmtree(directory)

    def open_after_a_cleaner(path: Path | str, mode: str, **kwargs: Any) -> Any:
        if step == "open":
            clean_first()
        return real_open(path, mode, **kwargs)

    def rename_after_a_cleaner(self: Path, target: Any) -> Any:
        if step == "rename" and self.name.endswith(".new"):
            clean_first()
        return real_rename(self, target)

    monkeypatch.setattr(_spool, "open_private", open_after_a_cleaner)
    monkeypatch.setattr(Path, "rename", rename_after_a_cleaner)
    spool = Spool(directory, 10**9)
    ops = [Operation("create_event", "sess_a", {"n": n}) for n in range(5)]
    taken, failed, error = spool.append(ops)
    assert removed == [step]  # the cleaner did run
    assert (taken, failed, error) == (5, [], None)
    assert [op.fields["n"] for op in spool.read_own(10)] == list(range(5))
    assert len(list(directory.glob("*.spool"))) == 1
