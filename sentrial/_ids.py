"""Client-side ids and timestamps, cheap enough for the hot path.

An id is a per-process random prefix plus a counter: unique across processes
(the prefix is re-drawn after ``fork``), ordered within one, and made without
a system call. Timestamps come from the monotonic clock anchored to the wall
clock, and the anchor is read again once a second: a clock step after start
(an NTP sync after boot, a resume after suspend, which the monotonic clock
does not count) is followed within a second, never kept for the process's
life.
"""

from __future__ import annotations

import itertools
import os
import secrets
import time
import zlib

_prefix = ""
_counter: itertools.count[int] = itertools.count()
_wall_minus_mono = 0
_anchored_until = 0  # monotonic ns from which the anchor is read again
ANCHOR_NS = 1_000_000_000


def _reset() -> None:
    global _prefix, _counter
    _prefix = secrets.token_urlsafe(9)  # 12 URL-safe characters
    _counter = itertools.count(1)
    _anchor(time.monotonic_ns())


def _anchor(mono: int) -> None:
    """Read the wall clock against the monotonic one (one tuple of reads:
    a racing thread sees the old anchor or the new one, both valid)."""
    global _wall_minus_mono, _anchored_until
    _wall_minus_mono = time.time_ns() - time.monotonic_ns()
    _anchored_until = mono + ANCHOR_NS


_reset()
os.register_at_fork(after_in_child=_reset)


def new_session_id() -> str:
    return f"sess_{_prefix}{next(_counter):x}"


def new_event_id() -> str:
    return f"evt_{_prefix}{next(_counter):x}"


def now_ns() -> int:
    """Wall-clock nanoseconds: the monotonic clock plus an anchor at most a second old."""
    mono = time.monotonic_ns()
    if mono >= _anchored_until:
        _anchor(mono)
    return _wall_minus_mono + mono


def sampled_in(session_id: str, rate: float) -> bool:
    """Deterministic per-session sampling: every event of a session agrees."""
    if rate >= 1.0:
        return True
    return zlib.crc32(session_id.encode()) < rate * 0xFFFFFFFF


_second: tuple[int, str] = (-1, "")  # the last whole second formatted, and its text


def iso_utc(ns: int, suffix: str = "+00:00") -> str:
    """RFC 3339 UTC time of ``ns`` (nanoseconds since the epoch), to the
    microsecond (truncated) and formatted like ``datetime.isoformat()``
    (no fraction when it is zero). Each second is formatted once: this runs
    for every operation."""
    global _second
    seconds, rest = divmod(ns, 1_000_000_000)
    cached, text = _second
    if cached != seconds:
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        _second = (seconds, text)  # one tuple: a racing thread sees either
    micros = rest // 1000
    return f"{text}.{micros:06d}{suffix}" if micros else f"{text}{suffix}"


def new_span_id() -> str:
    """A step's span id: 16 hex digits, as OpenTelemetry writes a span id."""
    return secrets.token_hex(8)
