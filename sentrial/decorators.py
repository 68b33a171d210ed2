"""The published SDK's ``sentrial.decorators``: ``@tool``, ``@session``, the
current session (``get_current_session_id``, ``set_session_context``...) and
``SessionContext``. The current session is our one context variable, per
thread and per asyncio task."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Literal

from ._client import SentrialClient
from ._context import current_interaction
from ._decorators import clear_session_entry_points, get_session_entry_points, session, tool
from ._interaction import Interaction, begin, get_client

__all__ = [
    "Interaction",
    "SentrialClient",
    "SessionContext",
    "clear_session_context",
    "clear_session_entry_points",
    "get_current_client",
    "get_current_interaction",
    "get_current_session_id",
    "get_session_context",
    "get_session_entry_points",
    "session",
    "set_session_context",
    "tool",
]


def get_current_interaction() -> Interaction | None:
    """The interaction the calling code runs in (``begin``, ``@session``), if any."""
    return current_interaction.get()


def get_current_session_id() -> str | None:
    interaction = current_interaction.get()
    return None if interaction is None else interaction.session_id


get_session_context = get_current_session_id


def get_current_client() -> SentrialClient | None:
    interaction = current_interaction.get()
    return get_client() if interaction is None else interaction.client


def set_session_context(session_id: str, client: SentrialClient | None = None) -> None:
    """Make ``session_id`` the current session (for ``@tool`` and wrapped LLM
    clients) without opening one: it was made elsewhere."""
    Interaction(client or get_client(), session_id, "", "", "")


def clear_session_context() -> None:
    current_interaction.set(None)


class SessionContext:
    """``with SessionContext(user_id, agent, input):`` opens a session for the
    block (``async with`` too); ``set_output`` records the answer."""

    def __init__(
        self, user_id: str, agent: str, input: Any = None, client: SentrialClient | None = None
    ) -> None:
        self.user_id = user_id
        self.agent = agent
        self.input = input
        self.client = client
        self._interaction: Interaction | None = None

    @property
    def interaction(self) -> Interaction | None:
        return self._interaction

    @property
    def session_id(self) -> str | None:
        return None if self._interaction is None else self._interaction.session_id

    def set_output(self, output: Any) -> None:
        if self._interaction is not None:
            self._interaction.set_output(output)

    def __enter__(self) -> SessionContext:
        self._interaction = begin(self.user_id, self.agent, self.input, client=self.client)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Literal[False]:
        if self._interaction is not None:
            self._interaction.__exit__(exc_type, exc, tb)
        return False

    async def __aenter__(self) -> SessionContext:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Literal[False]:
        return self.__exit__(exc_type, exc, tb)
