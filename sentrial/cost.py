"""LLM cost in USD from token counts, with prices from ``genai-prices``.

No price table lives in this project: ``genai-prices`` carries maintained
prices (cache reads and writes, tiers). An unknown model costs ``None`` and
one warning per model, never another model's price.

Token conventions (the same as OpenAI's usage and genai-prices'):
``input_tokens`` counts *all* input tokens, cached reads and cache writes
included; ``cached_input_tokens`` and ``cache_write_tokens`` say how many of
them were read from or written to the cache. :func:`usage_from` converts
each provider's response to these conventions.

>>> round(calculate_cost("gpt-4o", 1_000_000, 0), 2)
2.5
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

logger = logging.getLogger("sentrial")

_warned: set[str] = set()
_warned_lock = threading.Lock()


def calculate_cost(
    model: str,
    input_tokens: int,
    output_tokens: int,
    *,
    cached_input_tokens: int = 0,
    cache_write_tokens: int = 0,
    provider: str | None = None,
) -> float | None:
    """USD for one call, or None (with one warning per model) when the model is unknown."""
    import genai_prices  # noqa: F401  (prices come from it alone: none without it, raised)

    # "" (or anything but text, from a stored event) is "not known": the model decides.
    provider = provider.strip() or None if isinstance(provider, str) else None
    counts = (
        max(0, int(input_tokens)),
        max(0, int(output_tokens)),
        max(0, int(cached_input_tokens)),
        max(0, int(cache_write_tokens)),
    )
    if counts[2] + counts[3] <= counts[0]:  # else genai-prices refuses it: asked below
        rates = _rates(model, provider, int(time.time()) // _RATES_TTL_S)
        if rates is not None:
            per_call, *per_token = rates
            return float(per_call + sum(r * n for r, n in zip(per_token, counts, strict=True)))
    try:
        return float(_library_price(model, provider, *counts).total_price)
    except LookupError:
        _warn_once(model, provider)
        return None
    except Exception as exc:  # bad token combinations, data errors: never raise
        _warn_once(model, provider, f"{type(exc).__name__}: {exc}")
        return None


def _library_price(
    model: str, provider: str | None, input_: int, output: int, read: int, written: int
) -> Any:
    from genai_prices import Usage, calc_price

    usage = Usage(
        input_tokens=input_,
        output_tokens=output,
        cache_read_tokens=read or None,
        cache_write_tokens=written or None,
    )
    return calc_price(usage, model_ref=model, provider_id=provider)


# Prices can change on a date (genai-prices carries start dates): rates are
# derived again at least this often.
_RATES_TTL_S = 3600
_M = 1_000_000


@functools.lru_cache(maxsize=4096)
def _rates(
    model: str, provider: str | None, _period: int
) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal] | None:
    """(per call, per input, output, cache-read and cache-write token) for a model
    whose price is linear in its token counts, or None: unknown, tiered, or not
    linear when checked.

    genai-prices takes ~75 us a call (units decomposed, validated); a server that
    prices every span of an OTLP export, or an agent tracking LLM calls, pays
    that on each. A model without tiers is linear, so five prices asked of the
    library itself (its own rules for cached tokens included) give its rates, in
    its Decimals (the same figures to the last digit), and a sixth, asked at
    other counts, confirms them before they are used.
    """
    from genai_prices.types import TieredPrices

    try:
        base = _library_price(model, provider, 0, 0, 0, 0)
        if any(isinstance(v, TieredPrices) for v in vars(base.model_price).values()):
            return None
        zero = Decimal(base.total_price)

        def rate(input_: int, output: int, read: int, written: int, minus: Decimal) -> Decimal:
            price = _library_price(model, provider, input_, output, read, written)
            return (Decimal(price.total_price) - zero - minus) / _M

        per_input = rate(_M, 0, 0, 0, Decimal(0))
        per_output = rate(0, _M, 0, 0, Decimal(0))
        per_read = rate(_M, 0, _M, 0, per_input * _M)
        per_written = rate(_M, 0, 0, _M, per_input * _M)
        rates = (zero, per_input, per_output, per_read, per_written)
        check = (3 * _M + 7, 2 * _M + 3, _M + 1, _M // 2 + 5)
        expected = Decimal(_library_price(model, provider, *check).total_price)
        linear = zero + sum(r * n for r, n in zip(rates[1:], check, strict=True))
    except Exception:  # unknown model, refused counts: the caller asks the library
        return None
    return rates if linear == expected else None


def _warn_once(model: str, provider: str | None, why: str = "no price known") -> None:
    key = f"{provider}/{model}"
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    logger.warning(
        "sentrial: cost of model %r (provider %s) unknown: %s; cost left empty",
        model,
        provider or "auto",
        why,
    )


def _provider_cost(
    provider: str, model: str, input_tokens: int, output_tokens: int, **kwargs: Any
) -> float:
    """The published helpers' contract: always a float, 0.0 for an unknown model
    (with the one warning naming it)."""
    try:
        value = calculate_cost(model, input_tokens, output_tokens, provider=provider, **kwargs)
    except Exception as exc:  # bad token counts: as unknown, never raise
        _warn_once(str(model), provider, f"{type(exc).__name__}: {exc}")
        value = None
    return 0.0 if value is None else value


def calculate_openai_cost(
    model: str, input_tokens: int, output_tokens: int, **kwargs: Any
) -> float:
    """USD for an OpenAI call; 0.0 when the model's price is unknown."""
    return _provider_cost("openai", model, input_tokens, output_tokens, **kwargs)


def calculate_anthropic_cost(
    model: str, input_tokens: int, output_tokens: int, **kwargs: Any
) -> float:
    """USD for an Anthropic call; 0.0 when the model's price is unknown."""
    return _provider_cost("anthropic", model, input_tokens, output_tokens, **kwargs)


def calculate_google_cost(
    model: str, input_tokens: int, output_tokens: int, **kwargs: Any
) -> float:
    """USD for a Google call; 0.0 when the model's price is unknown."""
    return _provider_cost("google", model, input_tokens, output_tokens, **kwargs)


@dataclass(frozen=True)
class TokenUsage:
    """Tokens of one call in the conventions of :func:`calculate_cost`."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


def _get(obj: Any, *names: str) -> Any:
    for name in names:
        if obj is None:
            return None
        obj = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
    return obj


def _int(value: Any) -> int:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def usage_from(response: Any) -> TokenUsage | None:
    """Token usage of an OpenAI (chat completions or responses), Anthropic or
    Google response object (or its dict form); None when it carries none."""
    usage = _get(response, "usage")
    if usage is not None:
        if _get(usage, "prompt_tokens") is not None:  # OpenAI chat completions
            return TokenUsage(
                input_tokens=_int(_get(usage, "prompt_tokens")),
                output_tokens=_int(_get(usage, "completion_tokens")),
                cached_input_tokens=_int(_get(usage, "prompt_tokens_details", "cached_tokens")),
                reasoning_tokens=_int(_get(usage, "completion_tokens_details", "reasoning_tokens")),
            )
        if (
            _get(usage, "input_tokens_details") is not None
            or _get(usage, "output_tokens_details") is not None
        ):  # OpenAI responses
            return TokenUsage(
                input_tokens=_int(_get(usage, "input_tokens")),
                output_tokens=_int(_get(usage, "output_tokens")),
                cached_input_tokens=_int(_get(usage, "input_tokens_details", "cached_tokens")),
                reasoning_tokens=_int(_get(usage, "output_tokens_details", "reasoning_tokens")),
            )
        if _get(usage, "input_tokens") is not None:  # Anthropic: cache counted apart
            read = _int(_get(usage, "cache_read_input_tokens"))
            write = _int(_get(usage, "cache_creation_input_tokens"))
            return TokenUsage(
                input_tokens=_int(_get(usage, "input_tokens")) + read + write,
                output_tokens=_int(_get(usage, "output_tokens")),
                cached_input_tokens=read,
                cache_write_tokens=write,
            )
    meta = _get(response, "usage_metadata")  # Google
    if meta is not None:
        return TokenUsage(
            input_tokens=_int(_get(meta, "prompt_token_count")),
            output_tokens=_int(_get(meta, "candidates_token_count"))
            + _int(_get(meta, "thoughts_token_count")),
            cached_input_tokens=_int(_get(meta, "cached_content_token_count")),
            reasoning_tokens=_int(_get(meta, "thoughts_token_count")),
        )
    return None
