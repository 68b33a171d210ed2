"""Any Python value is recorded safely, frozen at call time, capped, masked and redacted."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import uuid
from collections.abc import Callable
from typing import Any

import attrs
import numpy as np
import orjson
import pydantic

from sentrial import SentrialClient
from sentrial._payload import TRUNCATED_KEY, capture, dumps, redact_builtin

from .conftest import Reader

MakeClient = Callable[..., SentrialClient]


class Color(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: int
    y: int


@attrs.define
class Box:
    size: int


class User(pydantic.BaseModel):
    name: str
    tags: set[str]


def test_every_kind_of_value_round_trips(make_client: MakeClient, reader: Reader) -> None:
    cyclic: dict[str, Any] = {"name": "loop"}
    cyclic["self"] = cyclic
    value = {
        "dataclass": Point(1, 2),
        "attrs": Box(3),
        "pydantic": User(name="ann", tags={"a"}),
        "datetime": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        "date": dt.date(2026, 1, 2),
        "decimal": decimal.Decimal("1.25"),
        "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "enum": Color.RED,
        "bytes": b"hi",
        "binary": b"\xff\xfe",
        "set": {3},
        "tuple": (1, "a"),
        "exception": ValueError("bad"),
        "numpy": np.arange(3),
        "numpy_scalar": np.float64(0.5),
        "cycle": cyclic,
        "huge_int": 2**80,
        "nan": float("nan"),
        "int_keys": {1: "one"},
        "object": object,
    }
    client = make_client()
    sid = client.create_session("n", "a", "u")
    client.track_tool_call(sid, "t", value, {"ok": True})
    assert client.flush(10)
    (event,) = reader.events(sid)
    got = event["toolInput"]
    assert got["dataclass"] == {"x": 1, "y": 2}
    assert got["attrs"] == {"size": 3}
    assert got["pydantic"] == {"name": "ann", "tags": ["a"]}
    assert got["datetime"].startswith("2026-01-02T03:04:05")
    assert got["date"] == "2026-01-02"
    assert got["decimal"] == 1.25
    assert got["uuid"] == "12345678-1234-5678-1234-567812345678"
    assert got["enum"] == "red"
    assert got["bytes"] == "hi" and got["binary"] == "base64://4="
    assert got["set"] == [3] and got["tuple"] == [1, "a"]
    assert got["exception"] == {"type": "ValueError", "message": "bad"}
    assert got["numpy"] == [0, 1, 2] and got["numpy_scalar"] == 0.5
    assert got["cycle"] == {"name": "loop", "self": "<cycle>"}
    assert got["huge_int"] == str(2**80)
    assert got["nan"] is None
    assert got["int_keys"] == {"1": "one"}
    assert "object" in got["object"]


def test_values_are_captured_at_call_time(make_client: MakeClient, reader: Reader) -> None:
    client = make_client(flush_interval=5)
    sid = client.create_session("n", "a", "u")
    payload: dict[str, Any] = {"items": [1]}
    client.track_tool_call(sid, "t", payload, payload)
    payload["items"].append(2)
    payload["new"] = True
    assert client.flush(10)
    (event,) = reader.events(sid)
    assert event["toolInput"] == {"items": [1]} and event["toolOutput"] == {"items": [1]}


def test_non_objects_are_wrapped_for_object_fields(make_client: MakeClient, reader: Reader) -> None:
    client = make_client()
    sid = client.create_session("n", "a", "u")
    client.track_tool_call(sid, "t", "plain string", [1, 2])
    assert client.flush(10)
    (event,) = reader.events(sid)
    assert event["toolInput"] == {"value": "plain string"}
    assert event["toolOutput"] == {"value": [1, 2]}


def test_oversized_fields_are_truncated_with_a_marker(
    make_client: MakeClient, reader: Reader
) -> None:
    client = make_client(max_field_bytes=1000)
    sid = client.create_session("n", "a", "u")
    client.track_tool_call(sid, "t", {"blob": "x" * 5000}, {"ok": True}, reasoning="r" * 3000)
    assert client.flush(10)
    (event,) = reader.events(sid)
    assert event["toolInput"][TRUNCATED_KEY] is True
    assert event["toolInput"]["original_bytes"] > 5000
    assert event["toolInput"]["preview"].startswith('{"blob":"xxx')
    assert event["toolOutput"] == {"ok": True}
    assert event["reasoning"].endswith("[truncated 3000 chars]")


def test_mask_runs_before_anything_leaves(make_client: MakeClient, reader: Reader) -> None:
    def mask(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: ("***" if k == "password" else v) for k, v in value.items()}
        if isinstance(value, str):
            return value.replace("secret", "******")
        return value

    client = make_client(mask=mask)
    sid = client.create_session("n", "a", "u")
    client.track_tool_call(
        sid, "login", {"user": "ann", "password": "hunter2"}, {"ok": 1}, reasoning="the secret plan"
    )
    assert client.flush(10)
    (event,) = reader.events(sid)
    assert event["toolInput"] == {"user": "ann", "password": "***"}
    assert event["reasoning"] == "the ****** plan"


def test_failing_mask_does_not_leak_the_raw_value() -> None:
    def broken(value: Any) -> Any:
        raise RuntimeError("oops")

    data = capture({"password": "hunter2"}, max_bytes=1000, mask=broken, as_object=True)
    assert b"hunter2" not in data and b"mask failed" in data


def test_builtin_redaction(make_client: MakeClient, reader: Reader) -> None:
    client = make_client(redact=True)
    sid = client.create_session("n", "a", "u")
    text = (
        "mail ann@example.com, card 4111 1111 1111 1111, call +1 415-555-0134, "
        "key sk-abcdefghijklmnop1234"
    )
    client.track_tool_call(sid, "t", {"text": text}, {}, reasoning=text)
    assert client.flush(10)
    (event,) = reader.events(sid)
    for stored in (event["toolInput"]["text"], event["reasoning"]):
        assert "ann@example.com" not in stored and "[REDACTED:email]" in stored
        assert "4111" not in stored and "[REDACTED:card]" in stored
        assert "555-0134" not in stored and "[REDACTED:phone]" in stored
        assert "sk-abcdefghijklmnop1234" not in stored and "[REDACTED:key]" in stored


def test_redaction_keeps_json_valid() -> None:
    data = redact_builtin(dumps({'a"b@example.com': 'x@y.io \\ "quoted"'}))
    assert orjson.loads(data) == {'a"[REDACTED:email]': '[REDACTED:email] \\ "quoted"'}
