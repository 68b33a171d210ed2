# mypy: disable-error-code="import-not-found"
"""A real AutoGen AgentChat team with a tool, recorded by ``SentrialAutogenHandler``.

Not a test module: ``test_legacy_integrations.py`` runs it with the Python of
``.venv-legacy`` (tests/_venvs.py), which holds ``autogen-agentchat``,
``autogen-core`` and ``autogen-ext[openai]`` (they need protobuf 5.29):

    python -I _autogen_workload.py SENTRIAL_URL SENTRIAL_KEY LLM_URL SPOOL_DIR

The agent's model client is AutoGen's own ``OpenAIChatCompletionClient``,
pointed at the LLM stand-in, which answers a ``[call:NAME {json}]`` turn with
that tool call and the turn after the tool's result with text. One JSON
document on stdout: the session id, the handler's usage summary and what
the team returned.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

TASK = 'What is the weather? [call:get_weather {"city": "Paris"}]'


async def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"Sunny in {city}, 21 C"


async def run(url: str, key: str, llm: str, spool: str) -> dict[str, Any]:
    from autogen_agentchat.agents import AssistantAgent
    from autogen_agentchat.conditions import MaxMessageTermination
    from autogen_agentchat.teams import RoundRobinGroupChat
    from autogen_ext.models.openai import OpenAIChatCompletionClient

    from sentrial.autogen import SentrialAutogenHandler, SentrialClient

    client = SentrialClient(api_key=key, api_url=url, spool_dir=spool)
    model_client = OpenAIChatCompletionClient(
        model="gpt-4o-mini", base_url=llm + "/v1", api_key="sk-test", max_retries=0
    )
    agent = AssistantAgent(
        "weather_agent",
        model_client=model_client,
        tools=[get_weather],
        reflect_on_tool_use=True,
        system_message="You answer weather questions.",
    )
    # The task and the agent's final text: two messages end the run.
    team = RoundRobinGroupChat([agent], termination_condition=MaxMessageTermination(2))
    session_id = client.create_session(name="weather", agent_name="autogen", user_id="u")
    handler = SentrialAutogenHandler(client, session_id)
    result = await handler.run_team(team, TASK)
    handler.finish()
    await model_client.close()
    flushed = client.flush(10)
    client.close()
    return {
        "session": session_id,
        "usage": handler.get_usage_summary(),
        "messages": [type(m).__name__ for m in result.messages],
        "stop_reason": result.stop_reason,
        "flushed": flushed,
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run(*sys.argv[1:5]))))
