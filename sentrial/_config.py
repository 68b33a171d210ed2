"""Configuration: arguments, then environment variables, then defaults.

Resolved once into an immutable :class:`Config`, so the hot path reads plain
attributes and never the environment.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from ._errors import ConfigurationError

logger = logging.getLogger("sentrial")

DEFAULT_API_URL = "https://api.sentrial.com"

Delivery = Literal["background", "sync"]
Mask = Callable[[Any], Any]

# Config field -> environment variable. Documented in the README.
ENV_VARS: dict[str, str] = {
    "api_key": "SENTRIAL_API_KEY",
    "api_url": "SENTRIAL_API_URL",
    "enabled": "SENTRIAL_ENABLED",
    "sample_rate": "SENTRIAL_SAMPLE_RATE",
    "fail_silently": "SENTRIAL_FAIL_SILENTLY",
    "delivery": "SENTRIAL_DELIVERY",
    "shutdown_timeout": "SENTRIAL_SHUTDOWN_TIMEOUT",
    "request_timeout": "SENTRIAL_REQUEST_TIMEOUT",
    "max_queue_size": "SENTRIAL_MAX_QUEUE_SIZE",
    "batch_size": "SENTRIAL_BATCH_SIZE",
    "flush_interval": "SENTRIAL_FLUSH_INTERVAL",
    "max_field_bytes": "SENTRIAL_MAX_FIELD_BYTES",
    "redact": "SENTRIAL_REDACT",
    "spool_dir": "SENTRIAL_SPOOL_DIR",
    "max_spool_bytes": "SENTRIAL_MAX_SPOOL_BYTES",
    "max_concurrency": "SENTRIAL_MAX_CONCURRENCY",
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Config:
    """Everything the SDK needs to know; see the README for each field."""

    api_key: str | None = None
    api_url: str = DEFAULT_API_URL
    enabled: bool = True
    # Numbers are checked by one rule (``_number``) against ``NUMBER_RANGES``:
    # finite and within the range written next to each field.
    sample_rate: float = 1.0  # 0 to 1
    fail_silently: bool = True
    delivery: Delivery = "background"
    # Seconds the exit hook and shutdown() wait: 0 (do not wait) to a day.
    shutdown_timeout: float = 5.0
    # Seconds per HTTP request: 0.1 (less cannot complete one) to an hour.
    request_timeout: float = 10.0
    max_queue_size: int = 50_000  # integers: at least 1
    batch_size: int = 500
    # Seconds the delivery thread waits for a batch to fill: 0.01 (less spins
    # a core while idle) to an hour.
    flush_interval: float = 0.5
    max_field_bytes: int = 64 * 1024
    redact: bool = False
    mask: Mask | None = field(default=None, compare=False)
    spool_dir: str | None = None
    max_spool_bytes: int = 1024**3
    # Requests in flight at once against a server without the batch endpoint
    # (one request per operation; operations of one session stay in order).
    max_concurrency: int = 32
    # Not an option: set by resolve() when api_url was invalid and
    # fail_silently let it pass. Then nothing is sent at all (see ``sends``):
    # the key must never go to the default URL instead of the one meant.
    api_url_error: str | None = None

    def __repr__(self) -> str:  # never show the key
        shown = {f.name: getattr(self, f.name) for f in fields(self)}
        shown["api_key"] = mask_key(self.api_key)
        # A URL's userinfo may hold a secret (an invalid URL is kept masked).
        shown["api_url"] = self.shown_url
        return "Config(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    @property
    def shown_url(self) -> str:
        """``api_url`` as logs and reprs show it: userinfo and the key hidden."""
        return hide_key(self.api_url, self.api_key)

    @property
    def sends(self) -> bool:
        """False when nothing should leave the process at all."""
        return (
            self.enabled
            and self.sample_rate > 0
            and bool(self.api_key)
            and self.api_url_error is None
        )


def mask_key(key: str | None) -> str | None:
    """``sentrial_live_abcd...wxyz`` -> ``sent...wxyz``: enough to tell keys apart."""
    if not key:
        return key
    return key[:4] + "..." + key[-4:] if len(key) > 12 else "***"


# ``scheme://user:secret@host`` -> ``scheme://***@host``: userinfo may hold a key.
_USERINFO = re.compile(r"(?<=://)[^/?#\s]*@")


def display_url(text: str) -> str:
    """``text`` with the userinfo of every URL in it replaced by ``***``: the
    one helper for printing URLs and messages that may contain them."""
    return _USERINFO.sub("***@", text)


def hide_key(text: str, api_key: str | None) -> str:
    """``text`` with the key's text masked and URL userinfo hidden. A key
    shorter than 8 characters is no real secret and is left alone (masking
    every ``k`` would garble the message)."""
    if api_key and len(api_key) >= 8:
        text = text.replace(api_key, mask_key(api_key) or "***")
    return display_url(text)


# Values echoed in warnings. A value with a ``:`` (a URL, ``host:port``, a
# mistyped scheme) is shown whole, with URL userinfo hidden: keys, tokens and
# base64 never contain one. So is a short one (a typo there is what the reader
# needs to see; no credential is this short). Any other is shown only by its
# first characters and length: it may be a key given in the wrong place.
_SHOWN_WHOLE = 16


def _hidden(text: str) -> str:
    if ":" in text:
        return display_url(text)
    return text if len(text) <= _SHOWN_WHOLE else text[:4] + "..."


def _shown(value: Any) -> str:
    """How a configuration value is echoed in a warning or error."""
    if isinstance(value, bool | int | float):
        return repr(value)
    if not isinstance(value, str):
        return f"a {type(value).__name__}"
    hidden = _hidden(value)
    return repr(hidden) if hidden == value else f"{hidden!r} ({len(value)} characters)"


# Accepted numbers per field, (lowest, highest); documented on each field.
_HOUR, _DAY = 3600.0, 86400.0
NUMBER_RANGES: dict[str, tuple[float, float]] = {
    "sample_rate": (0.0, 1.0),
    "shutdown_timeout": (0.0, _DAY),
    "request_timeout": (0.1, _HOUR),
    "flush_interval": (0.01, _HOUR),
}
_INTEGER_RANGE = (1, 2**63 - 1)


def _number(value: Any, low: float, high: float, integer: bool = False) -> float:
    """The one rule for numeric settings: a finite number within [low, high]
    (an integer for integer fields); else ValueError echoing the value safely."""
    wanted = "an integer" if integer else "a number"
    try:
        if isinstance(value, bool) or value is None:
            raise ValueError
        number = int(value) if integer and not isinstance(value, float) else float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"must be {wanted}, got {_shown(value)}") from None
    if not math.isfinite(number) or not low <= number <= high or (integer and number % 1):
        limit = f"from {low} to {high}" if integer else f"from {low:g} to {high:g}"
        raise ValueError(f"must be {wanted} {limit}, got {_shown(value)}")
    return int(number) if integer else number


def _coerce(name: str, value: Any) -> Any:
    """Parse and check one value; raise ConfigurationError naming the field."""
    kind = {f.name: f.type for f in fields(Config)}[name]
    try:
        if kind == "bool":
            if isinstance(value, str):
                lowered = value.strip().lower()
                if lowered not in _TRUE | _FALSE:
                    raise ValueError(f"expected a boolean, got {_shown(value)}")
                return lowered in _TRUE
            return bool(value)
        if kind == "float":
            return _number(value, *NUMBER_RANGES[name])
        if kind == "int":
            return _number(value, *_INTEGER_RANGE, integer=True)
        if name == "delivery":
            if value not in ("background", "sync"):
                raise ValueError(f"must be 'background' or 'sync', got {_shown(value)}")
            return value
        if name == "mask":
            if value is not None and not callable(value):
                raise ValueError("must be a callable or None")
            return value
        if name == "api_url":
            return _api_url(value)
        return None if value is None else str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"{name}: {exc}") from None


def _api_url(value: Any) -> str:
    """An http(s) URL with a host, without its trailing slash; else ValueError."""
    text = str(value).strip()
    got = _shown(str(value))
    if not text.lower().startswith(("http://", "https://")):
        raise ValueError(f"must start with http:// or https://, got {got}")
    if any(ch.isspace() or not ch.isprintable() for ch in text):
        raise ValueError(f"must not contain spaces or control characters, got {got}")
    try:
        parts = urllib.parse.urlsplit(text)
        host, _ = parts.hostname, parts.port  # a port that is not a number raises
    except ValueError as exc:
        raise ValueError(f"is not a valid URL ({display_url(str(exc))}), got {got}") from None
    if not host:
        raise ValueError(f"has no host, got {got}")
    if "?" in text or "#" in text:
        raise ValueError(f"must not have a query or fragment, got {got}")
    return text.rstrip("/")


#: Where ``sentrial login`` saves the key (and the URL it was checked against).
LOGIN_FILE = os.path.join(".sentrial", "config.json")
_LOGIN_FIELDS = {"apiKey": "api_key", "apiUrl": "api_url"}


def login_file(env: Mapping[str, str] | None = None) -> str:
    """``~/.sentrial/config.json`` (``HOME`` from ``env`` when it has one)."""
    home = (env or os.environ).get("HOME") or os.path.expanduser("~")
    return os.path.join(home, LOGIN_FILE)


def read_login(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """What ``sentrial login`` saved, as config fields (``api_key``, ``api_url``);
    empty when there is no file. ValueError names the file when it is unreadable
    or not what login writes (never its content: it holds a key)."""
    path = login_file(env)
    try:
        with open(path, encoding="utf-8") as file:
            saved = json.load(file)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"{path}: unreadable ({type(exc).__name__}); run `sentrial login`"
        ) from None
    if not isinstance(saved, dict) or not isinstance(saved.get("apiKey"), str):
        raise ValueError(f"{path}: no apiKey in it; run `sentrial login` again")
    return {
        name: saved[key] for key, name in _LOGIN_FIELDS.items() if isinstance(saved.get(key), str)
    }


def _with_login(raws: dict[str, Any], env: Mapping[str, str], strict: bool) -> None:
    """The saved login's key when no key was given, and its URL with it (the
    URL the key was checked against) when no URL was given either."""
    if "api_key" in raws:
        return
    try:
        saved = read_login(env)
    except ValueError as exc:
        if strict:
            raise ConfigurationError(f"api_key: {exc}") from None
        logger.warning("sentrial: api_key: %s (ignored)", exc)
        return
    for name, value in saved.items():
        raws.setdefault(name, value)


def resolve(overrides: Mapping[str, Any], env: Mapping[str, str] | None = None) -> Config:
    """Build a Config from arguments (not None) > environment > the saved
    login (``~/.sentrial/config.json``, when no key was given) > defaults.

    Invalid values raise ConfigurationError when ``fail_silently`` is False;
    otherwise they are logged once and the default is kept, except for
    ``api_url``: then nothing is sent at all (``Config.api_url_error``), since
    the default URL would get the key meant for another server.
    """
    env = os.environ if env is None else env
    known = {f.name for f in fields(Config)} - {"api_url_error"}
    unknown = set(overrides) - known
    strict = overrides.get("fail_silently") is False
    if unknown:
        message = f"{sorted(unknown)[0]}: unknown configuration option"
        if strict:
            raise ConfigurationError(message)
        logger.warning("sentrial: %s (ignored)", message)
    raws: dict[str, Any] = {}
    for name in sorted(known):
        raw = overrides.get(name)
        if raw is None and name in ENV_VARS and env.get(ENV_VARS[name]) not in (None, ""):
            raw = env[ENV_VARS[name]]
        if raw is not None:
            raws[name] = raw
    _with_login(raws, env, strict)
    key = raws.get("api_key")
    key = key if isinstance(key, str) else None  # the key's text is masked in every message
    values: dict[str, Any] = {}
    for name, raw in raws.items():
        try:
            values[name] = _coerce(name, raw)
        except ConfigurationError as exc:
            message = hide_key(str(exc), key)
            if strict:
                raise ConfigurationError(message) from None
            if name == "api_url":
                logger.warning("sentrial: %s (nothing is sent)", message)
                # Kept for display only (nothing is sent), as echoed: it may be the key.
                values["api_url"] = hide_key(_hidden(str(raw).strip()), key)
                values["api_url_error"] = message
                continue
            logger.warning("sentrial: %s (using the default)", message)
    return replace(Config(), **values)
