"""The current session, per thread and per asyncio task (contextvars)."""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._interaction import Interaction

current_interaction: ContextVar[Interaction | None] = ContextVar(
    "sentrial_current_interaction", default=None
)


def get_current() -> Interaction | None:
    """The interaction the calling code runs in, if any (set by ``begin``/``@session``)."""
    return current_interaction.get()
