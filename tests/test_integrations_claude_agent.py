"""Claude Agent SDK: the real ``claude_agent_sdk.query`` and ``ClaudeSDKClient``
driven through the SDK's public custom ``Transport`` (no Claude Code CLI
here): a scripted CLI answers the control protocol and emits the JSON lines
the CLI would, which the SDK parses into its own message objects."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from claude_agent_sdk import (
    AssistantMessage,
    ClaudeSDKClient,
    ResultMessage,
    Transport,
    UserMessage,
    query,
)

import sentrial
import sentrial.claude_code
from sentrial._server import LocalServer
from sentrial.integrations.claude_agent import (
    TrackedClaudeClient,
    wrap_claude_agent,
    wrap_claude_client,
)

from .conftest import Reader

MODEL = "claude-sonnet-4-6"


def _assistant(msg_id: str, content: list[dict[str, Any]], usage: dict[str, int]) -> dict[str, Any]:
    return {
        "type": "assistant",
        "message": {"id": msg_id, "model": MODEL, "content": content, "usage": usage},
        "parent_tool_use_id": None,
        "session_id": "cc-1",
    }


USAGE_1 = {
    "input_tokens": 1200,
    "output_tokens": 40,
    "cache_read_input_tokens": 300,
    "cache_creation_input_tokens": 50,
}
USAGE_2 = {"input_tokens": 1300, "output_tokens": 25}


def turn(result: str = "The bug is fixed.", is_error: bool = False) -> list[dict[str, Any]]:
    """What the CLI prints for one prompt: init, a response with text and a
    tool use (two lines, one API message), the tool's result, the answer, the result."""
    return [
        {"type": "system", "subtype": "init", "session_id": "cc-1", "model": MODEL, "tools": []},
        _assistant("msg_1", [{"type": "text", "text": "Let me look. "}], USAGE_1),
        _assistant(
            "msg_1",
            [{"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {"path": "a.py"}}],
            USAGE_1,
        ),
        {
            "type": "user",
            "message": {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "print(1)"}
                ],
            },
            "parent_tool_use_id": None,
            "session_id": "cc-1",
        },
        _assistant("msg_2", [{"type": "text", "text": result}], USAGE_2),
        {
            "type": "result",
            "subtype": "success",
            "duration_ms": 2300,
            "duration_api_ms": 2000,
            "is_error": is_error,
            "num_turns": 2,
            "session_id": "cc-1",
            "total_cost_usd": 0.0123,
            "usage": {"input_tokens": 2500, "output_tokens": 65},
            "result": result,
            "errors": ["API error 529"] if is_error else None,
        },
    ]


class ScriptedCLI(Transport):
    """Speaks the CLI's stdin/stdout protocol: answers control requests, and
    each user message with the next scripted turn."""

    def __init__(self, *turns: list[dict[str, Any]]) -> None:
        self.turns = list(turns)
        self.prompts: list[Any] = []
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.ready = False

    async def connect(self) -> None:
        self.ready = True

    async def write(self, data: str) -> None:
        for line in data.splitlines():
            message = json.loads(line)
            if message.get("type") == "control_request":
                await self.queue.put(
                    {
                        "type": "control_response",
                        "response": {
                            "subtype": "success",
                            "request_id": message["request_id"],
                            "response": {},
                        },
                    }
                )
            elif message.get("type") == "user":
                self.prompts.append(message["message"]["content"])
                for line_out in self.turns.pop(0):
                    await self.queue.put(line_out)

    async def read_messages(self) -> AsyncIterator[dict[str, Any]]:
        while True:
            message = await self.queue.get()
            if message is None:
                return
            yield message

    async def close(self) -> None:
        self.ready = False
        await self.queue.put(None)

    def is_ready(self) -> bool:
        return self.ready

    async def end_input(self) -> None:
        await self.queue.put(None)  # the CLI exits once its stdin is closed


@pytest.fixture
def client(sentrial_server: LocalServer, tmp_path: Path) -> Iterator[sentrial.SentrialClient]:
    made = sentrial.SentrialClient(
        sentrial_server.url, sentrial_server.api_key, spool_dir=str(tmp_path)
    )
    yield made
    made.close()


def _check_turn(reader: Reader, session_id: str) -> None:
    events = reader.events(session_id)
    assert [(e["eventType"], e.get("toolName")) for e in events] == [
        ("llm_call", None),
        ("tool_call", "Read"),
        ("llm_call", None),
    ]
    first, tool, second = events
    # The two CLI lines of msg_1 are one API call: tokens counted once.
    assert (first["promptTokens"], first["completionTokens"]) == (1200, 40)
    assert (first["cachedTokens"], first["cacheWriteTokens"]) == (300, 50)
    assert first["model"] == MODEL and first["provider"] == "anthropic"
    assert first["output"] == {
        "text": "Let me look. ",
        "tool_uses": [{"id": "toolu_1", "name": "Read", "input": {"path": "a.py"}}],
    }
    assert tool["toolInput"] == {"path": "a.py"}
    assert tool["toolOutput"] == {"value": "print(1)"}
    assert (second["promptTokens"], second["completionTokens"]) == (1300, 25)
    assert second["output"] == "The bug is fixed."
    expected = sentrial.calculate_cost(
        MODEL, 1200, 40, cached_input_tokens=300, cache_write_tokens=50, provider="anthropic"
    )
    assert first["estimatedCost"] == pytest.approx(expected)


def test_wrapped_query_records_a_session(client: sentrial.SentrialClient, reader: Reader) -> None:
    tracked = wrap_claude_agent(query, client=client, default_agent="coder", user_id="dev_1")
    cli = ScriptedCLI(turn())

    async def run() -> list[Any]:
        return [m async for m in tracked(prompt="Fix the bug in a.py", transport=cli)]

    messages = asyncio.run(run())
    assert cli.prompts == ["Fix the bug in a.py"]
    assert [type(m).__name__ for m in messages] == [
        "SystemMessage",
        "AssistantMessage",
        "AssistantMessage",
        "UserMessage",
        "AssistantMessage",
        "ResultMessage",
    ]
    assert isinstance(messages[-1], ResultMessage) and isinstance(messages[3], UserMessage)
    assert client.flush(10)
    (session,) = reader.sessions()
    assert session["name"] == "coder: Fix the bug in a.py" and session["agentName"] == "coder"
    assert session["userId"] == "dev_1" and session["status"] == "completed"
    # Claude's own total is the session's cost; its usage the session's tokens.
    assert session["estimatedCost"] == pytest.approx(0.0123)
    assert (session["promptTokens"], session["completionTokens"]) == (2500, 65)
    assert session["durationMs"] == 2300
    assert session["assistantOutput"] == "The bug is fixed."
    assert session["customMetrics"] == {"num_turns": 2.0, "duration_api_ms": 2000.0}
    _check_turn(reader, session["id"])


def test_an_error_result_fails_the_session(client: sentrial.SentrialClient, reader: Reader) -> None:
    tracked = sentrial.claude_code.wrap_claude_agent(query, client=client)
    cli = ScriptedCLI(turn(result="", is_error=True))

    async def run() -> None:
        async for _ in tracked(prompt="Go", transport=cli):
            pass

    asyncio.run(run())
    assert client.flush(10)
    (session,) = reader.sessions()
    assert session["status"] == "failed" and session["failureReason"] == "API error 529"
    assert session["agentName"] == "claude-agent" and session["userId"] == "anonymous"


def test_tracked_client_records_each_turn(client: sentrial.SentrialClient, reader: Reader) -> None:
    cli = ScriptedCLI(turn(), turn(result="Done twice."))

    async def run() -> list[str]:
        answers = []
        sdk_client = ClaudeSDKClient(transport=cli)
        tracked = wrap_claude_client(sdk_client, sentrial_client=client, convo_id="conv_1")
        assert isinstance(tracked, TrackedClaudeClient)
        async with tracked:
            for prompt in ("Fix it", "Again"):
                await tracked.query(prompt)
                async for message in tracked.receive_response():
                    if isinstance(message, AssistantMessage):
                        continue
                    if isinstance(message, ResultMessage):
                        answers.append(message.result or "")
        return answers

    assert asyncio.run(run()) == ["The bug is fixed.", "Done twice."]
    assert client.flush(10)
    sessions = sorted(reader.sessions(), key=lambda s: s["name"])
    assert [s["name"] for s in sessions] == ["claude-agent: Again", "claude-agent: Fix it"]
    assert [s["metadata"]["turn"] for s in sessions] == [2, 1]
    assert all(s["status"] == "completed" for s in sessions)
    assert [s["assistantOutput"] for s in sessions] == ["Done twice.", "The bug is fixed."]
    assert all(s["estimatedCost"] == pytest.approx(0.0123) for s in sessions)
    _check_turn(reader, sessions[1]["id"])


def test_inside_a_sentrial_session_records_into_it(
    client: sentrial.SentrialClient, reader: Reader
) -> None:
    tracked = wrap_claude_agent(query, client=client)

    async def run() -> str:
        with client.begin(user_id="u5", event="triage") as interaction:
            async for message in tracked(prompt="Fix", transport=ScriptedCLI(turn())):
                if isinstance(message, ResultMessage):
                    interaction.set_output(message.result)
            return interaction.session_id

    session_id = asyncio.run(run())
    assert client.flush(10)
    (session,) = reader.sessions()
    assert session["id"] == session_id and session["agentName"] == "triage"
    assert session["assistantOutput"] == "The bug is fixed."
    _check_turn(reader, session_id)


# -- issue 26: the published usage, every client kind, typed and dict messages -----

EXAMPLE = """
from claude_agent_sdk import query
from sentrial import {client_class}
from sentrial.claude_code import wrap_claude_agent

client = {client_class}(api_key="sentrial_live_xxx", api_url=API_URL)
tracked_query = wrap_claude_agent(query, client=client, default_agent="my-agent")
async for message in tracked_query(prompt="Fix the tests"):
    ...
"""


class RecordingAsyncClient(sentrial.AsyncSentrialClient):
    """A user's subclass: its overrides must see the wrapper's calls."""

    calls: list[str]

    async def create_session(self, **kwargs: Any) -> str:  # type: ignore[override]
        self.calls = [*getattr(self, "calls", []), "create_session"]
        session_id: str = await super().create_session(**kwargs)
        return session_id

    async def complete_session(self, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        self.calls = [*getattr(self, "calls", []), "complete_session"]
        done: dict[str, Any] = await super().complete_session(**kwargs)
        return done


class RecordingClient(sentrial.SentrialClient):
    calls: list[str]

    def create_session(self, **kwargs: Any) -> str:  # type: ignore[override]
        self.calls = [*getattr(self, "calls", []), "create_session"]
        return super().create_session(**kwargs)

    def complete_session(self, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        self.calls = [*getattr(self, "calls", []), "complete_session"]
        return super().complete_session(**kwargs)


CLIENT_CLASSES = {
    "AsyncSentrialClient": sentrial.AsyncSentrialClient,
    "SentrialClient": sentrial.SentrialClient,
    "RecordingAsyncClient": RecordingAsyncClient,
    "RecordingClient": RecordingClient,
}


def dict_query(*turns: list[dict[str, Any]]) -> Any:
    """A ``query`` yielding the CLI's messages as plain dicts (the shape the
    published wrapper accepts beside typed messages)."""
    script = list(turns)

    async def fake_query(*, prompt: Any, options: Any = None) -> AsyncIterator[dict[str, Any]]:
        for message in script.pop(0):
            yield message

    return fake_query


def typed_query(*turns: list[dict[str, Any]]) -> Any:
    """The real ``claude_agent_sdk.query`` over a scripted CLI."""
    cli = ScriptedCLI(*turns)

    def real_query(*, prompt: Any, options: Any = None) -> AsyncIterator[Any]:
        return query(prompt=prompt, options=options, transport=cli)

    return real_query


SHAPES = {"typed": typed_query, "dict": dict_query}


@pytest.fixture
def keyed_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalServer]:
    """A server that takes the examples' literal key, ``sentrial_live_xxx``."""
    monkeypatch.setenv("SENTRIAL_SPOOL_DIR", str(tmp_path / "spool"))
    with LocalServer(":memory:", api_keys=("sentrial_live_xxx",)) as server:
        yield server


def _stored_turn(reader: Reader, agent: str, prompt: str) -> dict[str, Any]:
    (session,) = reader.sessions()
    assert session["name"] == f"{agent}: {prompt}" and session["agentName"] == agent
    assert session["status"] == "completed"
    assert session["estimatedCost"] == pytest.approx(0.0123)
    assert (session["promptTokens"], session["completionTokens"]) == (2500, 65)
    assert session["durationMs"] == 2300
    assert session["userInput"] == prompt and session["assistantOutput"] == "The bug is fixed."
    assert session["customMetrics"] == {"num_turns": 2.0, "duration_api_ms": 2000.0}
    metadata = session["metadata"]
    assert metadata["model"] == MODEL and metadata["tools"] == []
    assert metadata["sdk_session_id"] == "cc-1"
    _check_turn(reader, session["id"])
    return session


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("client_class", CLIENT_CLASSES)
def test_the_published_example_stores_the_session(
    keyed_server: LocalServer, monkeypatch: pytest.MonkeyPatch, client_class: str, shape: str
) -> None:
    """The issue's example, unchanged but for the client class: one session
    with its tool call, tokens and cost, whatever the client and message kind."""
    import claude_agent_sdk

    monkeypatch.setattr(claude_agent_sdk, "query", SHAPES[shape](turn()))
    namespace: dict[str, Any] = {"API_URL": keyed_server.url}
    monkeypatch.setattr(sentrial, client_class, CLIENT_CLASSES[client_class], raising=False)
    body = EXAMPLE.format(client_class=client_class)
    code = "async def main():\n" + "".join(f"    {line}\n" for line in body.splitlines())
    exec(code + "    return client\n", namespace)
    made = asyncio.run(namespace["main"]())
    flushed = made.flush(10)
    assert (asyncio.run(flushed) if asyncio.iscoroutine(flushed) else flushed) is True
    if client_class.startswith("Recording"):
        assert made.calls == ["create_session", "complete_session"]
    _stored_turn(Reader(keyed_server), "my-agent", "Fix the tests")
    assert made.stats()["dropped"] == {}


def _dict_turn(*messages: dict[str, Any]) -> list[dict[str, Any]]:
    init = {"type": "system", "subtype": "init", "session_id": "cc-9", "model": MODEL}
    return [init, *messages]


def _result(**fields: Any) -> dict[str, Any]:
    return {
        "type": "result",
        "subtype": "success",
        "is_error": False,
        "duration_ms": 900,
        "num_turns": 1,
        "total_cost_usd": 0.5,
        "usage": {"input_tokens": 10, "output_tokens": 5},
        **fields,
    }


async def _drain(stream: AsyncIterator[Any], stop_after: int | None = None) -> list[Any]:
    seen: list[Any] = []
    async for message in stream:
        seen.append(message)
        if stop_after is not None and len(seen) == stop_after:
            break
    return seen


@pytest.fixture
def async_client(
    sentrial_server: LocalServer, tmp_path: Path
) -> Iterator[sentrial.AsyncSentrialClient]:
    made = sentrial.AsyncSentrialClient(
        sentrial_server.url, sentrial_server.api_key, spool_dir=str(tmp_path)
    )
    yield made
    asyncio.run(made.close())


def _flushed(client: sentrial.AsyncSentrialClient) -> None:
    assert asyncio.run(client.flush(10)) is True


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_dict_tool_calls_match_by_id_and_keep_structure(
    async_client: sentrial.AsyncSentrialClient, reader: Reader
) -> None:
    uses = {
        "type": "assistant",
        "message": {
            "content": [
                {"type": "tool_use", "id": "t1", "name": "Read", "input": {"path": "a"}},
                {"type": "tool_use", "id": "t2", "name": "Grep", "input": {"q": "x"}},
            ]
        },
    }
    results = {
        "type": "user",
        "message": {
            "content": [  # in the other order: matched by id, not position
                {"type": "tool_result", "tool_use_id": "t2", "content": {"hits": [1, 2]}},
                {"type": "tool_result", "tool_use_id": "t1", "content": "text"},
            ]
        },
    }
    final = _result(result={"answer": 42})
    tracked = wrap_claude_agent(
        dict_query(_dict_turn(uses, results, final)),
        client=async_client,
        extra_metadata={"team": "infra"},
        convo_id="c-1",
        user_id="u-7",
    )
    messages = asyncio.run(_drain(tracked(prompt="Look")))
    assert messages[1] is uses and messages[-1] is final  # passed through unchanged
    _flushed(async_client)
    (session,) = reader.sessions()
    assert session["status"] == "completed" and session["userId"] == "u-7"
    assert session["convoId"] == "c-1"
    metadata = session["metadata"]
    assert metadata["team"] == "infra" and metadata["sdk_session_id"] == "cc-9"
    assert session["assistantOutput"] == "{'answer': 42}"  # stringified, as published
    assert session["estimatedCost"] == pytest.approx(0.5)
    events = reader.events(session["id"])
    tools = {e["toolName"]: e for e in events if e["eventType"] == "tool_call"}
    assert tools["Grep"]["toolInput"] == {"q": "x"}
    assert tools["Grep"]["toolOutput"] == {"hits": [1, 2]}
    assert tools["Read"]["toolInput"] == {"path": "a"} and tools["Read"]["toolOutput"] == {
        "value": "text"
    }
    assert tools["Read"]["metadata"] == {"tool_use_id": "t1"}


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("error result", "rate limited"),
        ("error result, no errors", "error_max_turns"),
        ("exception", "query raised RuntimeError: CLI died"),
        ("closed early", "Session interrupted (generator closed early)"),
        ("no result", "ended before a result"),
    ],
)
def test_each_way_of_failing_says_which(
    async_client: sentrial.AsyncSentrialClient, reader: Reader, how: str, reason: str
) -> None:
    assistant = {"type": "assistant", "message": {"content": [{"type": "text", "text": "hm"}]}}
    script: list[Any] = _dict_turn(assistant)
    if how == "error result":
        script.append(_result(is_error=True, subtype="error_during_execution", errors=[reason]))
    elif how == "error result, no errors":
        script.append(_result(is_error=True, subtype="error_max_turns"))

    async def fake_query(*, prompt: Any, options: Any = None) -> AsyncIterator[Any]:
        for message in script:
            yield message
        if how == "exception":
            raise RuntimeError("CLI died")
        if how == "closed early":
            yield _result()

    tracked = wrap_claude_agent(fake_query, client=async_client)

    async def run() -> None:
        stream = tracked(prompt="Go")
        if how == "exception":
            with pytest.raises(RuntimeError, match="CLI died"):
                await _drain(stream)
        elif how == "closed early":
            await _drain(stream, stop_after=2)
            await stream.aclose()  # type: ignore[attr-defined]
        else:
            await _drain(stream)

    asyncio.run(run())
    _flushed(async_client)
    (session,) = reader.sessions()
    assert session["status"] == "failed" and session["failureReason"] == reason


class _Refusing(sentrial.AsyncSentrialClient):
    def __init__(self, *args: Any, returns_none: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.returns_none = returns_none
        self.other_calls: list[str] = []

    async def create_session(self, **kwargs: Any) -> str:  # type: ignore[override]
        if self.returns_none:
            return None  # type: ignore[return-value]
        raise ConnectionError("down")

    async def track_tool_call(self, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        self.other_calls.append("track_tool_call")
        return {}

    async def complete_session(self, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        self.other_calls.append("complete_session")
        return {}


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("returns_none", [True, False], ids=["returns None", "raises"])
def test_a_session_not_created_leaves_messages_flowing(
    sentrial_server: LocalServer, tmp_path: Path, reader: Reader, returns_none: bool
) -> None:
    url, key = sentrial_server.url, sentrial_server.api_key
    client = _Refusing(url, key, spool_dir=str(tmp_path), returns_none=returns_none)
    tracked = wrap_claude_agent(dict_query(turn()), client=client)
    messages = asyncio.run(_drain(tracked(prompt="Fix")))
    assert messages == turn()
    assert client.other_calls == []
    asyncio.run(client.close())
    assert reader.sessions() == []


class FakeSDKClient:
    """A ``ClaudeSDKClient`` stand-in speaking plain dicts (the typed one is
    driven through the real SDK above)."""

    def __init__(self, *turns: list[dict[str, Any]]) -> None:
        self.turns = list(turns)
        self.log: list[str] = []
        self.current: list[dict[str, Any]] = []

    async def connect(self) -> None:
        self.log.append("connect")

    async def disconnect(self) -> None:
        self.log.append("disconnect")

    async def query(self, prompt: Any, session_id: str = "default") -> None:
        self.log.append(f"query {prompt}")
        self.current = self.turns.pop(0)

    async def receive_response(self) -> AsyncIterator[dict[str, Any]]:
        for message in self.current:
            yield message

    async def receive_messages(self) -> AsyncIterator[dict[str, Any]]:
        """What the CLI prints, however many turns (the real one then waits
        for more; this one ends)."""
        for message in self.current:
            yield message

    async def interrupt(self) -> None:
        self.log.append("interrupt")

    def custom_method(self, value: int) -> int:
        return value * 2


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_wrapped_client_with_async_client_and_dicts(
    async_client: sentrial.AsyncSentrialClient, reader: Reader
) -> None:
    sdk = FakeSDKClient(turn(), turn("Second.") + turn("Third."), turn("Four."))

    async def run() -> None:
        async with wrap_claude_client(
            sdk, sentrial_client=async_client, default_agent="pair"
        ) as claude:
            await claude.query("One")
            await _drain(claude.receive_response())
            await claude.query("Two")  # read with the next turn, in one stream
            await _drain(claude.receive_messages())
            await claude.interrupt()
            assert claude.custom_method(21) == 42  # any other method passes through
            await claude.query("Four")
            await _drain(claude.receive_response())

    asyncio.run(run())
    assert sdk.log == ["connect", "query One", "query Two", "interrupt", "query Four", "disconnect"]
    _flushed(async_client)
    sessions = sorted(reader.sessions(), key=lambda s: s["assistantOutput"])
    assert [s["assistantOutput"] for s in sessions] == [
        "Four.",
        "Second.",
        "The bug is fixed.",
        "Third.",
    ]
    assert [s["name"] for s in sessions] == ["pair: Four", "pair: Two", "pair: One", "pair: Two"]
    assert [s["metadata"]["turn"] for s in sessions] == [3, 2, 1, 2]
    assert all(s["customMetrics"]["num_turns"] == 2.0 for s in sessions)
    assert all(s["status"] == "completed" for s in sessions)
    assert sessions[0]["metadata"]["client_mode"] == "ClaudeSDKClient"
    for session in sessions:
        assert [e["toolName"] for e in reader.events(session["id"]) if e["toolName"]] == ["Read"]


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_documented_client_wrapper_with_the_async_client(
    async_client: sentrial.AsyncSentrialClient, reader: Reader
) -> None:
    """sentrial.com's Claude Code page: the async client, every option, the
    real ``ClaudeSDKClient`` (typed messages) through the scripted CLI."""
    cli = ScriptedCLI(turn())

    async def run() -> None:
        claude = sentrial.claude_code.wrap_claude_client(
            ClaudeSDKClient(transport=cli),
            sentrial_client=async_client,
            default_agent="coder",
            user_id="dev_2",
            convo_id="conv_9",
            extra_metadata={"repo": "api"},
        )
        async with claude:
            await claude.query("Fix the tests")
            async for _ in claude.receive_response():
                pass

    asyncio.run(run())
    _flushed(async_client)
    session = _stored_turn(reader, "coder", "Fix the tests")
    assert (session["userId"], session["convoId"]) == ("dev_2", "conv_9")
    assert session["metadata"]["repo"] == "api" and session["metadata"]["turn"] == 1


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_the_prompt_may_be_positional_as_published(
    async_client: sentrial.AsyncSentrialClient, reader: Reader
) -> None:
    """0.6.0's wrapper takes ``(prompt, options)`` positionally and calls the
    SDK's keyword-only ``query`` with keywords; so does ours."""
    tracked = wrap_claude_agent(query, client=async_client, default_agent="coder")
    cli = ScriptedCLI(turn())

    async def run() -> None:
        async for _ in tracked("Fix the tests", None, transport=cli):
            pass

    asyncio.run(run())
    assert cli.prompts == ["Fix the tests"]
    _flushed(async_client)
    _stored_turn(reader, "coder", "Fix the tests")


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_system_messages_after_a_result_start_no_session(
    async_client: sentrial.AsyncSentrialClient, reader: Reader
) -> None:
    status = {"type": "system", "subtype": "status", "status": "idle"}
    tracked = wrap_claude_agent(dict_query([*turn(), status, status]), client=async_client)
    asyncio.run(_drain(tracked(prompt="Fix")))
    _flushed(async_client)
    (session,) = reader.sessions()
    assert session["status"] == "completed"
