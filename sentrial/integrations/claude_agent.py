"""Claude Agent SDK (``claude-agent-sdk``): each query becomes a session.

The SDK drives the Claude Code CLI and hands back typed messages
(``AssistantMessage`` with text and ``ToolUseBlock``s, ``UserMessage`` with
``ToolResultBlock``s, ``ResultMessage`` with the run's cost and usage). The
wrappers here pass every message through unchanged and record, as they go:

- one ``llm_call`` per assistant message (model, tokens, cache reads/writes,
  text), the CLI's per-block messages of one API response merged by id so
  tokens are counted once;
- one ``tool_call`` per tool use, when its result arrives (input, output,
  error, duration);
- at the ``ResultMessage``: the session completed with Claude's own
  ``total_cost_usd`` (authoritative: it includes what the CLI spent on its
  own), success from ``is_error``, the prompt and the final text.

Inside a ``sentrial.begin(...)`` session the query records into it (and
leaves completing it to its owner); otherwise it gets a session of its own.
Nothing here imports ``claude_agent_sdk``: messages are recognised by their
class names and public attributes, so the wrappers never break the host app
when the SDK is missing or its version differs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from types import TracebackType
from typing import Any

from .._client import SentrialClient
from .._context import current_interaction
from .._interaction import get_client

logger = logging.getLogger("sentrial")

__all__ = ["TrackedClaudeClient", "wrap_claude_agent", "wrap_claude_client"]

QueryFunction = Callable[..., AsyncIterator[Any]]


def _text(blocks: Any) -> str:
    if isinstance(blocks, str):
        return blocks
    parts: list[str] = []
    for block in blocks or []:
        text = getattr(block, "text", None)
        if isinstance(text, str):
            parts.append(text)
        elif isinstance(block, dict) and isinstance(block.get("text"), str):
            parts.append(block["text"])
    return "".join(parts)


def _int(usage: Mapping[str, Any], key: str) -> int | None:
    value = usage.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class _Recorder:
    """Turns one query's messages into Sentrial operations; never raises."""

    def __init__(
        self,
        sentrial_client: SentrialClient | None,
        *,
        agent_name: str,
        user_id: str,
        convo_id: str | None,
        metadata: Mapping[str, Any] | None,
        prompt: Any,
    ) -> None:
        self.prompt = prompt if isinstance(prompt, str) else None
        self.started = time.perf_counter()
        self.done = False
        self._pending: dict[str, tuple[str, Any, float]] = {}  # tool_use_id -> name, input, t
        self._assistant: list[Any] = []  # messages of the API response being read
        interaction = current_interaction.get()
        if interaction is not None and not interaction.finished:
            self.client = sentrial_client or interaction.client
            self.session_id = interaction.session_id
            self.own = False
        else:
            self.client = sentrial_client or get_client()
            name = (self.prompt or agent_name).strip().splitlines()[0][:100] or agent_name
            self.session_id = self.client.create_session(
                name=name,
                agent_name=agent_name,
                user_id=user_id,
                convo_id=convo_id,
                metadata=dict(metadata) if metadata else None,
            )
            self.own = True

    def handle(self, message: Any) -> None:
        try:
            kind = type(message).__name__
            if kind == "AssistantMessage":
                same = self._assistant and (
                    getattr(message, "message_id", None)
                    == getattr(self._assistant[0], "message_id", None)
                    and getattr(message, "message_id", None) is not None
                )
                if not same:
                    self._flush_assistant()
                self._assistant.append(message)
                for block in message.content or []:
                    if type(block).__name__ == "ToolUseBlock":
                        self._pending[block.id] = (block.name, block.input, time.perf_counter())
                return
            self._flush_assistant()
            if kind == "UserMessage" and isinstance(message.content, list):
                for block in message.content:
                    if type(block).__name__ == "ToolResultBlock":
                        self._tool_result(block)
            elif kind == "ResultMessage":
                self._result(message)
        except Exception:
            logger.debug("sentrial: recording a Claude message failed", exc_info=True)

    def _flush_assistant(self) -> None:
        messages, self._assistant = self._assistant, []
        if not messages:
            return
        last = messages[-1]
        usage = last.usage if isinstance(last.usage, dict) else {}
        tool_uses = [
            {"id": b.id, "name": b.name, "input": b.input}
            for m in messages
            for b in m.content or []
            if type(b).__name__ == "ToolUseBlock"
        ]
        text = "".join(_text(m.content) for m in messages)
        output: Any = text if not tool_uses else {"text": text, "tool_uses": tool_uses}
        error = getattr(last, "error", None)
        self.client.track_llm_call(
            self.session_id,
            str(last.model or "claude"),
            provider="anthropic",
            output=output,
            prompt_tokens=_int(usage, "input_tokens"),
            completion_tokens=_int(usage, "output_tokens"),
            cached_tokens=_int(usage, "cache_read_input_tokens"),
            cache_write_tokens=_int(usage, "cache_creation_input_tokens"),
            error=None if error is None else {"message": str(error), "type": "assistant_error"},
            metadata={"message_id": last.message_id} if last.message_id else None,
        )

    def _tool_result(self, block: Any) -> None:
        name, tool_input, started = self._pending.pop(
            block.tool_use_id, ("unknown_tool", None, time.perf_counter())
        )
        content = block.content
        output = _text(content) if isinstance(content, list) else content
        self.client.track_tool_call(
            self.session_id,
            name,
            tool_input,
            None if block.is_error else output,
            tool_error={"message": str(output)} if block.is_error else None,
            metadata={"tool_use_id": block.tool_use_id},
            duration_ms=(time.perf_counter() - started) * 1000,
        )

    def _result(self, result: Any) -> None:
        self.done = True
        if not self.own:
            return
        usage = result.usage if isinstance(result.usage, dict) else {}
        failed = bool(result.is_error)
        reason = None
        if failed:
            reason = "; ".join(result.errors or []) or f"{result.subtype}"
        self.client.complete_session(
            self.session_id,
            success=not failed,
            failure_reason=reason,
            estimated_cost=result.total_cost_usd,
            duration_ms=result.duration_ms,
            prompt_tokens=_int(usage, "input_tokens"),
            completion_tokens=_int(usage, "output_tokens"),
            user_input=self.prompt,
            assistant_output=result.result,
            custom_metrics={"num_turns": float(result.num_turns)},
        )

    def end(self, error: BaseException | None) -> None:
        """The stream ended: complete the session if no ResultMessage did."""
        try:
            self._flush_assistant()
            if self.done or not self.own:
                return
            self.done = True
            if error is None or isinstance(error, GeneratorExit):
                reason = "ended before a result"
            else:
                reason = f"{type(error).__name__}: {error}"
            self.client.complete_session(
                self.session_id,
                success=False,
                failure_reason=reason,
                duration_ms=(time.perf_counter() - self.started) * 1000,
                user_input=self.prompt,
            )
        except Exception:
            logger.debug("sentrial: completing a Claude session failed", exc_info=True)


async def _observe(messages: AsyncIterator[Any], recorder: _Recorder) -> AsyncIterator[Any]:
    error: BaseException | None = None
    try:
        async for message in messages:
            recorder.handle(message)
            yield message
    except BaseException as exc:
        error = exc
        raise
    finally:
        recorder.end(error)


def wrap_claude_agent(
    query_fn: QueryFunction,
    *,
    client: SentrialClient | None = None,
    default_agent: str = "claude-agent",
    user_id: str = "anonymous",
    convo_id: str | None = None,
    extra_metadata: Mapping[str, Any] | None = None,
) -> QueryFunction:
    """``claude_agent_sdk.query`` that records each call as a session.

    >>> # from claude_agent_sdk import query
    >>> # query = wrap_claude_agent(query, client=SentrialClient())
    >>> # async for message in query(prompt="Fix the bug"): ...
    """

    def query(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        prompt = kwargs.get("prompt", args[0] if args else None)
        recorder = _Recorder(
            client,
            agent_name=default_agent,
            user_id=user_id,
            convo_id=convo_id,
            metadata=extra_metadata,
            prompt=prompt,
        )
        return _observe(query_fn(*args, **kwargs), recorder)

    query.__wrapped__ = query_fn  # type: ignore[attr-defined]
    query.__doc__ = getattr(query_fn, "__doc__", None)
    return query


class TrackedClaudeClient:
    """A ``ClaudeSDKClient`` whose every ``query`` turn is recorded as a session.

    Methods not listed here are the wrapped client's own (``__getattr__``).
    """

    def __init__(
        self,
        client: Any,
        *,
        sentrial_client: SentrialClient | None = None,
        default_agent: str = "claude-agent",
        user_id: str = "anonymous",
        convo_id: str | None = None,
        extra_metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self._client = client
        self._sentrial = sentrial_client
        self._agent = default_agent
        self._user_id = user_id
        self._convo_id = convo_id
        self._metadata = extra_metadata
        self._recorder: _Recorder | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def __aenter__(self) -> TrackedClaudeClient:
        await self._client.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._recorder is not None:
            self._recorder.end(exc)
        await self._client.disconnect()

    async def connect(self, *args: Any, **kwargs: Any) -> Any:
        return await self._client.connect(*args, **kwargs)

    async def disconnect(self) -> Any:
        if self._recorder is not None:
            self._recorder.end(None)
        return await self._client.disconnect()

    async def query(self, prompt: Any = None, **kwargs: Any) -> Any:
        """Sends the prompt; the turn's session ends with its ``ResultMessage``."""
        if self._recorder is not None and not self._recorder.done:
            self._recorder.end(None)  # the previous turn was never read to its result
        self._recorder = _Recorder(
            self._sentrial,
            agent_name=self._agent,
            user_id=self._user_id,
            convo_id=self._convo_id,
            metadata=self._metadata,
            prompt=prompt,
        )
        return await self._client.query(prompt, **kwargs)

    async def _tracked(self, messages: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for message in messages:
            recorder = self._recorder
            if recorder is not None and not recorder.done:
                recorder.handle(message)
            yield message

    def receive_messages(self) -> AsyncIterator[Any]:
        return self._tracked(self._client.receive_messages())

    def receive_response(self) -> AsyncIterator[Any]:
        return self._tracked(self._client.receive_response())

    async def interrupt(self) -> Any:
        return await self._client.interrupt()

    async def get_mcp_status(self) -> Any:
        return await self._client.get_mcp_status()

    async def get_server_info(self) -> Any:
        return await self._client.get_server_info()

    async def rewind_files(self, *args: Any, **kwargs: Any) -> Any:
        return await self._client.rewind_files(*args, **kwargs)

    async def set_model(self, *args: Any, **kwargs: Any) -> Any:
        return await self._client.set_model(*args, **kwargs)

    async def set_permission_mode(self, *args: Any, **kwargs: Any) -> Any:
        return await self._client.set_permission_mode(*args, **kwargs)


def wrap_claude_client(
    client: Any,
    *,
    sentrial_client: SentrialClient | None = None,
    default_agent: str = "claude-agent",
    user_id: str = "anonymous",
    convo_id: str | None = None,
    extra_metadata: Mapping[str, Any] | None = None,
) -> TrackedClaudeClient:
    """Wrap a ``claude_agent_sdk.ClaudeSDKClient`` (see :class:`TrackedClaudeClient`)."""
    return TrackedClaudeClient(
        client,
        sentrial_client=sentrial_client,
        default_agent=default_agent,
        user_id=user_id,
        convo_id=convo_id,
        extra_metadata=extra_metadata,
    )
