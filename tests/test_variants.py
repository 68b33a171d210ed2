"""Prompt variants in production: sticky assignments from two processes and a
restart, sessions carrying their assignment (SDK and OTLP), per-variant results,
and the caller never held past its timeout."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

import sentrial
from sentrial._server import LocalServer
from sentrial.variants import get_variant, variant_stats

USERS = 1000

_ASSIGN_ALL = """
import json, sys
import sentrial
experiment, url, key, users = sys.argv[1:5]
out = {}
for i in range(int(users)):
    v = sentrial.get_variant(experiment, f"user-{i}", api_url=url, api_key=key, timeout=30)
    assert not v.fallback, v
    out[v.user_id] = [v.name, v.assignment_id, v.system_prompt]
print(json.dumps(out))
"""


def _assign_in_a_process(experiment: str, server: LocalServer) -> dict[str, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", _ASSIGN_ALL, experiment, server.url, server.api_key, str(USERS)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    answer: dict[str, list[str]] = json.loads(done.stdout)
    return answer


def _experiment(http: httpx.Client) -> str:
    created = http.post(
        "/api/experiments",
        json={
            "name": "prompt ab",
            "variants": [
                {"name": "control", "systemPrompt": "Be brief.", "weight": 0.7},
                {"name": "friendly", "systemPrompt": "Be warm.", "weight": 0.3},
            ],
        },
    )
    assert created.status_code == 200, created.text
    experiment_id: str = created.json()["experiment"]["id"]
    return experiment_id


def test_sticky_assignments_and_production_results(tmp_path: Path) -> None:
    db = str(tmp_path / "variants.db")
    with LocalServer(db) as server:
        headers = {"Authorization": f"Bearer {server.api_key}"}
        with httpx.Client(base_url=server.url, headers=headers) as http:
            experiment = _experiment(http)
        first = _assign_in_a_process(experiment, server)
        second = _assign_in_a_process(experiment, server)
    assert first == second  # two processes: the same variant and assignment id each
    assert len(first) == USERS
    split = Counter(name for name, _, _ in first.values())
    assert set(split) == {"control", "friendly"}
    assert 640 <= split["control"] <= 760  # the configured 70/30, roughly
    assert all(
        prompt == {"control": "Be brief.", "friendly": "Be warm."}[name]
        for name, _, prompt in first.values()
    )
    assert len({asg for _, asg, _ in first.values()}) == USERS

    with LocalServer(db) as server:  # a restart on the same store: nothing moves
        headers = {"Authorization": f"Bearer {server.api_key}"}
        with httpx.Client(base_url=server.url, headers=headers) as http:
            for user in ("user-0", "user-1", "user-999"):
                again = http.post(
                    f"/api/experiments/{experiment}/assignments", json={"userId": user}
                ).json()["assignment"]
                assert [again["variantName"], again["id"]] == first[user][:2]

            # Production sessions: 20 users per variant through the SDK, one through OTLP.
            client = sentrial.SentrialClient(api_url=server.url, api_key=server.api_key)
            chosen = {
                name: [u for u, (n, _, _) in sorted(first.items()) if n == name][:20]
                for name in ("control", "friendly")
            }
            for name, users in chosen.items():
                for index, user in enumerate(users):
                    sid = client.create_session(
                        name="chat",
                        agent_name="support",
                        user_id=user,
                        experiment_assignment_id=first[user][1],
                    )
                    ok = not (name == "friendly" and index % 4 == 0)  # 5 of 20 fail
                    client.complete_session(
                        sid, success=ok, estimated_cost=0.01, duration_ms=1000.0
                    )
            client.create_session(name="no experiment", agent_name="support", user_id="x")
            assert client.flush(30)
            client.close()
            otel_user = chosen["control"][0]
            _otlp_session(http, first[otel_user][1])

            results = http.get(f"/api/experiments/{experiment}/results").json()
            production = {p["variantName"]: p for p in results["production"]}
            assert production["control"]["sessions"] == 21  # 20 + the OTLP trace
            assert production["control"]["successRate"] == 1.0
            assert production["control"]["negativeSignals"] == 0
            assert production["friendly"]["sessions"] == 20
            assert production["friendly"]["finished"] == 20
            assert production["friendly"]["successRate"] == 15 / 20
            assert production["friendly"]["totalCost"] == pytest.approx(0.2)
            assert production["friendly"]["meanDurationMs"] == 1000.0
            # Each failed session has its failed_session signal.
            assert production["friendly"]["negativeSignals"] == 5
            stored = http.get("/api/sdk/sessions", params={"userId": chosen["friendly"][0]})
            assert (
                stored.json()["data"][0]["experimentAssignmentId"]
                == first[chosen["friendly"][0]][1]
            )


def _otlp_session(http: httpx.Client, assignment: str) -> None:
    def attr(key: str, value: str) -> dict[str, Any]:
        return {"key": key, "value": {"stringValue": value}}

    span = {
        "traceId": "1" * 32,
        "spanId": "2" * 16,
        "name": "invoke_agent",
        "kind": 1,
        "startTimeUnixNano": 1_700_000_000_000_000_000,
        "endTimeUnixNano": 1_700_000_001_000_000_000,
        "attributes": [
            attr("sentrial.experiment.assignment_id", assignment),
            attr("gen_ai.operation.name", "invoke_agent"),
        ],
    }
    body = {
        "resourceSpans": [
            {
                "resource": {"attributes": [attr("service.name", "support")]},
                "scopeSpans": [{"spans": [span]}],
            }
        ]
    }
    http.post("/api/otel/v1/traces", json=body).raise_for_status()


def test_the_caller_is_never_held_past_its_timeout() -> None:
    """A server that accepts and never answers: the control variant, counted."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        before = variant_stats()["fallback"].get("timeout", 0)
        got = get_variant("exp_x", "u1", default="Be brief.", api_url=url, api_key="k", timeout=0.2)
        assert got.fallback and got.assignment_id is None
        assert (got.name, got.system_prompt) == ("control", "Be brief.")
        assert variant_stats()["fallback"]["timeout"] == before + 1


def test_failures_fall_back_and_answers_are_cached(sentrial_server: LocalServer) -> None:
    url, key = sentrial_server.url, sentrial_server.api_key
    missing = get_variant("exp_missing", "u1", api_url=url, api_key=key, timeout=10)
    assert missing.fallback
    assert variant_stats()["fallback"]["http_404"] >= 1
    assert get_variant("", "u1", api_url=url, api_key=key).fallback
    assert variant_stats()["fallback"]["bad_argument"] >= 1
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}) as http:
        experiment = _experiment(http)
        bad = http.post(f"/api/experiments/{experiment}/assignments", json={"user": "u"})
        assert bad.status_code == 400 and "userId" in bad.json()["message"]
    first = get_variant(experiment, "u1", api_url=url, api_key=key, timeout=10)
    assigned, cached = variant_stats()["assigned"], variant_stats()["cached"]
    assert not first.fallback and first.assignment_id is not None
    assert get_variant(experiment, "u1", api_url=url, api_key=key, timeout=10) == first
    assert variant_stats()["cached"] == cached + 1
    assert variant_stats()["assigned"] == assigned


def test_begin_carries_the_assignment(sentrial_server: LocalServer) -> None:
    client = sentrial.SentrialClient(api_url=sentrial_server.url, api_key=sentrial_server.api_key)
    with sentrial.begin("u1", "support", client=client, experiment_assignment_id="asg_1") as run:
        run.set_output("ok")
    assert client.flush(30)
    client.close()
    with httpx.Client(
        base_url=sentrial_server.url,
        headers={"Authorization": f"Bearer {sentrial_server.api_key}"},
    ) as http:
        (stored,) = http.get("/api/sdk/sessions", params={"agentName": "support"}).json()["data"]
    assert stored["experimentAssignmentId"] == "asg_1"


def test_a_loopback_server_is_reached_past_a_dead_proxy(
    sentrial_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the SDK's delivery does: a proxy variable pointing at nothing does not
    cut get_variant off from a server on this machine."""
    import sentrial.variants as variants

    with socket.socket() as dead:  # a port nothing listens on
        dead.bind(("127.0.0.1", 0))
        port = dead.getsockname()[1]
    url, key = sentrial_server.url, sentrial_server.api_key
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}) as http:
        experiment = _experiment(http)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{port}")
    monkeypatch.setattr(variants, "_clients", {})  # a client made now, under these variables
    got = get_variant(experiment, "proxied-user", api_url=url, api_key=key, timeout=10)
    assert not got.fallback and got.assignment_id is not None
