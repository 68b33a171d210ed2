"""A session's viewer URL, from code and in debug logs, opens its page."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import httpx
import pytest

import sentrial
from sentrial import AsyncSentrialClient, SentrialClient
from sentrial._server import LocalServer


def test_interaction_url_and_session_url_open_the_session_page(
    sentrial_server: LocalServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    client = SentrialClient(
        api_key=sentrial_server.api_key, api_url=sentrial_server.url, spool_dir=str(tmp_path)
    )
    with caplog.at_level(logging.DEBUG, logger="sentrial"):
        interaction = sentrial.begin(user_id="ana", event="checkout", input="buy it", client=client)
    expected = f"{sentrial_server.url}/sessions/{interaction.session_id}"
    assert interaction.url == expected
    assert client.session_url(interaction.session_id) == expected
    assert any(expected in record.getMessage() for record in caplog.records)
    interaction.finish(output="bought", success=True)
    assert client.flush(10)
    page = httpx.get(interaction.url)
    assert page.status_code == 200 and "bought" in page.text and "buy it" in page.text
    # An id that needs quoting stays one path segment.
    assert client.session_url("a/b c").endswith("/sessions/a%2Fb%20c")
    client.close()


def test_async_interaction_url(sentrial_server: LocalServer, tmp_path: Path) -> None:
    async def run() -> str:
        client = AsyncSentrialClient(
            api_key=sentrial_server.api_key, api_url=sentrial_server.url, spool_dir=str(tmp_path)
        )
        interaction = await sentrial.begin_async(user_id="ben", event="async_run", client=client)
        await interaction.finish(output="done")
        assert await client.flush(10)
        await client.close()
        assert interaction.url == client.session_url(interaction.session_id)
        return interaction.url

    url = asyncio.run(run())
    assert url.startswith(sentrial_server.url + "/sessions/sess_")
    assert httpx.get(url).status_code == 200
