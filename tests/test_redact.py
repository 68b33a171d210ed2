"""PII redaction (``sentrial.redact``): exact output of every mode, inside the
shapes agents really send (nested lists of chat messages), for every kind of
built-in pattern and for custom ones.

``tests/test_hostile_round2_sdk.py`` checks that no secret reaches any stored
field and each mode's output for e-mail addresses, keys and phone numbers;
this file checks the rest of the table, hash tokens by value, the switches,
custom patterns and ``redact_payload``'s fields.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from sentrial import SentrialClient
from sentrial.redact import (
    PiiBuiltinPatterns,
    PiiConfig,
    PiiCustomPattern,
    Redactor,
    redact_payload,
    redact_string,
    redact_value,
)

from .conftest import Reader

MakeClient = Callable[..., SentrialClient]


def _token(text: str) -> str:
    """hash mode's token for ``text``: the first 6 hex digits of its SHA-256."""
    return f"[PII:{hashlib.sha256(text.encode()).hexdigest()[:6]}]"


# One value of each built-in kind, as it appears in text, and its label.
KINDS = [
    ("Mail.Me@Example.ORG", "[EMAIL]", "[REDACTED:email]"),
    ("078-05-1120", "[SSN]", "[REDACTED:ssn]"),
    ("192.168.10.254", "[IP_ADDRESS]", "[REDACTED:ip]"),
    ("4111 1111 1111 1111", "[CREDIT_CARD]", "[REDACTED:card]"),
    ("415.555.0134", "[PHONE]", "[REDACTED:phone]"),
    ("sk-ant-api03-AbCdEfGhIjKlMnOp", "[API_KEY]", "[REDACTED:key]"),
]


@pytest.mark.parametrize(("raw", "label", "tagged"), KINDS)
def test_each_builtin_kind_in_each_mode(raw: str, label: str, tagged: str) -> None:
    text = f"see {raw} now"
    builtin = PiiBuiltinPatterns()
    assert redact_string(text, "label", builtin, []) == f"see {label} now"
    assert redact_string(text, "tagged", builtin, []) == f"see {tagged} now"
    assert redact_string(text, "remove", builtin, []) == "see  now"
    assert redact_string(text, "hash", builtin, []) == f"see {_token(raw)} now"


def test_upper_and_mixed_case_addresses_are_redacted_whole() -> None:
    builtin = PiiBuiltinPatterns()
    for address in ("ANA@EXAMPLE.COM", "Ana.Lopez+Tag@Mail.Example.Co.UK", "ana@example.com"):
        assert redact_string(f"<{address}>", "label", builtin, []) == "<[EMAIL]>", address


def test_hash_tokens_are_per_value() -> None:
    builtin = PiiBuiltinPatterns()
    out = redact_string("a@b.io c@d.io a@b.io A@B.IO", "hash", builtin, [])
    assert out.split() == [_token("a@b.io"), _token("c@d.io"), _token("a@b.io"), _token("A@B.IO")]
    assert len(set(out.split())) == 3  # same value, same token; case matters


def test_nested_lists_of_messages_are_redacted_in_place() -> None:
    messages: list[Any] = [
        [
            {"role": "system", "content": "reply to ops@corp.io"},
            {"role": "user", "content": [{"type": "text", "text": "I am 078-05-1120"}]},
        ],
        ({"role": "assistant", "content": "ok", "tool_calls": [{"args": {"ip": "10.0.0.7"}}]},),
        7,
        None,
        True,
    ]
    builtin = PiiBuiltinPatterns()
    assert redact_value(messages, "label", builtin, []) == [
        [
            {"role": "system", "content": "reply to [EMAIL]"},
            {"role": "user", "content": [{"type": "text", "text": "I am [SSN]"}]},
        ],
        [{"role": "assistant", "content": "ok", "tool_calls": [{"args": {"ip": "[IP_ADDRESS]"}}]}],
        7,
        None,
        True,
    ]
    hashed = redact_value(messages, "hash", builtin, [])
    assert hashed[0][1]["content"][0]["text"] == f"I am {_token('078-05-1120')}"
    assert hashed[1][0]["tool_calls"][0]["args"]["ip"] == _token("10.0.0.7")


def test_switched_off_kinds_are_left_alone() -> None:
    text = "ana@corp.io 078-05-1120 10.0.0.7"
    only_ips = PiiBuiltinPatterns(emails=False, ssns=False)
    assert redact_string(text, "label", only_ips, []) == "ana@corp.io 078-05-1120 [IP_ADDRESS]"
    nothing = PiiBuiltinPatterns(False, False, False, False, False, False)
    assert redact_string(text, "label", nothing, []) == text


def test_custom_patterns_come_first_and_use_their_label() -> None:
    custom = [PiiCustomPattern(r"ORD-\d+", "ORDER"), PiiCustomPattern("(", "BROKEN")]
    builtin = PiiBuiltinPatterns()
    text = "ORD-12345 for ana@corp.io"
    assert redact_string(text, "label", builtin, custom) == "[ORDER] for [EMAIL]"
    assert redact_string(text, "tagged", builtin, custom) == "[REDACTED:order] for [REDACTED:email]"
    assert redact_string(text, "hash", builtin, custom) == (
        f"{_token('ORD-12345')} for {_token('ana@corp.io')}"
    )


def test_redact_payload_redacts_only_its_fields() -> None:
    payload = {
        "user_input": "from ana@corp.io",
        "metadata": {"who": ["ana@corp.io"]},
        "session_id": "ana@corp.io",  # not a field to redact
        "tool_output": None,
    }
    config = PiiConfig(enabled=True)
    assert redact_payload(payload, config) == {
        "user_input": "from [EMAIL]",
        "metadata": {"who": ["[EMAIL]"]},
        "session_id": "ana@corp.io",
        "tool_output": None,
    }
    assert payload["user_input"] == "from ana@corp.io"  # a copy: the caller's is unchanged
    narrow = PiiConfig(enabled=True, fields=["metadata"], mode="remove")
    assert redact_payload(payload, narrow)["user_input"] == "from ana@corp.io"
    assert redact_payload(payload, narrow)["metadata"] == {"who": [""]}
    assert redact_payload(payload, PiiConfig(enabled=False)) is payload


def test_a_config_masker_applies_its_mode_and_switches() -> None:
    config = PiiConfig(
        enabled=True,
        mode="hash",
        builtin_patterns=PiiBuiltinPatterns(phones=False),
        custom_patterns=[PiiCustomPattern("secret-\\w+", "S")],
    )
    masker = config.masker()
    assert isinstance(masker, Redactor)
    out = masker({"t": "secret-abc 415.555.0134 ana@corp.io"})
    assert out == {"t": f"{_token('secret-abc')} 415.555.0134 {_token('ana@corp.io')}"}


MESSAGES = [
    [{"role": "system", "content": "You help ANA@CORP.IO"}],
    {"role": "user", "content": [{"type": "text", "text": "card 4111 1111 1111 1111"}]},
]


@pytest.mark.parametrize(
    ("mode", "system", "user"),
    [
        ("label", "You help [EMAIL]", "card [CREDIT_CARD]"),
        ("remove", "You help ", "card "),
        ("hash", f"You help {_token('ANA@CORP.IO')}", f"card {_token('4111 1111 1111 1111')}"),
    ],
)
def test_a_clients_llm_messages_are_stored_redacted_exactly(
    make_client: MakeClient, reader: Reader, mode: str, system: str, user: str
) -> None:
    client = make_client(pii=PiiConfig(enabled=True, mode=mode))
    sid = client.create_session("n", "a", "u")
    client.track_llm_call(sid, "gpt-4o", input=MESSAGES, output="sent to ANA@CORP.IO")
    assert client.flush(10)
    (event,) = reader.events(sid)
    assert event["input"] == [
        [{"role": "system", "content": system}],
        {"role": "user", "content": [{"type": "text", "text": user}]},
    ]
    assert event["output"] == system.replace("You help", "sent to")
