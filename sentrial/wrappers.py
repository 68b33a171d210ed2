"""The published SDK's ``sentrial.wrappers``: ``wrap_openai``,
``wrap_anthropic``, ``wrap_google``, ``wrap_llm`` and the session context."""

from __future__ import annotations

import logging
from typing import TypeVar

from ._client import SentrialClient
from .decorators import clear_session_context, get_session_context, set_session_context
from .integrations.anthropic import wrap_anthropic
from .integrations.google import is_google_client, wrap_google
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


def wrap_llm(client: T, provider: str | None = None) -> T:
    """Wrap an OpenAI, Anthropic or Google client, whichever ``client`` is.

    Detected from the client's package (``openai.OpenAI``/``AsyncOpenAI``/
    ``AzureOpenAI``, ``anthropic.Anthropic``/``AsyncAnthropic``/``AnthropicBedrock``,
    ``google.genai.Client``/``AsyncClient``, ``google.generativeai.GenerativeModel``),
    so one line serves whichever SDK an app uses; ``provider`` ("openai",
    "anthropic", "google") decides when the client is a look-alike from another
    package (an OpenAI-compatible client, say). Anything else is returned
    unchanged with one warning naming it: a monitoring line must not break the app.
    """
    hint = (provider or "").strip().lower()
    module = (type(client).__module__ or "").lower()
    root = module.split(".", 1)[0]
    if hint == "openai" or (not hint and root == "openai"):
        return wrap_openai(client)
    if hint == "anthropic" or (not hint and root == "anthropic"):
        return wrap_anthropic(client)
    if hint in ("google", "gemini") or (not hint and is_google_client(client)):
        return wrap_google(client)
    logger.warning(
        "sentrial: wrap_llm: %s.%s is not an OpenAI, Anthropic or Google client%s; "
        "left unchanged (use wrap_openai/wrap_anthropic/wrap_google, or pass provider=)",
        type(client).__module__,
        type(client).__name__,
        f" (unknown provider {provider!r})" if provider else "",
    )
    return client
