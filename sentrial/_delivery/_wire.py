"""Operations (see ``_operation``) translated to the generated package's models.

Only here, on the delivery thread, do operations become generated models or
their wire dicts, so the wire format (field names, enums, date-times) is
entirely the generated package's business.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Self, cast

import attrs
import orjson
from sentrial_api.models import (
    BatchItemResult,
    BatchResponse,
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

from .._capabilities import FULL, Capabilities
from .._ids import iso_utc
from .._operation import Operation
from ._plain import adapt

BatchItem = CreateSessionOperation | CreateEventOperation | UpdateSessionOperation
Model = SessionCreate | EventCreate | SessionUpdate

_OBJECT_FIELDS = frozenset({"metadata", "tool_input", "tool_output", "state_before", "state_after"})
_TIME_FIELDS = frozenset({"timestamp", "started_at", "completed_at"})


class _Raw:
    """A JSON value already serialized at call time: embedded as is, not re-encoded."""

    raw: bytes = b"{}"

    @classmethod
    def of(cls, raw: bytes) -> Self:
        obj = cls()
        obj.raw = raw
        return obj

    def to_dict(self) -> dict[str, Any]:
        return cast(dict[str, Any], orjson.Fragment(self.raw))


class _RawObject(_Raw, JsonObject):
    pass


class _RawToolError(_Raw, ToolError):
    pass


def _from_ns(value: int) -> dt.datetime:
    """Exact to the microsecond (truncated; a float division would round)."""
    seconds, ns = divmod(value, 1_000_000_000)
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).replace(microsecond=ns // 1000)


def _kwargs(fields: dict[str, Any], session_id: str | None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for name, value in fields.items():
        if isinstance(value, bytes):  # captured JSON: embedded without a parse
            if name in _OBJECT_FIELDS:
                value = _RawObject.of(value)
            elif name == "tool_error":
                value = _RawToolError.of(value)
            else:
                value = orjson.Fragment(value)
        elif name in _OBJECT_FIELDS:
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


# -- the fast path of the delivery thread ------------------------------------------
#
# Converting every operation to attrs models and back (to_model + to_dict) costs
# ~15 us of Python per operation on the delivery thread, time the caller's
# threads then wait for the GIL. The batch path instead builds the wire dict
# directly, with the JSON field names read off the generated models once, at
# import: each model is built with markers as values and ``to_dict()`` shows
# which key every attribute becomes. No field name is written here by hand, and
# a test checks both paths produce the same JSON.


class _Marker(str):
    """Stands for an attribute in ``to_dict()``, whatever conversion it applies."""

    __slots__ = ()

    @property
    def value(self) -> _Marker:  # enums
        return self

    def isoformat(self) -> _Marker:  # date-times
        return self

    def to_dict(self) -> _Marker:  # nested models
        return self


def _marked_dict(model: Any, **fixed: Any) -> dict[str, Any]:
    markers: dict[str, Any] = {f.name: _Marker(f.name) for f in attrs.fields(model) if f.init}
    markers.update(fixed)
    result: dict[str, Any] = model(**markers).to_dict()
    return result


def _wire_names(model: Any, **fixed: Any) -> dict[str, str]:
    """Attribute name -> JSON key, for every attribute that is not ``fixed``."""
    return {
        str(value): key
        for key, value in _marked_dict(model, **fixed).items()
        if isinstance(value, _Marker)
    }


_NAMES: dict[str, dict[str, str]] = {
    "create_session": _wire_names(SessionCreate),
    "create_event": _wire_names(EventCreate),
    "update_session": _wire_names(SessionUpdate),
}
# Per kind: the constant part of a batch item ({"op": ...}) and its other keys.
_ENVELOPES: dict[str, tuple[dict[str, Any], dict[str, str]]] = {}
for _kind, _model, _op in (
    ("create_session", CreateSessionOperation, "createSession"),
    ("create_event", CreateEventOperation, "createEvent"),
    ("update_session", UpdateSessionOperation, "updateSession"),
):
    _item = _marked_dict(_model, op=_op)
    _ENVELOPES[_kind] = (
        {k: v for k, v in _item.items() if not isinstance(v, _Marker)},
        {str(v): k for k, v in _item.items() if isinstance(v, _Marker)},
    )


_RESULTS_KEY = next(iter(BatchResponse(results=[]).to_dict()))  # its only field
_RESULT_NAMES = _wire_names(BatchItemResult)


def read_batch_results(content: bytes) -> list[tuple[int, int, str | None, str]] | None:
    """(index, status, id, message) per item of a batch response, read without
    building models (200 of them per batch); None if the body does not fit."""
    try:
        rows = orjson.loads(content)[_RESULTS_KEY]
        names = _RESULT_NAMES
        index, status, ident, message = (
            names["index"],
            names["status"],
            names["id"],
            names["message"],
        )
        return [(int(r[index]), int(r[status]), r.get(ident), r.get(message) or "") for r in rows]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _iso(ns: int) -> str:
    """``_from_ns(ns).isoformat()`` (a test keeps the two equal), fast."""
    return iso_utc(ns)


_TIME_KEYS = frozenset(names[t] for names in _NAMES.values() for t in _TIME_FIELDS if t in names)


def wire_body(op: Operation, session_id: str, caps: Capabilities = FULL) -> dict[str, Any]:
    """The request body of ``op`` as the generated ``to_dict()`` would give it,
    without the extensions ``caps`` lacks (see ``_plain``)."""
    names = _NAMES[op.kind]
    body: dict[str, Any] = {}
    if caps.full:  # our own server: one pass, the delivery thread's hot loop
        for name, value in op.fields.items():
            if type(value) is bytes:
                value = orjson.Fragment(value)
            elif name in _TIME_FIELDS and type(value) is int:
                value = _iso(value)
            body[names[name]] = value
    else:
        raw = {names[name]: value for name, value in op.fields.items()}
        if op.kind == "create_session":
            raw[names["id"]] = session_id
        for key, value in adapt(op.kind, raw, caps).items():
            if type(value) is bytes:
                value = orjson.Fragment(value)
            elif key in _TIME_KEYS and type(value) is int:
                value = _iso(value)
            body[key] = value
    if op.kind == "create_session":
        if caps.full:
            body[names["id"]] = session_id
    elif op.kind == "create_event":
        body[names["session_id"]] = session_id
    return body


def to_wire(op: Operation, session_id: str, caps: Capabilities = FULL) -> dict[str, Any]:
    """The batch item of ``op`` as the generated ``to_dict()`` would give it."""
    fixed, envelope = _ENVELOPES[op.kind]
    item = dict(fixed)
    item[envelope["body"]] = wire_body(op, session_id, caps)
    if "session_id" in envelope:
        item[envelope["session_id"]] = session_id
    return item


def to_batch_item(op: Operation, session_id: str) -> BatchItem:
    model = to_model(op, session_id)
    if isinstance(model, SessionCreate):
        return CreateSessionOperation(op="createSession", body=model)
    if isinstance(model, EventCreate):
        return CreateEventOperation(op="createEvent", body=model)
    return UpdateSessionOperation(op="updateSession", session_id=session_id, body=model)
