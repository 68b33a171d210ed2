"""Any Python value is recorded safely, frozen at call time, capped, masked and redacted."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import subprocess
import sys
import uuid
from collections.abc import Callable
from typing import Any

import attrs
import numpy as np
import orjson
import pydantic
from hypothesis import given, settings
from hypothesis import strategies as st

from sentrial import SentrialClient
from sentrial._payload import TRUNCATED_KEY, capture, too_deep
from sentrial.redact import builtin_redactor

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
    data = capture(
        {'a"b@example.com': 'x@y.io \\ "quoted"', "t": 1733616000},
        max_bytes=1000,
        redact=builtin_redactor(),
    )
    assert orjson.loads(data) == {
        'a"[REDACTED:email]': '[REDACTED:email] \\ "quoted"',
        "t": 1733616000,
    }


# -- values orjson refuses or the server may refuse: made safe at capture ----------------

HALF = "\ud83d"  # the first half of an emoji, as json.loads('"\\ud83d"') returns it
LOW = "\ude00"  # the second half
DEPTH_MARKER = "<truncated: nested deeper than 64>"


def _nested(levels: int, leaf: Any = "leaf") -> Any:
    """``levels`` objects inside one another around ``leaf``: {"d": {"d": ... leaf}}."""
    value = leaf
    for _ in range(levels):
        value = {"d": value}
    return value


def _nested_lists(levels: int, leaf: Any = 1) -> Any:
    value = leaf
    for _ in range(levels):
        value = [value]
    return value


def test_lone_surrogates_become_replacement_characters(
    make_client: MakeClient, reader: Reader
) -> None:
    client = make_client()
    sid = client.create_session(
        f"name {HALF}", "agent", "u", metadata={f"key{HALF}": [{"inner": f"{LOW}x"}]}
    )
    client.track_tool_call(
        sid,
        f"tool{HALF}",
        {"x": HALF, f"k{LOW}": [f"a{HALF}b", {"deep": {"deeper": HALF + LOW}}], "n": 2},
        {"ok": f"half {HALF} emoji"},
        reasoning=f"because{LOW}",
    )
    client.track_decision(sid, f"r{HALF}", alternatives=[f"a{HALF}", "b"])
    client.track_llm_call(
        sid, "gpt-4o", input=[{"role": "user", "content": f"hi {HALF}"}], output=LOW
    )
    client.track_error(sid, f"message {HALF}", error_type="E", tool_name=f"t{LOW}")
    client.complete_session(sid, user_input=f"in{HALF}", assistant_output=f"out{LOW}")
    assert client.flush(10)
    session = reader.session(sid)
    assert session["name"] == "name \ufffd"
    assert session["metadata"] == {"key\ufffd": [{"inner": "\ufffdx"}]}
    assert session["userInput"] == "in\ufffd" and session["assistantOutput"] == "out\ufffd"
    tool, decision, llm, error = reader.events(sid)
    assert tool["toolName"] == "tool\ufffd"
    # a high half followed by a low half is the emoji they encode
    assert tool["toolInput"] == {
        "x": "\ufffd",
        "k\ufffd": ["a\ufffdb", {"deep": {"deeper": "\U0001f600"}}],
        "n": 2,
    }
    assert tool["toolOutput"] == {"ok": "half \ufffd emoji"}
    assert tool["reasoning"] == "because\ufffd"
    assert decision["reasoning"] == "r\ufffd"
    assert decision["alternativesConsidered"] == ["a\ufffd", "b"]
    assert llm["input"] == [{"role": "user", "content": "hi \ufffd"}]
    assert llm["output"] == "\ufffd"
    assert error["toolName"] == "t\ufffd"
    assert error["toolError"]["message"] == "message \ufffd"
    assert client.stats()["dropped"] == {}


def test_surrogates_are_replaced_after_mask_and_redaction(
    make_client: MakeClient, reader: Reader
) -> None:
    client = make_client(mask=lambda value: value, redact=True)
    sid = client.create_session("n", "a", "u")
    client.track_tool_call(
        sid, "t", {"mail": f"ann@example.com {HALF}"}, None, reasoning=f"{HALF} ann@example.com"
    )
    assert client.flush(10)
    (event,) = reader.events(sid)
    assert event["toolInput"] == {"mail": "[REDACTED:email] \ufffd"}
    assert event["reasoning"] == "\ufffd [REDACTED:email]"


def test_integers_beyond_64_bits_are_kept_as_decimal_strings(
    make_client: MakeClient, reader: Reader
) -> None:
    client = make_client()
    sid = client.create_session("n", "a", "u", metadata={"big": 2**64})
    client.track_tool_call(
        sid,
        "t",
        {
            "largest": 2**64 - 1,
            "smallest": -(2**63),
            "too_big": 2**64,
            "too_small": -(2**63) - 1,
            "nested": [[10**30]],
            2**70: "key",
        },
        {"result": -(10**25)},
    )
    client.complete_session(sid, user_input=2**70, assistant_output=12)
    assert client.flush(10)
    session = reader.session(sid)
    assert session["metadata"] == {"big": "18446744073709551616"}
    assert session["userInput"] == "1180591620717411303424"  # as text, not a quoted JSON string
    assert session["assistantOutput"] == "12"
    (event,) = reader.events(sid)
    assert event["toolInput"] == {
        "largest": 18446744073709551615,
        "smallest": -9223372036854775808,
        "too_big": "18446744073709551616",
        "too_small": "-9223372036854775809",
        "nested": [["1000000000000000000000000000000"]],
        "1180591620717411303424": "key",
    }
    assert event["toolOutput"] == {"result": "-10000000000000000000000000"}


def test_nesting_deeper_than_64_is_cut_with_a_marker(
    make_client: MakeClient, reader: Reader
) -> None:
    client = make_client()
    sid = client.create_session("n", "a", "u", metadata=_nested(100))
    client.track_tool_call(sid, "exactly-64", _nested(64), _nested(63, [1]))
    client.track_tool_call(sid, "65", _nested(65), _nested(65, [1]))
    # deeper than orjson itself accepts (254), lists, and a cycle on the way
    cyclic: dict[str, Any] = {}
    cyclic["again"] = cyclic
    client.track_tool_call(sid, "300", {"x": _nested_lists(299)}, {"c": _nested(3, cyclic)})
    client.track_llm_call(sid, "m", input=_nested_lists(70), output="o")
    assert client.flush(10)
    assert reader.session(sid)["metadata"] == _nested(63, {"d": DEPTH_MARKER})
    exact, cut, huge, llm = reader.events(sid)
    assert exact["toolInput"] == _nested(64)
    assert exact["toolOutput"] == _nested(63, [1])
    assert cut["toolInput"] == _nested(63, {"d": DEPTH_MARKER})
    assert cut["toolOutput"] == _nested(63, {"d": DEPTH_MARKER})
    assert huge["toolInput"] == {"x": _nested_lists(62, [DEPTH_MARKER])}
    assert huge["toolOutput"] == {"c": _nested(3, {"again": "<cycle>"})}
    assert llm["input"] == _nested_lists(63, [DEPTH_MARKER])
    assert client.stats()["dropped"] == {}


def test_deeply_nested_tuples_never_crash_the_process() -> None:
    """orjson 3.12 and 3.13 check no depth for tuples and corrupt memory past
    ~2,500 levels (the host process aborts); the SDK requires a version that
    raises instead, and cuts the value at 64 levels like any other."""
    code = (
        "import orjson\n"
        "from sentrial._payload import dumps\n"
        "value = ()\n"
        "for _ in range(5000):\n"
        "    value = (value,)\n"
        "print(orjson.dumps(orjson.loads(dumps({'x': value}))).decode())\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode()[-500:]
    assert orjson.loads(result.stdout) == {"x": _nested_lists(62, [DEPTH_MARKER])}


def test_brackets_inside_strings_do_not_count_as_nesting(
    make_client: MakeClient, reader: Reader
) -> None:
    client = make_client()
    sid = client.create_session("n", "a", "u")
    tricky = '[{"quoted \\" [[[' + "[" * 100 + "{" * 100
    value = {"text": tricky, "rows": [{"i": i, "s": "]}" * 3} for i in range(200)]}
    client.track_tool_call(sid, "t", value, _nested(60, {"s": "[" * 80}))
    assert client.flush(10)
    (event,) = reader.events(sid)
    assert event["toolInput"] == value
    assert event["toolOutput"] == _nested(60, {"s": "[" * 80})


def test_one_bad_value_of_each_kind_never_poisons_a_batch(
    make_client: MakeClient, reader: Reader
) -> None:
    client = make_client(flush_interval=60, batch_size=200)
    sid = client.create_session("n", "a", "u")  # operation 1 of 200
    bad: dict[int, tuple[Any, str | None]] = {
        20: ({"text": HALF}, None),
        60: ({"n": 1}, f"reason {LOW}"),
        100: ({"n": 2**64}, None),
        140: (_nested(80), None),
        180: ({f"k{HALF}": [-(2**64)], "deep": _nested_lists(300)}, None),
    }
    for i in range(199):
        tool_input, reasoning = bad.get(i, ({"i": i}, None))
        client.track_tool_call(sid, f"t{i}", tool_input, {"i": i}, reasoning=reasoning)
    assert client.flush(20)
    stats = client.stats()
    assert stats["sent"] == 200 and stats["dropped"] == {}
    events = reader.events(sid)
    assert [e["toolName"] for e in events] == [f"t{i}" for i in range(199)]
    assert [e["toolOutput"] for e in events] == [{"i": i} for i in range(199)]
    assert events[20]["toolInput"] == {"text": "\ufffd"}
    assert events[60]["reasoning"] == "reason \ufffd"
    assert events[100]["toolInput"] == {"n": "18446744073709551616"}
    assert events[140]["toolInput"] == _nested(63, {"d": DEPTH_MARKER})
    assert events[180]["toolInput"] == {
        "k\ufffd": ["-18446744073709551616"],
        "deep": _nested_lists(62, [DEPTH_MARKER]),
    }
    assert events[0]["toolInput"] == {"i": 0} and events[198]["toolInput"] == {"i": 198}


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


_tricky_text = st.text(alphabet='[]{}"\\:,ab\n\u00e9', max_size=12)
_json_values = st.recursive(
    st.none() | st.integers(-(2**63), 2**63) | _tricky_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_tricky_text, inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(st.integers(min_value=0, max_value=90), _json_values, st.booleans(), st.booleans())
def test_depth_check_on_bytes_is_exact(levels: int, leaf: Any, lists: bool, big: bool) -> None:
    value = _nested_lists(levels, leaf) if lists else _nested(levels, leaf)
    if big:  # past 4 KB brackets are found, not counted
        value = [value, "x" * 5000]
    assert too_deep(orjson.dumps(value)) is (_depth(value) > 64)


def test_lone_surrogates_in_ids_and_names_are_replaced(
    make_client: MakeClient, reader: Reader
) -> None:
    client = make_client()
    sid = client.create_session("n", "a", "u", parent_session_id=f"p{HALF}", convo_id=f"c{LOW}")
    client.track_tool_call(sid, "t", {}, {}, trace_id=f"tr{HALF}", span_id=f"sp{LOW}")
    client.track_llm_call(sid, "gpt-4o", provider=f"prov{HALF}")
    client.track_error(sid, "m", error_type=f"E{LOW}")
    assert client.flush(10) is True
    session = reader.session(sid)
    assert session["parentSessionId"] == "p\ufffd" and session["convoId"] == "c\ufffd"
    tool, llm, error = reader.events(sid)
    assert tool["traceId"] == "tr\ufffd" and tool["spanId"] == "sp\ufffd"
    assert llm["provider"] == "prov\ufffd"
    assert error["toolError"]["type"] == "E\ufffd"
