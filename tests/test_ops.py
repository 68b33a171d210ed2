"""The delivery thread's fast wire path equals the generated models' to_dict()."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

import sentrial
from sentrial._delivery._wire import to_batch_item, to_wire
from sentrial._operation import Operation


class _Capture:
    def __init__(self) -> None:
        self.ops: list[Operation] = []

    def submit(self, op: Operation) -> None:
        self.ops.append(op)


@pytest.fixture
def ops() -> list[Operation]:
    client = sentrial.SentrialClient(api_key="k", api_url="http://127.0.0.1:9")
    capture = _Capture()
    client._tracker._delivery = capture  # type: ignore[assignment]
    sid = client.create_session("n", "a", "u", "sess_parent", "c", {"m": [1, None]})
    client.track_tool_call(
        sid,
        "t",
        {"q": 1},
        "text",
        "why",
        0.5,
        ValueError("x"),
        3,
        "tr",
        "sp",
        {"k": "v"},
        duration_ms=2.5,
    )
    client.track_decision(sid, "r", ["a"], 0.2, 0.1, 4)
    client.track_error(sid, "e", "T", "tool", "stack")
    client.track_llm_call(
        sid,
        "gpt-4o",
        provider="openai",
        input=[{"role": "user"}],
        output={"text": "hi"},
        prompt_tokens=3,
        completion_tokens=4,
        cached_tokens=1,
        duration_ms=9.0,
        error="boom",
    )
    client.complete_session(sid, False, "no", 1.0, {"x": 2}, 5.0, 1, 2, 3, "in", "out")
    return capture.ops


def _json(value: Any) -> Any:
    return orjson.loads(orjson.dumps(value))


def test_fast_path_matches_generated_models(ops: list[Operation]) -> None:
    assert len(ops) == 6
    for op in ops:
        assert _json(to_wire(op, "sess_server")) == _json(
            to_batch_item(op, "sess_server").to_dict()
        )


def test_spool_records_round_trip(ops: list[Operation]) -> None:
    for op in ops:
        back = Operation.from_record(op.to_record())
        assert (back.kind, back.session_id) == (op.kind, op.session_id)
        assert _json(to_wire(back, "s")) == _json(to_wire(op, "s"))
        assert _json(to_batch_item(back, "s").to_dict()) == _json(to_wire(op, "s"))


def test_fast_timestamps_equal_the_generated_format() -> None:
    from sentrial._delivery._wire import _from_ns, _iso

    base = 1_790_000_000_000_000_000
    for ns in (base, base + 999, base + 1_000, base + 123_456_789, base + 999_999_999, 0):
        assert _iso(ns) == _from_ns(ns).isoformat()
        assert _iso(ns) == _iso(ns)  # from the cache
    assert _iso(base + 1_000) == "2026-09-21T14:13:20.000001+00:00"
