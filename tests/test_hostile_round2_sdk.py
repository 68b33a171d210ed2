"""Issue #27, the SDK's items: nothing acknowledged lost, nothing leaked.

Each test reproduces one defect of the second hostile audit against real HTTP
(our server on 127.0.0.1, or a stand-in answering as the audit's hostile or
unlucky server did) and fails on the code before its fix.
"""

from __future__ import annotations

import dataclasses
import os
import re
import socket
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from sentrial import SentrialClient
from sentrial._server import LocalServer
from sentrial.redact import PiiConfig

from .conftest import Reader

MakeClient = Callable[..., SentrialClient]

# -- 1. redact=True works on values, never on encoded bytes -------------------------


def test_redact_true_leaves_numbers_alone_and_the_batch_valid(
    make_client: MakeClient, reader: Reader
) -> None:
    # A Unix time read as a phone number, a third's digits as a card number:
    # the body was no longer JSON, the server refused the batch, and every
    # operation was dead-lettered.
    client = make_client(redact=True)
    numbers = {"at": 1733616000, "third": 1 / 3, "big": 41111111111111111, "neg": -4155550134}
    sids = []
    for n in range(5):
        sid = client.create_session(f"s{n}", "agent", "u", metadata=numbers)
        client.track_tool_call(sid, "t", {**numbers, "who": "call 415-555-0134"}, numbers)
        client.complete_session(sid, custom_metrics={"at": 1733616000.0})
        sids.append(sid)
    assert client.flush(10) is True
    stats = client.stats()
    assert stats["dead_lettered"] == {} and stats["dropped"] == {} and stats["sent"] == 15
    for sid in sids:
        session = reader.session(sid)
        assert session["metadata"] == numbers
        assert session["customMetrics"] == {"at": 1733616000.0}
        (event,) = reader.events(sid)
        assert event["toolInput"] == {**numbers, "who": "call [REDACTED:phone]"}
        assert event["toolOutput"] == numbers


# -- 7. secrets and keys redacted, in every field of every operation -----------------

EMAIL = "Jane.DOE@Example.COM"
SECRETS = {
    "email": EMAIL,
    "openai": "sk-proj-Ab3dEfGh1jKlMn0pQrStUvWx",
    "aws": "AKIAIOSFODNN7EXAMPLE",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlF",
    "bearer": "Bearer 0123456789abcdefXYZ",
    "phone": "+1 415-555-0134",
}
ALL = " ".join(SECRETS.values())
# What must never be stored: each secret (the bearer token without its word).
NEEDLES = [*(v for k, v in SECRETS.items() if k != "bearer"), "0123456789abcdefXYZ"]


def _track_everything(client: SentrialClient) -> str:
    """Every field the SDK sends, each holding every secret, in values and keys."""
    sid = client.create_session(
        ALL, ALL, ALL, convo_id=ALL, metadata={ALL: ALL, "nested": [{EMAIL: [ALL]}]}
    )
    client.current_state = {ALL: ALL}  # stateBefore/stateAfter
    client.track_tool_call(
        sid,
        ALL,
        {EMAIL: ALL, "args": [ALL, {"k": ALL}]},
        {"out": ALL, SECRETS["openai"]: 1},
        reasoning=ALL,
        tool_error={"message": ALL, ALL: ALL},
        trace_id=ALL,
        span_id=ALL,
        metadata={ALL: ALL},
    )
    client.track_decision(sid, ALL, alternatives=[ALL, ALL], metadata={EMAIL: 1})
    client.track_llm_call(
        sid,
        ALL,
        provider=ALL,
        input=[[{"role": "user", "content": ALL}], {"role": "system", "content": [ALL]}],
        output={"choices": [{"message": {"content": ALL}}]},
        error=RuntimeError(ALL),
        metadata={ALL: [ALL]},
    )
    client.track_error(sid, ALL, error_type=ALL, tool_name=ALL, stack_trace=ALL)
    client.complete_session(
        sid,
        success=False,
        failure_reason=ALL,
        custom_metrics={EMAIL: 1.0, ALL: 2.0},
        user_input=ALL,
        assistant_output=ALL,
    )
    return sid


# Every field of every operation the SDK sends, as the server stores it
# (session ids are the SDK's references and are not user text).
SESSION_FIELDS = [
    "name",
    "agentName",
    "userId",
    "convoId",
    "metadata",
    "failureReason",
    "customMetrics",
    "userInput",
    "assistantOutput",
]
EVENT_FIELDS = {
    "tool_call": [
        "toolName",
        "toolInput",
        "toolOutput",
        "toolError",
        "reasoning",
        "traceId",
        "spanId",
        "metadata",
        "stateBefore",
        "stateAfter",
    ],
    "llm_decision": ["reasoning", "alternativesConsidered", "metadata"],
    "llm_call": ["model", "provider", "input", "output", "toolError", "metadata"],
    "error": ["toolName", "toolError"],
}

MODES: dict[str, dict[str, Any]] = {
    "pii=True": {"pii": True},
    "label": {"pii": PiiConfig(enabled=True)},
    "hash": {"pii": PiiConfig(enabled=True, mode="hash")},
    "remove": {"pii": PiiConfig(enabled=True, mode="remove")},
    "redact=True": {"redact": True},
}


@pytest.mark.parametrize("mode", list(MODES))
def test_no_secret_is_stored_in_any_field_value_or_key(
    make_client: MakeClient, reader: Reader, mode: str
) -> None:
    client = make_client(**MODES[mode])
    sid = _track_everything(client)
    assert client.flush(10) is True
    assert client.stats()["dropped"] == {} and client.stats()["dead_lettered"] == {}
    session = reader.session(sid)
    events = {e["eventType"]: e for e in reader.events(sid)}
    stored = [("session", f, session.get(f)) for f in SESSION_FIELDS]
    stored += [(kind, f, events[kind].get(f)) for kind, fs in EVENT_FIELDS.items() for f in fs]
    for where, name, value in stored:
        assert value not in (None, "", {}, []), (where, name)  # the field was sent
        text = orjson.dumps(value).decode()
        for needle in NEEDLES:
            assert needle.lower() not in text.lower(), (mode, where, name, needle)


LABELS = {
    "label": "[EMAIL] [API_KEY] [API_KEY] [API_KEY] [API_KEY] [PHONE]",
    "remove": "     ",
    "redact=True": (
        "[REDACTED:email] [REDACTED:key] [REDACTED:key] [REDACTED:key] [REDACTED:key]"
        " [REDACTED:phone]"
    ),
}


@pytest.mark.parametrize("mode", ["label", "remove", "redact=True", "hash"])
def test_each_mode_gives_its_exact_output(
    make_client: MakeClient, reader: Reader, mode: str
) -> None:
    client = make_client(**MODES[mode])
    sid = client.create_session("n", "a", "u", metadata={EMAIL: "x", "b@c.io": "y"})
    client.complete_session(sid, user_input=ALL, custom_metrics={EMAIL.upper(): 1.0})
    assert client.flush(10)
    session = reader.session(sid)
    if mode != "hash":
        assert session["userInput"] == LABELS[mode]
        return
    tokens = re.findall(r"\[PII:[0-9a-f]{6}\]", session["userInput"])
    assert session["userInput"] == " ".join(tokens) and len(tokens) == 6
    assert len(set(tokens)) == 6  # different values, different tokens
    # the same value, the same token; two keys stay two keys
    metadata_keys = list(session["metadata"])
    assert len(set(metadata_keys)) == 2 and all(k.startswith("[PII:") for k in metadata_keys)
    (metric_key,) = session["customMetrics"]
    assert metric_key.startswith("[PII:") and EMAIL.upper() not in metric_key


def test_two_keys_redacted_alike_stay_two_entries(make_client: MakeClient, reader: Reader) -> None:
    client = make_client(pii=PiiConfig(enabled=True))
    sid = client.create_session("n", "a", "u", metadata={"a@b.io": 1, "c@d.io": 2})
    assert client.flush(10)
    assert reader.session(sid)["metadata"] == {"[EMAIL]": 1, "[EMAIL]#2": 2}


def test_redaction_sees_inside_objects_orjson_converts(
    make_client: MakeClient, reader: Reader
) -> None:
    @dataclasses.dataclass
    class Message:
        content: str

    client = make_client(pii=True)
    sid = client.create_session("n", "a", "u")
    client.track_tool_call(sid, "t", {"m": Message(f"mail {EMAIL}")}, {"n": 1733616000})
    assert client.flush(10)
    (event,) = reader.events(sid)
    assert event["toolInput"] == {"m": {"content": "mail [EMAIL]"}}
    assert event["toolOutput"] == {"n": 1733616000}


# -- 10. nothing readable by other local users ------------------------------------


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask, whatever the test runner's: files would be 0644."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _modes(root: Path) -> dict[str, int]:
    return {
        str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode) for p in [root, *root.rglob("*")]
    }


@pytest.mark.usefixtures("umask_022")
def test_spool_dead_letters_server_ids_and_database_are_private(tmp_path: Path) -> None:
    from sentrial._delivery._dead_letter import DeadLetter
    from sentrial._delivery._server_ids import ServerIds
    from sentrial._operation import Operation

    spool = tmp_path / "spool"
    dead_port = f"http://127.0.0.1:{_free_port()}"
    client = SentrialClient(dead_port, "sk-test-key", spool_dir=str(spool), request_timeout=0.5)
    sid = client.create_session("n", "a", "u")
    client.track_tool_call(sid, "t", {"secret": "tool input"}, {})
    assert client.shutdown(0.3) is False  # the API is away: kept on disk
    (directory,) = spool.iterdir()
    DeadLetter(directory, 10**6).add([Operation("create_session", "s", {})], "rejected_400", "x")
    ServerIds(directory).remember("ours", "theirs")
    db = tmp_path / "data" / "sentrial.db"
    db.parent.mkdir()
    with LocalServer(str(db)) as server:
        Reader(server).sessions()
    modes = _modes(spool)
    names = sorted(modes)
    assert any(n.endswith(".spool") for n in names), names
    assert any(n.endswith("dead-letter.jsonl") for n in names), names
    assert any(n.endswith("server-ids.jsonl") for n in names), names
    wanted = {n: 0o700 if (spool / n).is_dir() else 0o600 for n in names}
    wanted["."] = 0o700
    assert modes == wanted
    db_modes = {n: m for n, m in _modes(db.parent).items() if n.startswith("sentrial.db")}
    assert db_modes["sentrial.db"] == 0o600 and set(db_modes.values()) == {0o600}, db_modes


@pytest.mark.usefixtures("umask_022")
def test_files_an_older_version_left_readable_are_made_private(tmp_path: Path) -> None:
    from sentrial._delivery._dead_letter import DeadLetter
    from sentrial._operation import Operation

    directory = tmp_path / "d"
    directory.mkdir(mode=0o755)
    (directory / "dead-letter.jsonl").write_bytes(b"")
    os.chmod(directory / "dead-letter.jsonl", 0o644)
    DeadLetter(directory, 10**6).add([Operation("create_session", "s", {})], "rejected_400", "x")
    assert _modes(directory) == {".": 0o700, "dead-letter.jsonl": 0o600}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
