"""Exact captured payloads at the edges of sentrial._payload (issue #18, `make mutation`).

Direct calls of the capture functions: each assertion pins one limit, one
fallback or one marker to the exact bytes or text it produces.
"""

from __future__ import annotations

import dataclasses
import decimal
import enum
import types
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import orjson
import pydantic
import pytest

from sentrial._payload import (
    DEPTH_MARKER,
    TRUNCATED_KEY,
    capture,
    capture_text,
    dumps,
    format_exception,
    safe_str,
    to_jsonable,
    too_deep,
)

# orjson writes a numpy float32 as its shortest repr; the careful walk goes
# through tolist(), a Python float: 0.10000000149011612. So this value shows
# which of the two paths produced a payload.
F32 = np.float32(0.1)


class Chain:
    """An object orjson does not know whose tolist() returns another such
    object ``links`` times, then "done": ``links`` conversions in a row."""

    def __init__(self, links: int) -> None:
        self.links = links

    def tolist(self) -> Any:
        return Chain(self.links - 1) if self.links else "done"


class BrokenRepr:
    def __repr__(self) -> str:
        raise ValueError("no repr")


class BrokenMap(Mapping[str, int]):
    """A mapping that cannot be read at all."""

    def __getitem__(self, key: str) -> int:
        raise RuntimeError("unreadable")

    def __iter__(self) -> Iterator[str]:
        raise RuntimeError("unreadable")

    def __len__(self) -> int:
        raise RuntimeError("unreadable")


class DictValue(enum.Enum):
    A = {"k": 1}  # noqa: RUF012 (an enum member's value, never mutated)


class ChainValue(enum.Enum):
    SIX = Chain(6)
    SEVEN = Chain(7)


@dataclasses.dataclass
class Holder:
    inner: Any


class Priced(pydantic.BaseModel):
    price: decimal.Decimal


# -- the fast path (orjson) and when it hands over to the careful walk -------


def test_the_fast_path_writes_numpy_natively() -> None:
    assert dumps(F32) == b"0.1"
    assert dumps({"s": {1}, "f": F32}) == b'{"s":[1],"f":0.1}'
    assert dumps({1: F32}) == b'{"1":0.1}'
    assert dumps({"m": types.MappingProxyType({"a": 1}), "f": F32}) == b'{"m":{"a":1},"f":0.1}'
    # the careful walk: tolist()
    assert to_jsonable(F32) == 0.10000000149011612


def test_decimals_that_are_not_finite_are_their_text() -> None:
    assert dumps([decimal.Decimal("NaN"), decimal.Decimal("-Infinity")]) == b'["NaN","-Infinity"]'
    assert dumps(decimal.Decimal("1.5")) == b"1.5"
    assert to_jsonable(decimal.Decimal("sNaN")) == "sNaN"


def test_pydantic_models_are_dumped_in_json_mode() -> None:
    # mode="json" writes a Decimal as a string; python mode would give 1.25
    assert dumps({"m": Priced(price=decimal.Decimal("1.25"))}) == b'{"m":{"price":"1.25"}}'
    assert to_jsonable(Priced(price=decimal.Decimal("2.5"))) == {"price": "2.5"}


def test_a_value_nothing_can_read_becomes_a_marker() -> None:
    assert dumps(BrokenMap()) == b'"<unserializable BrokenMap: RuntimeError>"'
    assert dumps([1, BrokenMap()]) == b'"<unserializable list: RuntimeError>"'
    assert capture_text(BrokenMap(), max_bytes=100) == '"<unserializable BrokenMap: RuntimeError>"'


# -- the careful walk ------------------------------------------------------------


def test_the_walk_keeps_json_scalars_and_drops_non_finite_floats() -> None:
    assert to_jsonable([None, True, False, 0, 1.5, "a"]) == [None, True, False, 0, 1.5, "a"]
    assert to_jsonable(None) is None
    assert to_jsonable(float("nan")) is None
    assert to_jsonable(float("inf")) is None
    assert to_jsonable(float("-inf")) is None
    assert to_jsonable([2**64 - 1, 2**64, -(2**63), -(2**63) - 1]) == [
        2**64 - 1,
        "18446744073709551616",
        -(2**63),
        "-9223372036854775809",
    ]
    assert to_jsonable(decimal.Decimal("1.5")) == 1.5


def test_non_string_keys_are_written_as_orjson_writes_them() -> None:
    value = {None: 1, True: 2, False: 3, 4: 4, 2.5: 5}
    expected = {"null": 1, "true": 2, "false": 3, "4": 4, "2.5": 5}
    assert to_jsonable(value) == expected
    assert orjson.loads(dumps(value)) == expected
    # a cycle sends the whole value through the walk, keys included
    cyclic: dict[Any, Any] = {None: 1, True: 2, False: 3}
    cyclic["self"] = cyclic
    assert dumps(cyclic) == b'{"null":1,"true":2,"false":3,"self":"<cycle>"}'


def test_conversions_in_a_row_stop_after_eight() -> None:
    assert to_jsonable(Chain(7)) == "done"
    assert to_jsonable(Chain(8)) == "<unserializable Chain>"
    # inside a container the count starts again
    assert to_jsonable({"c": Chain(7)}) == {"c": "done"}
    assert to_jsonable([Chain(7), Chain(8)]) == ["done", "<unserializable Chain>"]
    assert to_jsonable(Holder(Chain(7))) == {"inner": "done"}


def test_an_enum_is_its_value_one_conversion_deeper() -> None:
    assert to_jsonable(ChainValue.SIX) == "done"
    assert to_jsonable(ChainValue.SEVEN) == "<unserializable Chain>"
    assert to_jsonable({"e": DictValue.A}) == {"e": {"k": 1}}
    assert to_jsonable([DictValue.A, DictValue.A]) == [{"k": 1}, {"k": 1}]


def test_a_broken_repr_is_named_with_its_error() -> None:
    assert to_jsonable(BrokenRepr()) == "<unserializable BrokenRepr: ValueError>"
    assert dumps({"x": BrokenRepr()}) == b'{"x":"<unserializable BrokenRepr: ValueError>"}'


def test_a_shared_value_is_not_a_cycle() -> None:
    shared = [1]
    box = Holder(2)
    assert to_jsonable({"a": shared, "b": shared, "c": box, "d": box}) == {
        "a": [1],
        "b": [1],
        "c": {"inner": 2},
        "d": {"inner": 2},
    }


def test_the_walk_cuts_at_64_levels() -> None:
    value: Any = "leaf"
    for _ in range(65):
        value = [value]
    cut = to_jsonable(value)
    for _ in range(64):
        (cut,) = cut
    assert cut == DEPTH_MARKER


# -- the depth check on bytes ------------------------------------------------------


def test_the_shortest_document_that_is_too_deep() -> None:
    assert too_deep(b"[" * 65 + b"]" * 65) is True  # 130 bytes
    assert too_deep(b"[" * 64 + b"]" * 64) is False
    assert too_deep(b"{" * 65 + b"}" * 65) is True


def test_escaped_quotes_do_not_end_a_string() -> None:
    # objects only (no "]" byte anywhere), an escaped quote, then many braces in the string
    data = orjson.dumps({"a": 'x"' + "{" * 200})
    assert len(data) == 211 and b"]" not in data and b'\\"' in data
    assert too_deep(data) is False
    assert too_deep(orjson.dumps({"a": 'x\\"' + "{" * 200})) is False


# -- capture: object fields, caps, previews, masks -----------------------------------


def test_capture_wraps_only_for_object_fields() -> None:
    assert capture("plain", max_bytes=100) == b'"plain"'
    assert capture("plain", max_bytes=100, as_object=True) == b'{"value":"plain"}'
    assert capture({"a": 1}, max_bytes=100, as_object=True) == b'{"a":1}'


def test_capture_keeps_a_field_of_exactly_max_bytes() -> None:
    assert capture("abc", max_bytes=5) == b'"abc"'
    assert capture("abcd", max_bytes=5) == orjson.dumps('"a... [truncated 6 bytes]')


def test_capture_truncates_to_a_visible_marker() -> None:
    assert capture("x" * 20, max_bytes=10) == orjson.dumps('"xxxx... [truncated 22 bytes]')
    assert capture("x" * 20, max_bytes=10, as_object=True) == orjson.dumps(
        {TRUNCATED_KEY: True, "original_bytes": 32, "preview": '{"val'}
    )
    assert capture("abc", max_bytes=1) == orjson.dumps("... [truncated 5 bytes]")
    assert capture("abc", max_bytes=0) == orjson.dumps("... [truncated 5 bytes]")


def test_a_preview_never_cuts_a_character_in_half() -> None:
    # '"éééééééééé"' is 22 bytes; its first 4 end inside the second é
    assert capture("é" * 10, max_bytes=8) == orjson.dumps('"é... [truncated 22 bytes]')


def test_a_failing_mask_is_named_by_its_error() -> None:
    def broken(value: Any) -> Any:
        raise KeyError(value)

    assert capture("secret", max_bytes=100, mask=broken) == b'"<mask failed: KeyError>"'


def test_redaction_runs_before_the_cap() -> None:
    def redact(value: Any) -> Any:  # sees the decoded value, never bytes
        return value.replace("secret", "[R]")

    assert capture("secret", max_bytes=5, redact=redact) == b'"[R]"'


def test_a_failing_redaction_is_named_by_its_error_and_leaks_nothing() -> None:
    def broken(value: Any) -> Any:
        raise KeyError(value)

    data = capture({"k": "secret"}, max_bytes=100, redact=broken, as_object=True)
    assert data == b'{"value":"<redaction failed: KeyError>"}'


# -- capture_text --------------------------------------------------------------


def test_capture_text_of_each_kind() -> None:
    assert capture_text(None, max_bytes=10) == ""
    assert capture_text("abc", max_bytes=3) == "abc"
    assert capture_text("abcd", max_bytes=3) == "abc... [truncated 4 chars]"
    assert capture_text(2**70, max_bytes=100) == "1180591620717411303424"
    assert capture_text([1, "a", None], max_bytes=100) == '[1,"a",null]'
    assert capture_text({"f": F32}, max_bytes=100) == '{"f":0.1}'


# -- format_exception ----------------------------------------------------------


def _raise_here() -> None:
    raise ValueError("boom")


def test_format_exception_is_the_whole_traceback() -> None:
    with pytest.raises(ValueError) as info:
        _raise_here()
    text = format_exception(info.value)
    lines = text.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert lines[-1] == "ValueError: boom"
    assert "in _raise_here" in text
    assert text.endswith("\n")
    assert "\n\n" not in text


def test_safe_str_never_raises_and_says_so() -> None:
    class Unprintable(Exception):
        def __str__(self) -> str:
            raise TypeError("no text")

    assert safe_str(Unprintable()) == "<str() failed>"
    assert safe_str(ValueError("bad value")) == "bad value"
    assert safe_str(12) == "12"
