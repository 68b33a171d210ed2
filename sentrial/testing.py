"""Pytest helpers: a real local Sentrial server per test.

Use in a ``conftest.py``::

    pytest_plugins = ["sentrial.testing"]

    def test_something(sentrial_server):
        client = SentrialClient(api_key=sentrial_server.api_key, api_url=sentrial_server.url)

Needs the server extra (``pip install "sentrial[server]"``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sentrial._server import LocalServer


@pytest.fixture
def sentrial_server() -> Iterator[LocalServer]:
    """A fresh in-memory local server on a free loopback port."""
    with LocalServer(":memory:") as server:
        yield server
