"""Turn any Python value into JSON bytes, at call time, without ever raising.

The fast path is one ``orjson.dumps`` call (dataclasses, datetimes, UUIDs,
enums and numpy values are native to it). Anything it cannot handle (cycles,
lone surrogates, huge ints, exotic objects) goes through :func:`to_jsonable`,
a careful and slower walk. Capturing bytes also freezes the value: a later
mutation by the caller does not change what was tracked.

Whatever is captured can be sent: one bad value never poisons a batch.

- **Lone surrogates** (half an emoji, as ``json.loads('"\\ud83d"')`` returns
  it) are not valid UTF-8: each becomes U+FFFD, the replacement character,
  in JSON payloads (object keys and values, at any depth) and in text fields
  (:func:`clean_text`). A high half directly followed by a low half is joined
  into the character the pair encodes.
- **Integers beyond 64 bits** (below ``-2**63`` or from ``2**64`` on, which
  orjson refuses) are kept exactly, as their decimal string: ``2**64`` is
  captured as ``"18446744073709551616"``. NaN and infinities become ``null``.
- **Nesting deeper than** :data:`MAX_DEPTH` (64) objects and arrays: the
  object or array that would be the 65th level is replaced by the string
  :data:`DEPTH_MARKER`, ``"<truncated: nested deeper than 64>"`` (the value
  itself is level 1; a field typed as an object wraps a non-object as
  ``{"value": ...}``, one level more). orjson refuses more than 254 levels and
  servers may refuse far fewer. Depth is checked on the produced bytes
  (:func:`too_deep`): a count of brackets, and an exact check only when there
  are more than 64.
- Cycles become ``"<cycle>"``; an object that cannot be converted becomes
  ``"<unserializable TypeName: ...>"``.
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
MAX_DEPTH = 64
DEPTH_MARKER = f"<truncated: nested deeper than {MAX_DEPTH}>"
TRUNCATED_KEY = "_sentrial_truncated"

_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1  # the integers orjson writes
_MAX_CONVERSIONS = 8  # default() results converted again in a row, at one place
_SURROGATE = re.compile("[\ud800-\udfff]")
_SQUARE = bytes.maketrans(b"{}", b"[]")
_NOT_STRUCTURE = bytes(c for c in range(256) if c not in b'[]{}"')


def clean_text(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD (see the module docstring)."""
    if text.isascii() or _SURROGATE.search(text) is None:  # isascii() is O(1)
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def too_deep(data: bytes) -> bool:
    """True when the JSON ``data`` nests more than MAX_DEPTH objects and arrays.

    Cheap in the common case: 65 levels take at least 130 bytes and 65
    opening brackets, so most documents are cleared by counting brackets
    (``count`` up to 4 KB; past that, up to 16 ``find`` calls, which skip
    ahead, clear documents that are mostly text). Otherwise the exact check
    keeps only brackets and quotes, drops strings (brackets in them do not
    nest), then removes empty pairs level by level: whatever is left after 64
    rounds is deeper.
    """
    size = len(data)
    if size < 2 * (MAX_DEPTH + 1):
        return False
    if size <= 4096:
        objects = data.count(b"{")
        if objects <= MAX_DEPTH and (0x5B not in data or objects + data.count(b"[") <= MAX_DEPTH):
            return False  # (`0x5B in`, "[", is one memchr: no arrays, no second count)
    elif _few_openers(data, 16):
        return False
    if 0x5C in data:  # "\\": drop the escapes that could hide a quote
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    # Strings without brackets are now "" and go; merging two strings with
    # nothing between them (a closing and an opening quote) is harmless.
    brackets = data.translate(_SQUARE, _NOT_STRUCTURE).replace(b'""', b"")
    if 0x22 in brackets:  # strings holding brackets are left: cut them out
        brackets = b"".join(brackets.split(b'"')[::2])
    for _ in range(MAX_DEPTH):
        brackets = brackets.replace(b"[]", b"")
        if not brackets:
            return False
    return True


def _few_openers(data: bytes, limit: int) -> bool:
    """At most ``limit`` opening brackets in ``data``."""
    find = data.find
    for opener in (0x5B, 0x7B):  # "[", "{"
        at = find(opener)
        while at >= 0:
            limit -= 1
            if limit < 0:
                return False
            at = find(opener, at + 1)
    return True


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


UNPRINTABLE = "<str() failed>"


def safe_str(value: Any) -> str:
    """``str(value)``, never raising: an app's exception whose ``__str__``
    fails must still reach the app as itself, and still be described."""
    try:
        return str(value)
    except Exception:
        return UNPRINTABLE


def _exception(exc: BaseException) -> dict[str, Any]:
    return {"type": type(exc).__name__, "message": safe_str(exc)}


def to_jsonable(value: Any) -> Any:
    """A JSON-safe copy of ``value``, following the rules of the module docstring."""
    return _walk(value, 0, set(), 0)


def _walk(value: Any, depth: int, seen: set[int], conversions: int) -> Any:
    """``depth``: how many objects and arrays enclose ``value`` in the result."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, int):
        return value if _INT_MIN <= value <= _INT_MAX else str(value)
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, dt.timedelta)):
        return str(value)
    if id(value) in seen:
        return "<cycle>"
    if isinstance(value, enum.Enum):
        return _walk(value.value, depth, seen, conversions + 1)
    seen.add(id(value))
    try:
        if isinstance(value, Mapping):
            if depth >= MAX_DEPTH:
                return DEPTH_MARKER
            return {_key(k): _walk(v, depth + 1, seen, 0) for k, v in list(value.items())}
        if isinstance(value, (list, tuple, set, frozenset)):
            if depth >= MAX_DEPTH:
                return DEPTH_MARKER
            return [_walk(v, depth + 1, seen, 0) for v in list(value)]
        if conversions >= _MAX_CONVERSIONS:  # e.g. a tolist() returning another such object
            return f"<unserializable {clean_text(type(value).__name__)}>"
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
            return _walk(fields, depth, seen, conversions + 1)
        try:
            converted = default(value)
        except Exception as exc:  # a broken __repr__ or model_dump
            return f"<unserializable {clean_text(type(value).__name__)}: {type(exc).__name__}>"
        return _walk(converted, depth, seen, conversions + 1)
    finally:
        seen.discard(id(value))


def _key(key: Any) -> str:
    """An object key as orjson's OPT_NON_STR_KEYS writes it."""
    if isinstance(key, str):
        return clean_text(key)
    if key is None or isinstance(key, bool):
        return "null" if key is None else ("true" if key else "false")
    return str(to_jsonable(key))


def compact(data: bytes) -> bytes:
    """A right-sized copy: orjson's result keeps its whole write buffer (about
    4 KB even for a 50-byte document), which a queue of many small payloads
    would multiply into hundreds of MB."""
    return bytes(memoryview(data))


def dumps(value: Any) -> bytes:
    """JSON bytes of any value; never raises."""
    try:
        data = orjson.dumps(value, default=default, option=OPTIONS)
        if not too_deep(data):
            return data
    except Exception:
        pass
    try:
        return orjson.dumps(to_jsonable(value), option=OPTIONS)
    except Exception as exc:
        name = clean_text(type(value).__name__)
        return orjson.dumps(f"<unserializable {name}: {type(exc).__name__}>")


def capture(
    value: Any,
    *,
    max_bytes: int,
    mask: Callable[[Any], Any] | None = None,
    redact: Callable[[Any], Any] | None = None,
    as_object: bool = False,
) -> bytes:
    """Serialized snapshot of ``value`` for one field of an event.

    ``mask`` (the user's) sees the value as given; ``redact`` (``pii``,
    ``redact=True``) sees it as JSON, decoded: strings and keys, whatever
    object they came from (a dataclass, a pydantic model), never the digits
    of a number and never encoded bytes. ``as_object`` wraps non-objects as
    ``{"value": ...}`` for fields the API types as JSON objects. Past
    ``max_bytes`` the field becomes a visible marker object holding a
    preview, never silently cut JSON.
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
        try:
            data = orjson.dumps(redact(orjson.loads(data)), option=OPTIONS)
        except Exception as exc:  # a failing redaction must not leak the raw value
            data = orjson.dumps(f"<redaction failed: {type(exc).__name__}>")
        if as_object and not data.startswith(b"{"):
            data = b'{"value":' + data + b"}"
    if len(data) > max_bytes:
        preview = data[: max(0, max_bytes // 2)].decode("utf-8", "ignore")
        marker = {TRUNCATED_KEY: True, "original_bytes": len(data), "preview": preview}
        data = orjson.dumps(marker if as_object else f"{preview}... [truncated {len(data)} bytes]")
    return compact(data)


def capture_text(value: Any, *, max_bytes: int) -> str:
    """A string field (reasoning, failure reason...): str() of anything, capped.

    Lone surrogates become U+FFFD; an int is its decimal digits, however big.
    """
    if isinstance(value, str):
        text = clean_text(value)
    elif value is None:
        text = ""
    elif type(value) is int:
        text = str(value)
    else:
        text = dumps(value).decode()
    if len(text) > max_bytes:
        return text[:max_bytes] + f"... [truncated {len(text)} chars]"
    return text


def format_exception(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
