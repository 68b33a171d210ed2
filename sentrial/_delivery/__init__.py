"""How operations reach the API: one contract, two engines.

Follow an event: the client's tracker (``_tracker``) turns a call into an
:class:`~sentrial._operation.Operation` and hands it to a :class:`Delivery`.
``background`` (the default, ``_background``) queues it and returns; its
threads batch, encode (``_wire``, ``_plain``) and send (``_transport``), one
request per operation to servers without batches (``_lanes``), spilling to
disk when needed (``_spool``). ``sync`` (``_sync``) sends it before returning.
Both read answers through one response policy (``_policy``), keep what can
never be delivered in the dead-letter file (``_dead_letter``), and count
everything in one :class:`Stats`.

This module stays light: the engines, httpx and the generated client are
imported when the first operation is delivered, on the delivery thread.
"""

from __future__ import annotations

import collections
import itertools
import threading
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .._config import Config
    from .._operation import Operation


class Stats:
    """Counters of one engine. Every operation tracked ends up sent,
    dead-lettered or dropped, each by reason; the rest is on its way
    (queued, in flight, spooled)."""

    def __init__(self) -> None:
        self.tracked = itertools.count()  # caller threads: ``next`` is atomic
        self._lock = threading.Lock()
        self.sent = 0
        self.retried = 0
        self.replayed = 0
        self.dropped: collections.Counter[str] = collections.Counter()
        self.dead_lettered: collections.Counter[str] = collections.Counter()
        self.lost_totals = 0  # sessions whose summed totals were dropped (see _rollup)
        self._failures = 0  # dropped or dead-lettered, ever
        self._failures_seen = 0  # as of the last flush()

    def add_sent(self, n: int = 1) -> None:
        with self._lock:
            self.sent += n

    def add_retry(self) -> None:
        with self._lock:
            self.retried += 1

    def add_replayed(self, n: int) -> None:
        with self._lock:
            self.replayed += n

    def add_failed(self, reason: str, n: int, *, kept: bool) -> None:
        """``n`` operations that will not be delivered: ``kept`` in the
        dead-letter file, or dropped."""
        with self._lock:
            (self.dead_lettered if kept else self.dropped)[reason] += n
            self._failures += n

    def add_lost_totals(self, n: int) -> None:
        """``n`` sessions' summed cost and tokens dropped: flush() says False."""
        with self._lock:
            self.lost_totals += n
            self._failures += n

    def failed_since_last_check(self) -> bool:
        """True when operations failed since the previous call (flush's verdict)."""
        with self._lock:
            failed = self._failures != self._failures_seen
            self._failures_seen = self._failures
            return failed

    def as_dict(self, **live: int) -> dict[str, Any]:
        """The counters, with the engine's live figures (queued, in flight,
        spooled: what reached the disk, spool_pending)."""
        with self._lock:
            counts = {
                "tracked": _current(self.tracked),
                **live,
                "sent": self.sent,
                "retried": self.retried,
                "replayed": self.replayed,
                "dropped": dict(self.dropped),
                "dead_lettered": dict(self.dead_lettered),
            }
            if self.lost_totals:  # only ever past 100,000 sessions open at once
                counts["lost_totals"] = self.lost_totals
            return counts


def _current(counter: itertools.count[int]) -> int:
    """Current value of an ``itertools.count`` (its ``next`` is atomic, ``+=`` is not)."""
    return int(repr(counter)[6:-1])


class Delivery(Protocol):
    """What a client needs from a delivery engine."""

    def submit(self, op: Operation) -> None:
        """Take one operation; never raises unless the client asked for errors."""

    def start(self) -> None:
        """Begin delivering now (the background engine also replays the spool)."""

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything submitted is delivered; False when something
        tracked before this call was not (dropped, dead-lettered, or still
        waiting at ``timeout``)."""

    def shutdown(self, timeout: float | None = None) -> bool:
        """Flush within ``timeout``, then keep what is left on disk."""

    def stats(self) -> dict[str, Any]:
        """``Stats`` as a dict, with the engine's live figures."""


def new_delivery(config: Config) -> Delivery:
    if config.delivery == "sync":
        from ._sync import SyncDelivery

        return SyncDelivery(config)
    from ._background import BackgroundDelivery

    return BackgroundDelivery(config)
