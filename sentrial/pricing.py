"""Published cost helpers (``sentrial.pricing``): always a float.

Prices come from ``genai-prices`` (see ``sentrial.cost``). Unlike
``sentrial.calculate_cost``, which returns None for a model without a known
price, these return 0.0 then (and warn once, naming the model), since code
written against the published SDK formats the result as a number.
"""

from __future__ import annotations

from .cost import _warn_once
from .cost import calculate_cost as _cost

__all__ = ["calculate_cost", "get_model_pricing"]


def calculate_cost(model_name: str, prompt_tokens: int, completion_tokens: int) -> float:
    """USD for one call; 0.0 (one warning per model) when the price is unknown."""
    return float_cost(model_name, prompt_tokens, completion_tokens)


def get_model_pricing(model_name: str) -> tuple[float, float]:
    """(input, output) USD per 1,000 tokens, as published; (0.0, 0.0) when unknown."""
    per_1k_in = float_cost(model_name, 1_000_000, 0) / 1000
    per_1k_out = float_cost(model_name, 0, 1_000_000) / 1000
    return per_1k_in, per_1k_out


def float_cost(model: str, input_tokens: int, output_tokens: int) -> float:
    try:
        value = _cost(model, input_tokens, output_tokens)
    except Exception as exc:  # bad token counts: as unknown, never raise
        _warn_once(str(model), None, f"{type(exc).__name__}: {exc}")
        value = None
    return 0.0 if value is None else value
