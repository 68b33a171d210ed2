"""One bad optional field costs that field, not the call: a NaN cost or metric
(a division by zero in the app) must not leave a session "active" forever.

Unless the client was made with ``fail_silently=False``: then the call raises,
naming the field. Either way nothing is lost silently: the left-out field is
counted in ``stats()["dropped"]`` and the next ``flush()`` says False.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

import pytest

import sentrial
from tests.conftest import Reader

MakeClient = Callable[..., sentrial.SentrialClient]


def test_a_nan_metric_or_cost_leaves_that_field_out_and_the_session_still_completes(
    make_client: MakeClient, reader: Reader, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client()
    sid = client.create_session("bad-fields", "bad-fields-agent", "u")
    with caplog.at_level(logging.WARNING, logger="sentrial"):
        record = client.complete_session(
            sid,
            estimated_cost=math.nan,
            custom_metrics={"csat": 4.0, "hit_rate": math.nan, "ratio": "n/a"},  # type: ignore[dict-item]
            duration_ms=12.5,
            assistant_output="answer",
        )
    assert record["status"] == "completed"
    assert client.flush(10) is False  # fields were left out: not everything arrived
    stored = reader.session(sid)
    assert stored["status"] == "completed"
    assert stored["assistantOutput"] == "answer"
    assert stored["customMetrics"] == {"csat": 4.0}
    assert stored["durationMs"] == 12.5
    assert stored.get("estimatedCost") is None  # left out (no events to sum either)
    assert client.stats()["dropped"] == {"invalid_field": 3}
    warned = "\n".join(r.getMessage() for r in caplog.records)
    assert "estimated_cost" in warned and "custom_metrics.hit_rate" in warned
    assert "custom_metrics.ratio" in warned
    assert client.flush(10) is True  # said once: nothing new was left out since


def test_an_event_with_a_bad_cost_is_sent_without_it(
    make_client: MakeClient, reader: Reader
) -> None:
    client = make_client()
    sid = client.create_session("bad-fields", "bad-fields-agent", "u")
    client.track_tool_call(sid, "search", {"q": 1}, {"r": 2}, estimated_cost=math.inf)
    client.track_tool_call(sid, "search", {"q": 2}, {"r": 3}, token_count=-4)
    assert client.flush(10) is False
    events = reader.events(sid)
    assert [e["toolInput"] for e in events] == [{"q": 1}, {"q": 2}]
    assert all("tokenCount" not in e and "estimatedCost" not in e for e in events)
    assert client.stats()["dropped"] == {"invalid_field": 2}


def test_a_dropped_call_makes_the_next_flush_false(make_client: MakeClient) -> None:
    client = make_client()
    sid = client.create_session("bad-fields", "bad-fields-agent", "u")
    assert client.track_tool_call("", "search") == {}  # no session id: the call is dropped
    assert client.stats()["dropped"] == {"invalid_argument": 1}
    assert client.flush(10) is False
    client.track_tool_call(sid, "search")
    assert client.flush(10) is True


def test_with_fail_silently_false_a_bad_field_raises_naming_it(
    make_client: MakeClient,
) -> None:
    client = make_client(fail_silently=False)
    sid = client.create_session("bad-fields", "bad-fields-agent", "u")
    with pytest.raises(sentrial.SentrialError, match=r"custom_metrics\.hit_rate"):
        client.complete_session(sid, custom_metrics={"hit_rate": math.nan})
    with pytest.raises(sentrial.SentrialError, match="estimated_cost"):
        client.track_tool_call(sid, "search", estimated_cost=math.nan)
    assert client.stats()["dropped"] == {}


def test_interaction_finish_with_a_nan_metric_still_completes(
    make_client: MakeClient, reader: Reader
) -> None:
    client = make_client()
    interaction = sentrial.begin("u", "bad-fields-agent", input="q", client=client)
    interaction.finish(output="answer", custom_metrics={"csat": 4.0, "hit_rate": math.nan})
    client.flush(10)
    stored = reader.session(interaction.session_id)
    assert stored["status"] == "completed"
    assert stored["assistantOutput"] == "answer"
    assert stored["customMetrics"] == {"csat": 4.0}
