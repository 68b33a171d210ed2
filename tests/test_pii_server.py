"""``SentrialClient(pii=True)`` redacts with the server's PII settings.

The published SDK asks ``GET /api/sdk/pii-config`` in its constructor (the
caller waits on the network). Ours asks from the delivery thread; until the
answer, and from servers that have none, the safe default applies (every
built-in pattern, label mode).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sentrial import SentrialClient
from sentrial._server import LocalServer
from sentrial._server._pii import pii_config
from sentrial.redact import ServerPiiMask, config_from_server

from ._faults import serve_app
from ._standins import StandIn
from .conftest import Reader

TEXT = "order ORD-4471 for jane.doe@example.com from 10.1.2.3"


@pytest.fixture
def custom_server() -> Iterator[LocalServer]:
    """A server whose settings differ from the default: a pattern of its own,
    e-mail addresses left alone."""
    settings = pii_config(
        {
            "customPatterns": [{"pattern": r"ORD-\d+", "label": "ORDER"}],
            "builtinPatterns": {"emails": False},
        }
    )
    with LocalServer(":memory:", pii_config=settings) as server:
        yield server


def _warm(client: SentrialClient) -> ServerPiiMask:
    """Start delivery and wait until the settings are in (the first batch
    is sent only after they were asked)."""
    warm = client.create_session("warm", "agent", "u")
    client.complete_session(warm, success=True)
    assert client.flush(10)
    mask = client.config.mask
    assert isinstance(mask, ServerPiiMask)
    return mask


@pytest.mark.parametrize("delivery", ["background", "sync"])
def test_pii_true_takes_the_servers_settings(
    custom_server: LocalServer, tmp_path: Path, delivery: str
) -> None:
    with SentrialClient(
        custom_server.url,
        custom_server.api_key,
        pii=True,
        spool_dir=str(tmp_path),
        delivery=delivery,
    ) as client:
        mask = _warm(client)
        assert [p.pattern for p in mask.config.custom_patterns or []] == [r"ORD-\d+"]
        sid = client.create_session("n", "agent", "u")
        client.track_tool_call(sid, "lookup", {"q": TEXT}, {"a": TEXT})
        client.complete_session(sid, success=True, user_input=TEXT)
        assert client.flush(10)
    reader = Reader(custom_server)
    expected = "order [ORDER] for jane.doe@example.com from [IP_ADDRESS]"
    assert reader.session(sid)["userInput"] == expected
    (event,) = reader.events(sid)
    assert event["toolInput"] == {"q": expected}
    assert event["toolOutput"] == {"a": expected}


def test_pii_true_keeps_the_safe_default_without_an_answer(tmp_path: Path) -> None:
    """A plain server has no pii-config endpoint: every built-in pattern applies."""
    standin = StandIn()
    with (
        serve_app(standin.app()) as url,
        SentrialClient(url, "sentrial_live_k", pii=True, spool_dir=str(tmp_path)) as client,
    ):
        _warm(client)
        sid = client.create_session("n", "agent", "u")
        client.track_tool_call(sid, "lookup", {"q": TEXT})
        assert client.flush(10)
    (event,) = [e for e in standin.events if e.get("toolName") == "lookup"]
    assert event["toolInput"] == {"q": "order ORD-4471 for [EMAIL] from [IP_ADDRESS]"}


def test_a_disabled_server_config_redacts_nothing() -> None:
    mask = ServerPiiMask()
    assert mask("a@b.io") == "[EMAIL]"
    mask.load({"config": {"enabled": False}})
    assert mask("a@b.io") == "a@b.io"


def test_config_from_server_reads_every_field_and_ignores_junk() -> None:
    config = config_from_server(
        {
            "enabled": True,
            "mode": "hash",
            "fields": ["userInput"],
            "enhancedDetection": True,
            "builtinPatterns": {"phones": False, "creditCards": "no"},
            "customPatterns": [{"pattern": "X\\d", "label": "XL"}, {"label": "no pattern"}, 7],
        }
    )
    assert config.mode == "hash" and config.fields == ["userInput"]
    assert config.enhanced_detection is True
    assert config.builtin_patterns is not None
    assert config.builtin_patterns.phones is False
    assert config.builtin_patterns.credit_cards is True  # not a bool: the safe default
    assert [(p.pattern, p.label) for p in config.custom_patterns or []] == [("X\\d", "XL")]
    assert config_from_server({"mode": "shout"}).mode == "label"
