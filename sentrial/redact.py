"""Personal data redaction in the published SDK's terms (``sentrial.redact``).

``SentrialClient(pii=True)`` redacts emails, phone numbers, SSNs, card
numbers and IP addresses (and API keys) in everything captured, before it is
queued; ``pii=PiiConfig(...)`` chooses patterns, the replacement mode
(``label``: ``[EMAIL]``, ``hash``: ``[PII:<sha256 prefix>]``, ``remove``) and
custom patterns.

>>> redact_string("mail a@b.io from 10.0.0.1", "label", PiiBuiltinPatterns(), [])
'mail [EMAIL] from [IP_ADDRESS]'
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "PiiBuiltinPatterns",
    "PiiConfig",
    "PiiCustomPattern",
    "redact_payload",
    "redact_string",
    "redact_value",
]

# Order matters: the more specific shapes first (an SSN or an IP address
# would otherwise be read as a phone number).
_BUILTIN: list[tuple[str, str, re.Pattern[str]]] = [
    ("emails", "EMAIL", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")),
    ("ssns", "SSN", re.compile(r"\b\d{3}-\d{2}-\d{4}\b")),
    (
        "ip_addresses",
        "IP_ADDRESS",
        re.compile(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b"),
    ),
    ("credit_cards", "CREDIT_CARD", re.compile(r"\b(?:\d[ -]?){12,18}\d\b")),
    (
        "phones",
        "PHONE",
        re.compile(r"(?<![\w.])\+?\d{1,3}[ .-]?\(?\d{2,4}\)?[ .-]?\d{3,4}[ .-]?\d{3,4}\b"),
    ),
]


@dataclass
class PiiBuiltinPatterns:
    """Which built-in kinds of personal data are redacted."""

    emails: bool = True
    phones: bool = True
    ssns: bool = True
    credit_cards: bool = True
    ip_addresses: bool = True


@dataclass
class PiiCustomPattern:
    """A regular expression of your own and the label that replaces its matches."""

    pattern: str
    label: str


@dataclass
class PiiConfig:
    """PII redaction settings. ``fields`` names the payload fields
    ``redact_payload`` redacts; a client with this config redacts everything
    it captures."""

    enabled: bool = False
    fields: list[str] | None = None
    mode: str = "label"
    enhanced_detection: bool = False
    builtin_patterns: PiiBuiltinPatterns | None = None
    custom_patterns: list[PiiCustomPattern] | None = None
    _compiled: list[tuple[str, re.Pattern[str]]] = field(
        default_factory=list, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.fields is None:
            self.fields = [
                "user_input",
                "assistant_output",
                "tool_input",
                "tool_output",
                "reasoning",
                "metadata",
                "failure_reason",
                "error_message",
            ]

    def masker(self) -> Callable[[Any], Any]:
        """A function redacting any captured value with these settings."""
        builtin = self.builtin_patterns or PiiBuiltinPatterns()
        custom = list(self.custom_patterns or [])
        mode = self.mode or "label"

        def mask(value: Any) -> Any:
            return redact_value(value, mode, builtin, custom)

        return mask


def _replacement(mode: str, label: str, text: str) -> str:
    if mode == "hash":
        return f"[PII:{hashlib.sha256(text.encode()).hexdigest()[:6]}]"
    if mode == "remove":
        return ""
    return f"[{label}]"


def _replacer(mode: str, label: str) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        return _replacement(mode, label, match.group())

    return replace


def redact_string(
    value: str,
    mode: str,
    builtin: PiiBuiltinPatterns,
    custom: Sequence[PiiCustomPattern],
) -> str:
    """``value`` with every match of the enabled patterns replaced."""
    if not isinstance(value, str) or not value:
        return value
    for pattern in custom:
        try:
            compiled = re.compile(pattern.pattern)
        except (re.error, TypeError):
            continue  # a broken custom pattern redacts nothing, never raises
        value = compiled.sub(_replacer(mode, str(pattern.label)), value)
    for switch, label, compiled in _BUILTIN:
        if getattr(builtin, switch, True):
            value = compiled.sub(_replacer(mode, label), value)
    return value


def redact_value(
    value: Any,
    mode: str,
    builtin: PiiBuiltinPatterns,
    custom: Sequence[PiiCustomPattern],
) -> Any:
    """Strings redacted inside any nesting of dicts, lists and tuples."""
    if isinstance(value, str):
        return redact_string(value, mode, builtin, custom)
    if isinstance(value, Mapping):
        return {k: redact_value(v, mode, builtin, custom) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_value(v, mode, builtin, custom) for v in value]
    return value


def redact_payload(payload: dict[str, Any], config: PiiConfig) -> dict[str, Any]:
    """A copy of ``payload`` with its ``config.fields`` redacted (unchanged when disabled)."""
    if not config.enabled:
        return payload
    builtin = config.builtin_patterns or PiiBuiltinPatterns()
    custom = config.custom_patterns or []
    out = dict(payload)
    for name in config.fields or []:
        if out.get(name) is not None:
            out[name] = redact_value(out[name], config.mode or "label", builtin, custom)
    return out


def config_from_server(answer: Mapping[str, Any]) -> PiiConfig:
    """The :class:`PiiConfig` of a ``GET /api/sdk/pii-config`` answer (camelCase
    JSON). Fields it lacks or gets wrong keep the safe defaults: every
    built-in pattern, ``label`` mode."""
    builtin = answer.get("builtinPatterns")
    builtin = builtin if isinstance(builtin, Mapping) else {}

    def switch(name: str) -> bool:
        value = builtin.get(name, True)
        return value if isinstance(value, bool) else True

    custom = [
        PiiCustomPattern(str(item["pattern"]), str(item.get("label", "CUSTOM")))
        for item in answer.get("customPatterns") or []
        if isinstance(item, Mapping) and isinstance(item.get("pattern"), str)
    ]
    fields = answer.get("fields")
    mode = answer.get("mode")
    return PiiConfig(
        enabled=answer.get("enabled") is not False,
        fields=[str(f) for f in fields] if isinstance(fields, list) else None,
        mode=mode if mode in ("label", "hash", "remove") else "label",
        enhanced_detection=answer.get("enhancedDetection") is True,
        builtin_patterns=PiiBuiltinPatterns(
            emails=switch("emails"),
            phones=switch("phones"),
            ssns=switch("ssns"),
            credit_cards=switch("creditCards"),
            ip_addresses=switch("ipAddresses"),
        ),
        custom_patterns=custom,
    )


class ServerPiiMask:
    """The mask of ``SentrialClient(pii=True)``: the server's PII settings.

    The published SDK asks ``GET /api/sdk/pii-config`` in its constructor,
    blocking the caller on the network. Ours asks from the delivery thread
    (``load`` is called with the answer); until then, and whenever the server
    cannot be asked, the safe default applies: every built-in pattern in
    ``label`` mode, which is also what the server hands out by default.
    """

    from_server = True  # the delivery thread looks for this flag

    def __init__(self) -> None:
        self.config = PiiConfig(enabled=True)
        self._mask: Callable[[Any], Any] = self.config.masker()

    def load(self, answer: Mapping[str, Any]) -> None:
        """Use the server's settings from now on (one attribute swap: thread-safe).

        ``answer`` is the endpoint's JSON: ``{"config": {...}}``.
        """
        body = answer.get("config", answer)
        config = config_from_server(body if isinstance(body, Mapping) else {})
        self.config = config
        self._mask = config.masker() if config.enabled else _unchanged

    def __call__(self, value: Any) -> Any:
        return self._mask(value)


def _unchanged(value: Any) -> Any:
    return value
