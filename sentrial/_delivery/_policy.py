"""The response policy: what an answer means for the operations it answers.

One table for both engines (background and sync) and every path (batch,
one request per operation): an answer is ``ok``, worth a ``retry`` later
(network trouble, 408/425/429/5xx, with ``Retry-After`` when the server gave
a usable one), a reason to ``split`` (413: the body was too large for the
server), or final: ``dead_letter`` (kept on disk with its reason, for
``sentrial flush-spool --dead-letter`` to show and retry). Operations are
only ever *dropped* when even the dead-letter file cannot take them; that is
the dead-letter file's decision, not this table's.

Light on purpose (no httpx): the caller's thread imports it.
"""

from __future__ import annotations

import time

from .._errors import APIError, DeliveryError

RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# A single operation that keeps failing with a retryable status while the
# server otherwise answers is a poison operation: after this many attempts it
# goes to the dead-letter file instead of blocking what is queued behind it.
POISON_ATTEMPTS = 5
# A batch that fails this many times in a row with a 5xx is split in halves,
# so that one poison operation cannot hold back the other 199.
SPLIT_AFTER = 2


class Action:
    """What an answer means (plain strings: this module is on the first call's path)."""

    OK = "ok"
    RETRY = "retry"
    SPLIT = "split"
    DEAD_LETTER = "dead_letter"


class Verdict:
    __slots__ = ("action", "reason", "retry_after")

    def __init__(self, action: str, reason: str = "", retry_after: float | None = None) -> None:
        self.action = action
        self.reason = reason  # the stats key of a dead-letter, e.g. "rejected_400"
        self.retry_after = retry_after


def is_success(status: int) -> bool:
    return 200 <= status < 300


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header; None when absent or unusable
    (then the usual backoff applies)."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        import email.utils  # ~8 ms of imports: only when a server sends a date

        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # not an HTTP date (those are GMT)
            return None
        return max(0.0, when.timestamp() - time.time())
    return seconds if seconds >= 0 and seconds == seconds and seconds != float("inf") else None


def for_status(status: int, retry_after: str | None = None, *, several: bool = False) -> Verdict:
    """What to do with operations answered ``status``."""
    if is_success(status):
        return Verdict(Action.OK)
    if status == 413 and several:
        return Verdict(Action.SPLIT)
    if status in RETRYABLE_STATUSES:
        return Verdict(Action.RETRY, f"http_{status}", parse_retry_after(retry_after))
    if status in (401, 403):
        return Verdict(Action.DEAD_LETTER, "unauthorized")
    return Verdict(Action.DEAD_LETTER, f"rejected_{status}")


class RetryableError(DeliveryError):
    """Worth trying again later: network trouble, 408, 425, 429, 5xx."""

    def __init__(
        self, message: str, *, status_code: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status_code=status_code)
        self.retry_after = retry_after

    @property
    def splits(self) -> bool:
        """A server error that one operation of a batch may have caused."""
        return self.status_code is not None and self.status_code >= 500


class BatchUnsupported(APIError):
    """The batch endpoint answered 404/405 (a plain server, or a proxy in the way)."""


class ItemResult:
    """The answer to one operation (its own request, or its item of a batch)."""

    __slots__ = ("message", "server_id", "status")

    def __init__(self, status: int, message: str = "", server_id: str | None = None) -> None:
        self.status = status
        self.message = message
        self.server_id = server_id

    @property
    def ok(self) -> bool:
        return is_success(self.status)

    @property
    def retryable(self) -> bool:
        return self.status in RETRYABLE_STATUSES
