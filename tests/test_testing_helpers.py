"""sentrial.testing: the LLM stand-in as a user would use it, offline."""

from __future__ import annotations

import os
from pathlib import Path

import anthropic
import httpx
import openai
import pytest

import sentrial
from sentrial._server import LocalServer
from sentrial.testing import llm_stand_in

from .conftest import Reader


def test_llm_stand_in_answers_the_sdks_and_restores_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-mine")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with llm_stand_in() as url:
        assert os.environ["OPENAI_BASE_URL"] == url + "/v1"
        reply = openai.OpenAI(max_retries=0).chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hello there"}]
        )
        assert reply.choices[0].message.content == "Echo: hello there"
        assert reply.usage is not None and reply.usage.completion_tokens > 0
        message = anthropic.Anthropic(max_retries=0).messages.create(
            model="claude-haiku-4-5",
            max_tokens=50,
            messages=[{"role": "user", "content": "Can I get a refund?"}],
        )
        assert "refund" in message.content[0].text  # type: ignore[union-attr]
        with pytest.raises(openai.InternalServerError):
            openai.OpenAI(max_retries=0).chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "[fail]"}]
            )
    assert os.environ["OPENAI_API_KEY"] == "sk-mine" and "OPENAI_BASE_URL" not in os.environ
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/v1/models")  # stopped with the block


def test_the_fixture_records_llm_calls_the_viewer_shows_as_chat(
    sentrial_server: LocalServer, llm_stand_in_url: str, tmp_path: Path
) -> None:
    client = sentrial.configure(
        api_key=sentrial_server.api_key, api_url=sentrial_server.url, spool_dir=str(tmp_path)
    )
    llm = sentrial.wrap_openai(openai.OpenAI(max_retries=0))
    with sentrial.begin(user_id="u1", event="standin_chat", input="password?") as interaction:
        reply = llm.chat.completions.create(
            model="gpt-4o-mini",
            messages=[
                {"role": "system", "content": "You are support."},
                {"role": "user", "content": "How do I reset my password?"},
            ],
        )
        interaction.set_output(reply.choices[0].message.content)
    assert client.flush(10)
    (event,) = Reader(sentrial_server).events(interaction.session_id)
    assert event["eventType"] == "llm_call" and event["model"].startswith("gpt-4o-mini")
    page = httpx.get(interaction.url).text
    assert "<div class='msg system'><div class='role'>system</div><pre>You are support." in page
    assert "<div class='msg assistant'><div class='role'>assistant</div><pre>Open Settings" in page
    client.close()
