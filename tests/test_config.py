"""Configuration precedence, validation naming the field, and the key never shown."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest

import sentrial
from sentrial._config import DEFAULT_API_URL, resolve
from sentrial._server import LocalServer

from .conftest import Reader


def test_arguments_beat_environment_beat_defaults() -> None:
    env = {
        "SENTRIAL_API_KEY": "env-key",
        "SENTRIAL_API_URL": "http://env:1",
        "SENTRIAL_SAMPLE_RATE": "0.25",
        "SENTRIAL_ENABLED": "false",
        "SENTRIAL_SHUTDOWN_TIMEOUT": "2",
    }
    config = resolve({"api_key": "arg-key"}, env)
    assert config.api_key == "arg-key" and config.api_url == "http://env:1"
    assert config.sample_rate == 0.25 and config.enabled is False
    assert config.shutdown_timeout == 2.0
    defaults = resolve({}, {})
    assert defaults.api_url == "https://api.sentrial.com" and defaults.enabled
    assert defaults.delivery == "background" and defaults.fail_silently


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"sample_rate": 2}, "sample_rate"),
        ({"sample_rate": "half"}, "sample_rate"),
        ({"delivery": "eventually"}, "delivery"),
        ({"api_url": "ftp://x"}, "api_url"),
        ({"max_queue_size": 0}, "max_queue_size"),
        ({"mask": "not callable"}, "mask"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_values_name_the_field(options: dict[str, Any], field: str) -> None:
    with pytest.raises(sentrial.ConfigurationError, match=f"^{field}"):
        sentrial.SentrialClient(api_key="k", fail_silently=False, **options)


def test_bad_values_fall_back_to_defaults_when_silent(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="sentrial"):
        client = sentrial.SentrialClient(api_key="k", sample_rate=7)
    assert client.config.sample_rate == 1.0
    assert "sample_rate" in caplog.text


def test_environment_value_errors_name_the_variable_field() -> None:
    with pytest.raises(sentrial.ConfigurationError, match="enabled"):
        resolve({"fail_silently": False}, {"SENTRIAL_ENABLED": "perhaps"})


def test_the_key_is_never_shown(caplog: pytest.LogCaptureFixture) -> None:
    key = "sentrial_live_supersecretvalue123"
    client = sentrial.SentrialClient(api_key=key, api_url="http://127.0.0.1:9", delivery="sync")
    with caplog.at_level(logging.DEBUG):
        client.create_session("n", "a", "u")  # fails: nothing listens there
    assert key not in repr(client.config) and key not in repr(client)
    assert key not in caplog.text
    assert "sent...e123" in repr(client.config)


def test_no_key_means_nothing_sent(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SENTRIAL_API_KEY", raising=False)
    with caplog.at_level(logging.WARNING, logger="sentrial"):
        client = sentrial.SentrialClient()
    sid = client.create_session("n", "a", "u")
    assert sid.startswith("sess_") and client.stats()["tracked"] == 0
    assert "no API key" in caplog.text


INVALID_URLS = [
    "localhost:8787",  # no scheme
    "api.sentrial.com",
    "127.0.0.1",
    "ftp://example.com",
    "http://",  # no host
    "https://:8787",
    "http:/localhost:8787",
    "http://local host:8787",  # spaces
    "http://localhost :8787",
    "http://localhost:port",  # not a port
    "http://localhost:99999",
    "http://[::1",
    "http://localhost:8787/?q=1",  # a query or fragment cannot be a base URL
    "http://localhost:8787#x",
]


@pytest.mark.parametrize("url", INVALID_URLS)
def test_an_invalid_api_url_raises_naming_the_field(url: str) -> None:
    with pytest.raises(sentrial.ConfigurationError, match=r"^api_url: .*" + re.escape(repr(url))):
        sentrial.SentrialClient(api_key="k", api_url=url, fail_silently=False)
    with pytest.raises(sentrial.ConfigurationError, match=r"^api_url: "):
        resolve({"api_key": "k", "fail_silently": False}, {"SENTRIAL_API_URL": url})


@pytest.mark.parametrize("url", INVALID_URLS)
def test_an_invalid_api_url_sends_nothing_rather_than_using_the_default(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="sentrial"):
        client = sentrial.SentrialClient(api_key="sentrial_live_key1234567890", api_url=url)
        sid = client.create_session("n", "a", "u")
        assert (
            client.track_tool_call(sid, "t", {"x": 1}) == {}
        )  # nothing sent: the published "no record" answer
        client.complete_session(sid)
        assert client.flush(1)
    config = client.config
    assert config.api_url == url.strip() and config.api_url != DEFAULT_API_URL
    assert config.api_url_error is not None and config.api_url_error.startswith("api_url: ")
    assert config.sends is False
    assert client.stats()["tracked"] == 0
    assert client._tracker._delivery is None  # no delivery engine, no connection, anywhere
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == [f"sentrial: {config.api_url_error} (nothing is sent)"]
    client.shutdown()


def test_an_invalid_api_url_from_the_environment_sends_nothing(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SENTRIAL_API_KEY", "sentrial_live_key1234567890")
    monkeypatch.setenv("SENTRIAL_API_URL", "localhost:8787")
    with caplog.at_level(logging.WARNING, logger="sentrial"):
        client = sentrial.SentrialClient()
        client.create_session("n", "a", "u")
    assert client.config.api_url == "localhost:8787" and client.config.sends is False
    assert client.stats()["tracked"] == 0
    assert [r.getMessage() for r in caplog.records] == [
        "sentrial: api_url: must start with http:// or https://, got 'localhost:8787'"
        " (nothing is sent)"
    ]


def test_an_invalid_api_url_sends_nothing_even_where_a_server_listens(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    """A scheme-less URL of a real server: nothing arrives there, nor anywhere else."""
    address = sentrial_server.url.removeprefix("http://")
    client = sentrial.SentrialClient(
        api_key=sentrial_server.api_key, api_url=address, spool_dir=str(tmp_path)
    )
    sid = client.create_session("n", "a", "u")
    client.track_tool_call(sid, "t", {"x": 1})
    assert client.flush(2) and client.shutdown(2)
    assert reader.sessions() == []
    assert client.stats()["tracked"] == 0 and not any(tmp_path.iterdir())  # nothing spooled


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("http://127.0.0.1:8787", "http://127.0.0.1:8787"),
        ("  https://api.sentrial.com/  ", "https://api.sentrial.com"),
        ("HTTPS://API.example.com:443/base/", "HTTPS://API.example.com:443/base"),
        ("http://[::1]:8787", "http://[::1]:8787"),
        ("http://user:pw@proxy.internal/sentrial", "http://user:pw@proxy.internal/sentrial"),
    ],
)
def test_valid_api_urls_are_kept(url: str, kept: str) -> None:
    config = resolve({"api_url": url, "fail_silently": False}, {})
    assert config.api_url == kept and config.api_url_error is None
    assert resolve({"api_key": "k", "api_url": url}, {}).sends is True


def test_the_derived_field_is_not_an_option() -> None:
    with pytest.raises(sentrial.ConfigurationError, match=r"^api_url_error: unknown"):
        resolve({"api_url_error": "x", "fail_silently": False}, {})
