"""``delivery="sync"``: one direct request per call, for scripts and serverless.

Slower for the caller by design (a round trip per call) but nothing is left
in memory when the function returns. Errors are raised when the client was
made with ``fail_silently=False``, and counted otherwise.
"""

from __future__ import annotations

import collections
import logging
import threading
from typing import Any

from ._capabilities import CapabilityCache
from ._config import Config
from ._errors import APIError, AuthenticationError
from ._operation import Operation
from ._rollup import Rollup
from ._server_ids import ServerIds
from ._spool import spool_directory
from ._transport import Transport

logger = logging.getLogger("sentrial")


class SyncDelivery:
    def __init__(self, config: Config) -> None:
        self.config = config
        self._transport = Transport(config)
        self._rollup = Rollup()
        self._lock = threading.Lock()
        self._caps = CapabilityCache()
        self._ids = ServerIds(spool_directory(config))
        self._sent = 0
        self._tracked = 0
        self._dropped: collections.Counter[str] = collections.Counter()

    def submit(self, op: Operation) -> None:
        with self._lock:
            self._tracked += 1
            self._rollup.apply(op)
        try:
            caps = self._caps.get(self._transport.probe)
            result = self._transport.send_one(op, self._ids.get(op.session_id), caps)
        except APIError as exc:
            self._fail(
                "unreachable" if exc.status_code is None else f"rejected_{exc.status_code}", exc
            )
            return
        if not result.ok:
            error_type = AuthenticationError if result.status in (401, 403) else APIError
            self._fail(
                f"rejected_{result.status}",
                error_type(f"HTTP {result.status}: {result.message}", status_code=result.status),
            )
            return
        with self._lock:
            self._sent += 1
        if op.kind == "create_session" and result.server_id not in (None, op.session_id):
            self._ids.remember(op.session_id, str(result.server_id))

    def _fail(self, reason: str, exc: APIError) -> None:
        with self._lock:
            self._dropped[reason] += 1
        if not self.config.fail_silently:
            raise exc
        logger.warning("sentrial: request failed: %s", exc)

    def flush(self, timeout: float | None = None) -> bool:
        return True

    def shutdown(self, timeout: float | None = None) -> bool:
        self._transport.close()
        return True

    def stats(self) -> dict[str, Any]:
        return {"tracked": self._tracked, "sent": self._sent, "dropped": dict(self._dropped)}
