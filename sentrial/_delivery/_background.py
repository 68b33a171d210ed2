"""Background delivery: the caller appends, daemon threads deliver.

The caller's whole cost is a ``deque.append``. The delivery thread takes
batches in order (memory queue first, then this process's spool, then spool
files left by dead processes) and encodes them; the sender thread posts them
through the batch endpoint one after the other, in order, and retries what
can be retried with exponential backoff and full jitter. The two overlap: the
next batch is encoded while the server stores the current one. A server that
does not advertise the batch endpoint (see ``_capabilities``) gets one request
per operation instead, many in flight at once (see ``_lanes``).

Nothing is lost and nothing gets stuck: answers go through the response
policy (``_policy``); a batch that keeps failing with a 5xx is split until
the operation at fault is alone, and that one goes to the dead-letter file
after ``POISON_ATTEMPTS`` if the server accepted other operations between its
failures (see ``_is_poison``): what an outage refused waits, never dead-lettered. Memory stays
bounded: past ``max_queue_size`` the queue spills to the spool on disk, and
so does everything not acknowledged at exit. An unexpected exception costs
at most the operations it concerns (dead-lettered with the reason), never
the threads. Every operation ends up counted in :class:`~._Stats`.

httpx and the generated client are imported on the delivery thread, not on
the caller's, so the first tracking call of a process stays cheap.
"""

from __future__ import annotations

import collections
import logging
import os
import sys
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any

from .._capabilities import CLIENT_IDS
from .._config import Config
from .._errors import APIError
from .._operation import Operation
from . import Stats
from ._policy import (
    POISON_ATTEMPTS,
    SPLIT_AFTER,
    Action,
    BatchUnsupported,
    ItemResult,
    RetryableError,
    for_status,
)
from ._server_ids import MISMATCH

if TYPE_CHECKING:
    import queue
    import random

    from .._capabilities import Capabilities, CapabilityCache
    from ._dead_letter import DeadLetter
    from ._lanes import Lanes
    from ._rollup import Rollup
    from ._server_ids import ServerIds
    from ._spool import Spool, _Segment
    from ._transport import Transport

logger = logging.getLogger("sentrial")

BACKOFF_BASE = 0.25
BACKOFF_CAP = 30.0
RETRY_AFTER_CAP = 300.0
# Operations held by the lanes of a server without batches: enough sessions
# to keep every connection busy, the rest waits in the queue or the spool.
LANES_WINDOW = 10_000

_live: weakref.WeakSet[BackgroundDelivery] = weakref.WeakSet()
# A batch taken from the queue, its request if encoded ahead, and for what server.
_Encoded = tuple[list[Operation], dict[str, Any] | None, "Capabilities | None"]


class BackgroundDelivery:
    """The delivery engine of one client (one API URL and key)."""

    # Made by _setup(), on the delivery thread (or the first time the caller
    # must spool): the caller's first call imports and builds none of it.
    _spool: Spool
    _dead: DeadLetter
    _ids: ServerIds
    _caps: CapabilityCache
    _rollup: Rollup
    _random: random.Random
    _lanes: Lanes
    _plain: Capabilities
    _handoff: queue.Queue[_Encoded]  # batches encoded for the sender, at most one
    _sender: threading.Thread | None  # started by _setup()
    _setup_lock: threading.Lock
    _ready: bool

    def __init__(self, config: Config) -> None:
        self.config = config
        self._transport_: Transport | None = None
        self._logged: set[str] = set()
        self._orphan: _Segment | None = None
        self._init_state()
        _live.add(self)

    def _setup(self) -> None:
        """Build what delivery needs beyond the queue (once per process)."""
        if self._ready:
            return
        with self._setup_lock:
            if self._ready:
                return
            import queue
            import random

            from .._capabilities import PLAIN, CapabilityCache
            from ._dead_letter import DeadLetter
            from ._lanes import Lanes
            from ._rollup import Rollup
            from ._server_ids import ServerIds
            from ._spool import Spool, spool_directory

            directory = spool_directory(self.config)
            self._dead = DeadLetter(directory, self.config.max_spool_bytes)
            self._spool = Spool(directory, self.config.max_spool_bytes, self._bad_line)
            self._ids = ServerIds(directory)
            self._caps = CapabilityCache()
            self._rollup = Rollup(self.counters.add_lost_totals)
            self._random = random.Random()  # full jitter; not the host's global random
            self._plain = PLAIN
            self._lanes = Lanes(
                self._deliver_one,
                self._backoff,
                self._stopping,
                concurrency=self.config.max_concurrency,
                window=LANES_WINDOW,
                on_retry=self._note_retry,
            )
            # At most one batch waits for the sender, so that order, memory and
            # what shutdown must save all stay simple.
            self._handoff = queue.Queue(maxsize=1)
            sender = threading.Thread(target=self._send_loop, name="sentrial-sender", daemon=True)
            try:
                sender.start()
                self._sender = sender
            except RuntimeError:  # interpreter shutting down: the batch waits on disk
                pass
            self._ready = True

    def _init_state(self) -> None:
        self._queue: collections.deque[Operation] = collections.deque()
        self._lock = threading.Lock()  # guards the spooling decision, not the queue
        self._transport_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._room = threading.Event()  # set by the sender each time it takes a batch
        self._idle = threading.Event()
        self._spooling = False
        self._current: list[Operation] | None = None  # the batch being sent
        self._accepted = 0  # operations the server accepted (see _server_answers)
        # The last batch taken from the memory queue (set under _lock, so a
        # spill always sees it: see _insure_in_flight).
        self._holding: list[Operation] | None = None
        # Copies on disk of what was in flight when the queue spilled (see
        # _insure_in_flight), and which of those are not yet settled.
        self._journals: list[tuple[_Segment, set[int]]] = []  # with what is unsettled
        self._journal_lock = threading.Lock()
        self._insure_needed = False
        self._batches = 0  # handed to the sender and not finished (guarded by _lock)
        self._unsent: list[Operation] = []  # what the sender gave up on when stopping
        self._thread: threading.Thread | None = None
        self._sender = None
        self.counters = Stats()
        self._setup_lock = threading.Lock()
        self._ready = False  # see _setup()

    @property
    def _transport(self) -> Transport:
        transport = self._transport_
        if transport is None:
            with self._transport_lock:
                if self._transport_ is None:
                    from ._transport import Transport

                    self._transport_ = Transport(self.config)
                transport = self._transport_
        return transport

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
            if self._stopping.is_set() or self._thread is None:
                self._after_stop(op)
                return
            if self._spooling:
                self._to_spool([op], buffered=True)
                return
            if len(self._queue) >= self.config.max_queue_size or self._thread is None:
                # Spilling starts: from now on operations go to disk. What the
                # queue and the threads hold is older; the delivery thread
                # copies it to disk too (see _insure_in_flight), off this thread.
                self._spooling = True
                self._insure_needed = True
                self._wake.set()
                self._to_spool([op], buffered=True)
                return
            self._queue.append(op)
        self._idle.clear()

    def start(self) -> None:
        """Start the delivery threads now (they also replay spool files left on disk)."""
        with self._lock:
            if self._thread is None and not self._stopping.is_set():
                self._start()

    def _after_stop(self, op: Operation) -> None:
        """Tracked after ``shutdown()`` (an app's exit handler that runs after
        ours) or when no thread can start (interpreter exit): no thread will
        send it nor write a buffer, so it goes to disk now, unbuffered, for the
        next process (or ``sentrial flush-spool``) to deliver."""
        self._to_spool([op])
        self._log_once(
            "after_stop",
            f"tracked after shutdown: kept on disk in {self._spool.directory}; the next"
            " process with this API URL and key (or `sentrial flush-spool`) delivers it",
        )

    def _start(self) -> None:
        """Start the delivery thread (it starts the sender: see _setup)."""
        thread = threading.Thread(target=self._run, name="sentrial-delivery", daemon=True)
        try:
            thread.start()
        except RuntimeError:  # interpreter shutting down: keep it on disk for the next run
            return
        self._thread = thread
        _flush_when_a_multiprocessing_child_exits()

    def _insure_in_flight(self) -> None:
        """Copy to disk what is older than the spill and only in memory (the
        lanes, the sender's batch, the one waiting for it, the one being taken,
        the queue): a crash must not leave later operations on disk without
        these (a session's events without its create). The copy, a journal,
        sorts before the spill; it is removed once every operation in it is
        settled (see _journal_done) or at exit. A crash between a success and
        that removal replays a copy: a repeat that client ids make harmless."""
        self._insure_needed = False
        with self._handoff.mutex:
            waiting = [batch for batch, _, _ in self._handoff.queue]
        with self._lock:
            queued = list(self._queue)
            holding = self._holding
        held = self._lanes.snapshot()
        seen: set[int] = set()
        for batch in (self._current, *waiting, holding):  # oldest first
            if batch is not None and id(batch) not in seen:  # _holding may be either
                seen.add(id(batch))
                held.extend(batch)
        held.extend(queued)
        with self._journal_lock:  # already insured: once is enough
            held = [op for op in held if not any(id(op) in p for _, p in self._journals)]
        if not held:
            return
        try:
            journal = self._spool.journal(held)
        except OSError as exc:
            self._log_once("journal", f"cannot copy operations in flight to disk ({exc})")
            return
        with self._journal_lock:
            self._journals.append((journal, {id(op) for op in held}))

    def _settled(self, ops: list[Operation]) -> None:
        """``ops`` are delivered, dead-lettered, or saved elsewhere: the copies
        kept for a crash (spool segment, journal) are no longer needed."""
        for op in ops:
            segment = op.segment
            if segment is not None:
                op.segment = None
                segment.settle()
        self._journal_done(ops)

    def _journal_done(self, ops: list[Operation]) -> None:
        if not self._journals:
            return
        with self._journal_lock:
            for journal, pending in list(self._journals):
                for op in ops:
                    pending.discard(id(op))
                if not pending:
                    journal.remove()
                    self._journals.remove((journal, pending))

    def _to_spool(
        self, ops: list[Operation], *, fresh: bool = False, buffered: bool = False
    ) -> None:
        """Spool ``ops``; what does not fit under ``max_spool_bytes`` is dropped
        (counted), what a failing disk gives back is kept (see _kept_in_memory)."""
        self._setup()
        accepted, failed, error = self._spool.append(ops, fresh=fresh, buffered=buffered)
        self._kept_in_memory(failed, error)
        if accepted < len(ops):
            message = "the spool is full (max_spool_bytes)"
            self._fail(ops[accepted:], "spool_full", message, keep=False)

    def _flush_spool(self) -> None:
        """Write what callers spooled into the buffer (see Spool.append)."""
        failed, error = self._spool.flush()
        self._kept_in_memory(failed, error)

    def _kept_in_memory(self, failed: list[Operation], error: OSError | None) -> None:
        """Operations the disk refused (full, too large, gone): kept in memory
        under a hard cap, then in the dead-letter file (which may fail too)."""
        if not failed:
            return
        message = f"cannot write the spool: {error}"
        self._log_once("spool_error", f"{message}; operations are kept in memory")
        room = 2 * self.config.max_queue_size - len(self._queue)
        if not self._stopping.is_set() and room > 0:
            self._queue.extend(failed[:room])
            failed = failed[room:]
        if failed:
            self._fail(failed, "spool_error", message)

    # -- delivery thread ----------------------------------------------------

    def _run(self) -> None:
        """Take batches in order and encode them for the sender."""
        if getattr(self.config.mask, "from_server", False):
            self._load_server_pii()
        # The first batch waits for a full batch or flush_interval anyway: the
        # imports below then do not compete with the caller's first calls.
        self._wake.wait(self.config.flush_interval)
        while True:
            try:
                if not self._run_once():
                    return
            except Exception as exc:  # the loop survives whatever happens in it
                self._log_once(
                    f"run:{type(exc).__name__}",
                    f"delivery thread recovered from {type(exc).__name__}: {exc}",
                )
                logger.debug("sentrial: delivery thread error", exc_info=True)
                self._stopping.wait(0.1)

    def _load_server_pii(self) -> None:
        """pii=True: ask the server for its settings before the first batch."""
        try:
            self._setup()
            from ._transport import load_server_pii

            load_server_pii(self.config, self._transport)
        except Exception as exc:  # the safe default stays; delivery goes on
            logger.debug("sentrial: PII settings not loaded (%s)", exc)

    def _run_once(self) -> bool:
        import queue  # imported by _setup(): a dictionary lookup

        self._setup()
        if self._insure_needed:
            self._insure_in_flight()
        # Not idle from before looking at the queue until the batch taken is
        # counted in _batches, so flush() never sees "empty and idle" in between.
        self._idle.clear()
        batch = self._next_batch()
        if batch is None:
            if self._stopping.is_set():
                return False
            self._idle.set()
            self._wake.wait(self.config.flush_interval)
            self._wake.clear()
            return True
        with self._lock:
            self._batches += 1
        request = None
        caps = self._caps.known
        if caps is not None and caps.batch:
            try:
                ids = [self._ids.get(op.session_id) for op in batch]
                request = self._transport.encode_batch(batch, ids, caps)
            except Exception:  # encoded again by the sender, which isolates the culprit
                logger.debug("sentrial: batch not encoded", exc_info=True)  # pragma: no mutate
        while True:
            with self._lock:  # shutdown() sees it held, queued or handed over, once
                if self._stopping.is_set():  # give it back, before newer ones
                    self._queue.extendleft(reversed(batch))
                    self._holding = None
                    self._batches -= 1
                    return False
                try:  # never after the stop: shutdown has emptied the hand-off
                    self._handoff.put_nowait((batch, request, caps))
                    return True
                except queue.Full:  # the sender is busy (or the API down)
                    pass
            if self._insure_needed:
                self._insure_in_flight()
            self._flush_spool()  # within flush_interval or so, spooled is on disk
            self._room.wait(0.1)
            self._room.clear()

    def _send_loop(self) -> None:
        """Post the encoded batches, one at a time, in the order they were taken."""
        import queue

        while True:
            try:
                batch, request, caps = self._handoff.get(timeout=0.1)
                self._room.set()
            except queue.Empty:
                if self._stopping.is_set():
                    return
                continue
            self._current = batch
            try:
                left = self._deliver(batch, request, caps)
                if left:  # stopping while the API fails: shutdown keeps them on disk
                    self._unsent.extend(left)
            except Exception as exc:  # a bug must not kill the thread or lose the batch
                if self._stopping.is_set():
                    # e.g. sent through the client shutdown() closed: shutdown
                    # keeps what the sender holds on disk, it is no failure.
                    self._unsent.extend(batch)
                else:
                    self._fail(batch, "internal_error", f"{type(exc).__name__}: {exc}")
                logger.debug("sentrial: delivery failed", exc_info=True)  # pragma: no mutate
            finally:
                self._current = None
                with self._lock:
                    self._batches -= 1
                    if self._holding is batch:  # done: nothing left to insure
                        self._holding = None

    def _next_batch(self) -> list[Operation] | None:
        """The next operations in order: memory queue, own spool, then orphans."""
        size = self.config.batch_size
        queue = self._queue
        while not self._stopping.is_set():
            if queue:
                batch: list[Operation] = []
                with self._lock:  # a spill (caller's thread) sees it taken or queued
                    while queue and len(batch) < size:
                        batch.append(queue.popleft())
                    self._holding = batch
                return self._prepare(batch)
            if self._spool.pending:
                self._flush_spool()
            ops = self._spool.read_own(size) if self._spool.pending else []
            if ops:
                self.counters.add_replayed(len(ops))
                return self._prepare(ops)
            if self._spooling:
                with self._lock:
                    if not self._spool.pending and not queue and not self._stopping.is_set():
                        self._spooling = False  # disk drained: back to the memory queue
                continue
            if self._orphan is None:
                self._orphan = self._spool.orphan()
                if self._orphan is None:
                    return None
            ops = self._orphan.read(size, self._bad_line)
            if ops:
                self.counters.add_replayed(len(ops))
                return self._prepare(ops)
            self._orphan.finish()
            self._orphan = None
        return None

    def _prepare(self, ops: list[Operation]) -> list[Operation]:
        """Session totals and LLM costs (see ``_rollup``); a failure there costs
        the totals of one operation, never its delivery."""
        for op in ops:
            try:
                self._rollup.apply(op)
            except Exception as exc:
                self._log_once("rollup", f"cost/token totals skipped ({type(exc).__name__}: {exc})")
        return ops

    def _deliver(
        self,
        ops: list[Operation],
        request: dict[str, Any] | None = None,
        encoded_for: Capabilities | None = None,
        evidence: tuple[int, int, int] = (0, 0, 0),
    ) -> list[Operation]:
        """Send ``ops`` until each is stored or dead-lettered (or handed to the
        lanes of a server without batches); returns what is left only when
        asked to stop while the API keeps failing. ``evidence``: (failures,
        proofs, accepted then) of the batch ``ops`` were split from, so that
        what the server accepted between the failures of a batch and of its
        halves counts (see _is_poison)."""
        attempt = 0
        failures, proofs, accepted_then = evidence
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
                ops, item_error = self._settle(ops, results)
                if item_error is None:
                    attempt = 0
                    continue
                error = item_error
            except BatchUnsupported as exc:
                request = None
                if not self._batch_still_advertised():
                    continue  # the next round sends one request per operation
                error = RetryableError(f"batch endpoint: {exc}", status_code=exc.status_code)
            except RetryableError as exc:
                error = exc
            except APIError as exc:
                verdict = for_status(exc.status_code or 0, several=len(ops) > 1)
                if verdict.action == Action.SPLIT:
                    return self._deliver_halves(ops)
                self._fail(ops, verdict.reason, str(exc))
                return []
            except Exception as exc:  # encoding, or an answer we cannot read
                if len(ops) > 1:
                    return self._deliver_halves(ops)  # isolate the one at fault
                self._fail(ops, "internal_error", f"{type(exc).__name__}: {exc}")
                return []
            attempt += 1
            failures += 1
            proofs, accepted_then = self._proofs(failures, proofs, accepted_then)
            self._note_retry(error)
            if error.splits and len(ops) > 1 and attempt >= SPLIT_AFTER:
                return self._deliver_halves(ops, (failures, proofs, accepted_then))
            if len(ops) == 1 and attempt >= POISON_ATTEMPTS and self._is_poison(error, proofs):
                self._fail(ops, f"poison_{error.status_code}", str(error))
                return []
            if not self._sleep(self._backoff(attempt, error.retry_after)):
                return ops
        return []

    def _deliver_halves(
        self, ops: list[Operation], evidence: tuple[int, int, int] = (0, 0, 0)
    ) -> list[Operation]:
        half = len(ops) // 2
        left = self._deliver(ops[:half], evidence=evidence)
        if left:
            return left + ops[half:]
        # What the first half's success proves is counted against the second's.
        return self._deliver(ops[half:], evidence=evidence)

    def _is_poison(self, error: RetryableError, proofs: int) -> bool:
        """After POISON_ATTEMPTS failures of one operation: is it the operation
        or the server? The operation, only when the server accepted other
        operations between its failures at least twice (once can be the end of
        an outage, raced by another request). Nothing else proves it: a server
        whose writes all fail (a full disk) may answer 500 to every write while
        its health check says 200, and an outage behind a live router answers
        502/503/504 to everything; what an outage refused is never
        dead-lettered, it waits (memory, then disk)."""
        return error.status_code is not None and proofs >= 2

    def _proofs(self, attempts: int, proofs: int, accepted_then: int) -> tuple[int, int]:
        """After a failure: (proofs, accepted_then) updated (see Operation)."""
        if attempts > 1 and self._accepted > accepted_then:
            proofs += 1
        return proofs, self._accepted

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
                self.config.shown_url,
            )
        return caps.batch

    def _note_retry(self, error: RetryableError) -> None:
        self.counters.add_retry()
        if error.status_code is None:
            self._log_once(
                "unreachable",
                f"cannot reach {self.config.shown_url} ({error}); "
                "operations are kept (memory, then disk) and retried",
            )
        else:
            # A redirect not followed needs the user (see _http): said as a warning.
            level = logging.WARNING if 300 <= error.status_code < 400 else logging.INFO
            self._log_once(f"retry:{error.status_code}", f"will retry: {error}", level)

    def _deliver_one(self, op: Operation) -> None:
        """One operation on its own endpoint (a lane's step): counted as sent
        or dead-lettered, or RetryableError raised to try it again."""
        caps = self._caps.known or self._plain
        try:
            result = self._transport.send_one(op, self._ids.get(op.session_id), caps)
        except RetryableError as exc:
            op.attempts += 1
            op.proofs, op.accepted_then = self._proofs(op.attempts, op.proofs, op.accepted_then)
            if op.attempts >= POISON_ATTEMPTS and exc.splits and self._is_poison(exc, op.proofs):
                self._fail([op], f"poison_{exc.status_code}", str(exc))
                return
            raise
        except Exception as exc:  # a bug must not kill the lane or lose the operation
            self._fail([op], "internal_error", f"{type(exc).__name__}: {exc}")
            return
        _, error = self._settle([op], [result])
        if error is not None:
            raise error

    def _settle(
        self, ops: list[Operation], results: list[ItemResult]
    ) -> tuple[list[Operation], RetryableError | None]:
        """Count results; return the operations to retry and why."""
        retry: list[Operation] = []
        retry_sessions: set[str] = set()
        status = 0
        client_ids = CLIENT_IDS in (self._caps.known or self._plain)
        results = [
            self._checked(op, result, client_ids) for op, result in zip(ops, results, strict=True)
        ]
        # One answer accepting others while refusing an operation is as good
        # as two proofs: no race with the end of an outage is possible.
        accepted_now = sum(result.ok for result in results)
        for op, result in zip(ops, results, strict=True):
            verdict = for_status(result.status)
            if verdict.action == Action.OK:
                self.counters.add_sent()
                self._accepted += 1
            elif verdict.action == Action.RETRY or (
                result.status == 404 and op.session_id in retry_sessions
            ):
                op.attempts += 1
                op.proofs, op.accepted_then = self._proofs(op.attempts, op.proofs, op.accepted_then)
                if accepted_now:  # conclusive: no race with the end of an outage
                    op.proofs = max(op.proofs, 2)
                error = RetryableError(result.message, status_code=result.status)
                if op.attempts >= POISON_ATTEMPTS and self._is_poison(error, op.proofs):
                    self._fail([op], f"poison_{result.status}", result.message)
                    continue
                retry.append(op)
                status = status or result.status
                if op.kind == "create_session":
                    retry_sessions.add(op.session_id)
            else:
                self._fail([op], verdict.reason, result.message)
        self._settled([op for op, result in zip(ops, results, strict=True) if result.ok])
        if not retry:
            return [], None
        message = f"HTTP {status} for {len(retry)} operation(s) of a batch"
        return retry, RetryableError(message, status_code=status)

    def _checked(self, op: Operation, result: ItemResult, client_ids: bool) -> ItemResult:
        """``result``, or a 502 in its place when it cannot be the answer to a
        create (see ServerIds.learn): a proxy's error, retried."""
        if not result.ok or op.kind != "create_session":
            return result
        if self._ids.learn(op.session_id, result.server_id, client_ids):
            return result
        self._log_once("mismatch", f"{self.config.shown_url}: {MISMATCH}")
        return ItemResult(502, MISMATCH)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, RETRY_AFTER_CAP)
        # The exponent is bounded: past attempt ~1030 (hours of outage) 2**attempt
        # no longer fits a float, and the OverflowError dead-lettered the batch.
        return self._random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2 ** min(attempt, 16)))

    def _sleep(self, seconds: float) -> bool:
        """Wait unless stopping; False means give up now."""
        return not self._stopping.wait(seconds)

    def _fail(self, ops: list[Operation], reason: str, message: str, *, keep: bool = True) -> None:
        """``ops`` will not be delivered: keep them in the dead-letter file
        (dropped, under the same reason, when it cannot take them or when
        ``keep`` is False: the spool is full and the disk budget spent)."""
        kept = self._dead.add(ops, reason, message) if keep else 0
        self._settled(ops)
        if kept:
            self.counters.add_failed(reason, kept, kept=True)
        if kept < len(ops):
            self.counters.add_failed(reason, len(ops) - kept, kept=False)
        where = (
            f"kept in {self._dead.path}; `sentrial flush-spool --dead-letter` sends them again"
            if kept
            else "dropped"
        )
        self._log_once(
            f"{reason}:{bool(kept)}",
            f"{len(ops)} operation(s) not delivered to {self.config.shown_url}: "
            f"{reason}: {message} ({where})",
        )

    def _bad_line(self, line: bytes, why: str) -> None:
        kept = self._dead.add_raw(line, "unreadable_spool_line", why)
        self.counters.add_failed("unreadable_spool_line", 1, kept=bool(kept))
        self._log_once("unreadable_spool_line", f"an unreadable spool line was set aside ({why})")

    def _log_once(self, key: str, message: str, level: int = logging.WARNING) -> None:
        if key not in self._logged:
            self._logged.add(key)
            logger.log(level, "sentrial: %s", message)

    # -- control ------------------------------------------------------------

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything submitted so far is delivered; False when
        something was not (dropped, dead-lettered, or still waiting)."""
        empty = self._wait_empty(timeout)
        return not self.counters.failed_since_last_check() and empty

    def _wait_empty(self, timeout: float | None) -> bool:
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
        if not self._ready:
            return not self._queue and self._batches == 0
        return (
            not self._queue
            and self._batches == 0
            and not self._spool.pending
            and self._orphan is None
            and not self._lanes.pending
        )

    def shutdown(self, timeout: float | None = None) -> bool:
        """Flush within ``timeout``, then keep on disk what was not acknowledged."""
        import queue

        timeout = self.config.shutdown_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        saving = min(0.25, timeout / 4)  # kept for writing the leftovers
        delivered = self.flush(max(0.0, timeout - saving))
        self._stopping.set()
        self._spooling = True  # later submits take _submit_slow, to disk (_after_stop)
        self._wake.set()
        self._room.set()

        def left() -> float:
            return max(0.02, deadline - time.monotonic())

        # The delivery thread hands back what it holds (never waits on the network).
        for thread in (self._thread, self._sender):
            if thread is not None:
                thread.join(left() / 2)
        # In order: what the lanes hold, the sender's batch, what it gave up
        # on, the encoded batch waiting for it, the batch being handed over,
        # then the queue. All of it is older than what was spooled before: a
        # fresh segment sorts first.
        leftover = self._lanes.stop(left() / 2) if self._ready else []
        collected: list[list[Operation]] = []
        current = self._current
        if self._sender is not None and self._sender.is_alive() and current:
            # Stuck in a request: keep a copy on disk; if that request does
            # succeed after all, the replay is an idempotent repeat.
            collected.append(current)
        collected.append(self._unsent)
        self._unsent = []
        while self._ready:
            try:
                collected.append(self._handoff.get_nowait()[0])
            except queue.Empty:
                break
        with self._lock:
            # A batch the delivery thread took and is still handing over (it
            # notices the stop at its next try, 0.1 s at most): neither queued
            # nor with the sender, it would be nowhere.
            holding = self._holding
            if holding is not None and all(holding is not batch for batch in collected):
                collected.append(holding)
            for batch in collected:
                leftover.extend(batch)
            leftover.extend(self._queue)
            self._queue.clear()
        if leftover:
            self._to_spool(leftover, fresh=True)
            self._settled(leftover)  # saved again: the segments they came from can go
        with self._journal_lock:  # their operations are settled or in the leftovers
            for journal, _ in self._journals:
                journal.remove()
            self._journals.clear()
        if self._ready:
            self._flush_spool()
            try:
                self._spool.sync()
                self._spool.close()
            except OSError:
                pass
        if self._transport_ is not None:
            self._transport_.close()
        return delivered and not leftover

    def stats(self) -> dict[str, Any]:
        ready = self._ready
        return self.counters.as_dict(
            queued=len(self._queue),
            in_flight=len(self._current or ()) + (self._lanes.in_flight if ready else 0),
            spool_pending=self._spool.pending if ready else 0,
            spooled=self._spool.written if ready else 0,
        )

    def _after_fork_in_child(self) -> None:
        """A fresh engine: the child never re-sends what the parent had queued,
        owns none of its spool segments, and opens its own connections."""
        self._init_state()  # _setup() builds the rest again, with fresh locks
        self._transport_ = None
        self._orphan = None


def _after_fork() -> None:
    global _finalizer_registered
    _finalizer_registered = False
    for delivery in list(_live):
        delivery._after_fork_in_child()


def _at_exit(timeout: float | None = None) -> None:
    for delivery in list(_live):
        try:
            delivery.shutdown(timeout)
        except Exception:  # never raise from an exit hook
            logger.debug("sentrial: shutdown at exit failed", exc_info=True)


_finalizer_registered = False


def _flush_when_a_multiprocessing_child_exits() -> None:
    """multiprocessing children (fork, forkserver, spawn) end with ``os._exit``
    after running multiprocessing's finalizers, never the atexit hooks."""
    global _finalizer_registered
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is None or _finalizer_registered:
        return
    if multiprocessing.parent_process() is None:
        return  # the main process: atexit runs
    from multiprocessing import util

    util.Finalize(None, _at_exit, exitpriority=100)
    _finalizer_registered = True
    _keep_on_disk_when_terminated()


# How long a terminated child may spend handing its operations over (first to
# the API, then to disk) before it ends as SIGTERM asked. A child terminated
# while its engine is still starting (importing httpx on a busy machine) took
# over a second here: the terminating parent (Pool.terminate joins its
# workers) waits at most this long, and only for a child with something left.
TERMINATE_SAVE_SECONDS = 3.0


def _keep_on_disk_when_terminated() -> None:
    """``Pool.terminate()`` (how ``with Pool() as pool:`` ends) and
    ``Process.terminate()`` stop a child with SIGTERM, whose default action
    ends it at once: its engines' queues would be lost. In such a child, when
    the app left SIGTERM alone, a handler first shuts the engines down (what
    is not delivered at once is kept on disk, for the next process), then ends
    the process by SIGTERM as before. See _on_terminate."""
    import signal

    if threading.current_thread() is not threading.main_thread():
        return  # handlers can only be set from the main thread
    try:
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return  # the app (or a framework) handles it: not ours to change
        signal.signal(signal.SIGTERM, _on_terminate)
    except (ValueError, OSError):
        return


def _on_terminate(signum: int, frame: object) -> None:
    """Hand the save to a thread and return at once. The handler runs on the
    main thread, between two steps of whatever it was doing, perhaps with one
    of the engine's locks held (inside submit() or flush()): waiting here for
    the save would wait on that lock, and the save would never finish (the
    process then ended with its queue lost). Returning lets that code go on
    and let go; the thread ends the process by SIGTERM once the engines are
    shut down, or after TERMINATE_SAVE_SECONDS whatever happens. A second
    SIGTERM meanwhile ends the process at once (the default action is back)."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    threading.Thread(target=_save_then_terminate, name="sentrial-terminate", daemon=True).start()


def _save_then_terminate() -> None:
    import signal

    saving = threading.Thread(
        target=_at_exit, args=(TERMINATE_SAVE_SECONDS * 2 / 3,), name="sentrial-save"
    )
    saving.daemon = True
    saving.start()
    saving.join(TERMINATE_SAVE_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)


os.register_at_fork(after_in_child=_after_fork)
