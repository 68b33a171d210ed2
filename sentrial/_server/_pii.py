"""The PII redaction settings the server hands out (``GET /api/sdk/pii-config``).

The published Sentrial SDK, constructed with ``pii=True``, asks the server
once and then redacts the listed request fields itself. The default below is
what that SDK falls back to when it cannot ask (redaction on, every built-in
pattern, ``label`` mode, its usual fields), so ``pii=True`` means the same
with or without an answer. ``sentrial serve --pii-config FILE.json`` replaces
it; the file holds a ``PiiConfig`` object of ``openapi/sentrial.yaml`` and
fields it leaves out keep their defaults.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import orjson

from ..redact import MODES  # the modes both SDKs know (``sentrial/_pii_patterns.json``)
from . import _spec
from ._spec import SpecValidationError

DEFAULT_PII_CONFIG: dict[str, Any] = {
    "enabled": True,
    "mode": "label",
    "fields": [
        "user_input",
        "assistant_output",
        "userInput",
        "assistantOutput",
        "tool_input",
        "tool_output",
        "toolInput",
        "toolOutput",
        "metadata",
        "reasoning",
    ],
    "enhancedDetection": False,
    "builtinPatterns": {
        "emails": True,
        "phones": True,
        "ssns": True,
        "creditCards": True,
        "ipAddresses": True,
    },
    "customPatterns": [],
}


class PiiConfigError(ValueError):
    """A PII config the server cannot serve; the message is one line naming the field."""


def pii_config(settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """The full config: the defaults, with what ``settings`` sets (checked)."""
    config = copy.deepcopy(DEFAULT_PII_CONFIG)
    if settings is None:
        return config
    try:
        _spec.component("PiiConfig").check(settings)
    except SpecValidationError as exc:
        raise PiiConfigError(" ".join(str(exc).split())) from None
    mode = settings.get("mode", "label")
    if mode not in MODES:
        raise PiiConfigError(f"mode: {mode!r} is not one of {', '.join(MODES)}")
    for index, custom in enumerate(settings.get("customPatterns", [])):
        try:
            re.compile(custom["pattern"])  # the published SDK compiles it with `re`
        except re.error as exc:
            raise PiiConfigError(
                f"customPatterns[{index}].pattern: not a regular expression ({exc})"
            ) from None
    builtin = {**config["builtinPatterns"], **settings.get("builtinPatterns", {})}
    config.update(settings)
    config["builtinPatterns"] = builtin
    return config


def load_pii_config(path: str) -> dict[str, Any]:
    """The config in the JSON file at ``path``; PiiConfigError (one line) if unusable."""
    try:
        with open(path, "rb") as file:
            raw = file.read()
    except OSError as exc:
        raise PiiConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        settings = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise PiiConfigError(f"{path}: not JSON ({exc})") from None
    if not isinstance(settings, dict):
        raise PiiConfigError(f"{path}: must hold a JSON object (a PiiConfig)")
    try:
        return pii_config(settings)
    except PiiConfigError as exc:
        raise PiiConfigError(f"{path}: {exc}") from None
