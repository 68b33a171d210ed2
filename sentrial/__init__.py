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
from ._interaction import (
    AsyncInteraction,
    Interaction,
    begin,
    begin_async,
    configure,
    configure_async,
    get_client,
)
from .batcher import BatcherConfig, EventBatcher
from .decorators import (
    SessionContext,
    clear_session_context,
    get_current_interaction,
    get_current_session_id,
    get_session_context,
    get_session_entry_points,
    set_session_context,
)
from .types import EventType

if TYPE_CHECKING:
    from .context import (
        ExperimentContext,
        get_experiment_context,
        get_system_prompt,
        get_variant_name,
        is_experiment_mode,
    )
    from .cost import (
        calculate_anthropic_cost,
        calculate_cost,
        calculate_google_cost,
        calculate_openai_cost,
    )
    from .integrations.anthropic import wrap_anthropic
    from .integrations.openai import wrap_openai
    from .wrappers import wrap_google, wrap_llm

__version__ = "0.1.0"

__all__ = [
    "APIError",
    "AsyncInteraction",
    "AsyncSentrialClient",
    "AuthenticationError",
    "BatcherConfig",
    "Config",
    "ConfigurationError",
    "DeliveryError",
    "EventBatcher",
    "EventType",
    "ExperimentContext",
    "Interaction",
    "SentrialClient",
    "SentrialError",
    "SessionContext",
    "ValidationError",
    "begin",
    "begin_async",
    "calculate_anthropic_cost",
    "calculate_cost",
    "calculate_google_cost",
    "calculate_openai_cost",
    "clear_session_context",
    "configure",
    "configure_async",
    "flush",
    "get_client",
    "get_current",
    "get_current_interaction",
    "get_current_session_id",
    "get_experiment_context",
    "get_session_context",
    "get_session_entry_points",
    "get_system_prompt",
    "get_variant_name",
    "is_experiment_mode",
    "session",
    "set_session_context",
    "tool",
    "wrap_anthropic",
    "wrap_google",
    "wrap_llm",
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
    "wrap_google": "sentrial.wrappers",
    "wrap_llm": "sentrial.wrappers",
    "ExperimentContext": "sentrial.context",
    "get_experiment_context": "sentrial.context",
    "get_system_prompt": "sentrial.context",
    "get_variant_name": "sentrial.context",
    "is_experiment_mode": "sentrial.context",
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
