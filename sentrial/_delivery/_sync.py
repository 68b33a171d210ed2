"""``delivery="sync"``: one direct request per call, for scripts and serverless.

Slower for the caller by design (a round trip per call) but nothing is left
in memory when the function returns. Answers go through the same response
policy as in the background: what is worth retrying later goes to the spool
(the next background process, or ``sentrial flush-spool``, delivers it);
what the server refuses goes to the dead-letter file. Errors are raised
when the client was made with ``fail_silently=False``, and counted otherwise.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from .._capabilities import CLIENT_IDS, CapabilityCache
from .._config import Config
from .._errors import APIError, AuthenticationError
from .._operation import Operation
from . import Stats
from ._dead_letter import DeadLetter
from ._policy import Action, RetryableError, for_status
from ._rollup import Rollup
from ._server_ids import MISMATCH, ServerIds
from ._spool import Spool, spool_directory
from ._transport import Transport, load_server_pii

logger = logging.getLogger("sentrial")


class SyncDelivery:
    def __init__(self, config: Config) -> None:
        self.config = config
        directory = spool_directory(config)
        self._transport = Transport(config)
        load_server_pii(config, self._transport)
        self._caps = CapabilityCache()
        self._ids = ServerIds(directory)
        self._spool = Spool(directory, config.max_spool_bytes)
        self._dead = DeadLetter(directory, config.max_spool_bytes)
        self._lock = threading.Lock()
        self.counters = Stats()
        self._rollup = Rollup(self.counters.add_lost_totals)

    def submit(self, op: Operation) -> None:
        next(self.counters.tracked)
        with self._lock:
            try:
                self._rollup.apply(op)
            except Exception as exc:  # totals are a convenience, delivery is not
                logger.warning("sentrial: cost/token totals skipped (%s)", exc)
        try:
            caps = self._caps.get(self._transport.probe)
            result = self._transport.send_one(op, self._ids.get(op.session_id), caps)
            if (
                result.ok
                and op.kind == "create_session"
                and not self._ids.learn(op.session_id, result.server_id, CLIENT_IDS in caps)
            ):  # not the answer to this create: kept for a retry, as a proxy's error
                raise RetryableError(MISMATCH, status_code=502)
        except RetryableError as exc:
            accepted, failed, _ = self._spool.append([op])
            if not accepted or failed:
                self._fail(op, "spool_full" if not accepted else "spool_error", exc)
            self._raise(exc, f"kept on disk for a later retry ({self._spool.directory})")
            return
        verdict = for_status(result.status)
        if verdict.action == Action.OK:
            self.counters.add_sent()
            return
        error_type = AuthenticationError if verdict.reason == "unauthorized" else APIError
        error = error_type(f"HTTP {result.status}: {result.message}", status_code=result.status)
        self._fail(op, verdict.reason, error)
        self._raise(error, f"kept in {self._dead.path}")

    def _fail(self, op: Operation, reason: str, exc: APIError) -> None:
        kept = self._dead.add([op], reason, str(exc))
        self.counters.add_failed(reason if kept else "dead_letter_full", 1, kept=bool(kept))

    def _raise(self, exc: APIError, where: str) -> None:
        if not self.config.fail_silently:
            raise exc
        logger.warning("sentrial: request to %s failed: %s; %s", self.config.shown_url, exc, where)

    def start(self) -> None:
        """Nothing to start: every call sends its own request."""

    def flush(self, timeout: float | None = None) -> bool:
        return not self.counters.failed_since_last_check() and not self._spool.pending

    def shutdown(self, timeout: float | None = None) -> bool:
        delivered = self.flush(timeout)
        self._spool.close()
        self._transport.close()
        return delivered

    def stats(self) -> dict[str, Any]:
        return self.counters.as_dict(
            queued=0,
            in_flight=0,
            spooled=self._spool.written,
            spool_pending=self._spool.pending,
        )
