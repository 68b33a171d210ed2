"""What is current per thread and per asyncio task (contextvars): the session,
and each client's state (``client.current_state``).

A context variable, not ``threading.local``: asyncio tasks sharing a thread
each get their own copy of the context, so one task's interaction or state is
never seen by another's; a task (or ``asyncio.to_thread`` call) started inside
an interaction inherits it. A new thread starts with an empty context.
"""

from __future__ import annotations

import sys
import threading
import weakref
from collections.abc import Mapping
from contextvars import ContextVar
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._interaction import Interaction

current_interaction: ContextVar[Interaction | None] = ContextVar(
    "sentrial_current_interaction", default=None
)


def get_current() -> Interaction | None:
    """The interaction the calling code runs in, if any (set by ``begin``/``@session``)."""
    return current_interaction.get()


# -- per-client state -------------------------------------------------------------
# One context variable for every client: a mapping from the client's tracker
# (weakly: a context outliving a client does not keep it alive) to its state and
# the thread and task that own that dict. The mapping is never changed in place:
# a write sets a new one, so the contexts of other tasks keep what they had.

_Owner = tuple[int, object]
_States = Mapping["weakref.ref[Any]", tuple[_Owner, dict[str, Any]]]

_states: ContextVar[_States] = ContextVar("sentrial_client_state", default=MappingProxyType({}))


def _owner() -> _Owner:
    """The calling thread and asyncio task (None outside a running loop)."""
    asyncio = sys.modules.get("asyncio")  # not imported: no loop runs (sync apps skip it)
    task = None
    if asyncio is not None:
        loop = asyncio._get_running_loop()
        task = None if loop is None else asyncio.current_task(loop)
    return threading.get_ident(), task


def peek_state(key: weakref.ref[Any]) -> dict[str, Any] | None:
    """The state the calling code sees (its own, or the one it inherited), if any."""
    entry = _states.get().get(key)
    return None if entry is None else entry[1]


def set_state(key: weakref.ref[Any], value: dict[str, Any]) -> None:
    """Make ``value`` the state of the calling thread or task (and of the tasks it starts)."""
    states = {k: v for k, v in _states.get().items() if k() is not None}
    states[key] = (_owner(), value)
    _states.set(states)


def own_state(key: weakref.ref[Any]) -> dict[str, Any]:
    """The calling thread's or task's state, to change in place: made empty on
    first use; a state inherited from the code that started this task is
    copied first, so changes stay in this task."""
    entry = _states.get().get(key)
    owner = _owner()
    if entry is not None and entry[0] == owner:
        return entry[1]
    state = {} if entry is None else dict(entry[1])
    set_state(key, state)
    return state


# -- steps: which step of which session the calling code runs in -------------------
# A step (a ``@tool`` call) is current while its function runs; whatever is
# recorded meanwhile for the same session (a nested tool, an LLM call, a
# decision, an error) names it as its parent, and a session begun meanwhile
# names it as the step that started it. Context variables carry it into asyncio
# tasks and into threads started with ``contextvars.copy_context().run``.


class Step:
    """One running step: its session, span id, start (ns) and its own parent."""

    __slots__ = ("parent", "session_id", "span_id", "started_ns")

    def __init__(self, session_id: str, span_id: str, started_ns: int, parent: Step | None) -> None:
        self.session_id = session_id
        self.span_id = span_id
        self.started_ns = started_ns
        self.parent = parent


class Recording:
    """What the event being recorded knows of itself: its span (None: it opened
    none), the step it ran in, and when it started (ns)."""

    __slots__ = ("parent", "span_id", "started_ns")

    def __init__(self, span_id: str | None, parent: Step | None, started_ns: int) -> None:
        self.span_id = span_id
        self.parent = parent
        self.started_ns = started_ns


current_step: ContextVar[Step | None] = ContextVar("sentrial_current_step", default=None)
recording: ContextVar[Recording | None] = ContextVar("sentrial_recording", default=None)
