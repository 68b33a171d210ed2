"""One request per operation, many in flight: delivery to a server without batches.

The hosted Sentrial API has no batch endpoint, so for most users every
operation is a request of its own; one after the other, a server answering in
50 ms takes 20 operations a second. Here each session is a lane whose
operations go one at a time, in order (its create before its events, its
events before its update), while up to ``concurrency`` lanes are in flight at
once over the transport's kept-alive connections. The server is shared, so
so is its backoff: a 429 or 5xx on any lane pauses them all, once per pause
(requests already in flight when it began do not stretch it further).
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable

from .._operation import Operation
from ._policy import RetryableError

#: Sends one operation and counts its result (sent, or dropped for a reason);
#: raises RetryableError when it should be tried again.
DeliverOne = Callable[[Operation], None]
Backoff = Callable[[int, "float | None"], float]


class Lanes:
    def __init__(
        self,
        deliver_one: DeliverOne,
        backoff: Backoff,
        stopping: threading.Event,
        *,
        concurrency: int,
        window: int,
        on_retry: Callable[[RetryableError], None],
    ) -> None:
        self._deliver_one = deliver_one
        self._backoff = backoff
        self._stopping = stopping
        self._concurrency = max(1, concurrency)
        self._window = max(1, window)
        self._on_retry = on_retry
        self._cond = threading.Condition()
        self._lanes: dict[str, collections.deque[Operation]] = {}
        self._ready: collections.deque[str] = collections.deque()  # lanes with nothing in flight
        self._workers: list[threading.Thread] = []
        self._paused_until = 0.0
        self._attempt = 0
        self.pending = 0  # operations in lanes, in flight included
        self.in_flight = 0

    def add(self, ops: list[Operation]) -> list[Operation]:
        """Queue ``ops`` behind what their sessions already have in lanes.

        Waits while ``window`` operations are pending (the memory queue, not
        the lanes, is where a backlog belongs); returns what it could not take
        because delivery is stopping.
        """
        with self._cond:
            while self.pending >= self._window:
                if self._stopping.is_set():
                    return ops
                self._cond.wait(0.1)
            ready = len(self._ready)
            for op in ops:
                lane = self._lanes.get(op.session_id)
                if lane is None:
                    lane = self._lanes[op.session_id] = collections.deque()
                    self._ready.append(op.session_id)
                lane.append(op)
            self.pending += len(ops)
            self._start_workers()
            self._cond.notify(len(self._ready) - ready)  # one worker per new lane
        return []

    def _start_workers(self) -> None:
        wanted = min(self._concurrency, len(self._ready) + self.in_flight)
        while len(self._workers) < wanted:
            worker = threading.Thread(
                target=self._work, name=f"sentrial-lane-{len(self._workers)}", daemon=True
            )
            worker.start()
            self._workers.append(worker)

    def _take(self) -> tuple[str, Operation] | None:
        """The next lane's first operation, once no pause holds it back."""
        with self._cond:
            while True:
                if self._stopping.is_set():
                    return None
                wait = self._paused_until - time.monotonic()
                if self._ready and wait <= 0:
                    session_id = self._ready.popleft()
                    self.in_flight += 1
                    return session_id, self._lanes[session_id][0]
                self._cond.wait(min(max(wait, 0.01), 0.1) if self._ready else 0.1)

    def _work(self) -> None:
        while True:
            taken = self._take()
            if taken is None:
                return
            session_id, op = taken
            error: RetryableError | None = None
            try:
                self._deliver_one(op)
            except RetryableError as exc:
                error = exc
            with self._cond:
                self.in_flight -= 1
                lane = self._lanes.get(session_id)
                if lane is None:  # handed back by stop() meanwhile
                    continue
                if error is None:
                    lane.popleft()
                    self.pending -= 1
                    self._attempt = 0
                else:
                    self._pause(error)
                if lane:
                    self._ready.append(session_id)
                    self._cond.notify()  # a worker for it (this one, if none waits)
                else:
                    del self._lanes[session_id]
                if not self.pending:
                    self._cond.notify_all()  # wait_empty()
            if error is not None:
                self._on_retry(error)

    def _pause(self, error: RetryableError) -> None:
        now = time.monotonic()
        if now >= self._paused_until:  # the first failure of this pause sets it
            self._attempt += 1
            self._paused_until = now + self._backoff(self._attempt, error.retry_after)

    def snapshot(self) -> list[Operation]:
        """What the lanes hold (in flight included), each session in order."""
        with self._cond:
            return [op for lane in self._lanes.values() for op in lane]

    def wait_empty(self) -> bool:
        """Wait until every lane is delivered; False if stopping first."""
        with self._cond:
            while self.pending:
                if self._stopping.is_set():
                    return False
                self._cond.wait(0.1)
        return True

    def stop(self, timeout: float) -> list[Operation]:
        """Let requests in flight finish within ``timeout``; returns what is left,
        each session's operations in order (those still in flight included:
        if such a request does succeed, the copy is a repeat)."""
        deadline = time.monotonic() + timeout
        for worker in self._workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        with self._cond:
            left = [op for lane in self._lanes.values() for op in lane]
            self._lanes.clear()
            self._ready.clear()
            self.pending = 0
            self._cond.notify_all()
        return left
