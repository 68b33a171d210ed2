"""Configuration edges: numbers that would break delivery, and secrets never logged."""

from __future__ import annotations

import logging
import math
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import sentrial
from sentrial._config import display_url, resolve
from sentrial._delivery._transport import Transport
from sentrial._operation import Operation

from .conftest import Reader

MakeClient = Callable[..., sentrial.SentrialClient]

KEY = "sentrial_live_0123456789abcdefSECRET"
MASKED = "'sent...' (36 characters)"  # how KEY is echoed when it lands elsewhere


def _messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records]


def _nowhere(caplog: pytest.LogCaptureFixture, secret: str) -> None:
    """The secret is in no log record of any logger, at any level."""
    assert [m for m in _messages(caplog) if secret in m] == []
    assert secret not in caplog.text


# -- numbers ------------------------------------------------------------------------------

BAD_NUMBERS = [
    ("flush_interval", math.inf, "must be a number from 0.01 to 3600, got inf"),
    ("flush_interval", 0, "must be a number from 0.01 to 3600, got 0"),
    ("flush_interval", 0.001, "must be a number from 0.01 to 3600, got 0.001"),
    ("flush_interval", math.nan, "must be a number from 0.01 to 3600, got nan"),
    ("request_timeout", math.inf, "must be a number from 0.1 to 3600, got inf"),
    ("request_timeout", 0, "must be a number from 0.1 to 3600, got 0"),
    ("request_timeout", -1, "must be a number from 0.1 to 3600, got -1"),
    ("request_timeout", 7200, "must be a number from 0.1 to 3600, got 7200"),
    ("shutdown_timeout", math.inf, "must be a number from 0 to 86400, got inf"),
    ("shutdown_timeout", -0.5, "must be a number from 0 to 86400, got -0.5"),
    ("sample_rate", math.inf, "must be a number from 0 to 1, got inf"),
    ("sample_rate", 1.5, "must be a number from 0 to 1, got 1.5"),
    ("batch_size", math.inf, "must be an integer from 1 to 9223372036854775807, got inf"),
    ("max_concurrency", 2.5, "must be an integer from 1 to 9223372036854775807, got 2.5"),
    ("max_queue_size", 0, "must be an integer from 1 to 9223372036854775807, got 0"),
    ("max_spool_bytes", 2**63, f"must be an integer from 1 to {2**63 - 1}, got {2**63}"),
    ("max_field_bytes", "1e3", "must be an integer, got '1e3'"),
    ("flush_interval", "fast", "must be a number, got 'fast'"),
    ("batch_size", True, "must be an integer, got True"),
]
DEFAULTS = sentrial.Config()


@pytest.mark.parametrize(("field", "value", "error"), BAD_NUMBERS)
def test_a_bad_number_argument_warns_naming_the_field_and_keeps_the_default(
    field: str, value: Any, error: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="sentrial"):
        config = resolve({field: value}, {})
    assert getattr(config, field) == getattr(DEFAULTS, field)
    assert _messages(caplog) == [f"sentrial: {field}: {error} (using the default)"]
    with pytest.raises(sentrial.ConfigurationError) as raised:
        resolve({field: value, "fail_silently": False}, {})
    assert str(raised.value) == f"{field}: {error}"


ENV_NUMBERS = [
    ("SENTRIAL_FLUSH_INTERVAL", "flush_interval", "inf", "0.01 to 3600, got 'inf'"),
    ("SENTRIAL_FLUSH_INTERVAL", "flush_interval", "0", "0.01 to 3600, got '0'"),
    ("SENTRIAL_REQUEST_TIMEOUT", "request_timeout", "1e999", "0.1 to 3600, got '1e999'"),
    ("SENTRIAL_REQUEST_TIMEOUT", "request_timeout", "0", "0.1 to 3600, got '0'"),
    ("SENTRIAL_SHUTDOWN_TIMEOUT", "shutdown_timeout", "Infinity", "0 to 86400, got 'Infinity'"),
    ("SENTRIAL_SAMPLE_RATE", "sample_rate", "nan", "0 to 1, got 'nan'"),
]


@pytest.mark.parametrize(("variable", "field", "text", "error"), ENV_NUMBERS)
def test_a_bad_number_in_the_environment_is_rejected_the_same_way(
    variable: str, field: str, text: str, error: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="sentrial"):
        config = resolve({}, {variable: text})
    assert getattr(config, field) == getattr(DEFAULTS, field)
    assert _messages(caplog) == [
        f"sentrial: {field}: must be a number from {error} (using the default)"
    ]
    with pytest.raises(sentrial.ConfigurationError, match=f"^{field}: must be a number from"):
        resolve({"fail_silently": False}, {variable: text})


def test_the_edges_of_each_range_are_accepted(caplog: pytest.LogCaptureFixture) -> None:
    edges = {
        "flush_interval": 0.01,
        "request_timeout": 0.1,
        "shutdown_timeout": 0,
        "sample_rate": 0,
        "batch_size": 1,
        "max_concurrency": 4.0,
    }
    with caplog.at_level(logging.DEBUG, logger="sentrial"):
        config = resolve({**edges, "fail_silently": False}, {})
        highest = resolve({"flush_interval": "3600", "shutdown_timeout": "86400"}, {})
    assert (config.flush_interval, config.request_timeout, config.shutdown_timeout) == (
        0.01,
        0.1,
        0.0,
    )
    assert (config.sample_rate, config.batch_size, config.max_concurrency) == (0.0, 1, 4)
    assert type(config.max_concurrency) is int
    assert (highest.flush_interval, highest.shutdown_timeout) == (3600.0, 86400.0)
    assert caplog.records == []


@pytest.mark.parametrize(
    "options",
    [
        {"flush_interval": math.inf},
        {"request_timeout": math.inf},
        {"request_timeout": 0.0},
        {"flush_interval": 0.0},
        {"shutdown_timeout": math.inf, "batch_size": math.inf},
    ],
)
def test_values_that_broke_delivery_fall_back_and_everything_arrives(
    options: dict[str, float], make_client: MakeClient, reader: Reader
) -> None:
    client = make_client(**options)
    sid = client.create_session("edges", "edges-agent", "u")
    client.track_tool_call(sid, "search", {"q": 1}, {"r": 2})
    client.complete_session(sid)
    assert client.flush(10) is True
    assert client.stats()["sent"] == 3
    assert [e["toolInput"] for e in reader.events(sid)] == [{"q": 1}]
    for name in options:
        assert getattr(client.config, name) == getattr(DEFAULTS, name)


# -- secrets ------------------------------------------------------------------------------


def test_a_key_given_as_the_url_is_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    """SentrialClient(key, url): configure()'s order, the client's is (url, key)."""
    with caplog.at_level(logging.DEBUG):
        client = sentrial.SentrialClient(KEY, "https://api.sentrial.com")
        client.create_session("n", "a", "u")
        client.shutdown(0.1)
    _nowhere(caplog, KEY)
    assert KEY not in repr(client.config) and KEY not in str(client.config)
    assert KEY not in repr(client)
    assert f"sentrial: api_url: must start with http:// or https://, got {MASKED}" in (
        " ".join(_messages(caplog))
    )
    assert "api_url='sent...'" in repr(client.config)


def test_swapped_environment_variables_never_log_the_key(
    caplog: pytest.LogCaptureFixture,
) -> None:
    env = {"SENTRIAL_API_URL": KEY, "SENTRIAL_API_KEY": "https://api.sentrial.com"}
    with caplog.at_level(logging.DEBUG):
        config = resolve({}, env)
    assert _messages(caplog) == [
        f"sentrial: api_url: must start with http:// or https://, got {MASKED} (nothing is sent)"
    ]
    assert config.sends is False and KEY not in repr(config)
    with pytest.raises(sentrial.ConfigurationError) as raised:
        resolve({"fail_silently": False}, env)
    assert KEY not in str(raised.value) and MASKED in str(raised.value)


def test_the_cli_never_prints_a_key_given_as_the_url() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sentrial", "sessions", "--api-url", KEY, "--api-key", "x" * 20],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert KEY not in result.stdout + result.stderr
    assert MASKED in result.stderr


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"enabled": KEY},
            f"sentrial: enabled: expected a boolean, got {MASKED} (using the default)",
        ),
        (
            {"delivery": KEY},
            f"sentrial: delivery: must be 'background' or 'sync', got {MASKED} (using the default)",
        ),
        (
            {"batch_size": KEY},
            f"sentrial: batch_size: must be an integer, got {MASKED} (using the default)",
        ),
        (
            {"flush_interval": KEY},
            f"sentrial: flush_interval: must be a number, got {MASKED} (using the default)",
        ),
    ],
)
def test_every_echoed_value_is_masked(
    options: dict[str, str], message: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="sentrial"):
        resolve(options, {})
    assert _messages(caplog) == [message]


def test_an_unknown_option_is_named_without_its_value(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="sentrial"):
        resolve({"apikey": KEY}, {})
    assert _messages(caplog) == ["sentrial: apikey: unknown configuration option (ignored)"]


@pytest.mark.parametrize(
    "url",
    [
        f"https://api.sentrial.com/?key={KEY}",  # a query: invalid
        f"https://api.sentrial.com/{KEY}#x",  # a fragment: invalid
        f"http://user:{KEY}@localhost:port",  # not a port: invalid
        f"http://{KEY}@local host",  # a space: invalid
    ],
)
def test_the_configured_key_is_masked_wherever_a_warning_would_show_it(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        config = resolve({"api_key": KEY, "api_url": url}, {})
    assert config.api_url_error is not None and config.sends is False
    _nowhere(caplog, KEY)
    assert KEY not in repr(config) and KEY not in config.api_url_error
    assert len(caplog.records) == 1 and caplog.records[0].getMessage().startswith(
        "sentrial: api_url: "
    )
    assert "sent...CRET" in config.api_url_error or "***@" in config.api_url_error


def test_url_userinfo_is_hidden_in_the_config_repr() -> None:
    config = resolve({"api_key": "k" * 20, "api_url": f"http://user:{KEY}@127.0.0.1:9/base"}, {})
    assert config.api_url == f"http://user:{KEY}@127.0.0.1:9/base"  # kept, as given
    assert KEY not in repr(config) and "api_url='http://***@127.0.0.1:9/base'" in repr(config)
    assert display_url(f"see https://a:{KEY}@h/x and http://b@h2") == (
        "see https://***@h/x and http://***@h2"
    )


class _Echo(BaseHTTPRequestHandler):
    """A proxy that echoes the request (URL and headers) in its 400 error page."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = f"bad request {self.path} auth={self.headers.get('authorization')}".encode()
        self.send_response(400)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def echo_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_answer_echoing_the_key_is_recorded_masked(echo_url: str) -> None:
    config = resolve({"api_key": KEY, "api_url": echo_url, "fail_silently": False}, {})
    transport = Transport(config)
    try:
        result = transport.send_one(Operation("create_session", "s1", {"name": "n"}), "s1")
    finally:
        transport.close()
    assert result.status == 400
    assert KEY not in result.message
    assert result.message == "bad request /api/sdk/sessions auth=Bearer sent...CRET"


@pytest.mark.parametrize("delivery", ["background", "sync"])
def test_a_key_in_url_userinfo_is_never_logged_when_the_server_is_unreachable(
    delivery: str, caplog: pytest.LogCaptureFixture, tmp_path: Any
) -> None:
    url = f"http://user:{KEY}@127.0.0.1:9"  # nothing listens on port 9
    with caplog.at_level(logging.DEBUG):
        client = sentrial.SentrialClient(
            url, "k" * 20, delivery=delivery, spool_dir=str(tmp_path), request_timeout=0.5
        )
        client.create_session("n", "a", "u")
        client.flush(1)
        client.shutdown(0.5)
    assert any("127.0.0.1:9" in m for m in _messages(caplog))  # the failure was logged
    _nowhere(caplog, KEY)
    assert KEY not in repr(client.config) and KEY not in repr(client)
