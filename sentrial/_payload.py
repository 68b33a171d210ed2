"""Turn any Python value into JSON bytes, at call time, without ever raising.

The fast path is one ``orjson.dumps`` call (dataclasses, datetimes, UUIDs,
enums and numpy values are native to it). Anything it cannot handle (cycles,
exotic objects, huge ints) goes through :func:`to_jsonable`, a careful and
slower walk with a depth cap and cycle markers. Capturing bytes also freezes
the value: a later mutation by the caller does not change what was tracked.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import decimal
import enum
import re
import traceback
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import orjson

OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
MAX_DEPTH = 32
TRUNCATED_KEY = "_sentrial_truncated"


def default(value: Any) -> Any:
    """orjson's fallback for types it does not know natively."""
    if isinstance(value, decimal.Decimal):
        return float(value) if value.is_finite() else str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _bytes(bytes(value))
    if isinstance(value, BaseException):
        return _exception(value)
    model_dump = getattr(value, "model_dump", None)  # pydantic v2
    if callable(model_dump):
        return model_dump(mode="json")
    attrs_fields = getattr(type(value), "__attrs_attrs__", None)
    if attrs_fields is not None:
        return {a.name: getattr(value, a.name) for a in attrs_fields}
    tolist = getattr(value, "tolist", None)  # numpy arrays of object dtype, etc.
    if callable(tolist):
        return tolist()
    if isinstance(value, Mapping):
        return dict(value)
    return repr(value)


def _bytes(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return "base64:" + base64.b64encode(data).decode()


def _exception(exc: BaseException) -> dict[str, Any]:
    return {"type": type(exc).__name__, "message": str(exc)}


def to_jsonable(value: Any, _depth: int = 0, _seen: set[int] | None = None) -> Any:
    """A JSON-safe copy of ``value``: cycles and depth become markers."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**64 else str(value)
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if _depth >= MAX_DEPTH:
        return "<max depth>"
    seen = set() if _seen is None else _seen
    if id(value) in seen:
        return "<cycle>"
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, dt.timedelta)):
        return str(value)
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value, _depth + 1, seen)
    seen.add(id(value))
    try:
        if isinstance(value, Mapping):
            return {_key(k): to_jsonable(v, _depth + 1, seen) for k, v in list(value.items())}
        if isinstance(value, (list, tuple, set, frozenset)):
            return [to_jsonable(v, _depth + 1, seen) for v in list(value)]
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
            return to_jsonable(fields, _depth + 1, seen)
        try:
            converted = default(value)
        except Exception as exc:  # a broken __repr__ or model_dump
            return f"<unserializable {type(value).__name__}: {type(exc).__name__}>"
        if isinstance(converted, str):
            return converted
        return to_jsonable(converted, _depth + 1, seen)
    finally:
        seen.discard(id(value))


def _key(key: Any) -> str:
    return key if isinstance(key, str) else str(to_jsonable(key))


def compact(data: bytes) -> bytes:
    """A right-sized copy: orjson's result keeps its whole write buffer (about
    4 KB even for a 50-byte document), which a queue of many small payloads
    would multiply into hundreds of MB."""
    return bytes(memoryview(data))


def dumps(value: Any) -> bytes:
    """JSON bytes of any value; never raises."""
    try:
        return orjson.dumps(value, default=default, option=OPTIONS)
    except Exception:
        try:
            return orjson.dumps(to_jsonable(value), option=OPTIONS)
        except Exception as exc:
            return orjson.dumps(f"<unserializable {type(value).__name__}: {exc}>")


def capture(
    value: Any,
    *,
    max_bytes: int,
    mask: Callable[[Any], Any] | None = None,
    redact: Callable[[bytes], bytes] | None = None,
    as_object: bool = False,
) -> bytes:
    """Serialized snapshot of ``value`` for one field of an event.

    ``as_object`` wraps non-objects as ``{"value": ...}`` for fields the API
    types as JSON objects. Past ``max_bytes`` the field becomes a visible
    marker object holding a preview, never silently cut JSON.
    """
    if mask is not None:
        try:
            value = mask(value)
        except Exception as exc:  # a failing mask must not leak the raw value
            value = f"<mask failed: {type(exc).__name__}>"
    data = dumps(value)
    if as_object and not data.startswith(b"{"):
        data = b'{"value":' + data + b"}"
    if redact is not None:
        data = redact(data)
    if len(data) > max_bytes:
        preview = data[: max(0, max_bytes // 2)].decode("utf-8", "ignore")
        marker = {TRUNCATED_KEY: True, "original_bytes": len(data), "preview": preview}
        data = orjson.dumps(marker if as_object else f"{preview}... [truncated {len(data)} bytes]")
    return compact(data)


def capture_text(value: Any, *, max_bytes: int) -> str:
    """A string field (reasoning, failure reason...): str() of anything, capped."""
    text = value if isinstance(value, str) else (dumps(value).decode() if value is not None else "")
    if len(text) > max_bytes:
        return text[:max_bytes] + f"... [truncated {len(text)} chars]"
    return text


def format_exception(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


# -- built-in redaction ----------------------------------------------------

_PATTERNS: list[tuple[str, re.Pattern[bytes]]] = [
    ("email", re.compile(rb"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")),
    ("card", re.compile(rb"\b(?:\d[ -]?){12,18}\d\b")),
    ("key", re.compile(rb"\b(?:sk|pk|rk|sentrial|ghp|xox[bap])[-_][A-Za-z0-9_-]{12,}\b")),
    ("phone", re.compile(rb"(?<![\w.])\+?\d{1,3}[ .-]?\(?\d{2,4}\)?[ .-]?\d{3,4}[ .-]?\d{3,4}\b")),
]


def redact_builtin(data: bytes) -> bytes:
    """Replace emails, card numbers, API keys and phone numbers in JSON bytes.

    Patterns never match quotes or backslashes, so the JSON stays valid.
    """
    for name, pattern in _PATTERNS:
        data = pattern.sub(b"[REDACTED:" + name.encode() + b"]", data)
    return data
