"""CrewAI: a crew's kickoff as a session.

CrewAI reports progress through two public callbacks of ``Crew``:
``step_callback`` (an ``AgentAction``: thought, tool, tool input, result; or
an ``AgentFinish``) and ``task_callback`` (a ``TaskOutput``), through its
event bus (``crewai.events.crewai_event_bus``: LLM calls and tool usage), and
returns a ``CrewOutput`` whose ``token_usage`` sums the run's model calls.
``SentrialCrewHandler.wrap_crew(crew)`` installs both callbacks (chained
with any already set), listens on the bus while ``kickoff`` runs, and wraps
``kickoff``; ``track_crew`` does it around a function that runs a crew.

Recorded: an ``llm_call`` per model call of the crew's agents (model,
messages, response, tokens, duration; priced from the model), a ``tool_call``
per tool use (with native function calling CrewAI reports tools on the bus
only, never to ``step_callback``), a decision per final answer, a
``tool_call`` named ``task: ...`` per finished task, and whatever part of the
crew's ``token_usage`` no bus event reported (all of it without the bus) as
one more ``llm_call``, so the session carries all tokens and cost once.

Bus events are handled by an async listener, which CrewAI runs on its one
event loop in emission order; the bus is flushed before a step, a task or the
end of ``kickoff`` is recorded, so the session's events keep the crew's order.

Objects are read through their public attributes only; ``crewai``
(``pip install "sentrial[crewai]"``) is imported only for a crew whose agents
have ids, and anything unexpected is skipped with a debug log (a ``crewai``
without the expected bus: one warning), never raised into the crew.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from ..cost import calculate_cost
from ._calls import AnyClient, call_client, complete_session, new_session

logger = logging.getLogger("sentrial")

__all__ = ["SentrialCrewHandler", "calculate_cost", "track_crew"]

F = TypeVar("F", bound=Callable[..., Any])


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _crew_model(crew: Any) -> str | None:
    """The model of the crew's first agent that names one (for prices)."""
    for agent in getattr(crew, "agents", None) or []:
        model = getattr(getattr(agent, "llm", None), "model", None)
        if isinstance(model, str) and model:
            return model
    return None


def _output_text(result: Any) -> Any:
    raw = getattr(result, "raw", None)
    return raw if raw is not None else result


class SentrialCrewHandler:
    """Records a CrewAI run into ``session_id`` (the published API)."""

    def __init__(
        self,
        client: AnyClient,
        session_id: str,
        verbose: bool = False,
        *,
        model: str | None = None,
    ) -> None:
        self.client = client
        self.session_id = session_id
        self.verbose = verbose
        self.model = model
        self.user_input: str | None = None
        self.assistant_output: str | None = None
        self.start_time = time.time()
        self._finished = False
        self._usage = {"prompt_tokens": 0, "completion_tokens": 0, "steps": 0, "tasks": 0}
        self._cost = 0.0
        self._on_bus = False
        self._bus_tokens = [0, 0]  # prompt, completion: reported by the bus's LLM events
        self._llm_started: dict[str, Any] = {}  # call_id -> LLMCallStartedEvent.timestamp

    def _log(self, message: str) -> None:
        if self.verbose:
            logger.info("sentrial crewai: %s", message)

    @property
    def duration_ms(self) -> int:
        return int((time.time() - self.start_time) * 1000)

    def set_input(self, user_input: str) -> None:
        self.user_input = user_input

    # -- CrewAI's callbacks ---------------------------------------------------

    def on_step(self, step_output: Any) -> None:
        """``Crew(step_callback=...)``: an ``AgentAction`` or ``AgentFinish``."""
        if self._finished:  # CrewAI keeps callbacks on agents reused by later crews
            return
        try:
            kind = type(step_output).__name__
            self._log(f"step {kind}")
            if self._on_bus:
                _flush_bus()  # the bus's events of this step come first
            self._usage["steps"] += 1
            if kind == "AgentAction" or hasattr(step_output, "tool"):
                if self._on_bus:  # the event bus records this tool call, with its timing
                    return
                call_client(
                    self.client,
                    "track_tool_call",
                    session_id=self.session_id,
                    tool_name=str(step_output.tool),
                    tool_input=_maybe_json(getattr(step_output, "tool_input", None)),
                    tool_output=getattr(step_output, "result", None),
                    reasoning=getattr(step_output, "thought", None) or None,
                )
            elif kind == "AgentFinish" or hasattr(step_output, "output"):
                call_client(
                    self.client,
                    "track_decision",
                    session_id=self.session_id,
                    reasoning=getattr(step_output, "thought", None) or "final answer",
                    metadata={"output": getattr(step_output, "output", None)},
                )
        except Exception:
            logger.debug("sentrial: recording a CrewAI step failed", exc_info=True)

    def on_task_complete(self, task_output: Any) -> None:
        """``Crew(task_callback=...)``: a finished ``TaskOutput``."""
        if self._finished:  # and on tasks
            return
        try:
            if self._on_bus:
                _flush_bus()
            self._usage["tasks"] += 1
            name = getattr(task_output, "name", None) or getattr(task_output, "summary", None)
            failures = getattr(task_output, "tool_failures", None)
            call_client(
                self.client,
                "track_tool_call",
                session_id=self.session_id,
                tool_name=f"task: {name or 'task'}",
                tool_input={
                    "description": getattr(task_output, "description", None),
                    "expected_output": getattr(task_output, "expected_output", None),
                    "agent": getattr(task_output, "agent", None),
                },
                tool_output={"raw": getattr(task_output, "raw", None)},
                metadata={"tool_failures": failures} if failures else None,
            )
        except Exception:
            logger.debug("sentrial: recording a CrewAI task failed", exc_info=True)

    def on_tool_event(self, event: Any) -> None:
        """A ``ToolUsageFinishedEvent`` or ``ToolUsageErrorEvent`` of CrewAI's event
        bus: the tool calls made through native function calling, which never
        reach ``step_callback``."""
        try:
            error = getattr(event, "error", None)
            started, finished = (
                getattr(event, "started_at", None),
                getattr(event, "finished_at", None),
            )
            duration = None
            if started is not None and finished is not None:
                duration = max(0.0, (finished - started).total_seconds() * 1000)
            call_client(
                self.client,
                "track_tool_call",
                session_id=self.session_id,
                tool_name=str(getattr(event, "tool_name", None) or "tool"),
                tool_input=_maybe_json(getattr(event, "tool_args", None)),
                tool_output=None if error is not None else getattr(event, "output", None),
                tool_error=None if error is None else {"message": str(error)},
                metadata={
                    "agent": getattr(event, "agent_role", None),
                    "task": getattr(event, "task_name", None),
                    "from_cache": getattr(event, "from_cache", None),
                },
                duration_ms=duration,
            )
        except Exception:
            logger.debug("sentrial: recording a CrewAI tool event failed", exc_info=True)

    def on_llm_event(self, event: Any) -> None:
        """An ``LLMCallStartedEvent``, ``LLMCallCompletedEvent`` or
        ``LLMCallFailedEvent`` of CrewAI's event bus: one model call."""
        try:
            call_id = str(getattr(event, "call_id", None))
            if type(event).__name__ == "LLMCallStartedEvent":
                self._llm_started[call_id] = getattr(event, "timestamp", None)
                return
            started = self._llm_started.pop(call_id, None)
            finished = getattr(event, "timestamp", None)
            duration = None
            if started is not None and finished is not None:
                duration = max(0.0, (finished - started).total_seconds() * 1000)
            model = str(getattr(event, "model", None) or self.model or "unknown")
            usage = getattr(event, "usage", None) or {}
            prompt = _count(usage, "prompt_tokens", "input_tokens")
            completion = _count(usage, "completion_tokens", "output_tokens")
            cached = _count(usage, "cached_prompt_tokens", "cached_tokens")
            cost = None
            if model != "unknown" and (prompt or completion):
                cost = calculate_cost(model, prompt, completion, cached_input_tokens=cached)
            error = getattr(event, "error", None)
            call_type = getattr(getattr(event, "call_type", None), "value", None)
            call_client(
                self.client,
                "track_llm_call",
                session_id=self.session_id,
                model=model,
                input=getattr(event, "messages", None),
                output=None if error is not None else getattr(event, "response", None),
                prompt_tokens=prompt if usage else None,
                completion_tokens=completion if usage else None,
                cached_tokens=cached or None,
                duration_ms=duration,
                estimated_cost=cost,
                error=None if error is None else {"message": str(error)},
                metadata={
                    "agent": getattr(event, "agent_role", None),
                    "task": getattr(event, "task_name", None),
                    **({"call_type": call_type} if call_type else {}),
                },
            )
            self._bus_tokens[0] += prompt
            self._bus_tokens[1] += completion
            self._usage["prompt_tokens"] += prompt
            self._usage["completion_tokens"] += completion
            self._cost += cost or 0.0
        except Exception:
            logger.debug("sentrial: recording a CrewAI LLM event failed", exc_info=True)

    def add_token_usage(
        self, prompt_tokens: int, completion_tokens: int, model: str | None = None
    ) -> None:
        """Tokens spent by the crew's model calls, recorded as one LLM call."""
        model = model or self.model or "unknown"
        call_client(
            self.client,
            "track_llm_call",
            session_id=self.session_id,
            model=model,
            prompt_tokens=int(prompt_tokens),
            completion_tokens=int(completion_tokens),
            metadata={"source": "crewai token_usage"},
        )
        self._usage["prompt_tokens"] += int(prompt_tokens)
        self._usage["completion_tokens"] += int(completion_tokens)
        if model != "unknown":
            self._cost += calculate_cost(model, int(prompt_tokens), int(completion_tokens)) or 0.0

    def record_result(self, result: Any) -> None:
        """A ``CrewOutput``: its text, and the part of its ``token_usage`` that
        the bus's LLM events did not report (all of it without the bus)."""
        try:
            self.assistant_output = str(_output_text(result))
            usage = getattr(result, "token_usage", None)
            prompt = getattr(usage, "prompt_tokens", None)
            completion = getattr(usage, "completion_tokens", None)
            if isinstance(prompt, int) and isinstance(completion, int):
                prompt = max(0, prompt - self._bus_tokens[0])
                completion = max(0, completion - self._bus_tokens[1])
                if prompt or completion:
                    self.add_token_usage(prompt, completion)
        except Exception:
            logger.debug("sentrial: reading a CrewAI result failed", exc_info=True)

    # -- a whole crew -------------------------------------------------------------

    def wrap_crew(self, crew: Any) -> Any:
        """Install the callbacks (after any the crew has) and wrap ``kickoff``."""
        try:
            self.model = self.model or _crew_model(crew)
            for attribute, ours in (
                ("step_callback", self.on_step),
                ("task_callback", self.on_task_complete),
            ):
                theirs = getattr(crew, attribute, None)
                object.__setattr__(crew, attribute, _chain(theirs, ours))
            kickoff = crew.kickoff
            agent_ids = [str(a.id) for a in getattr(crew, "agents", None) or [] if hasattr(a, "id")]

            @functools.wraps(kickoff)
            def tracked_kickoff(*args: Any, **kwargs: Any) -> Any:
                self.start_time = time.time()
                inputs = kwargs.get("inputs", args[0] if args else None)
                if inputs and self.user_input is None:
                    self.user_input = json.dumps(inputs, default=str)
                self._on_bus = _listen(agent_ids, self)
                try:
                    result = kickoff(*args, **kwargs)
                except Exception as exc:
                    _unlisten(agent_ids)
                    self.finish(success=False, failure_reason=f"{type(exc).__name__}: {exc}")
                    raise
                _unlisten(agent_ids)
                self.record_result(result)
                self.finish(success=True)
                return result

            object.__setattr__(crew, "kickoff", tracked_kickoff)
        except Exception:
            logger.warning("sentrial: this Crew could not be tracked (it runs untracked)")
            logger.debug("sentrial: wrap_crew failed", exc_info=True)
        return crew

    def get_usage_summary(self) -> dict[str, Any]:
        return {
            **self._usage,
            "total_tokens": self._usage["prompt_tokens"] + self._usage["completion_tokens"],
            "estimated_cost": round(self._cost, 10),
            "duration_ms": self.duration_ms,
        }

    def finish(
        self,
        success: bool = True,
        failure_reason: str | None = None,
        output: Any = None,
        custom_metrics: Mapping[str, float] | None = None,
    ) -> dict[str, Any]:
        """Complete the session once (cost and tokens summed from its events)."""
        if self._finished:
            return {}
        self._finished = True
        if output is not None:
            self.assistant_output = str(output)
        return complete_session(
            self.client,
            session_id=self.session_id,
            success=success,
            failure_reason=failure_reason,
            custom_metrics=custom_metrics,
            duration_ms=self.duration_ms,
            user_input=self.user_input,
            assistant_output=self.assistant_output,
        )


# CrewAI's event bus is global: one listener, routing events by agent id to the
# handler of the crew that agent belongs to while its kickoff runs.
_handlers: dict[str, SentrialCrewHandler] = {}
_listening = False
_warned = False
_lock = threading.Lock()
_TOOL_EVENTS = ("ToolUsageFinishedEvent", "ToolUsageErrorEvent")
_LLM_EVENTS = ("LLMCallStartedEvent", "LLMCallCompletedEvent", "LLMCallFailedEvent")


def _count(usage: Any, *names: str) -> int:
    """The first of ``names`` that ``usage`` (a dict) holds as an int, else 0."""
    if isinstance(usage, Mapping):
        for name in names:
            value = usage.get(name)
            if isinstance(value, int) and not isinstance(value, bool):
                return max(0, value)
    return 0


async def _dispatch(source: Any, event: Any) -> None:
    """The bus's listener. Async on purpose: CrewAI runs async listeners on its
    one event loop in emission order (sync ones race on a pool of threads)."""
    target = _handlers.get(str(getattr(event, "agent_id", None)))
    if target is None:
        return
    if type(event).__name__ in _LLM_EVENTS:
        target.on_llm_event(event)
    else:
        target.on_tool_event(event)


def _listen(agent_ids: list[str], handler: SentrialCrewHandler) -> bool:
    """Route bus events of these agents to ``handler``; False without the bus."""
    global _listening, _warned
    if not agent_ids:
        return False
    with _lock:
        if not _listening:
            try:
                import crewai  # type: ignore[import-not-found, unused-ignore]
            except Exception:
                return False  # not a real crew
            try:
                import crewai.events as events  # type: ignore[import-not-found, unused-ignore]

                bus = events.crewai_event_bus
                for name in _TOOL_EVENTS + _LLM_EVENTS:
                    bus.on(getattr(events, name))(_dispatch)
            except Exception:
                if not _warned:
                    _warned = True
                    logger.warning(
                        "sentrial: crewai %s has no event bus sentrial knows; its LLM calls "
                        "and native tool calls are not recorded (the crew runs as usual)",
                        getattr(crewai, "__version__", "?"),
                    )
                logger.debug("sentrial: listening on CrewAI's event bus failed", exc_info=True)
                return False
            _listening = True
        for agent_id in agent_ids:
            _handlers[agent_id] = handler
    return True


def _flush_bus() -> None:
    """Wait (at most 10 s) for the bus's listeners to handle the events so far."""
    try:
        from crewai.events import crewai_event_bus  # type: ignore[import-not-found, unused-ignore]

        crewai_event_bus.flush(timeout=10)
    except Exception:
        logger.debug("sentrial: flushing CrewAI's event bus failed", exc_info=True)


def _unlisten(agent_ids: list[str]) -> None:
    if not _listening:
        return
    _flush_bus()  # listeners run on the bus's event loop: let them finish first
    with _lock:
        for agent_id in agent_ids:
            _handlers.pop(agent_id, None)


def _chain(
    first: Callable[[Any], Any] | None, second: Callable[[Any], None]
) -> Callable[[Any], Any]:
    if first is None:
        return second

    def both(output: Any) -> Any:
        result = first(output)
        second(output)
        return result

    return both


def track_crew(
    client: AnyClient,
    agent_name: str = "crewai",
    user_id: str | None = None,
    *,
    model: str | None = None,
) -> Callable[[F], F]:
    """Decorate a function that runs a crew: a session around each call.

    The function's result (a ``CrewOutput``) gives the output and tokens,
    priced as ``model``'s when given.
    """

    def decorate(function: F) -> F:
        def start(args: Any, kwargs: Any) -> SentrialCrewHandler:
            session_id = new_session(
                client,
                name=f"{agent_name}: {function.__name__}",
                agent_name=agent_name,
                user_id=user_id or "anonymous",
            )
            handler = SentrialCrewHandler(client, session_id or "", model=model)
            handler._finished = session_id is None  # no session: nothing else tracked
            handler.user_input = json.dumps({"args": args, "kwargs": kwargs}, default=str)
            return handler

        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                handler = start(args, kwargs)
                try:
                    result = await function(*args, **kwargs)
                except Exception as exc:
                    handler.finish(success=False, failure_reason=f"{type(exc).__name__}: {exc}")
                    raise
                handler.record_result(result)
                handler.finish(success=True)
                return result

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            handler = start(args, kwargs)
            try:
                result = function(*args, **kwargs)
            except Exception as exc:
                handler.finish(success=False, failure_reason=f"{type(exc).__name__}: {exc}")
                raise
            handler.record_result(result)
            handler.finish(success=True)
            return result

        return wrapper  # type: ignore[return-value]

    return decorate
