"""The published SDK's ``sentrial.langchain``: the callback handler and agent helpers.

Usage (not a doctest: it needs a Sentrial API and an agent)::

    from sentrial import SentrialClient
    from sentrial.langchain import SentrialCallbackHandler

    client = SentrialClient()
    session_id = client.create_session(name="run", agent_name="my-agent", user_id="u1")
    handler = SentrialCallbackHandler(client, session_id)
    agent.invoke(inputs, config={"callbacks": [handler]})
    handler.finish(success=True)

The handler and helpers live in :mod:`sentrial.integrations.langchain`. The helpers
return what the installed LangChain still has: LangChain 1.0 removed
``AgentExecutor`` and ``create_openai_tools_agent`` (they live on in the
``langchain-classic`` package), and its agent constructor is
``langchain.agents.create_agent``; when a helper's API is gone, it raises an
``ImportError`` naming the replacement rather than failing somewhere deeper.
"""

from __future__ import annotations

from ._client import SentrialClient
from .integrations.langchain import (
    LANGCHAIN_MAJOR_VERSION,
    LANGCHAIN_VERSION,
    SentrialCallbackHandler,
    create_agent_with_sentrial,
    get_agent_executor,
    get_openai_tools_agent_creator,
    get_react_agent,
)
from .pricing import calculate_cost, get_model_pricing

__all__ = [
    "LANGCHAIN_MAJOR_VERSION",
    "LANGCHAIN_VERSION",
    "SentrialCallbackHandler",
    "SentrialClient",
    "calculate_cost",
    "create_agent_with_sentrial",
    "get_agent_executor",
    "get_model_pricing",
    "get_openai_tools_agent_creator",
    "get_react_agent",
]
