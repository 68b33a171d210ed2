"""Configuration: arguments, then environment variables, then defaults.

Resolved once into an immutable :class:`Config`, so the hot path reads plain
attributes and never the environment.
"""

from __future__ import annotations

import logging
import math
import os
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
    sample_rate: float = 1.0
    fail_silently: bool = True
    delivery: Delivery = "background"
    shutdown_timeout: float = 5.0
    request_timeout: float = 10.0
    max_queue_size: int = 50_000
    batch_size: int = 500
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
        return "Config(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

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


def _coerce(name: str, value: Any) -> Any:
    """Parse and check one value; raise ConfigurationError naming the field."""
    kind = {f.name: f.type for f in fields(Config)}[name]
    try:
        if kind == "bool":
            if isinstance(value, str):
                lowered = value.strip().lower()
                if lowered not in _TRUE | _FALSE:
                    raise ValueError(f"expected a boolean, got {value!r}")
                return lowered in _TRUE
            return bool(value)
        if kind == "float":
            number = float(value)
            if math.isnan(number) or number < 0:
                raise ValueError(f"must be a number >= 0, got {value!r}")
            if name == "sample_rate" and number > 1:
                raise ValueError(f"must be between 0 and 1, got {value!r}")
            return number
        if kind == "int":
            number = int(value)
            if number < 1:
                raise ValueError(f"must be a positive integer, got {value!r}")
            return number
        if name == "delivery":
            if value not in ("background", "sync"):
                raise ValueError(f"must be 'background' or 'sync', got {value!r}")
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
    if not text.lower().startswith(("http://", "https://")):
        raise ValueError(f"must start with http:// or https://, got {value!r}")
    if any(ch.isspace() or not ch.isprintable() for ch in text):
        raise ValueError(f"must not contain spaces or control characters, got {value!r}")
    try:
        parts = urllib.parse.urlsplit(text)
        host, _ = parts.hostname, parts.port  # a port that is not a number raises
    except ValueError as exc:
        raise ValueError(f"is not a valid URL ({exc}), got {value!r}") from None
    if not host:
        raise ValueError(f"has no host, got {value!r}")
    if "?" in text or "#" in text:
        raise ValueError(f"must not have a query or fragment, got {value!r}")
    return text.rstrip("/")


def resolve(overrides: Mapping[str, Any], env: Mapping[str, str] | None = None) -> Config:
    """Build a Config from arguments (not None) > environment > defaults.

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
    values: dict[str, Any] = {}
    for name in known:
        raw = overrides.get(name)
        if raw is None and name in ENV_VARS and env.get(ENV_VARS[name]) not in (None, ""):
            raw = env[ENV_VARS[name]]
        if raw is None:
            continue
        try:
            values[name] = _coerce(name, raw)
        except ConfigurationError as exc:
            if strict:
                raise
            if name == "api_url":
                logger.warning("sentrial: %s (nothing is sent)", exc)
                values["api_url"] = str(raw).strip()
                values["api_url_error"] = str(exc)
                continue
            logger.warning("sentrial: %s (using the default)", exc)
    return replace(Config(), **values)
