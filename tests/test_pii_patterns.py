"""The PII pattern table both SDKs read (``sentrial/_pii_patterns.json``):
Python's switches, patterns and modes come from it; the TypeScript suite
(typescript/test/pii.test.ts) checks the same file from its side."""

from __future__ import annotations

import dataclasses
import json
import re
from importlib import resources

from sentrial.redact import _BUILTIN, MODES, PiiBuiltinPatterns, redact_string

TABLE = json.loads(resources.files("sentrial").joinpath("_pii_patterns.json").read_text("utf-8"))


def test_every_switch_of_the_table_is_a_pii_builtin_patterns_field() -> None:
    fields = [f.name for f in dataclasses.fields(PiiBuiltinPatterns)]
    assert sorted(row["switch"] for row in TABLE["patterns"]) == sorted(fields)


def test_python_applies_the_tables_patterns_in_its_order() -> None:
    assert [(s, label, short, p.pattern) for s, label, short, p in _BUILTIN] == [
        (row["switch"], row["label"], row["short"], row["pattern"]) for row in TABLE["patterns"]
    ]
    assert tuple(TABLE["modes"]) == MODES


def test_each_pattern_compiles_and_stays_in_the_subset_javascript_shares() -> None:
    for row in TABLE["patterns"]:
        re.compile(row["pattern"], re.ASCII)
        # no inline flags, named groups or Python-only anchors (JavaScript lacks them)
        assert not re.search(r"\(\?[aiLmsux-]|\(\?P|\\[AZ]|\(\?#", row["pattern"]), row["label"]


def test_digits_and_words_are_ascii_as_in_javascript() -> None:
    # Arabic-Indic digits are not an SSN in JavaScript's \d: not in Python's either.
    assert redact_string("١٢٣-٤٥-٦٧٨٩", "label", PiiBuiltinPatterns(), []) == "١٢٣-٤٥-٦٧٨٩"
    assert redact_string("123-45-6789", "label", PiiBuiltinPatterns(), []) == "[SSN]"


def test_secrets_of_every_shape_are_redacted() -> None:
    text = (
        "sk-abcdefghijklmnop1234 sk-proj-AbCdEf0123456789_xyz AKIAIOSFODNN7EXAMPLE "
        "Authorization: BEARER abcdefgh12345678 "
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fw"
    )
    out = redact_string(text, "label", PiiBuiltinPatterns(), [])
    assert out == "[API_KEY] [API_KEY] [API_KEY] Authorization: [API_KEY] [API_KEY]"
