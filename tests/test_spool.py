"""Spool segments of a live writer are never adopted as orphans, however the race goes."""

from __future__ import annotations

import fcntl
import threading
import time
from pathlib import Path

import pytest

from sentrial._delivery import _spool
from sentrial._delivery._spool import Spool
from sentrial._operation import Operation


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
