"""``BatcherConfig`` and ``EventBatcher`` of the published SDK (``sentrial.batcher``).

Ours always batches: every client hands operations to a background thread
that sends them in batches, so ``SentrialClient(batching=...)`` is accepted
and only tunes the flush interval. ``EventBatcher`` is kept for code that
used it directly: it queues calls and makes them on ``flush``/``shutdown``
(or when ``flush_threshold`` are queued); it never raises.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["BatcherConfig", "EventBatcher", "SendFn"]

logger = logging.getLogger("sentrial")

SendFn = Callable[..., Any]


@dataclass
class BatcherConfig:
    """Published batching settings; ``flush_interval`` tunes our delivery thread."""

    enabled: bool = False
    flush_interval: float = 1.0
    flush_threshold: int = 10
    max_queue_size: int = 1000


class EventBatcher:
    """Queue of ``send_fn(method, url, **kwargs)`` calls, made in order on flush."""

    def __init__(self, send_fn: SendFn, config: BatcherConfig | None = None) -> None:
        self._send = send_fn
        self._config = config or BatcherConfig(enabled=True)
        self._queue: deque[tuple[str, str, dict[str, Any]]] = deque()
        self._lock = threading.Lock()
        self._closed = False

    @property
    def size(self) -> int:
        return len(self._queue)

    def enqueue(self, method: str, url: str, **kwargs: Any) -> None:
        if self._closed:
            self._call(method, url, kwargs)
            return
        with self._lock:
            self._queue.append((method, url, kwargs))
            full = len(self._queue) >= max(1, int(self._config.flush_threshold or 1))
        if full:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            items, self._queue = list(self._queue), deque()
        for method, url, kwargs in items:
            self._call(method, url, kwargs)

    def shutdown(self) -> None:
        self._closed = True
        self.flush()

    def _call(self, method: str, url: str, kwargs: dict[str, Any]) -> None:
        try:
            self._send(method, url, **kwargs)
        except Exception as exc:  # never raises, as published
            logger.warning("sentrial: batched %s %s failed: %s", method, url, exc)
