"""Operations waiting for delivery, and their translation to generated models.

An :class:`Operation` holds the keyword arguments of a generated model
(``SessionCreate``, ``EventCreate`` or ``SessionUpdate``) by their Python
names; payload fields are JSON bytes captured at call time. Only here do they
become generated models, on the delivery thread, so the wire format (field
names, enums, date-times) is entirely the generated package's business.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import orjson
from sentrial_api.models import (
    CreateEventOperation,
    CreateSessionOperation,
    EventCreate,
    EventType,
    JsonObject,
    SessionCreate,
    SessionStatusUpdate,
    SessionUpdate,
    SessionUpdateCustomMetrics,
    ToolError,
    UpdateSessionOperation,
)

Kind = Literal["create_session", "create_event", "update_session"]
BatchItem = CreateSessionOperation | CreateEventOperation | UpdateSessionOperation
Model = SessionCreate | EventCreate | SessionUpdate

_OBJECT_FIELDS = frozenset({"metadata", "tool_input", "tool_output", "state_before", "state_after"})
_TIME_FIELDS = frozenset({"timestamp", "started_at", "completed_at"})


class Operation:
    """One create-session, create-event or update-session, in call order."""

    __slots__ = ("fields", "kind", "session_id")

    def __init__(self, kind: Kind, session_id: str, fields: dict[str, Any]) -> None:
        self.kind = kind
        self.session_id = session_id
        self.fields = fields

    def to_record(self) -> bytes:
        """One spool line: JSON, payload bytes embedded as they are."""
        fields = {
            k: orjson.Fragment(v) if isinstance(v, bytes) else v for k, v in self.fields.items()
        }
        return orjson.dumps([self.kind, self.session_id, fields])

    @classmethod
    def from_record(cls, line: bytes) -> Operation:
        kind, session_id, fields = orjson.loads(line)
        if kind not in ("create_session", "create_event", "update_session"):
            raise ValueError(f"unknown operation kind {kind!r}")
        return cls(kind, session_id, fields)

    def __repr__(self) -> str:
        return f"Operation({self.kind}, {self.session_id})"


def _from_ns(value: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(value / 1e9, tz=dt.UTC)


def _kwargs(fields: dict[str, Any], session_id: str | None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for name, value in fields.items():
        if isinstance(value, bytes):
            value = orjson.loads(value)
        if name in _OBJECT_FIELDS:
            value = JsonObject.from_dict(value) if isinstance(value, dict) else value
        elif name in _TIME_FIELDS and isinstance(value, int):
            value = _from_ns(value)
        elif name == "tool_error" and isinstance(value, dict):
            value = ToolError.from_dict(value)
        elif name == "custom_metrics" and isinstance(value, dict):
            value = SessionUpdateCustomMetrics.from_dict(value)
        kwargs[name] = value
    if session_id is not None:
        kwargs["session_id"] = session_id
    return kwargs


def to_model(op: Operation, session_id: str) -> Model:
    """The generated request model of ``op``, for the session id the server knows."""
    if op.kind == "create_session":
        kwargs = _kwargs(op.fields, None)
        kwargs["id"] = session_id
        return SessionCreate(**kwargs)
    if op.kind == "create_event":
        kwargs = _kwargs(op.fields, session_id)
        kwargs["event_type"] = EventType(kwargs["event_type"])
        return EventCreate(**kwargs)
    kwargs = _kwargs(op.fields, None)
    if "status" in kwargs:
        kwargs["status"] = SessionStatusUpdate(kwargs["status"])
    return SessionUpdate(**kwargs)


def to_batch_item(op: Operation, session_id: str) -> BatchItem:
    model = to_model(op, session_id)
    if isinstance(model, SessionCreate):
        return CreateSessionOperation(op="createSession", body=model)
    if isinstance(model, EventCreate):
        return CreateEventOperation(op="createEvent", body=model)
    return UpdateSessionOperation(op="updateSession", session_id=session_id, body=model)
