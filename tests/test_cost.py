"""Prices from genai-prices, checked against the providers' published list prices."""

from __future__ import annotations

import logging
import uuid
from types import SimpleNamespace

import pytest

import sentrial
from sentrial.cost import TokenUsage, calculate_cost, usage_from

# (provider, model, $/MTok input, $/MTok output, $/MTok cached input read, $/MTok cache write)
LIST_PRICES = [
    ("openai", "gpt-4o", 2.5, 10, 1.25, None),
    ("openai", "gpt-4o-mini", 0.15, 0.6, 0.075, None),
    ("openai", "gpt-4.1", 2, 8, 0.5, None),
    ("openai", "gpt-4.1-mini", 0.4, 1.6, 0.1, None),
    ("openai", "o3-mini", 1.1, 4.4, 0.55, None),
    ("openai", "gpt-5", 1.25, 10, 0.125, None),
    ("anthropic", "claude-sonnet-4-6", 3, 15, 0.3, 3.75),
    ("anthropic", "claude-haiku-4-5", 1, 5, 0.1, 1.25),
    ("anthropic", "claude-opus-4-1", 15, 75, 1.5, 18.75),
    ("google", "gemini-2.5-flash", 0.3, 2.5, 0.03, None),
    ("google", "gemini-2.0-flash", 0.1, 0.4, 0.025, None),
    ("google", "gemini-2.5-pro", 1.25, 10, 0.125, None),
]


@pytest.mark.parametrize(("provider", "model", "inp", "out", "cached", "write"), LIST_PRICES)
def test_prices_match_list_prices(
    provider: str, model: str, inp: float, out: float, cached: float, write: float | None
) -> None:
    # 100k input tokens of which 20k read from the cache (and 10k written), 5k output.
    writes = 10_000 if write is not None else 0
    expected = (
        (100_000 - 20_000 - writes) * inp + 20_000 * cached + writes * (write or 0) + 5_000 * out
    ) / 1e6
    got = calculate_cost(
        model,
        100_000,
        5_000,
        cached_input_tokens=20_000,
        cache_write_tokens=writes,
        provider=provider,
    )
    assert got == pytest.approx(expected, rel=1e-9)


def test_provider_helpers_and_static_methods() -> None:
    assert sentrial.calculate_openai_cost("gpt-4o", 1_000_000, 0) == pytest.approx(2.5)
    assert sentrial.calculate_anthropic_cost("claude-haiku-4-5", 0, 1_000_000) == pytest.approx(5)
    assert sentrial.calculate_google_cost("gemini-2.0-flash", 1_000_000, 0) == pytest.approx(0.1)
    assert sentrial.SentrialClient.calculate_openai_cost(
        "gpt-4o-mini", 1_000_000, 0
    ) == pytest.approx(0.15)


def test_unknown_model_is_none_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    # A name of its own: the one warning per model is per process, whatever ran before.
    model = f"my-finetune-{uuid.uuid4().hex}"
    with caplog.at_level(logging.WARNING, logger="sentrial"):
        assert calculate_cost(model, 1000, 1000) is None
        assert calculate_cost(model, 5, 5) is None
    assert caplog.text.count(model) == 1


def test_usage_from_each_provider() -> None:
    openai_chat = SimpleNamespace(
        usage=SimpleNamespace(
            prompt_tokens=1000,
            completion_tokens=50,
            prompt_tokens_details=SimpleNamespace(cached_tokens=600),
            completion_tokens_details=SimpleNamespace(reasoning_tokens=20),
        )
    )
    assert usage_from(openai_chat) == TokenUsage(1000, 50, 600, 0, 20)
    openai_responses = {
        "usage": {
            "input_tokens": 300,
            "output_tokens": 40,
            "input_tokens_details": {"cached_tokens": 100},
            "output_tokens_details": {"reasoning_tokens": 10},
        }
    }
    assert usage_from(openai_responses) == TokenUsage(300, 40, 100, 0, 10)
    anthropic = {
        "usage": {
            "input_tokens": 50,
            "output_tokens": 30,
            "cache_read_input_tokens": 900,
            "cache_creation_input_tokens": 100,
        }
    }
    assert usage_from(anthropic) == TokenUsage(1050, 30, 900, 100, 0)
    google = SimpleNamespace(
        usage_metadata=SimpleNamespace(
            prompt_token_count=500,
            candidates_token_count=70,
            thoughts_token_count=30,
            cached_content_token_count=200,
        )
    )
    assert usage_from(google) == TokenUsage(500, 100, 200, 0, 30)
    assert usage_from(object()) is None


def test_import_sentrial_does_not_load_prices() -> None:
    import subprocess
    import sys

    code = "import sys, sentrial; print('genai_prices' in sys.modules, 'openai' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["False", "False"]


def test_each_kind_of_token_at_its_own_price() -> None:
    # gpt-4o: $2.50 input, $1.25 cached input, $10.00 output per million tokens
    assert calculate_cost("gpt-4o", 0, 1_000_000) == pytest.approx(10.0, rel=1e-12)
    assert calculate_cost("gpt-4o", 1_000_000, 0, provider="openai") == pytest.approx(2.5)
    assert sentrial.calculate_openai_cost(
        "gpt-4o", 1_000_000, 0, cached_input_tokens=1_000_000
    ) == pytest.approx(1.25, rel=1e-12)
    # claude-haiku-4-5: $1.00 input, $1.25 cache write, $0.10 cache read per million
    assert sentrial.calculate_anthropic_cost(
        "claude-haiku-4-5", 1_000_000, 0, cache_write_tokens=1_000_000
    ) == pytest.approx(1.25, rel=1e-12)
    assert sentrial.calculate_anthropic_cost(
        "claude-haiku-4-5", 1_000_000, 0, cached_input_tokens=1_000_000
    ) == pytest.approx(0.10, rel=1e-12)
    # gemini-2.0-flash: $0.40 output per million
    assert sentrial.calculate_google_cost("gemini-2.0-flash", 0, 1_000_000) == pytest.approx(
        0.4, rel=1e-12
    )


def test_the_warning_names_model_provider_and_reason(caplog: pytest.LogCaptureFixture) -> None:
    model = f"unpriced-{uuid.uuid4().hex}"
    with caplog.at_level(logging.WARNING, logger="sentrial"):
        assert sentrial.calculate_openai_cost(model, 10, 10) == 0.0
        assert sentrial.calculate_openai_cost(model, 5, 5) == 0.0  # warned once
        assert calculate_cost(model, 10, 10) is None  # no provider named: "auto"
    assert [r.getMessage() for r in caplog.records] == [
        f"sentrial: cost of model {model!r} (provider {provider}) unknown: no price known; "
        "cost left empty"
        for provider in ("openai", "auto")
    ]


def test_impossible_token_counts_cost_nothing_and_say_why(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # each model's warning is given once per process: start from none given
    monkeypatch.setattr(sentrial.cost, "_warned", set())
    model = f"gpt-4o-{uuid.uuid4().hex}"  # a model of its own: warned once per process
    with caplog.at_level(logging.WARNING, logger="sentrial"):
        # more cache reads than input tokens: genai-prices refuses the usage
        assert calculate_cost("gpt-4o", 10, 0, cached_input_tokens=100, provider="openai") is None
        # a count that is not a number: the published helpers answer 0.0, a float
        got = sentrial.calculate_anthropic_cost(model, "many", 0)  # type: ignore[arg-type]
        assert got == 0.0 and type(got) is float
    assert [r.getMessage() for r in caplog.records] == [
        "sentrial: cost of model 'gpt-4o' (provider openai) unknown: ValueError: Invalid usage "
        "data: cache_read_tokens (100) cannot exceed input_tokens (10); cost left empty",
        f"sentrial: cost of model {model!r} (provider anthropic) unknown: ValueError: invalid "
        "literal for int() with base 10: 'many'; cost left empty",
    ]


def test_usage_shapes_are_told_apart() -> None:
    # OpenAI responses: either details object marks it (cached tokens are a part
    # of input), whatever Anthropic's cache keys beside it say
    assert usage_from(
        {
            "usage": {
                "input_tokens": 10,
                "output_tokens": 5,
                "input_tokens_details": {"cached_tokens": 4},
                "cache_creation_input_tokens": 100,
            }
        }
    ) == TokenUsage(input_tokens=10, output_tokens=5, cached_input_tokens=4)
    assert usage_from(
        {
            "usage": {
                "input_tokens": 10,
                "output_tokens": 5,
                "output_tokens_details": {"reasoning_tokens": 2},
                "cache_read_input_tokens": 100,
            }
        }
    ) == TokenUsage(input_tokens=10, output_tokens=5, reasoning_tokens=2)
    # counts that are not numbers count nothing
    assert usage_from({"usage": {"prompt_tokens": "12", "completion_tokens": True}}) == TokenUsage(
        input_tokens=0, output_tokens=0
    )
    # a usage object of no known shape
    assert usage_from({"usage": {"total": 3}}) is None


def test_an_empty_provider_is_no_provider() -> None:
    # SDKs and configs often pass provider="" for "not known": priced by the model alone.
    assert calculate_cost("gpt-4o", 1000, 1000, provider="") == 0.0125
    assert calculate_cost("gpt-4o", 1000, 1000, provider="  ") == 0.0125


@pytest.mark.parametrize(
    ("model", "provider"),
    [
        ("gpt-4o", "openai"),
        ("gpt-4o-mini", None),
        ("claude-sonnet-4-6", "anthropic"),
        ("claude-haiku-4-5", "anthropic"),
        ("gemini-2.0-flash", None),
        ("gemini-2.5-pro", "google"),  # tiered: above 200k input tokens, dearer
    ],
)
def test_remembered_rates_give_the_library_figures_to_the_last_digit(
    model: str, provider: str | None
) -> None:
    """calculate_cost prices a linear model from rates it derived once; every
    figure is still the one genai-prices gives, tiers included."""
    from genai_prices import Usage, calc_price

    for prompt, completion, read, written in [
        (1000, 50, 0, 0),
        (1000, 50, 600, 0),
        (5000, 20, 100, 300),
        (300_000, 10, 0, 0),
        (1, 1, 1, 0),
        (0, 0, 0, 0),
    ]:
        usage = Usage(
            input_tokens=prompt,
            output_tokens=completion,
            cache_read_tokens=read or None,
            cache_write_tokens=written or None,
        )
        expected = float(calc_price(usage, model_ref=model, provider_id=provider).total_price)
        got = calculate_cost(
            model,
            prompt,
            completion,
            cached_input_tokens=read,
            cache_write_tokens=written,
            provider=provider,
        )
        assert got == expected, (prompt, completion, read, written)
