"""JSON as the server reads, stores and writes it: exact integers, bounded depth.

orjson is fast but reads integers beyond 64 bits (below ``-2**63`` or from
``2**64`` on) as floats and cannot write them at all. Both are rare, so the
fast path stays orjson's: only a document holding a run of 19 or more digits
is read again with the standard library (exact integers), and only a value
orjson refuses to write is written with such integers embedded as their
digits.

Depth: a field value nests at most :data:`MAX_DEPTH` objects and arrays (the
value itself is level 1), the ``maxJsonDepth`` of ``openapi/sentrial.yaml``
and the depth the SDKs cut values at. Checked where bodies are canonicalised,
so nothing deeper is ever stored and every stored record can be written back
inside a page (orjson writes at most 254 levels).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import orjson

from . import _spec

MAX_DEPTH: int = _spec.request_limit("maxJsonDepth")

_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1  # the integers orjson reads and writes exactly
# Digits to "0", everything else to " ": a run of 19 digits is then one
# substring search (a regex over the text costs ten times more).
_DIGITS_TO_ZEROS = bytes(0x30 if 0x30 <= c <= 0x39 else 0x20 for c in range(256))
_NINETEEN = b"0" * 19


class TooDeep(ValueError):
    """A field nests deeper than MAX_DEPTH; ``field`` names it."""

    def __init__(self, field: str) -> None:
        super().__init__(f"{field}: nested deeper than {MAX_DEPTH} objects and arrays")
        self.field = field


def loads(data: bytes | str) -> Any:
    """Parse like orjson.loads (same errors), keeping every integer exact."""
    value = orjson.loads(data)
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    if _NINETEEN in raw.translate(_DIGITS_TO_ZEROS):
        # Maybe an integer orjson made a float: read it again, exactly. A
        # document too deep for the standard parser keeps the orjson value: it
        # is deeper than any body the server accepts, and refused by depth.
        with contextlib.suppress(RecursionError):
            value = json.loads(data)
    return value


def _exact(value: Any) -> Any:
    """``value`` with integers beyond orjson's range as verbatim fragments."""
    if type(value) is int:
        return value if _INT_MIN <= value <= _INT_MAX else orjson.Fragment(str(value))
    if isinstance(value, dict):
        return {k: _exact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_exact(v) for v in value]
    return value


def dumps(value: Any, option: int = 0) -> bytes:
    """orjson.dumps, also for integers beyond 64 bits (written exactly)."""
    try:
        return orjson.dumps(value, option=option)
    except orjson.JSONEncodeError:
        return orjson.dumps(_exact(value), option=option)


def deeper_than(value: Any, limit: int) -> bool:
    """True when ``value`` nests more than ``limit`` objects and arrays (no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if depth > limit:
            return True
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return False


def _too_deep_field(body: dict[str, Any]) -> str | None:
    for key, value in body.items():
        if isinstance(value, (dict, list)) and deeper_than(value, MAX_DEPTH):
            return str(key)
    return None


def canonical(body: dict[str, Any]) -> str:
    """The canonical text of a request body (sorted keys); TooDeep past MAX_DEPTH."""
    try:
        data = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        field = _too_deep_field(body)  # past orjson's own limit, or huge integers
        if field is not None:
            raise TooDeep(field) from None
        data = orjson.dumps(_exact(body), option=orjson.OPT_SORT_KEYS)
    # The body itself is one level: with at most MAX_DEPTH + 1 brackets in all
    # (brackets in strings count too: only ever a false alarm), no field can
    # be deeper. Most bodies are cleared by this count alone.
    if data.count(b"{") + data.count(b"[") > MAX_DEPTH + 1:
        field = _too_deep_field(body)
        if field is not None:
            raise TooDeep(field)
    return data.decode()


def number(value: Any) -> float:
    """A stored value as a number for sums (0 for anything but a JSON number)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0.0
    try:
        return float(value)
    except OverflowError:  # an integer past 1e308
        return 0.0
