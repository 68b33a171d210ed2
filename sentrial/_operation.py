"""One operation waiting for delivery: create a session, record an event, update a session.

It holds the keyword arguments of a generated model (``SessionCreate``,
``EventCreate`` or ``SessionUpdate``) by their Python names; payload fields are
JSON bytes captured at call time. Kept apart from ``_ops`` so that making one
on the caller's thread never imports the generated package.
"""

from __future__ import annotations

from typing import Any, Literal

import orjson

Kind = Literal["create_session", "create_event", "update_session"]


class Operation:
    """One create-session, create-event or update-session, in call order."""

    __slots__ = ("accepted_then", "attempts", "fields", "kind", "proofs", "segment", "session_id")

    def __init__(self, kind: Kind, session_id: str, fields: dict[str, Any]) -> None:
        self.kind = kind
        self.session_id = session_id
        self.fields = fields
        self.attempts = 0  # failed deliveries so far (not kept on disk)
        # Failures after which the server had accepted other operations since
        # the previous one (evidence that it is this one), and the count of
        # accepted operations at its last failure. Neither is kept on disk.
        self.proofs = 0
        self.accepted_then = 0
        self.segment: Any = None  # the spool segment it was read from, until settled

    @property
    def time_ns(self) -> int:
        """When it happened on the client (its start/event/completion time)."""
        for name in ("timestamp", "started_at", "completed_at"):
            value = self.fields.get(name)
            if type(value) is int:
                return value
        return 0

    def to_record(self) -> bytes:
        """One spool line: JSON, payload bytes embedded as they are."""
        fields = {
            k: orjson.Fragment(v) if isinstance(v, bytes) else v for k, v in self.fields.items()
        }
        return orjson.dumps([self.kind, self.session_id, fields])

    @classmethod
    def from_record(cls, line: bytes) -> Operation:
        """The operation of a spool line; ValueError for anything else."""
        record = orjson.loads(line)
        if not isinstance(record, list) or len(record) != 3:
            raise ValueError("not an operation record")
        kind, session_id, fields = record
        if kind not in ("create_session", "create_event", "update_session"):
            raise ValueError(f"unknown operation kind {kind!r}")
        if not isinstance(session_id, str) or not session_id or not isinstance(fields, dict):
            raise ValueError("malformed operation record")
        return cls(kind, session_id, fields)

    def __repr__(self) -> str:
        return f"Operation({self.kind}, {self.session_id})"
