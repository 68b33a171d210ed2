"""Testing helpers: a real local Sentrial server, and an offline LLM stand-in.

In a ``conftest.py``::

    pytest_plugins = ["sentrial.testing"]

    def test_something(sentrial_server, llm_stand_in_url):
        client = SentrialClient(api_key=sentrial_server.api_key, api_url=sentrial_server.url)
        llm = sentrial.wrap_openai(openai.OpenAI())  # answered by the stand-in

Anywhere (a script, a notebook, a demo), :func:`llm_stand_in` answers the
OpenAI, Anthropic and Gemini SDKs offline::

    with llm_stand_in():
        reply = openai.OpenAI().chat.completions.create(model="gpt-4o-mini", messages=[...])

The stand-in speaks each provider's HTTP API over real HTTP (streaming
included) and is deterministic: a reply echoes the last user message (a
question about a refund or a password gets a canned answer), token counts
follow from the text, a model name containing ``error`` or a prompt
containing ``[fail]`` gets the provider's 500 error body, ``[ratelimit]``
its 429. Needs the server extra (``pip install "sentrial[server]"``); the
fixtures need pytest.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.util import find_spec

from sentrial._server import ASGIThread, LocalServer, create_llm_app

__all__ = ["STAND_IN_ENVIRONMENT", "llm_stand_in"]

# What llm_stand_in sets while it runs ({url}: the stand-in's URL). The SDKs
# read these when made without a base URL and key.
STAND_IN_ENVIRONMENT = {
    "OPENAI_BASE_URL": "{url}/v1",
    "OPENAI_API_KEY": "sk-stand-in",
    "ANTHROPIC_BASE_URL": "{url}",
    "ANTHROPIC_API_KEY": "sk-ant-stand-in",
}


@contextmanager
def llm_stand_in(*, set_environment: bool = True) -> Iterator[str]:
    """Run the offline LLM stand-in on a free loopback port and yield its URL.

    With ``set_environment`` (the default), ``OPENAI_BASE_URL``,
    ``OPENAI_API_KEY``, ``ANTHROPIC_BASE_URL`` and ``ANTHROPIC_API_KEY``
    point at it until the block ends (then they are as they were), so
    ``openai.OpenAI()`` and ``anthropic.Anthropic()`` made inside need no
    argument. For Gemini pass ``http_options=HttpOptions(base_url=url)``.
    """
    with ASGIThread(create_llm_app()) as server:
        saved = {name: os.environ.get(name) for name in STAND_IN_ENVIRONMENT}
        if set_environment:
            for name, value in STAND_IN_ENVIRONMENT.items():
                os.environ[name] = value.format(url=server.url)
        try:
            yield server.url
        finally:
            if set_environment:
                for name, before in saved.items():
                    if before is None:
                        os.environ.pop(name, None)
                    else:
                        os.environ[name] = before


if find_spec("pytest") is not None:
    import pytest

    @pytest.fixture
    def sentrial_server() -> Iterator[LocalServer]:
        """A fresh in-memory local server on a free loopback port."""
        with LocalServer(":memory:") as server:
            yield server

    @pytest.fixture
    def llm_stand_in_url() -> Iterator[str]:
        """The offline LLM stand-in's URL; the OpenAI/Anthropic environment points at it."""
        with llm_stand_in() as url:
            yield url
