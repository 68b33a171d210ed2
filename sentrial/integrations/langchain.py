"""A LangChain callback handler: chains, tools and model calls become a session.

>>> from sentrial.integrations.langchain import SentrialCallbackHandler
>>> handler = SentrialCallbackHandler(agent_name="support-chain", user_id="u1")
>>> # chain.invoke(inputs, config={"callbacks": [handler]})

The outermost run opens a session (or joins the current ``sentrial.begin``
session) and closes it when it ends; tool runs become ``tool_call`` events
and chat-model or LLM runs ``llm_call`` events with tokens (cost is computed
from them). Nothing here raises into LangChain.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import LLMResult

from .._client import SentrialClient
from .._context import current_interaction
from .._interaction import get_client

logger = logging.getLogger("sentrial")


class _Run:
    __slots__ = ("inputs", "kind", "model", "name", "session_id", "started")

    def __init__(
        self, kind: str, name: str, session_id: str, inputs: Any, model: str | None = None
    ) -> None:
        self.kind = kind
        self.name = name
        self.session_id = session_id
        self.inputs = inputs
        self.model = model
        self.started = time.perf_counter()


class SentrialCallbackHandler(BaseCallbackHandler):
    """Record LangChain runs into Sentrial sessions."""

    raise_error = False  # LangChain: never let a callback failure break the chain

    def __init__(
        self,
        client: SentrialClient | None = None,
        *,
        agent_name: str = "langchain",
        user_id: str = "anonymous",
    ) -> None:
        self._client = client
        self.agent_name = agent_name
        self.user_id = user_id
        self._runs: dict[UUID, _Run] = {}
        self._owned: set[UUID] = set()  # root runs whose session we opened
        self._lock = threading.Lock()

    @property
    def client(self) -> SentrialClient:
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
            if parent is not None:
                session_id = parent.session_id
            else:
                interaction = current_interaction.get()
                if interaction is not None and not interaction.finished:
                    session_id = interaction.session_id
                else:
                    session_id = self.client.create_session(
                        name=name, agent_name=self.agent_name, user_id=self.user_id
                    )
                    with self._lock:
                        self._owned.add(run_id)
            with self._lock:
                self._runs[run_id] = _Run(kind, name, session_id, inputs, model)
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
                client.track_tool_call(
                    run.session_id,
                    run.name,
                    run.inputs,
                    None if error else {"result": output},
                    tool_error=error,
                    duration_ms=duration_ms,
                )
            elif run.kind == "llm":
                client.track_llm_call(
                    run.session_id,
                    model or run.model or run.name,
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
                client.complete_session(
                    run.session_id,
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
