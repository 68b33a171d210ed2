"""What a server supports beyond the documented Sentrial API.

The hosted API documents three endpoints; our server (``sentrial serve``)
adds a batch endpoint, client-chosen ids, client timestamps and ``llm_call``
events, and says so in ``GET /api/sdk/health`` (``capabilities``). The SDK
asks instead of guessing: a server that does not list an extension never
receives its paths, fields or event types, only what the documented API and
the published SDK send. Answers are cached and asked again every
``CAPABILITY_TTL`` seconds, so a server that is upgraded, or a proxy that
answered 404 once, does not fix the mode for the life of the process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

BATCH = "batch"
CLIENT_IDS = "client_ids"
CLIENT_TIMESTAMPS = "client_timestamps"
LLM_CALL = "llm_call"
READS = "reads"
OTEL = "otel"
# Experiment runs recorded by their sessions (metadata experimentId,
# experimentRunId, ...), so they travel the SDK's durable delivery.
EXPERIMENT_SESSIONS = "experiment_sessions"
SIGNALS = "signals"  # GET /api/signals, GET /api/sessions/{id}/diagnosis
VARIANTS = "variants"  # production assignments of users to experiment variants
ALL = frozenset(
    {
        BATCH,
        CLIENT_IDS,
        CLIENT_TIMESTAMPS,
        LLM_CALL,
        READS,
        OTEL,
        EXPERIMENT_SESSIONS,
        SIGNALS,
        VARIANTS,
    }
)

CAPABILITY_TTL = 300.0

# Request fields that belong to an extension, by operation and JSON key. The
# spec marks the same properties with ``x-sentrial-capability`` (a test keeps
# the two equal); everything else in a request is the documented API.
EXTENSION_FIELDS: dict[str, dict[str, str]] = {
    "create_session": {
        "id": CLIENT_IDS,
        "startedAt": CLIENT_TIMESTAMPS,
        "experimentAssignmentId": VARIANTS,
    },
    "create_event": {
        "id": CLIENT_IDS,
        "timestamp": CLIENT_TIMESTAMPS,
        "durationMs": LLM_CALL,
        "model": LLM_CALL,
        "provider": LLM_CALL,
        "promptTokens": LLM_CALL,
        "completionTokens": LLM_CALL,
        "cachedTokens": LLM_CALL,
        "cacheWriteTokens": LLM_CALL,
        "input": LLM_CALL,
        "output": LLM_CALL,
        "parentSpanId": OTEL,
    },
    "update_session": {"completedAt": CLIENT_TIMESTAMPS},
}
DOCUMENTED_EVENT_TYPES = frozenset({"tool_call", "llm_decision", "state_change", "error"})


class Capabilities:
    """The extensions one server advertised (empty: a plain Sentrial server)."""

    __slots__ = ("batch", "full", "names")

    def __init__(self, names: frozenset[str] = frozenset()) -> None:
        self.names = names
        # A batch names sessions by the ids the client chose: without
        # client_ids, an event sent with its session's create would name no
        # session on the server. Such a server is sent one request per operation.
        self.batch = BATCH in names and CLIENT_IDS in names
        # every extension the SDK can use: requests go out unchanged
        self.full = names >= ALL - {READS, EXPERIMENT_SESSIONS}

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Capabilities) and other.names == self.names

    def __hash__(self) -> int:
        return hash(self.names)

    def __repr__(self) -> str:
        return f"Capabilities({sorted(self.names)})"


PLAIN = Capabilities()
FULL = Capabilities(ALL)


def from_health(body: object) -> Capabilities:
    """The capabilities in a health answer; anything unexpected means none."""
    names = body.get("capabilities") if isinstance(body, dict) else None
    if not isinstance(names, list):
        return PLAIN
    return Capabilities(frozenset(n for n in names if isinstance(n, str)) & ALL)


class CapabilityCache:
    """The last answer of one server, asked again after ``ttl`` or on demand."""

    def __init__(self, ttl: float | None = None) -> None:
        self.ttl = CAPABILITY_TTL if ttl is None else ttl
        self._lock = threading.Lock()
        self._known: Capabilities | None = None
        self._expires = 0.0

    @property
    def known(self) -> Capabilities | None:
        """The cached answer, without asking (None before the first answer)."""
        return self._known

    def get(self, probe: Callable[[], Capabilities]) -> Capabilities:
        """The cached answer, or ``probe()``'s when there is none or it expired.

        ``probe`` may raise (server unreachable): nothing is cached then.
        """
        known = self._known
        if known is not None and time.monotonic() < self._expires:
            return known
        with self._lock:
            if self._known is not None and time.monotonic() < self._expires:
                return self._known
            fresh = probe()
            self._known, self._expires = fresh, time.monotonic() + self.ttl
            return fresh

    def refresh(self, probe: Callable[[], Capabilities]) -> Capabilities:
        """Ask again now (e.g. the batch endpoint answered 404)."""
        self._expires = 0.0
        return self.get(probe)
