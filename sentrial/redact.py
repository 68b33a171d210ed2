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
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

__all__ = [
    "PiiBuiltinPatterns",
    "PiiConfig",
    "PiiCustomPattern",
    "Redactor",
    "redact_payload",
    "redact_string",
    "redact_value",
]

# The one table of built-in patterns, shared as data with the TypeScript SDK
# (``_pii_patterns.json``, read by ``typescript/src/pii.ts`` too): (switch of
# PiiBuiltinPatterns, label in ``label`` mode, short name in ``redact=True``'s
# ``[REDACTED:name]``, pattern), in the order they apply. ``re.ASCII``: ``\d``,
# ``\w`` and ``\b`` mean what they mean in JavaScript, so both SDKs redact alike.
_TABLE: dict[str, Any] = json.loads(
    resources.files(__package__ or "sentrial").joinpath("_pii_patterns.json").read_text("utf-8")
)
_BUILTIN: list[tuple[str, str, str, re.Pattern[str]]] = [
    (row["switch"], row["label"], row["short"], re.compile(row["pattern"], re.ASCII))
    for row in _TABLE["patterns"]
]
# The modes a PiiConfig (and the server's settings) may name.
MODES: tuple[str, ...] = tuple(_TABLE["modes"])
_HASH_LENGTH: int = _TABLE["hash_length"]
# ``redact=True``: every built-in pattern, each match as ``[REDACTED:<short name>]``.
TAGGED: str = _TABLE["tagged_mode"]


@dataclass
class PiiBuiltinPatterns:
    """Which built-in kinds of personal data are redacted."""

    emails: bool = True
    phones: bool = True
    ssns: bool = True
    credit_cards: bool = True
    ip_addresses: bool = True
    # Not in the published SDK (whose README promised keys were redacted):
    # API keys, bearer tokens, JWTs and AWS key ids.
    api_keys: bool = True


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
        return Redactor(
            self.mode or "label",
            self.builtin_patterns or PiiBuiltinPatterns(),
            self.custom_patterns,
        )


class Redactor:
    """Redacts one decoded JSON value (a payload after capture, a text field):
    strings only, never the digits of a number, and object keys as well as
    values. The client applies it to what it has turned into JSON (see
    ``sentrial._payload.capture``), never to encoded bytes: redacting bytes
    turned a Unix time into ``[REDACTED:phone]``, and the batch into invalid
    JSON."""

    redacts_json = True  # the tracker looks for this flag: applied after decoding

    def __init__(
        self,
        mode: str,
        builtin: PiiBuiltinPatterns | None = None,
        custom: Sequence[PiiCustomPattern] | None = None,
    ) -> None:
        self.mode = mode
        self.builtin = builtin or PiiBuiltinPatterns()
        self.custom = list(custom or [])

    def __call__(self, value: Any) -> Any:
        return redact_value(value, self.mode, self.builtin, self.custom)


def _replacement(mode: str, label: str, short: str, text: str) -> str:
    if mode == "hash":
        return f"[PII:{hashlib.sha256(text.encode()).hexdigest()[:_HASH_LENGTH]}]"
    if mode == "remove":
        return ""
    if mode == TAGGED:
        return f"[REDACTED:{short}]"
    return f"[{label}]"


def _replacer(mode: str, label: str, short: str) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        return _replacement(mode, label, short, match.group())

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
        label = str(pattern.label)
        value = compiled.sub(_replacer(mode, label, label.lower()), value)
    for switch, label, short, compiled in _BUILTIN:
        if getattr(builtin, switch, True):
            value = compiled.sub(_replacer(mode, label, short), value)
    return value


def redact_value(
    value: Any,
    mode: str,
    builtin: PiiBuiltinPatterns,
    custom: Sequence[PiiCustomPattern],
) -> Any:
    """Strings redacted inside any nesting of dicts, lists and tuples, object
    keys included (an e-mail address used as a key). Two keys redacted alike
    (two addresses, both ``[EMAIL]``) stay two entries: the later ones get
    ``#2``, ``#3``... appended. Numbers, booleans and None are left as they are."""
    if isinstance(value, str):
        return redact_string(value, mode, builtin, custom)
    if isinstance(value, Mapping):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            if isinstance(key, str):
                key = redact_string(key, mode, builtin, custom)
                if key in out:
                    n = 2
                    while f"{key}#{n}" in out:
                        n += 1
                    key = f"{key}#{n}"
            out[key] = redact_value(item, mode, builtin, custom)
        return out
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
        mode=mode if mode in MODES else _TABLE["default_mode"],
        enhanced_detection=answer.get("enhancedDetection") is True,
        builtin_patterns=PiiBuiltinPatterns(
            **{row["switch"]: switch(row["option"]) for row in _TABLE["patterns"]}
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
    redacts_json = True  # applied to captured values after decoding (see Redactor)

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


def builtin_redactor() -> Redactor:
    """``redact=True``: every built-in pattern, matches as ``[REDACTED:email]``..."""
    return Redactor(TAGGED)
