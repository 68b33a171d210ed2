"""Background delivery: the caller appends, two daemon threads deliver.

The caller's whole cost is a ``deque.append``. The delivery thread takes
batches in order (memory queue first, then this process's spool, then spool
files left by dead processes) and encodes them; the sender thread posts them
through the batch endpoint one after the other, in order, and retries what
can be retried with exponential backoff and full jitter. The two overlap: the
next batch is encoded while the server stores the current one. A server that
does not advertise the batch endpoint (see ``_capabilities``) gets one request
per operation instead, many in flight at once (see ``_lanes``). Memory
stays bounded: past ``max_queue_size`` operations go to the spool on disk, and
so does everything still pending at exit. Every operation ends up counted in
:meth:`BackgroundDelivery.stats`: sent, or dropped for a named reason.
"""

from __future__ import annotations

import atexit
import collections
import itertools
import logging
import os
import queue as queue_module
import random
import threading
import time
import weakref
from typing import Any

from ._capabilities import PLAIN, Capabilities, CapabilityCache
from ._config import Config
from ._errors import APIError, AuthenticationError
from ._lanes import Lanes
from ._operation import Operation
from ._rollup import Rollup
from ._server_ids import ServerIds
from ._spool import Spool, _Segment, spool_directory
from ._transport import BatchUnsupported, ItemResult, RetryableError, Transport

logger = logging.getLogger("sentrial")

BACKOFF_BASE = 0.25
BACKOFF_CAP = 30.0
RETRY_AFTER_CAP = 300.0
# Operations held by the lanes of a server without batches: enough sessions
# to keep every connection busy, the rest waits in the queue or the spool.
LANES_WINDOW = 10_000

_live: weakref.WeakSet[BackgroundDelivery] = weakref.WeakSet()
# A batch taken from the queue, its request if encoded ahead, and for what server.
_Encoded = tuple[list[Operation], dict[str, Any] | None, Capabilities | None]


def _count(counter: itertools.count[int]) -> int:
    """Current value of an ``itertools.count`` (its ``next`` is atomic, ``+=`` is not)."""
    return int(repr(counter)[6:-1])


class Stats:
    """Counters of one delivery engine; see :meth:`BackgroundDelivery.stats`."""

    def __init__(self) -> None:
        self.tracked = itertools.count()  # incremented by caller threads
        self.sent = 0
        self.retried = 0
        self.spooled = 0
        self.replayed = 0
        self.dropped: collections.Counter[str] = collections.Counter()


class BackgroundDelivery:
    """The delivery engine of one client (one API URL and key)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._transport = Transport(config)
        self._spool = Spool(spool_directory(config), config.max_spool_bytes)
        self._ids = ServerIds(spool_directory(config))
        self._caps = CapabilityCache()
        self._rollup = Rollup()
        self._random = random.Random()  # full jitter; not the host's global random
        self._init_state()
        self._logged: set[str] = set()
        self._orphan: _Segment | None = None
        _live.add(self)

    def _init_state(self) -> None:
        self._queue: collections.deque[Operation] = collections.deque()
        self._lock = threading.Lock()  # guards the spooling decision, not the queue
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._idle = threading.Event()
        self._spooling = False
        self._current: list[Operation] | None = None  # the batch being sent
        # Encoded batches waiting for the sender: at most one, so that order,
        # memory and what shutdown must save all stay simple.
        self._handoff: queue_module.Queue[_Encoded] = queue_module.Queue(maxsize=1)
        self._batches = 0  # handed to the sender and not finished (guarded by _lock)
        self._unsent: list[Operation] = []  # what the sender gave up on when stopping
        self._thread: threading.Thread | None = None
        self._sender: threading.Thread | None = None
        self._counts_lock = threading.Lock()  # lanes count from several threads
        self.counters = Stats()
        self._lanes = Lanes(
            self._deliver_one,
            self._backoff,
            self._stopping,
            concurrency=self.config.max_concurrency,
            window=LANES_WINDOW,
            on_retry=self._note_retry,
        )

    # -- caller side -------------------------------------------------------

    def submit(self, op: Operation) -> None:
        """Hand one operation over; never blocks on the network, never raises."""
        next(self.counters.tracked)
        queue = self._queue
        if self._spooling or len(queue) >= self.config.max_queue_size or self._thread is None:
            self._submit_slow(op)
            return
        queue.append(op)
        if len(queue) == self.config.batch_size:
            self._wake.set()

    def _submit_slow(self, op: Operation) -> None:
        with self._lock:
            if self._thread is None and not self._stopping.is_set():
                self._start()
            if (
                self._spooling
                or len(self._queue) >= self.config.max_queue_size
                or self._thread is None
            ):
                self._spooling = True
                self._to_spool([op], "spool_full")
                return
            self._queue.append(op)
        self._idle.clear()

    def ensure_started(self) -> None:
        """Start the delivery thread now (it also replays spool files left on disk)."""
        with self._lock:
            if self._thread is None and not self._stopping.is_set():
                self._start()

    def _start(self) -> None:
        thread = threading.Thread(target=self._run, name="sentrial-delivery", daemon=True)
        sender = threading.Thread(target=self._send_loop, name="sentrial-sender", daemon=True)
        try:
            sender.start()
            thread.start()
        except RuntimeError:  # interpreter shutting down: keep it on disk for the next run
            return
        self._sender = sender
        self._thread = thread

    def _to_spool(self, ops: list[Operation], reason_if_full: str) -> None:
        try:
            stored = self._spool.append(ops)
        except OSError as exc:
            stored = 0
            self._log_once("spool_error", f"cannot write the spool ({exc})")
            reason_if_full = "spool_error"
        self.counters.spooled += stored
        if stored < len(ops):
            self._drop(ops[stored:], reason_if_full, "spool is full (max_spool_bytes)")

    # -- delivery thread ----------------------------------------------------

    def _run(self) -> None:
        """Take batches in order and encode them for the sender."""
        while True:
            # Not idle from before looking at the queue until the batch taken is
            # counted in _batches, so flush() never sees "empty and idle" in between.
            self._idle.clear()
            batch = self._next_batch()
            if batch is None:
                if self._stopping.is_set():
                    return
                self._idle.set()
                self._wake.wait(self.config.flush_interval)
                self._wake.clear()
                continue
            with self._lock:
                self._batches += 1
            request = None
            caps = self._caps.known
            if caps is not None and caps.batch:
                try:
                    ids = [self._ids.get(op.session_id) for op in batch]
                    request = self._transport.encode_batch(batch, ids, caps)
                except Exception:  # encoded again by the sender, which reports it
                    logger.debug("sentrial: encoding a batch failed", exc_info=True)
            while True:
                try:
                    self._handoff.put((batch, request, caps), timeout=0.1)
                    break
                except queue_module.Full:
                    if self._stopping.is_set() and not (self._sender and self._sender.is_alive()):
                        self._queue.extendleft(reversed(batch))  # before newer ones
                        with self._lock:
                            self._batches -= 1
                        return

    def _send_loop(self) -> None:
        """Post the encoded batches, one at a time, in the order they were taken."""
        while True:
            try:
                batch, request, caps = self._handoff.get(timeout=0.1)
            except queue_module.Empty:
                if self._stopping.is_set():
                    return
                continue
            self._current = batch
            try:
                left = self._deliver(batch, request, caps)
                if left:  # stopping while the API fails: shutdown keeps them on disk
                    self._unsent.extend(left)
            except Exception as exc:  # a bug must not kill the thread or lose the count
                self._drop(batch, "internal_error", f"{type(exc).__name__}: {exc}")
                logger.debug("sentrial: delivery failed unexpectedly", exc_info=True)
            finally:
                self._current = None
                with self._lock:
                    self._batches -= 1

    def _next_batch(self) -> list[Operation] | None:
        """The next operations in order: memory queue, own spool, then orphans."""
        size = self.config.batch_size
        queue = self._queue
        while not self._stopping.is_set():
            if queue:
                batch: list[Operation] = []
                while queue and len(batch) < size:
                    batch.append(queue.popleft())
                return self._prepare(batch)
            ops = self._spool.read_own(size) if self._spool.pending else []
            if ops:
                self.counters.replayed += len(ops)
                return self._prepare(ops)
            if self._spooling:
                with self._lock:
                    if not self._spool.pending and not queue:
                        self._spooling = False  # disk drained: back to the memory queue
                continue
            if self._orphan is None:
                self._orphan = self._spool.orphan()
                if self._orphan is None:
                    return None
            ops = self._orphan.read(size)
            if ops:
                self.counters.replayed += len(ops)
                return self._prepare(ops)
            self._orphan.remove()
            self._orphan = None
        return None

    def _prepare(self, ops: list[Operation]) -> list[Operation]:
        for op in ops:
            self._rollup.apply(op)
        return ops

    def _deliver(
        self,
        ops: list[Operation],
        request: dict[str, Any] | None = None,
        encoded_for: Capabilities | None = None,
    ) -> list[Operation]:
        """Send ``ops`` until each is stored or dropped (or handed to the lanes of
        a server without batches); returns what is left only when asked to stop
        while the API keeps failing."""
        attempt = 0
        while ops:
            try:
                caps = self._caps.get(self._transport.probe)
                if not caps.batch:
                    return self._lanes.add(ops)
                if self._lanes.pending and not self._lanes.wait_empty():  # older: first
                    return ops
                ids = [self._ids.get(op.session_id) for op in ops]
                if caps is not encoded_for:
                    request = None
                results = self._transport.send_batch(ops, ids, request, caps)
                request = None  # a retry re-encodes what is left
                ops = self._settle(ops, results)
                attempt = 0
                continue
            except BatchUnsupported as exc:
                request = None
                if not self._batch_still_advertised():
                    continue  # the next round sends one request per operation
                error = RetryableError(f"batch endpoint: {exc}", status_code=exc.status_code)
            except RetryableError as exc:
                error = exc
            except AuthenticationError as exc:
                self._drop(ops, "unauthorized", str(exc))
                return []
            except APIError as exc:
                request = None
                if exc.status_code == 413 and len(ops) > 1:
                    half = len(ops) // 2
                    left = self._deliver(ops[:half])
                    if left:
                        return left + ops[half:]
                    ops = ops[half:]
                    continue
                self._drop(ops, f"rejected_{exc.status_code}", str(exc))
                return []
            attempt += 1
            self._note_retry(error)
            if not self._sleep(self._backoff(attempt, error.retry_after)):
                return ops
        return []

    def _batch_still_advertised(self) -> bool:
        """Asked after a 404/405 from the batch endpoint: is it a plain server,
        or a proxy's hiccup in front of ours? Ask the server again."""
        try:
            caps = self._caps.refresh(self._transport.probe)
        except RetryableError:
            return True  # cannot tell now: retry later
        if not caps.batch:
            logger.info(
                "sentrial: %s has no batch endpoint; sending one request per operation",
                self.config.api_url,
            )
        return caps.batch

    def _note_retry(self, error: RetryableError) -> None:
        with self._counts_lock:
            self.counters.retried += 1
        self._log_once(f"retry:{error.status_code}", f"will retry: {error}", logging.INFO)

    def _deliver_one(self, op: Operation) -> None:
        """One operation on its own endpoint (a lane's step): counted as sent
        or dropped, or RetryableError raised to try it again."""
        caps = self._caps.known or PLAIN
        try:
            result = self._transport.send_one(op, self._ids.get(op.session_id), caps)
        except RetryableError:
            raise
        except Exception as exc:  # a bug must not kill the lane or lose the count
            self._drop([op], "internal_error", f"{type(exc).__name__}: {exc}")
            logger.debug("sentrial: delivery failed unexpectedly", exc_info=True)
            return
        if result.retryable:
            message = f"HTTP {result.status}: {result.message}"
            raise RetryableError(message, status_code=result.status)
        self._settle([op], [result])

    def _settle(self, ops: list[Operation], results: list[ItemResult]) -> list[Operation]:
        """Count results; return the operations to retry."""
        retry: list[Operation] = []
        retry_sessions: set[str] = set()
        sent = 0
        for op, result in zip(ops, results, strict=True):
            if result.ok:
                sent += 1
                if op.kind == "create_session" and result.server_id not in (None, op.session_id):
                    self._ids.remember(op.session_id, str(result.server_id))
            elif result.retryable or (result.status == 404 and op.session_id in retry_sessions):
                retry.append(op)
                if op.kind == "create_session":
                    retry_sessions.add(op.session_id)
            elif result.status in (401, 403):
                self._drop([op], "unauthorized", result.message)
            else:
                self._drop([op], f"rejected_{result.status}", result.message)
        with self._counts_lock:
            self.counters.sent += sent
        return retry

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, RETRY_AFTER_CAP)
        return self._random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt))

    def _sleep(self, seconds: float) -> bool:
        """Wait unless stopping; False means give up now."""
        return not self._stopping.wait(seconds)

    def _drop(self, ops: list[Operation], reason: str, message: str) -> None:
        with self._counts_lock:
            self.counters.dropped[reason] += len(ops)
        self._log_once(reason, f"dropped {len(ops)} operation(s): {reason}: {message}")

    def _log_once(self, key: str, message: str, level: int = logging.WARNING) -> None:
        if key not in self._logged:
            self._logged.add(key)
            logger.log(level, "sentrial: %s", message)

    # -- control ------------------------------------------------------------

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything submitted so far is delivered (or dropped)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self._thread is None or not self._thread.is_alive():
                return self._is_empty()
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return self._is_empty()
            step = 0.05 if remaining is None else min(0.05, remaining)
            if self._idle.is_set() and not self._queue:
                # Nothing left to take: only requests in flight (the sender's
                # batch, the lanes) remain. Poll them, without waking the
                # delivery thread into a busy loop.
                if self._is_empty():
                    return True
                self._stopping.wait(min(step, 0.01))
                continue
            self._wake.set()  # take a partial batch now, not at flush_interval
            self._idle.wait(step)
            if self._is_empty() and self._idle.is_set():
                return True

    def _is_empty(self) -> bool:
        return (
            not self._queue
            and self._batches == 0
            and not self._spool.pending
            and self._orphan is None
            and not self._lanes.pending
        )

    def shutdown(self, timeout: float | None = None) -> bool:
        """Flush within ``timeout``, then keep what is left on disk for the next run."""
        timeout = self.config.shutdown_timeout if timeout is None else timeout
        delivered = self.flush(timeout)
        self._stopping.set()
        self._wake.set()
        leftover: list[Operation] = []
        wait = max(0.1, min(1.0, timeout))
        for thread in (self._thread, self._sender):
            if thread is not None:
                thread.join(wait)
        # In order: what the lanes hold, the sender's batch, what it gave up
        # on, the encoded batch waiting for it, then the queue.
        leftover.extend(self._lanes.stop(wait))
        current = self._current
        if self._sender is not None and self._sender.is_alive() and current:
            # Stuck in a request: keep a copy on disk; if that request does
            # succeed after all, the replay is an idempotent repeat.
            leftover.extend(current)
        leftover.extend(self._unsent)
        self._unsent = []
        while True:
            try:
                leftover.extend(self._handoff.get_nowait()[0])
            except queue_module.Empty:
                break
        leftover.extend(self._queue)
        self._queue.clear()
        if leftover:
            self._to_spool(leftover, "spool_full")
        try:
            self._spool.sync()
            self._spool.close()
        except OSError:
            pass
        self._transport.close()
        return delivered

    def stats(self) -> dict[str, Any]:
        counters = self.counters
        return {
            "tracked": _count(counters.tracked),
            "queued": len(self._queue),
            "in_flight": len(self._current or ()) + self._lanes.in_flight,
            "sent": counters.sent,
            "retried": counters.retried,
            "spooled": counters.spooled,
            "spool_pending": self._spool.pending,
            "replayed": counters.replayed,
            "dropped": dict(counters.dropped),
        }

    def _after_fork_in_child(self) -> None:
        """A fresh engine: the child never re-sends what the parent had queued."""
        self._init_state()
        self._spool.reset_after_fork()
        # A fresh map: its lock may have been held by a parent thread at fork.
        self._ids = ServerIds(spool_directory(self.config))
        self._transport = Transport(self.config)
        self._orphan = None


def _after_fork() -> None:
    for delivery in list(_live):
        delivery._after_fork_in_child()


def _at_exit() -> None:
    for delivery in list(_live):
        try:
            delivery.shutdown()
        except Exception:  # never raise from an exit hook
            logger.debug("sentrial: shutdown at exit failed", exc_info=True)


os.register_at_fork(after_in_child=_after_fork)
atexit.register(_at_exit)
