"""Event types, as in the published SDK (``sentrial.types``)."""

from __future__ import annotations

from enum import Enum

__all__ = ["EventType"]


class EventType(str, Enum):  # noqa: UP042  (str() as published, not StrEnum)
    """Kinds of events the documented API stores."""

    TOOL_CALL = "tool_call"
    LLM_DECISION = "llm_decision"
    ERROR = "error"
