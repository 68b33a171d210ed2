"""Claude Agent SDK (``claude-agent-sdk``): each query becomes a session.

The SDK drives the Claude Code CLI and hands back typed messages
(``SystemMessage`` init, ``AssistantMessage`` with text and ``ToolUseBlock``s,
``UserMessage`` with ``ToolResultBlock``s, ``ResultMessage`` with the run's
cost and usage); the published wrapper also takes the CLI's messages as plain
dicts (``{"type": "assistant", "message": {"content": [...]}}``), and so do
these. Every message passes through unchanged; as they go:

- the init message creates the session (``"<agent>: <prompt>"``, the user,
  convo, and in its metadata the model, tools, cwd, MCP servers, the SDK's
  session id and ``extra_metadata``);
- one ``llm_call`` per assistant message (model, tokens, cache reads/writes,
  text), the CLI's per-block messages of one API response merged by id so
  tokens are counted once;
- one ``tool_call`` per tool use, when the result with its id arrives
  (input, output as given: a dict stays a dict; error);
- the result message completes the session with Claude's own
  ``total_cost_usd`` (authoritative: it includes what the CLI spent on its
  own), its tokens and duration, the final text, and ``num_turns`` /
  ``duration_api_ms`` as custom metrics; an error result, an exception in the
  query and a consumer that stops reading each fail it, with a reason saying
  which.

The client may be ``SentrialClient``, ``AsyncSentrialClient`` or a subclass
of either: its public methods are called with the published keyword names and
awaited when they return awaitables (see ``_calls``). A ``create_session``
that returns None or raises leaves the messages flowing and tracks nothing
else. Inside a ``sentrial.begin(...)`` session the query records into it (and
leaves completing it to its owner). Nothing here imports ``claude_agent_sdk``:
messages are recognised by their class names or ``type`` keys.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from types import TracebackType
from typing import Any

from .. import _context, _ids
from .._context import current_interaction
from .._interaction import get_client
from .._payload import safe_str
from ._calls import acall

logger = logging.getLogger("sentrial")

__all__ = ["QueryFunction", "TrackedClaudeClient", "wrap_claude_agent", "wrap_claude_client"]

QueryFunction = Callable[..., AsyncIterator[Any]]

EARLY_CLOSE = "Session interrupted (generator closed early)"
NO_RESULT = "ended before a result"

_TYPED_KINDS = {
    "SystemMessage": "system",
    "AssistantMessage": "assistant",
    "UserMessage": "user",
    "ResultMessage": "result",
}
_TYPED_BLOCKS = {"TextBlock": "text", "ToolUseBlock": "tool_use", "ToolResultBlock": "tool_result"}


def _get(obj: Any, key: str) -> Any:
    """A field of a typed message or block (attribute) or of a dict one (key)."""
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def _kind(message: Any) -> tuple[str | None, str | None]:
    """(type, subtype): ``"system"``, ``"assistant"``, ``"user"``, ``"result"``."""
    if isinstance(message, Mapping):
        kind = message.get("type")
    else:
        kind = _TYPED_KINDS.get(type(message).__name__, getattr(message, "type", None))
    subtype = _get(message, "subtype")
    return (kind if isinstance(kind, str) else None), (
        subtype if isinstance(subtype, str) else None
    )


def _body(message: Any) -> Any:
    """Where an assistant or user message keeps its content, id, model and
    usage: the message itself when typed, its ``message`` when a dict."""
    if isinstance(message, Mapping) and isinstance(message.get("message"), Mapping):
        return message["message"]
    return message


def _blocks(message: Any) -> list[Any]:
    content = _get(_body(message), "content")
    return list(content) if isinstance(content, list) else []


def _block_kind(block: Any) -> str | None:
    if isinstance(block, Mapping):
        kind = block.get("type")
        return kind if isinstance(kind, str) else None
    return _TYPED_BLOCKS.get(type(block).__name__)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = [_get(b, "text") for b in content or [] if _block_kind(b) == "text"]
    return "".join(p for p in parts if isinstance(p, str))


def _tool_output(content: Any) -> Any:
    """A tool result as given: text blocks joined, anything structured kept."""
    if isinstance(content, list) and all(_block_kind(b) == "text" for b in content):
        return _text(content)
    return content


def _int(usage: Any, key: str) -> int | None:
    value = _get(usage, key) if usage is not None else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def _stringify(value: Any) -> str | None:
    return None if value is None else value if isinstance(value, str) else safe_str(value)


def _session_name(agent: str, prompt: str | None) -> str:
    return f"{agent}: {prompt[:100]}" if prompt else f"{agent} session"


class _Turn:
    """One session of the stream: from its init message to its result.
    Turns Claude's messages into the client's calls; never raises."""

    def __init__(self, options: _Options, prompt: Any, extra: Mapping[str, Any]) -> None:
        self.options = options
        self.prompt = prompt if isinstance(prompt, str) else None
        self.extra = extra
        self.started = time.perf_counter()
        self.client: Any = None
        self.session_id: str | None = None
        self.own = False
        self.begun = False  # an init (or a first message) was seen
        self.done = False
        self._pending: dict[str, tuple[str, Any, float]] = {}  # tool_use_id -> name, input, t
        self._assistant: list[Any] = []  # the messages of the API response being read
        # When the model was last asked (the query, then each batch of tool
        # results sent back) and answered: an llm_call starts at the one, lasts
        # until the other, whenever its messages are flushed.
        self._asked_ns = _ids.now_ns()
        self._answer: tuple[int, int] = (self._asked_ns, self._asked_ns)

    async def begin(self, init: Any) -> None:
        """The init message (or, without one, the first message) arrived."""
        self.begun = True
        interaction = current_interaction.get()
        if interaction is not None and not interaction.finished:
            self.client = self.options.client or interaction.client
            self.session_id = interaction.session_id
            return
        self.client = self.options.client or get_client()
        data = _get(init, "data") if not isinstance(init, Mapping) else init
        metadata = {
            key: _get(data, field)
            for key, field in (
                ("model", "model"),
                ("tools", "tools"),
                ("cwd", "cwd"),
                ("mcp_servers", "mcp_servers"),
                ("sdk_session_id", "session_id"),
            )
            if data is not None and _get(data, field) is not None
        }
        metadata.update(self.extra)
        metadata.update(self.options.extra_metadata or {})
        session_id = await acall(
            self.client,
            "create_session",
            name=_session_name(self.options.agent, self.prompt),
            agent_name=self.options.agent,
            user_id=self.options.user_id,
            convo_id=self.options.convo_id,
            metadata=metadata,
        )
        if isinstance(session_id, str) and session_id:
            self.session_id, self.own = session_id, True

    async def handle(self, message: Any) -> None:
        try:
            kind, subtype = _kind(message)
            if not self.begun:
                init = (kind, subtype) == ("system", "init")
                if not init and kind not in ("assistant", "user", "result"):
                    return  # other system messages (status, hooks) start no session
                await self.begin(message if init else None)
            if self.session_id is None or self.done:
                return
            if kind == "assistant":
                await self._assistant_message(message)
                return
            await self._flush_assistant()
            if kind == "user":
                for block in _blocks(message):
                    if _block_kind(block) == "tool_result":
                        await self._tool_result(block)
                self._asked_ns = _ids.now_ns()  # what the user sent goes to the model next
            elif kind == "result":
                await self._result(message, subtype)
        except Exception:
            logger.debug("sentrial: recording a Claude message failed", exc_info=True)

    async def _assistant_message(self, message: Any) -> None:
        message_id = _get(_body(message), "id") or _get(message, "message_id")
        if self._assistant:
            first = self._assistant[0]
            first_id = _get(_body(first), "id") or _get(first, "message_id")
            if message_id is None or message_id != first_id:
                await self._flush_assistant()
        if not self._assistant:
            self._answer = (self._asked_ns, _ids.now_ns())
        self._assistant.append(message)
        for block in _blocks(message):
            if _block_kind(block) == "tool_use":
                name = _get(block, "name")
                self._pending[str(_get(block, "id"))] = (
                    name if isinstance(name, str) else "unknown_tool",
                    _get(block, "input"),
                    time.perf_counter(),
                )

    async def _flush_assistant(self) -> None:
        messages, self._assistant = self._assistant, []
        if not messages:
            return
        last = _body(messages[-1])
        tool_uses = [
            {"id": _get(b, "id"), "name": _get(b, "name"), "input": _get(b, "input")}
            for m in messages
            for b in _blocks(m)
            if _block_kind(b) == "tool_use"
        ]
        text = "".join(_text(_blocks(m)) for m in messages)
        usage = _get(last, "usage")
        error = _get(messages[-1], "error")
        message_id = _get(last, "id") or _get(last, "message_id")
        asked, answered = self._answer
        # The call began when the model was asked, not when its messages are flushed
        # (after the tools it asked for ran): so it is listed before them.
        token = _context.recording.set(_context.Recording(None, _context.current_step.get(), asked))
        try:
            await acall(
                self.client,
                "track_llm_call",
                session_id=self.session_id,
                model=str(_get(last, "model") or "claude"),
                provider="anthropic",
                output=text if not tool_uses else {"text": text, "tool_uses": tool_uses},
                prompt_tokens=_int(usage, "input_tokens"),
                completion_tokens=_int(usage, "output_tokens"),
                cached_tokens=_int(usage, "cache_read_input_tokens"),
                cache_write_tokens=_int(usage, "cache_creation_input_tokens"),
                error=None if error is None else {"message": str(error), "type": "assistant_error"},
                metadata={"message_id": message_id} if message_id else None,
                duration_ms=max(0, answered - asked) / 1_000_000,
            )
        finally:
            _context.recording.reset(token)

    async def _tool_result(self, block: Any) -> None:
        tool_use_id = str(_get(block, "tool_use_id"))
        name, tool_input, started = self._pending.pop(
            tool_use_id, ("unknown_tool", None, time.perf_counter())
        )
        output = _tool_output(_get(block, "content"))
        failed = bool(_get(block, "is_error"))
        await self._tool_call(
            name,
            tool_input,
            None if failed else output,
            {"message": _stringify(output) or "tool error"} if failed else None,
            tool_use_id,
            started,
        )

    async def _tool_call(
        self,
        name: str,
        tool_input: Any,
        output: Any,
        error: Any,
        tool_use_id: str,
        started: float,
    ) -> None:
        await acall(
            self.client,
            "track_tool_call",
            session_id=self.session_id,
            tool_name=name,
            tool_input=tool_input,
            tool_output=output,
            tool_error=error,
            metadata={"tool_use_id": tool_use_id},
            duration_ms=(time.perf_counter() - started) * 1000,
        )

    async def _unanswered_tools(self) -> None:
        """Tool uses whose result never came are recorded too, as such."""
        pending, self._pending = self._pending, {}
        for tool_use_id, (name, tool_input, started) in pending.items():
            error = {"message": "no tool_result arrived before the session ended"}
            await self._tool_call(name, tool_input, None, error, tool_use_id, started)

    async def _result(self, result: Any, subtype: str | None) -> None:
        self.done = True
        await self._unanswered_tools()
        if not self.own:
            return
        failed = bool(_get(result, "is_error"))
        errors = _get(result, "errors")
        reason = None
        if failed:
            reason = "; ".join(safe_str(e) for e in errors or []) or subtype or "error result"
        usage = _get(result, "usage")
        prompt_tokens, completion_tokens = _int(usage, "input_tokens"), _int(usage, "output_tokens")
        duration = _number(_get(result, "duration_ms"))
        output = _get(result, "result")
        if failed and not output:
            output = errors or output
        await acall(
            self.client,
            "complete_session",
            session_id=self.session_id,
            success=not failed,
            failure_reason=reason,
            estimated_cost=_number(_get(result, "total_cost_usd")),
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            total_tokens=None
            if prompt_tokens is None and completion_tokens is None
            else (prompt_tokens or 0) + (completion_tokens or 0),
            duration_ms=duration if duration is not None else self._elapsed(),
            user_input=self.prompt,
            assistant_output=_stringify(output),
            custom_metrics={
                key: _number(_get(result, key)) or 0.0 for key in ("num_turns", "duration_api_ms")
            },
        )

    def _elapsed(self) -> float:
        return (time.perf_counter() - self.started) * 1000

    async def end(self, error: BaseException | None) -> None:
        """The stream ended: complete the session if no result message did."""
        try:
            if self.session_id is None or self.done:
                return
            await self._flush_assistant()
            await self._unanswered_tools()
            self.done = True
            if not self.own:
                return
            if error is None:
                reason = NO_RESULT
            elif isinstance(error, GeneratorExit):
                reason = EARLY_CLOSE
            else:
                reason = f"query raised {type(error).__name__}: {safe_str(error)}"
            await acall(
                self.client,
                "complete_session",
                session_id=self.session_id,
                success=False,
                failure_reason=reason,
                duration_ms=self._elapsed(),
                user_input=self.prompt,
            )
        except Exception:
            logger.debug("sentrial: completing a Claude session failed", exc_info=True)


class _Options:
    """What the wrapper was given: where and as whom each session is recorded."""

    def __init__(
        self,
        client: Any,
        agent: str,
        user_id: str,
        convo_id: str | None,
        extra_metadata: Mapping[str, Any] | None,
    ) -> None:
        self.client = client
        self.agent = agent
        self.user_id = user_id
        self.convo_id = convo_id
        self.extra_metadata = dict(extra_metadata) if extra_metadata else None


async def _observe(
    messages: AsyncIterator[Any], new_turn: Callable[[], _Turn]
) -> AsyncIterator[Any]:
    """Pass ``messages`` through; each init (or the first message after a
    result) starts a turn, which the stream's end completes if its result did not."""
    turn: _Turn | None = None
    error: BaseException | None = None
    try:
        async for message in messages:
            kind, subtype = _kind(message)
            starts = (kind, subtype) == ("system", "init") and turn is not None and turn.begun
            if turn is None or turn.done or starts:
                if turn is not None:
                    await turn.end(None)
                turn = new_turn()
            await turn.handle(message)
            yield message
    except BaseException as exc:
        error = exc
        raise
    finally:
        if turn is not None:
            await turn.end(error)
        close = getattr(messages, "aclose", None)
        if close is not None and error is not None:
            try:
                await close()
            except Exception:
                logger.debug("sentrial: closing the wrapped stream failed", exc_info=True)


def wrap_claude_agent(
    query_fn: QueryFunction,
    *,
    client: Any = None,
    default_agent: str = "claude-agent",
    user_id: str = "anonymous",
    convo_id: str | None = None,
    extra_metadata: Mapping[str, Any] | None = None,
) -> QueryFunction:
    """``claude_agent_sdk.query`` that records each call as a session.

    ``client``: a ``SentrialClient``, ``AsyncSentrialClient`` or a subclass
    (default: the configured client).

    >>> # from claude_agent_sdk import query
    >>> # tracked_query = wrap_claude_agent(query, client=AsyncSentrialClient())
    >>> # async for message in tracked_query(prompt="Fix the tests"): ...
    """
    settings = _Options(client, default_agent, user_id, convo_id, extra_metadata)

    def query(prompt: Any = None, options: Any = None, **kwargs: Any) -> AsyncIterator[Any]:
        # As published: ``(prompt, options)`` positionally or by name, passed on
        # by name (the SDK's ``query`` is keyword-only), with any other keyword.
        if prompt is not None:
            kwargs["prompt"] = prompt
        if options is not None:
            kwargs["options"] = options
        return _observe(query_fn(**kwargs), lambda: _Turn(settings, kwargs.get("prompt"), {}))

    query.__wrapped__ = query_fn  # type: ignore[attr-defined]
    query.__doc__ = getattr(query_fn, "__doc__", None)
    return query


class TrackedClaudeClient:
    """A ``ClaudeSDKClient`` whose every ``query`` turn is recorded as a session.

    ``query`` keeps the prompt; ``receive_response`` / ``receive_messages``
    record what comes back (a session per init ... result); ``async with``
    connects and disconnects. Every other attribute is the wrapped client's
    own (``__getattr__``).
    """

    def __init__(
        self,
        client: Any,
        *,
        sentrial_client: Any = None,
        default_agent: str = "claude-agent",
        user_id: str = "anonymous",
        convo_id: str | None = None,
        extra_metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self._client = client
        self._options = _Options(sentrial_client, default_agent, user_id, convo_id, extra_metadata)
        self._turn = 0
        self._prompt: Any = None

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
        await self._client.disconnect()

    async def query(self, prompt: Any = None, **kwargs: Any) -> Any:
        """Sends the prompt; the next init message starts its session."""
        self._turn += 1
        self._prompt = prompt
        return await self._client.query(prompt, **kwargs)

    def _new_turn(self) -> _Turn:
        return _Turn(
            self._options,
            self._prompt,
            {"client_mode": "ClaudeSDKClient", "turn": self._turn},
        )

    def receive_messages(self) -> AsyncIterator[Any]:
        return _observe(self._client.receive_messages(), self._new_turn)

    def receive_response(self) -> AsyncIterator[Any]:
        return _observe(self._client.receive_response(), self._new_turn)


def wrap_claude_client(
    client: Any,
    *,
    sentrial_client: Any = None,
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
