"""Exact costs, token usages and session totals at the edges of sentrial.cost and
sentrial._delivery._rollup (issue #18, `make mutation`).

Direct calls, no server, no HTTP: each assertion pins one price, one count or
one message to its exact value. Prices are the providers' list prices per
million tokens, as genai-prices carries them; token counts are chosen so that
each cost is an exact float.
"""

from __future__ import annotations

import logging
import sys
import uuid
from dataclasses import FrozenInstanceError
from types import SimpleNamespace
from typing import Any

import pytest

import sentrial.cost
from sentrial._delivery import _rollup
from sentrial._delivery._rollup import MAX_OPEN_SESSIONS, Rollup, llm_cost
from sentrial._operation import Operation
from sentrial.cost import (
    TokenUsage,
    calculate_anthropic_cost,
    calculate_cost,
    calculate_google_cost,
    calculate_openai_cost,
    usage_from,
)

M = 1_000_000


@pytest.fixture
def warnings_fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each warning is given once per process: start from none given."""
    monkeypatch.setattr(sentrial.cost, "_warned", set())
    monkeypatch.setattr(_rollup, "_warned", set())


def _messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "sentrial"]


# -- calculate_cost -----------------------------------------------------------


def test_each_token_kind_at_its_list_price() -> None:
    # gpt-4o: $2.50 input, $1.25 cached input, $10.00 output
    assert calculate_cost("gpt-4o", M, 0) == 2.5
    assert calculate_cost("gpt-4o", 0, M) == 10.0
    assert calculate_cost("gpt-4o", M, M, cached_input_tokens=M) == 11.25
    assert calculate_cost("gpt-4o", 1, 0) == 2.5e-06
    # claude-haiku-4-5: $1 input, $0.10 cache read, $1.25 cache write, $5 output;
    # 3M input = 1M plain + 1M read + 1M written
    assert (
        calculate_cost(
            "claude-haiku-4-5",
            3 * M,
            M,
            cached_input_tokens=M,
            cache_write_tokens=M,
            provider="anthropic",
        )
        == 7.35
    )
    assert type(calculate_cost("gpt-4o", M, 0)) is float


def test_no_tokens_cost_nothing_and_negative_counts_count_as_none() -> None:
    assert calculate_cost("gpt-4o", 0, 0) == 0.0
    assert calculate_cost("gpt-4o", -5, -7, cached_input_tokens=-3, cache_write_tokens=-2) == 0.0
    # no cached tokens: every input token at the full input price
    assert calculate_cost("gpt-4o", M, 0, cached_input_tokens=0, cache_write_tokens=0) == 2.5
    assert calculate_cost("gpt-4o", M, 0, cached_input_tokens=-M) == 2.5
    assert calculate_cost("claude-haiku-4-5", M, 0, cache_write_tokens=-M) == 1.0
    # one cached token of a million: exactly one token at $1.25 instead of $2.50
    assert calculate_cost("gpt-4o", M, 0, cached_input_tokens=1) == 2.49999875


def test_fractional_counts_are_truncated() -> None:
    assert calculate_cost("gpt-4o", M + 0.9, M + 0.9) == 12.5  # type: ignore[arg-type]
    assert calculate_cost("gpt-4o", M, 0, cached_input_tokens=M + 0.9) == 1.25  # type: ignore[arg-type]


def test_the_named_provider_prices_the_model() -> None:
    # Groq's list price for llama-3.3-70b-versatile: $0.59 input, $0.79 output;
    # without the provider no price list knows the model.
    assert calculate_cost("llama-3.3-70b-versatile", M, M, provider="groq") == 1.38
    assert calculate_cost("llama-3.3-70b-versatile", M, M) is None
    # Anthropic does not sell gpt-4o: unknown there, never OpenAI's price
    assert calculate_cost("gpt-4o", M, 0, provider="anthropic") is None


def test_unknown_and_refused_usages_warn_once_each(
    warnings_fresh: None, caplog: pytest.LogCaptureFixture
) -> None:
    a, b = f"unpriced-a-{uuid.uuid4().hex}", f"unpriced-b-{uuid.uuid4().hex}"
    with caplog.at_level(logging.WARNING, logger="sentrial"):
        assert calculate_cost(a, 10, 10) is None
        assert calculate_cost(a, 10, 10) is None
        assert calculate_cost(b, 10, 10) is None
        assert calculate_cost(a, 10, 10, provider="openai") is None
        assert calculate_cost(a, 10, 10, provider="openai") is None
        # genai-prices refuses more cache reads than input tokens
        assert calculate_cost("gpt-4o", 10, 0, cached_input_tokens=11) is None
        assert calculate_cost("gpt-4o", 10, 0, cached_input_tokens=12) is None
    assert _messages(caplog) == [
        f"sentrial: cost of model {a!r} (provider auto) unknown: no price known; cost left empty",
        f"sentrial: cost of model {b!r} (provider auto) unknown: no price known; cost left empty",
        f"sentrial: cost of model {a!r} (provider openai) unknown: no price known; cost left empty",
        "sentrial: cost of model 'gpt-4o' (provider auto) unknown: ValueError: Invalid usage "
        "data: cache_read_tokens (11) cannot exceed input_tokens (10); cost left empty",
    ]
    assert all(r.levelno == logging.WARNING for r in caplog.records)


# -- the provider helpers -----------------------------------------------------


def test_provider_helpers_price_by_their_provider() -> None:
    assert calculate_openai_cost("gpt-4o", M, 0) == 2.5
    assert calculate_openai_cost("gpt-4o", 0, M, cached_input_tokens=0) == 10.0
    assert calculate_openai_cost("gpt-4o", M, 0, cached_input_tokens=M) == 1.25
    assert calculate_anthropic_cost("claude-haiku-4-5", 0, M) == 5.0
    assert calculate_anthropic_cost("claude-haiku-4-5", M, 0, cache_write_tokens=M) == 1.25
    assert calculate_anthropic_cost("claude-haiku-4-5", M, 0, cached_input_tokens=M) == 0.1
    assert calculate_google_cost("gemini-2.0-flash", M, M) == 0.5
    assert calculate_google_cost("gemini-2.0-flash", M, 0, cached_input_tokens=M) == 0.025
    # each helper asks its own provider: another provider's model is unknown (0.0)
    assert calculate_openai_cost("claude-haiku-4-5", M, 0) == 0.0
    assert calculate_anthropic_cost("gpt-4o", M, 0) == 0.0
    assert calculate_google_cost("gpt-4o", M, 0) == 0.0
    for got in (calculate_openai_cost("gpt-4o", 1, 0), calculate_google_cost("gpt-4o", 1, 1)):
        assert type(got) is float


def test_provider_helpers_name_their_provider_when_warning(
    warnings_fresh: None, caplog: pytest.LogCaptureFixture
) -> None:
    model = f"unpriced-{uuid.uuid4().hex}"
    with caplog.at_level(logging.WARNING, logger="sentrial"):
        assert calculate_openai_cost(model, 10, 10) == 0.0
        assert calculate_anthropic_cost(model, 10, 10) == 0.0
        assert calculate_google_cost(model, 10, 10) == 0.0
        assert calculate_google_cost(model, 10, 10) == 0.0
        # a count that is not a number: 0.0 and the reason, never an exception
        assert calculate_google_cost("gemini-2.0-flash", "many", 0) == 0.0  # type: ignore[arg-type]
    assert _messages(caplog) == [
        f"sentrial: cost of model {model!r} (provider {provider}) unknown: no price known; "
        "cost left empty"
        for provider in ("openai", "anthropic", "google")
    ] + [
        "sentrial: cost of model 'gemini-2.0-flash' (provider google) unknown: ValueError: "
        "invalid literal for int() with base 10: 'many'; cost left empty"
    ]


# -- usage_from and TokenUsage ------------------------------------------------


def test_token_usage_defaults_and_total() -> None:
    assert TokenUsage() == TokenUsage(0, 0, 0, 0, 0)
    assert (TokenUsage().input_tokens, TokenUsage().output_tokens) == (0, 0)
    assert (TokenUsage().cached_input_tokens, TokenUsage().cache_write_tokens) == (0, 0)
    assert TokenUsage().reasoning_tokens == 0
    usage = TokenUsage(
        input_tokens=300, output_tokens=45, cached_input_tokens=7, reasoning_tokens=9
    )
    assert usage.total_tokens == 345
    assert TokenUsage().total_tokens == 0
    with pytest.raises(FrozenInstanceError):
        usage.input_tokens = 1  # type: ignore[misc]


def _both(value: dict[str, Any]) -> list[Any]:
    """The dict form of a response and its object form."""

    def obj(v: Any) -> Any:
        return SimpleNamespace(**{k: obj(x) for k, x in v.items()}) if isinstance(v, dict) else v

    return [value, obj(value)]


@pytest.mark.parametrize(
    "response",
    _both(
        {
            "usage": {
                "prompt_tokens": 1000,
                "completion_tokens": 50,
                "total_tokens": 1050,
                "prompt_tokens_details": {"cached_tokens": 600},
                "completion_tokens_details": {"reasoning_tokens": 20},
            }
        }
    ),
)
def test_openai_chat_usage(response: Any) -> None:
    assert usage_from(response) == TokenUsage(
        input_tokens=1000, output_tokens=50, cached_input_tokens=600, reasoning_tokens=20
    )


def test_openai_chat_usage_without_details() -> None:
    assert usage_from({"usage": {"prompt_tokens": 12, "completion_tokens": 3}}) == TokenUsage(12, 3)
    assert usage_from(
        {
            "usage": {
                "prompt_tokens": 12,
                "completion_tokens": 3,
                "prompt_tokens_details": None,
                "completion_tokens_details": None,
            }
        }
    ) == TokenUsage(12, 3)
    # prompt_tokens marks the shape even when it is 0
    assert usage_from(
        {"usage": {"prompt_tokens": 0, "completion_tokens": 4, "input_tokens": 99}}
    ) == TokenUsage(0, 4)


@pytest.mark.parametrize(
    "response",
    _both(
        {
            "usage": {
                "input_tokens": 300,
                "output_tokens": 40,
                "input_tokens_details": {"cached_tokens": 100},
                "output_tokens_details": {"reasoning_tokens": 10},
                # fields of the Anthropic shape: not read for this one
                "cache_read_input_tokens": 5000,
                "cache_creation_input_tokens": 7000,
            }
        }
    ),
)
def test_openai_responses_usage(response: Any) -> None:
    assert usage_from(response) == TokenUsage(
        input_tokens=300, output_tokens=40, cached_input_tokens=100, reasoning_tokens=10
    )


@pytest.mark.parametrize(
    "response",
    _both(
        {
            "usage": {
                "input_tokens": 50,
                "output_tokens": 30,
                "cache_read_input_tokens": 900,
                "cache_creation_input_tokens": 100,
            }
        }
    ),
)
def test_anthropic_usage_counts_cache_into_input(response: Any) -> None:
    assert usage_from(response) == TokenUsage(
        input_tokens=1050, output_tokens=30, cached_input_tokens=900, cache_write_tokens=100
    )


def test_anthropic_usage_without_cache() -> None:
    assert usage_from({"usage": {"input_tokens": 50, "output_tokens": 30}}) == TokenUsage(50, 30)
    assert usage_from(
        {
            "usage": {
                "input_tokens": 50,
                "output_tokens": 30,
                "cache_read_input_tokens": None,
                "cache_creation_input_tokens": 20,
            }
        }
    ) == TokenUsage(70, 30, 0, 20)
    assert usage_from(
        {"usage": {"input_tokens": 0, "output_tokens": 3, "cache_read_input_tokens": 8}}
    ) == TokenUsage(8, 3, 8)


@pytest.mark.parametrize(
    "response",
    _both(
        {
            "usage_metadata": {
                "prompt_token_count": 500,
                "candidates_token_count": 70,
                "thoughts_token_count": 30,
                "cached_content_token_count": 200,
                "total_token_count": 600,
            }
        }
    ),
)
def test_google_usage_counts_thoughts_as_output(response: Any) -> None:
    assert usage_from(response) == TokenUsage(
        input_tokens=500, output_tokens=100, cached_input_tokens=200, reasoning_tokens=30
    )


def test_google_usage_without_thoughts_or_cache() -> None:
    assert usage_from(
        {"usage_metadata": {"prompt_token_count": 8, "candidates_token_count": 2}}
    ) == TokenUsage(8, 2)
    assert usage_from(
        {"usage_metadata": {"prompt_token_count": 8, "thoughts_token_count": 5}}
    ) == TokenUsage(8, 5, 0, 0, 5)
    # a usage of no known shape next to Google's metadata: Google's counts
    assert usage_from(
        {"usage": {"total": 3}, "usage_metadata": {"prompt_token_count": 8}}
    ) == TokenUsage(8, 0)
    assert usage_from({"usage": None, "usage_metadata": {}}) == TokenUsage()


def test_counts_that_are_not_numbers_count_nothing() -> None:
    assert usage_from(
        {
            "usage": {
                "prompt_tokens": "12",
                "completion_tokens": True,
                "prompt_tokens_details": {"cached_tokens": None},
                "completion_tokens_details": {"reasoning_tokens": [3]},
            }
        }
    ) == TokenUsage(0, 0)
    assert usage_from({"usage": {"prompt_tokens": 12.0, "completion_tokens": False}}) == TokenUsage(
        12, 0
    )
    assert usage_from({"usage": {"prompt_tokens": 7.9, "completion_tokens": 1}}) == TokenUsage(7, 1)


def test_no_usage_at_all() -> None:
    assert usage_from(object()) is None
    assert usage_from(None) is None
    assert usage_from({}) is None
    assert usage_from({"usage": None}) is None
    assert usage_from({"usage": {"total": 3}}) is None
    assert usage_from(SimpleNamespace(usage=SimpleNamespace(total=3))) is None
    assert usage_from({"usage": {"output_tokens": 3}}) is None


# -- session totals (Rollup) ----------------------------------------------------


def _event(rollup: Rollup, session_id: str, **fields: Any) -> dict[str, Any]:
    rollup.apply(Operation("create_event", session_id, fields))
    return fields


def _update(rollup: Rollup, session_id: str, **fields: Any) -> dict[str, Any]:
    rollup.apply(Operation("update_session", session_id, fields))
    return fields


def test_session_totals_add_up_its_events() -> None:
    rollup = Rollup()
    _event(
        rollup,
        "s",
        event_type="llm_call",
        estimated_cost=0.25,
        prompt_tokens=100,
        completion_tokens=20,
    )
    _event(rollup, "other", estimated_cost=4.0, prompt_tokens=1, completion_tokens=1)
    _event(
        rollup,
        "s",
        event_type="llm_call",
        estimated_cost=0.5,
        prompt_tokens=300,
        completion_tokens=5,
    )
    _event(rollup, "s", event_type="tool_call", tool_name="search")
    assert _update(rollup, "s", status="completed") == {
        "status": "completed",
        "estimated_cost": 0.75,
        "prompt_tokens": 400,
        "completion_tokens": 25,
        "total_tokens": 425,
    }
    # the totals went with the update: a second update adds nothing
    assert _update(rollup, "s", status="failed") == {"status": "failed"}
    assert _update(rollup, "other") == {
        "estimated_cost": 4.0,
        "prompt_tokens": 1,
        "completion_tokens": 1,
        "total_tokens": 2,
    }


def test_an_update_without_events_is_left_alone() -> None:
    rollup = Rollup()
    assert _update(rollup, "never-seen", status="completed") == {"status": "completed"}
    # events with nothing to add up open no totals
    _event(rollup, "s", event_type="tool_call", tool_name="search", token_count=None)
    _event(rollup, "s", event_type="decision", reasoning="because")
    assert _update(rollup, "s") == {}


def test_each_counted_field_alone_opens_the_totals() -> None:
    for field, value, expected in [
        ("estimated_cost", 0.125, {"estimated_cost": 0.125}),
        ("prompt_tokens", 7, {"prompt_tokens": 7, "total_tokens": 7}),
        ("completion_tokens", 9, {"completion_tokens": 9, "total_tokens": 9}),
        ("token_count", 11, {"total_tokens": 11}),
    ]:
        rollup = Rollup()
        _event(rollup, "s", **{field: value})
        assert _update(rollup, "s") == expected, field


def test_only_events_add_to_the_totals() -> None:
    rollup = Rollup()
    rollup.apply(Operation("create_session", "s", {"prompt_tokens": 5, "estimated_cost": 1.0}))
    assert _update(rollup, "s") == {}
    _event(rollup, "s", prompt_tokens=5)
    rollup.apply(Operation("create_session", "s", {"prompt_tokens": 50}))
    assert _update(rollup, "s") == {"prompt_tokens": 5, "total_tokens": 5}


def test_token_count_counts_only_for_events_without_prompt_and_completion() -> None:
    rollup = Rollup()
    _event(rollup, "s", token_count=100)
    _event(rollup, "s", prompt_tokens=10, token_count=10)  # token_count = prompt
    _event(rollup, "s", completion_tokens=3, token_count=3)
    _event(rollup, "s", prompt_tokens=1, completion_tokens=2, token_count=3)
    _event(rollup, "s", prompt_tokens=0, completion_tokens=0, token_count=1000)
    assert _update(rollup, "s") == {
        "prompt_tokens": 11,
        "completion_tokens": 5,
        "total_tokens": 1116,
    }


def test_zero_totals_fill_nothing() -> None:
    rollup = Rollup()
    _event(rollup, "s", estimated_cost=0.0, prompt_tokens=0, completion_tokens=0, token_count=0)
    assert _update(rollup, "s") == {}
    rollup = Rollup()
    _event(rollup, "s", estimated_cost=0, prompt_tokens=3)
    assert _update(rollup, "s") == {"prompt_tokens": 3, "total_tokens": 3}
    rollup = Rollup()
    _event(rollup, "s", estimated_cost=0.5, completion_tokens=0)
    assert _update(rollup, "s") == {"estimated_cost": 0.5}


def test_values_that_are_not_numbers_add_nothing() -> None:
    rollup = Rollup()
    _event(rollup, "s", estimated_cost="1.5", prompt_tokens=True, completion_tokens="7")
    _event(rollup, "s", estimated_cost=None, prompt_tokens=None, token_count=False)
    _event(rollup, "s", estimated_cost=True, completion_tokens=[1], token_count="9")
    assert _update(rollup, "s") == {}
    rollup = Rollup()
    _event(rollup, "s", estimated_cost=2, prompt_tokens=4.9, completion_tokens=2.2)
    _event(rollup, "s", token_count=3.7)
    assert _update(rollup, "s") == {
        "estimated_cost": 2.0,
        "prompt_tokens": 4,
        "completion_tokens": 2,
        "total_tokens": 9,
    }


def test_the_session_cost_is_rounded_to_ten_decimals() -> None:
    rollup = Rollup()
    _event(rollup, "s", estimated_cost=1.23456789012345)
    _event(rollup, "s", estimated_cost=1e-11)
    assert _update(rollup, "s") == {"estimated_cost": 1.2345678901}
    rollup = Rollup()
    _event(rollup, "s", estimated_cost=0.1)
    _event(rollup, "s", estimated_cost=0.2)  # 0.30000000000000004
    assert _update(rollup, "s") == {"estimated_cost": 0.3}


def test_values_given_with_the_update_win() -> None:
    rollup = Rollup()
    _event(rollup, "s", estimated_cost=0.5, prompt_tokens=100, completion_tokens=20, token_count=1)
    given = {"estimated_cost": 9.0, "prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 5}
    assert _update(rollup, "s", **given) == given
    # zero is a value given too
    rollup = Rollup()
    _event(rollup, "s", estimated_cost=0.5, prompt_tokens=100, completion_tokens=20)
    assert _update(rollup, "s", estimated_cost=0, prompt_tokens=0, completion_tokens=0) == {
        "estimated_cost": 0,
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "total_tokens": 120,
    }


def test_total_is_at_least_the_given_prompt_and_completion() -> None:
    rollup = Rollup()
    _event(rollup, "s", prompt_tokens=10, completion_tokens=5)
    assert _update(rollup, "s", prompt_tokens=400, completion_tokens=30) == {
        "prompt_tokens": 400,
        "completion_tokens": 30,
        "total_tokens": 430,
    }
    # given prompt only: the other is the events' total
    rollup = Rollup()
    _event(rollup, "s", prompt_tokens=10, completion_tokens=5)
    assert _update(rollup, "s", prompt_tokens=400) == {
        "prompt_tokens": 400,
        "completion_tokens": 5,
        "total_tokens": 405,
    }
    # the events' total when larger
    rollup = Rollup()
    _event(rollup, "s", prompt_tokens=10, completion_tokens=5, token_count=1)
    _event(rollup, "s", token_count=1000)
    assert _update(rollup, "s", prompt_tokens=1, completion_tokens=1) == {
        "prompt_tokens": 1,
        "completion_tokens": 1,
        "total_tokens": 1015,
    }


def test_a_given_count_that_is_not_an_int_is_left_out_of_the_total() -> None:
    # prompt given as an int, completion neither given nor counted: no sum of them
    rollup = Rollup()
    _event(rollup, "s", prompt_tokens=10)
    assert _update(rollup, "s", prompt_tokens=400) == {"prompt_tokens": 400, "total_tokens": 10}
    rollup = Rollup()
    _event(rollup, "s", completion_tokens=10)
    assert _update(rollup, "s", completion_tokens=400) == {
        "completion_tokens": 400,
        "total_tokens": 10,
    }
    rollup = Rollup()
    _event(rollup, "s", prompt_tokens=10, completion_tokens=5)
    assert _update(rollup, "s", prompt_tokens=400.0, completion_tokens=30) == {
        "prompt_tokens": 400.0,
        "completion_tokens": 30,
        "total_tokens": 15,
    }


def test_at_most_max_open_sessions_oldest_dropped_first() -> None:
    rollup = Rollup()
    for i in range(MAX_OPEN_SESSIONS + 1):
        _event(rollup, f"s{i}", prompt_tokens=i + 1)
    assert MAX_OPEN_SESSIONS == 100_000
    assert _update(rollup, "s0") == {}  # the oldest: dropped
    assert _update(rollup, "s1") == {"prompt_tokens": 2, "total_tokens": 2}
    last = f"s{MAX_OPEN_SESSIONS}"
    assert _update(rollup, last) == {"prompt_tokens": 100_001, "total_tokens": 100_001}


def test_the_least_recently_active_session_loses_its_totals_counted(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(_rollup, "MAX_OPEN_SESSIONS", 3)
    evicted: list[int] = []
    rollup = Rollup(evicted.append)
    for name in ("a", "b", "c"):
        _event(rollup, name, prompt_tokens=1)
    _event(rollup, "a", prompt_tokens=1)  # "a" active again: "b" is the least recent
    with caplog.at_level(logging.WARNING, logger="sentrial"):
        _event(rollup, "d", prompt_tokens=1)
        _event(rollup, "e", prompt_tokens=1)
    assert evicted == [1, 1]
    assert len([m for m in _messages(caplog) if "open at once" in m]) == 1
    assert _update(rollup, "b") == {} and _update(rollup, "c") == {}
    assert _update(rollup, "a") == {"prompt_tokens": 2, "total_tokens": 2}


# -- LLM costs computed on the delivery thread ----------------------------------


def test_an_llm_call_without_cost_gets_its_cost() -> None:
    rollup = Rollup()
    event = _event(
        rollup,
        "s",
        event_type="llm_call",
        model="gpt-4o",
        prompt_tokens=M,
        completion_tokens=M,
        cached_tokens=M,
    )
    assert event["estimated_cost"] == 11.25
    event = _event(
        rollup,
        "s",
        event_type="llm_call",
        model="claude-haiku-4-5",
        prompt_tokens=3 * M,
        completion_tokens=M,
        cached_tokens=M,
        cache_write_tokens=M,
        provider="anthropic",
    )
    assert event["estimated_cost"] == 7.35
    assert _update(rollup, "s") == {
        "estimated_cost": 18.6,
        "prompt_tokens": 4 * M,
        "completion_tokens": 2 * M,
        "total_tokens": 6 * M,
    }


def test_an_llm_call_without_token_counts_has_an_unknown_cost_not_zero() -> None:
    # A response without usage: the call was not free, its cost is unknown.
    rollup = Rollup()
    event = _event(rollup, "s", event_type="llm_call", model="gpt-4o", provider="openai")
    assert "estimated_cost" not in event
    assert llm_cost({"model": "gpt-4o", "prompt_tokens": None, "completion_tokens": None}) is None
    assert llm_cost({"model": "gpt-4o", "completion_tokens": M}) == 10.0  # one count is enough
    assert llm_cost({"model": "gpt-4o", "prompt_tokens": 0}) == 0.0  # a count of 0 is known
    assert _update(rollup, "s") == {}


def test_a_given_cost_is_kept_and_other_events_get_none() -> None:
    rollup = Rollup()
    kept = _event(
        rollup, "s", event_type="llm_call", model="gpt-4o", prompt_tokens=M, estimated_cost=0.7
    )
    assert kept["estimated_cost"] == 0.7
    zero = _event(
        rollup, "s", event_type="llm_call", model="gpt-4o", prompt_tokens=M, estimated_cost=0
    )
    assert zero["estimated_cost"] == 0
    other = _event(rollup, "s", event_type="tool_call", model="gpt-4o", prompt_tokens=M)
    assert "estimated_cost" not in other
    unknown = _event(
        rollup, "s", event_type="llm_call", model=f"unpriced-{uuid.uuid4().hex}", prompt_tokens=M
    )
    assert "estimated_cost" not in unknown
    assert _update(rollup, "s") == {
        "estimated_cost": 0.7,
        "prompt_tokens": 4 * M,
        "total_tokens": 4 * M,
    }


def test_llm_cost_reads_model_tokens_and_provider() -> None:
    assert llm_cost({"model": "gpt-4o", "prompt_tokens": M, "completion_tokens": M}) == 12.5
    assert llm_cost({"model": "gpt-4o", "prompt_tokens": M + 0.9, "completion_tokens": 0}) == 2.5
    assert llm_cost({"model": "gpt-4o", "prompt_tokens": True, "completion_tokens": "9"}) == 0.0
    assert llm_cost({"model": "gpt-4o", "prompt_tokens": M, "cached_tokens": M}) == 1.25
    assert llm_cost({"model": "gpt-4o", "prompt_tokens": M, "cached_tokens": "all"}) == 2.5
    assert (
        llm_cost({"model": "claude-haiku-4-5", "prompt_tokens": M, "cache_write_tokens": M}) == 1.25
    )
    assert (
        llm_cost({"model": "claude-haiku-4-5", "prompt_tokens": M, "cache_write_tokens": None})
        == 1.0
    )
    # the provider named prices the model (Groq: $0.59 input, $0.79 output) ...
    groq = {"model": "llama-3.3-70b-versatile", "prompt_tokens": M, "completion_tokens": M}
    assert llm_cost({**groq, "provider": "groq"}) == 1.38
    assert llm_cost(groq) is None
    assert llm_cost({"model": "gpt-4o", "prompt_tokens": M, "provider": "anthropic"}) is None
    # ... a provider that is not a string is ignored
    assert llm_cost({"model": "gpt-4o", "prompt_tokens": M, "provider": 123}) == 2.5


def test_llm_cost_needs_a_model_name(
    warnings_fresh: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="sentrial"):
        assert llm_cost({"prompt_tokens": M}) is None
        assert llm_cost({"model": "", "prompt_tokens": M}) is None
        assert llm_cost({"model": None, "prompt_tokens": M}) is None
        assert llm_cost({"model": 4, "prompt_tokens": M}) is None
        assert llm_cost({"model": ["gpt-4o"], "prompt_tokens": M}) is None
    assert _messages(caplog) == []  # nothing was looked up


def test_llm_cost_without_a_price_list_warns_once_per_reason(
    warnings_fresh: None, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """genai-prices missing (None in sys.modules: its import fails): no cost, and
    one warning per kind of failure, never an exception."""
    monkeypatch.setitem(sys.modules, "genai_prices", None)
    rollup = Rollup()
    with caplog.at_level(logging.WARNING, logger="sentrial"):
        assert llm_cost({"model": "gpt-4o", "prompt_tokens": 10}) is None
        assert llm_cost({"model": "gpt-4o", "prompt_tokens": 20}) is None
        event = _event(rollup, "s", event_type="llm_call", model="gpt-4o", prompt_tokens=30)
    assert "estimated_cost" not in event
    assert _update(rollup, "s") == {"prompt_tokens": 30, "total_tokens": 30}
    assert _messages(caplog) == [
        "sentrial: LLM costs not computed (ModuleNotFoundError: import of genai_prices halted; "
        "None in sys.modules)"
    ]
    assert caplog.records[0].levelno == logging.WARNING
