"""A LangChain callback handler: chains, tools and model calls become a session.

>>> from sentrial.integrations.langchain import SentrialCallbackHandler
>>> handler = SentrialCallbackHandler(agent_name="support-chain", user_id="u1")
>>> # chain.invoke(inputs, config={"callbacks": [handler]})

The outermost run opens a session (or joins the current ``sentrial.begin``
session) and closes it when it ends; tool runs become ``tool_call`` events
and chat-model or LLM runs ``llm_call`` events with tokens (cost is computed
from them). Nothing here raises into LangChain.

With ``session_id`` the handler is the published SDK's
(``SentrialCallbackHandler(client, session_id)``, ``finish()``, totals); the
published agent helpers (``create_agent_with_sentrial``, ``get_react_agent``,
...) are at the end. Without ``langchain-core`` this module still imports (one
warning) so an app that never runs LangChain keeps running.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import TYPE_CHECKING, Any
from uuid import UUID

from .._context import current_interaction
from .._interaction import get_client
from ._calls import AnyClient, call_client, complete_session, new_session

logger = logging.getLogger("sentrial")

if TYPE_CHECKING:
    from langchain_core.callbacks import BaseCallbackHandler as _Base
    from langchain_core.outputs import LLMResult
else:
    try:
        from langchain_core.callbacks import BaseCallbackHandler as _Base
    except ImportError:  # the host app must still import and run without LangChain
        logger.warning(
            "sentrial: langchain-core is not installed; SentrialCallbackHandler records "
            'nothing (pip install "sentrial[langchain]")'
        )
        _Base = object


class _Run:
    __slots__ = ("inputs", "kind", "model", "name", "parent", "session_id", "started")

    def __init__(
        self,
        kind: str,
        name: str,
        session_id: str,
        inputs: Any,
        model: str | None = None,
        parent: UUID | None = None,
    ) -> None:
        self.kind = kind
        self.parent = parent
        self.name = name
        self.session_id = session_id
        self.inputs = inputs
        self.model = model
        self.started = time.perf_counter()


class SentrialCallbackHandler(_Base):
    """Record LangChain runs into Sentrial sessions.

    Two ways to use it. Without ``session_id`` each outermost run opens its
    own session (or joins the current ``sentrial.begin`` one) and closes it.
    With ``session_id`` (the published SDK's ``SentrialCallbackHandler(client,
    session_id)``) every run records into that session, and :meth:`finish`
    closes it with the totals the handler kept: ``total_cost``,
    ``total_tokens``, ... (see :meth:`get_usage_summary`), so code written for
    the published handler reads the same numbers.
    """

    raise_error = False  # LangChain: never let a callback failure break the chain

    def __init__(
        self,
        client: AnyClient | None = None,
        session_id: str | None = None,
        track_llm_calls: bool = True,
        verbose: bool = False,
        *,
        agent_name: str = "langchain",
        user_id: str = "anonymous",
    ) -> None:
        super().__init__()
        self._client = client
        self.session_id = session_id
        # False: model calls are not recorded as events, but their tokens and
        # cost still count in the totals that finish() writes to the session.
        self.track_llm_calls = track_llm_calls
        self.verbose = verbose
        self.agent_name = agent_name
        self.user_id = user_id
        self._runs: dict[UUID, _Run] = {}
        self._owned: set[UUID] = set()  # root runs whose session we opened
        self._reasoning: dict[UUID, str] = {}  # agent run -> its last action's log
        self._lock = threading.Lock()
        # Totals of the published handler, kept across every run it sees.
        self.llm_calls = 0
        self.total_prompt_tokens = 0
        self.total_completion_tokens = 0
        self.total_tokens = 0
        self.total_cost = 0.0
        self.model_name: str | None = None
        self.start_time: float | None = None
        self.end_time: float | None = None
        self.user_input: str | None = None
        self.assistant_output: str | None = None
        self._last_llm_output: str | None = None

    # -- the published handler's session API -------------------------------------------

    def set_input(self, user_input: str) -> None:
        """The user's request, written to the session by :meth:`finish`."""
        self.user_input = user_input
        self._log(f"User input set: {str(user_input)[:50]}")

    @property
    def duration_ms(self) -> int:
        """Milliseconds from the first callback to the last model call (or now)."""
        if self.start_time is None:
            return 0
        end = self.end_time if self.end_time is not None else time.time()
        return int((end - self.start_time) * 1000)

    def get_usage_summary(self) -> dict[str, Any]:
        """Model calls, tokens, cost (USD), last model and duration so far."""
        with self._lock:
            return {
                "llm_calls": self.llm_calls,
                "total_prompt_tokens": self.total_prompt_tokens,
                "total_completion_tokens": self.total_completion_tokens,
                "total_tokens": self.total_tokens,
                "total_cost": self.total_cost,
                "model": self.model_name,
                "duration_ms": self.duration_ms,
            }

    def finish(
        self,
        success: bool = True,
        failure_reason: str | None = None,
        custom_metrics: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Complete ``session_id`` with the totals; ``{}`` without a session id."""
        if self.end_time is None:
            self.end_time = time.time()
        if not self.session_id:
            return {}
        try:
            summary = self.get_usage_summary()
            return complete_session(
                self.client,
                session_id=self.session_id,
                success=success,
                failure_reason=failure_reason,
                estimated_cost=summary["total_cost"],
                custom_metrics=custom_metrics,
                duration_ms=summary["duration_ms"],
                prompt_tokens=summary["total_prompt_tokens"],
                completion_tokens=summary["total_completion_tokens"],
                total_tokens=summary["total_tokens"],
                user_input=self.user_input,
                assistant_output=self.assistant_output or self._last_llm_output,
            )
        except Exception:
            logger.debug("sentrial: langchain finish failed", exc_info=True)
            return {}

    def _log(self, message: str) -> None:
        # verbose=True prints, as the published handler did: people turned it on
        # to watch an agent's steps in the console.
        if self.verbose:
            print(f"[Sentrial] {message}")

    def _count(self, model: str | None, usage: dict[str, int] | None, provider: str | None) -> None:
        from ..cost import calculate_cost

        prompt = (usage or {}).get("prompt_tokens", 0)
        completion = (usage or {}).get("completion_tokens", 0)
        cost = None
        if model:
            cost = calculate_cost(
                model,
                prompt,
                completion,
                cached_input_tokens=(usage or {}).get("cached_tokens", 0),
                cache_write_tokens=(usage or {}).get("cache_write_tokens", 0),
                provider=provider,
            )
        with self._lock:
            self.llm_calls += 1
            self.total_prompt_tokens += prompt
            self.total_completion_tokens += completion
            self.total_tokens += prompt + completion
            self.total_cost += cost or 0.0
            if model:
                self.model_name = model
            self.end_time = time.time()
        self._log(f"LLM call: {prompt} in, {completion} out, ${cost or 0.0:.6f}")

    @property
    def client(self) -> AnyClient:
        return self._client or get_client()

    # -- bookkeeping -----------------------------------------------------------

    def _start(
        self,
        kind: str,
        name: str,
        run_id: UUID,
        parent_run_id: UUID | None,
        inputs: Any,
        model: str | None = None,
    ) -> None:
        try:
            with self._lock:
                parent = self._runs.get(parent_run_id) if parent_run_id else None
            if self.start_time is None:
                self.start_time = time.time()
            if parent is not None:
                session_id = parent.session_id
            elif self.session_id is not None:
                session_id = self.session_id
            else:
                interaction = current_interaction.get()
                if interaction is not None and not interaction.finished:
                    session_id = interaction.session_id
                else:
                    created = new_session(
                        self.client,
                        name=name,
                        agent_name=self.agent_name,
                        user_id=self.user_id,
                    )
                    if created is None:  # the client's create_session gave none
                        return
                    session_id = created
                    with self._lock:
                        self._owned.add(run_id)
            with self._lock:
                self._runs[run_id] = _Run(kind, name, session_id, inputs, model, parent_run_id)
        except Exception:
            logger.debug("sentrial: langchain start failed", exc_info=True)

    def _end(
        self,
        run_id: UUID,
        output: Any = None,
        error: BaseException | None = None,
        usage: dict[str, int] | None = None,
        model: str | None = None,
    ) -> None:
        try:
            with self._lock:
                run = self._runs.pop(run_id, None)
                owned = run_id in self._owned
                self._owned.discard(run_id)
            if run is None:
                return
            duration_ms = (time.perf_counter() - run.started) * 1000
            client = self.client
            if run.kind == "tool":
                with self._lock:
                    reasoning = self._reasoning.pop(run.parent, None) if run.parent else None
                call_client(
                    client,
                    "track_tool_call",
                    session_id=run.session_id,
                    tool_name=run.name,
                    tool_input=run.inputs,
                    tool_output=None if error else {"result": output},
                    reasoning=reasoning,
                    tool_error=error,
                    duration_ms=duration_ms,
                )
                self._log(f"Tool {run.name}: {'failed' if error else 'done'}")
            elif run.kind == "llm" and error is None:
                self._count(model or run.model, usage, _provider(run.name))
                if isinstance(output, str) and output:
                    self._last_llm_output = output
            if run.kind == "llm" and self.track_llm_calls:
                call_client(
                    client,
                    "track_llm_call",
                    session_id=run.session_id,
                    model=model or run.model or run.name,
                    provider=_provider(run.name),
                    input=run.inputs,
                    output=output,
                    error=error,
                    duration_ms=duration_ms,
                    prompt_tokens=(usage or {}).get("prompt_tokens"),
                    completion_tokens=(usage or {}).get("completion_tokens"),
                    cached_tokens=(usage or {}).get("cached_tokens"),
                    cache_write_tokens=(usage or {}).get("cache_write_tokens"),
                )
            if owned:
                call_client(
                    client,
                    "complete_session",
                    session_id=run.session_id,
                    success=error is None,
                    failure_reason=None if error is None else f"{type(error).__name__}: {error}",
                    duration_ms=duration_ms,
                    user_input=_text(run.inputs),
                    assistant_output=None if error else _text(output),
                )
        except Exception:
            logger.debug("sentrial: langchain end failed", exc_info=True)

    # -- chains ---------------------------------------------------------------------

    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: dict[str, Any],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        name = kwargs.get("name") or _name(serialized, "chain")
        self._start("chain", name, run_id, parent_run_id, inputs)

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, output=outputs)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error=error)

    # -- agents (AgentExecutor-style; LangGraph agents report chains and tools) -------

    def on_agent_action(
        self, action: Any, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        """Keep the action's reasoning for the tool run it starts (a child of ``run_id``)."""
        try:
            log = getattr(action, "log", None) or f"Action: {getattr(action, 'tool', '?')}"
            with self._lock:
                self._reasoning[run_id] = str(log)
            self._log(f"Agent action: {getattr(action, 'tool', '?')}")
        except Exception:
            logger.debug("sentrial: langchain agent action failed", exc_info=True)

    def on_agent_finish(
        self, finish: Any, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        """The agent's answer: kept as the session's output and recorded as its decision."""
        try:
            values = getattr(finish, "return_values", None) or {}
            output = values.get("output") if isinstance(values, dict) else None
            self.assistant_output = None if output is None else str(output)
            session_id = self._session_of(run_id, parent_run_id)
            if session_id is not None:
                call_client(
                    self.client,
                    "track_decision",
                    session_id=session_id,
                    reasoning=f"Agent completed: {output}",
                    confidence=1.0,
                )
        except Exception:
            logger.debug("sentrial: langchain agent finish failed", exc_info=True)

    def _session_of(self, run_id: UUID, parent_run_id: UUID | None) -> str | None:
        with self._lock:
            for key in (run_id, parent_run_id):
                run = self._runs.get(key) if key is not None else None
                if run is not None:
                    return run.session_id
        return self.session_id

    # -- tools ----------------------------------------------------------------------

    def on_tool_start(
        self,
        serialized: dict[str, Any] | None,
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        name = kwargs.get("name") or _name(serialized, "tool")
        self._start(
            "tool",
            name,
            run_id,
            parent_run_id,
            inputs if inputs is not None else {"input": input_str},
        )

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, output=getattr(output, "content", output))

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error=error)

    # -- models ---------------------------------------------------------------------

    def on_chat_model_start(
        self,
        serialized: dict[str, Any] | None,
        messages: list[list[Any]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        flat = [
            {"role": getattr(m, "type", "unknown"), "content": getattr(m, "content", m)}
            for batch in messages
            for m in batch
        ]
        self._start(
            "llm", _name(serialized, "chat_model"), run_id, parent_run_id, flat, _model(kwargs)
        )

    def on_llm_start(
        self,
        serialized: dict[str, Any] | None,
        prompts: list[str],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        self._start("llm", _name(serialized, "llm"), run_id, parent_run_id, prompts, _model(kwargs))

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        text: Any = None
        usage: dict[str, int] | None = None
        model: str | None = None
        try:
            generation = response.generations[0][0]
            text = generation.text
            message = getattr(generation, "message", None)
            meta = getattr(message, "usage_metadata", None)
            if meta:
                details = meta.get("input_token_details") or {}
                usage = {
                    "prompt_tokens": int(meta.get("input_tokens", 0)),
                    "completion_tokens": int(meta.get("output_tokens", 0)),
                    "cached_tokens": int(details.get("cache_read", 0) or 0),
                    "cache_write_tokens": int(details.get("cache_creation", 0) or 0),
                }
            llm_output = response.llm_output or {}
            token_usage = llm_output.get("token_usage")
            if usage is None and isinstance(token_usage, dict):
                usage = {
                    "prompt_tokens": int(token_usage.get("prompt_tokens", 0)),
                    "completion_tokens": int(token_usage.get("completion_tokens", 0)),
                }
            model = llm_output.get("model_name") or (
                getattr(message, "response_metadata", {}) or {}
            ).get("model_name")
        except Exception:
            logger.debug("sentrial: reading a langchain LLM result failed", exc_info=True)
        self._end(run_id, output=text, usage=usage, model=model)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error=error)


def _name(serialized: dict[str, Any] | None, default: str) -> str:
    if not serialized:
        return default
    name = serialized.get("name")
    if isinstance(name, str) and name:
        return name
    ident = serialized.get("id")
    if isinstance(ident, list) and ident:
        return str(ident[-1])
    return default


def _model(kwargs: dict[str, Any]) -> str | None:
    params = kwargs.get("invocation_params") or {}
    for key in ("model", "model_name"):
        if isinstance(params.get(key), str):
            return str(params[key])
    metadata = kwargs.get("metadata") or {}
    value = metadata.get("ls_model_name")
    return value if isinstance(value, str) else None


def _provider(name: str) -> str | None:
    lowered = name.lower()
    for provider in ("openai", "anthropic", "google", "mistral", "groq"):
        if provider in lowered:
            return provider
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    content = getattr(value, "content", None)
    if isinstance(content, str):
        return content
    if isinstance(value, dict) and len(value) == 1:
        return _text(next(iter(value.values())))
    return str(value)


# -- the published agent helpers ----------------------------------------------------
#
# LangChain 1.0 removed AgentExecutor and create_openai_tools_agent (they live on in
# langchain-classic); its agent constructor is langchain.agents.create_agent. A helper
# whose API is gone raises an ImportError naming the replacement.


def _major(distribution: str) -> int | None:
    try:
        return int(metadata.version(distribution).split(".")[0])
    except (metadata.PackageNotFoundError, ValueError):
        return None


# Read from package metadata: importing langchain itself just to learn its
# version would cost every user of this module a second or more.
LANGCHAIN_MAJOR_VERSION: int = _major("langchain") or 0
_CORE_MAJOR = _major("langchain-core")
LANGCHAIN_VERSION: str = (
    "unknown"
    if _CORE_MAJOR is None
    else ("core-1.x" if max(LANGCHAIN_MAJOR_VERSION, _CORE_MAJOR) >= 1 else "core")
)


def _first(candidates: Sequence[tuple[str, str]]) -> Any:
    for module, name in candidates:
        try:
            found = getattr(importlib.import_module(module), name, None)
        except ImportError:
            continue
        if found is not None:
            return found
    return None


def get_agent_executor() -> Any:
    """LangChain's ``AgentExecutor`` class, from ``langchain`` (< 1.0) or
    ``langchain-classic`` (where LangChain 1.0 moved it)."""
    found = _first(
        [("langchain.agents", "AgentExecutor"), ("langchain_classic.agents", "AgentExecutor")]
    )
    if found is None:
        raise ImportError(
            "AgentExecutor is not in the installed LangChain: LangChain 1.0 removed it. "
            "Use langchain.agents.create_agent (sentrial.langchain.get_react_agent() "
            "returns it), or pip install langchain-classic to keep AgentExecutor."
        )
    return found


def get_openai_tools_agent_creator() -> Any:
    """``create_openai_tools_agent``, from ``langchain`` (< 1.0) or ``langchain-classic``."""
    found = _first(
        [
            ("langchain.agents", "create_openai_tools_agent"),
            ("langchain_classic.agents", "create_openai_tools_agent"),
        ]
    )
    if found is None:
        raise ImportError(
            "create_openai_tools_agent is not in the installed LangChain: LangChain 1.0 "
            "removed it. Use langchain.agents.create_agent(model, tools) (returned by "
            "sentrial.langchain.get_react_agent()), or pip install langchain-classic."
        )
    return found


def get_react_agent() -> Callable[..., Any]:
    """A ``(model, tools)`` agent constructor whose agent takes
    ``{"messages": [...]}``: LangGraph's ``create_react_agent`` as published,
    else LangChain 1.x's ``create_agent`` (its successor, same call)."""
    found = _first(
        [("langgraph.prebuilt", "create_react_agent"), ("langchain.agents", "create_agent")]
    )
    if found is None:
        raise ImportError(
            "No LangGraph agent constructor found: pip install langchain "
            "(langchain.agents.create_agent) or pip install langgraph."
        )
    return found  # type: ignore[no-any-return]


def create_agent_with_sentrial(
    llm: Any,
    tools: list[Any],
    client: AnyClient,
    agent_name: str,
    user_id: str = "anonymous",
    verbose: bool = False,
) -> Callable[[str], str]:
    """A function ``query -> answer`` running a tool-calling agent, each call a session.

    Built with ``langchain.agents.create_agent`` on LangChain 1.x (else
    LangGraph's ``create_react_agent``; else, on LangChain < 1.0, an
    ``AgentExecutor``). Every call opens a session named after the query,
    records the agent's model and tool calls through
    :class:`SentrialCallbackHandler`, and closes the session with its totals;
    a failing agent marks the session failed and re-raises.
    """
    build = _first(
        [("langchain.agents", "create_agent"), ("langgraph.prebuilt", "create_react_agent")]
    )
    if build is not None:
        agent = build(llm, tools)

        def invoke(query: str, handler: SentrialCallbackHandler) -> str:
            result = agent.invoke({"messages": [("user", query)]}, config={"callbacks": [handler]})
            messages = result.get("messages") if isinstance(result, dict) else None
            return str(messages[-1].content) if messages else str(result)

    else:
        from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder

        prompt = ChatPromptTemplate.from_messages(
            [
                ("system", "You are a helpful assistant. Use tools when needed."),
                ("human", "{input}"),
                MessagesPlaceholder(variable_name="agent_scratchpad"),
            ]
        )
        executor = get_agent_executor()(
            agent=get_openai_tools_agent_creator()(llm, tools, prompt), tools=tools, verbose=verbose
        )

        def invoke(query: str, handler: SentrialCallbackHandler) -> str:
            result = executor.invoke({"input": query}, config={"callbacks": [handler]})
            return str(result.get("output", result))

    def run_agent(query: str) -> str:
        session_id = new_session(
            client,
            name=f"{agent_name}: {query[:50]}",
            agent_name=agent_name,
            user_id=user_id,
        )
        handler = SentrialCallbackHandler(client, session_id, verbose=verbose)
        handler.set_input(query)
        try:
            output = invoke(query, handler)
        except Exception as exc:
            handler.finish(success=False, failure_reason=f"{type(exc).__name__}: {exc}")
            raise
        handler.assistant_output = output
        handler.finish(success=True)
        return output

    return run_agent
