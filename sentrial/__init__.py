"""Sentrial: monitoring for AI agents.

>>> import sentrial
>>> client = sentrial.configure(api_key="sentrial_live_xxx", enabled=False)
>>> with sentrial.begin(user_id="u1", event="support_agent", input="hi") as interaction:
...     _ = interaction.track_tool_call("search", {"q": "hi"}, {"hits": 2})
...     interaction.set_output("hello")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._client import AsyncSentrialClient, SentrialClient
from ._config import Config
from ._context import get_current
from ._decorators import session, tool
from ._errors import (
    APIError,
    AuthenticationError,
    ConfigurationError,
    DeliveryError,
    SentrialError,
    ValidationError,
)
from ._interaction import Interaction, begin, configure, get_client

if TYPE_CHECKING:
    from .cost import (
        calculate_anthropic_cost,
        calculate_cost,
        calculate_google_cost,
        calculate_openai_cost,
    )
    from .integrations.anthropic import wrap_anthropic
    from .integrations.openai import wrap_openai

__version__ = "0.1.0"

__all__ = [
    "APIError",
    "AsyncSentrialClient",
    "AuthenticationError",
    "Config",
    "ConfigurationError",
    "DeliveryError",
    "Interaction",
    "SentrialClient",
    "SentrialError",
    "ValidationError",
    "begin",
    "calculate_anthropic_cost",
    "calculate_cost",
    "calculate_google_cost",
    "calculate_openai_cost",
    "configure",
    "flush",
    "get_client",
    "get_current",
    "session",
    "tool",
    "wrap_anthropic",
    "wrap_openai",
]

# Loaded on first use so that `import sentrial` stays cheap.
_LAZY = {
    "calculate_cost": "sentrial.cost",
    "calculate_openai_cost": "sentrial.cost",
    "calculate_anthropic_cost": "sentrial.cost",
    "calculate_google_cost": "sentrial.cost",
    "wrap_openai": "sentrial.integrations.openai",
    "wrap_anthropic": "sentrial.integrations.anthropic",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sentrial' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


def flush(timeout: float | None = None) -> bool:
    """Flush the configured client (see ``configure``)."""
    return get_client().flush(timeout)
