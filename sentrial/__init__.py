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
    from .experiment import (
        Experiment,
        ExperimentRunResult,
        ExperimentRunTracker,
        ExperimentTestCase,
        ExperimentVariant,
    )
    from .integrations.anthropic import wrap_anthropic
    from .integrations.autogen import SentrialAutogenHandler
    from .integrations.claude_agent import (
        TrackedClaudeClient,
        wrap_claude_agent,
        wrap_claude_client,
    )
    from .integrations.crewai import SentrialCrewHandler, track_crew
    from .integrations.langfuse import LangfuseIntegration, LangfuseTraceContext
    from .integrations.openai import wrap_openai
    from .langchain import (
        LANGCHAIN_MAJOR_VERSION,
        LANGCHAIN_VERSION,
        SentrialCallbackHandler,
        create_agent_with_sentrial,
        get_agent_executor,
        get_openai_tools_agent_creator,
        get_react_agent,
    )
    from .otel import SentrialSpanProcessor, setup_otel_tracing
    from .variants import get_variant, variant_stats
    from .wrappers import wrap_google, wrap_llm

__version__ = "0.7.0"

__all__ = [
    "LANGCHAIN_MAJOR_VERSION",
    "LANGCHAIN_VERSION",
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
    "Experiment",
    "ExperimentContext",
    "ExperimentRunResult",
    "ExperimentRunTracker",
    "ExperimentTestCase",
    "ExperimentVariant",
    "Interaction",
    "LangfuseIntegration",
    "LangfuseTraceContext",
    "SentrialAutogenHandler",
    "SentrialCallbackHandler",
    "SentrialClient",
    "SentrialCrewHandler",
    "SentrialError",
    "SentrialSpanProcessor",
    "SessionContext",
    "TrackedClaudeClient",
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
    "create_agent_with_sentrial",
    "flush",
    "get_agent_executor",
    "get_client",
    "get_current",
    "get_current_interaction",
    "get_current_session_id",
    "get_experiment_context",
    "get_openai_tools_agent_creator",
    "get_react_agent",
    "get_session_context",
    "get_session_entry_points",
    "get_system_prompt",
    "get_variant",
    "get_variant_name",
    "is_experiment_mode",
    "session",
    "set_session_context",
    "setup_otel_tracing",
    "tool",
    "track_crew",
    "variant_stats",
    "wrap_anthropic",
    "wrap_claude_agent",
    "wrap_claude_client",
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
    # LangChain and OpenTelemetry: imported only when one of these names is used
    "LANGCHAIN_MAJOR_VERSION": "sentrial.langchain",
    "LANGCHAIN_VERSION": "sentrial.langchain",
    "SentrialCallbackHandler": "sentrial.langchain",
    "create_agent_with_sentrial": "sentrial.langchain",
    "get_agent_executor": "sentrial.langchain",
    "get_openai_tools_agent_creator": "sentrial.langchain",
    "get_react_agent": "sentrial.langchain",
    "SentrialSpanProcessor": "sentrial.otel",
    "setup_otel_tracing": "sentrial.otel",
    # Agent frameworks and Langfuse: none of them imports its framework either
    "LangfuseIntegration": "sentrial.integrations.langfuse",
    "LangfuseTraceContext": "sentrial.integrations.langfuse",
    "SentrialAutogenHandler": "sentrial.integrations.autogen",
    "SentrialCrewHandler": "sentrial.integrations.crewai",
    "track_crew": "sentrial.integrations.crewai",
    "TrackedClaudeClient": "sentrial.integrations.claude_agent",
    "wrap_claude_agent": "sentrial.integrations.claude_agent",
    "wrap_claude_client": "sentrial.integrations.claude_agent",
    "ExperimentContext": "sentrial.context",
    "get_experiment_context": "sentrial.context",
    "get_system_prompt": "sentrial.context",
    "get_variant_name": "sentrial.context",
    "is_experiment_mode": "sentrial.context",
    "Experiment": "sentrial.experiment",
    "ExperimentRunResult": "sentrial.experiment",
    "ExperimentRunTracker": "sentrial.experiment",
    "ExperimentTestCase": "sentrial.experiment",
    "ExperimentVariant": "sentrial.experiment",
    "get_variant": "sentrial.variants",
    "variant_stats": "sentrial.variants",
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
