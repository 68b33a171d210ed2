"""Configuration precedence, validation naming the field, and the key never shown."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import sentrial
from sentrial._config import resolve


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
