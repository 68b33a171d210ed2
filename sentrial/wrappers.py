"""The published SDK's ``sentrial.wrappers``: ``wrap_openai``,
``wrap_anthropic``, ``wrap_google``, ``wrap_llm`` and the session context."""

from __future__ import annotations

import logging
from typing import TypeVar

from ._client import SentrialClient
from .decorators import clear_session_context, get_session_context, set_session_context
from .integrations.anthropic import wrap_anthropic
from .integrations.openai import wrap_openai

__all__ = [
    "SentrialClient",
    "clear_session_context",
    "get_session_context",
    "set_session_context",
    "wrap_anthropic",
    "wrap_google",
    "wrap_llm",
    "wrap_openai",
]

logger = logging.getLogger("sentrial")

T = TypeVar("T")


def wrap_google(client: T, track_without_session: bool = False) -> T:
    """Accepted for compatibility: Google clients are not observed yet (the
    client is returned unchanged, with a warning)."""
    logger.warning("sentrial: wrap_google: Google clients are not tracked yet (unchanged)")
    return client


def wrap_llm(client: T, provider: str | None = None) -> T:
    """``wrap_openai``/``wrap_anthropic``/``wrap_google``, chosen by ``provider``
    or by the client's module."""
    name = (provider or type(client).__module__ or "").lower()
    if "openai" in name:
        return wrap_openai(client)
    if "anthropic" in name:
        return wrap_anthropic(client)
    if "google" in name or "genai" in name or "gemini" in name:
        return wrap_google(client)
    logger.warning("sentrial: wrap_llm: unknown client %s (unchanged)", type(client).__name__)
    return client
