"""The overview's charts (``sentrial._server._charts``): sessions still
running count neither as successes nor as failures in the success rate."""

from __future__ import annotations

import re
from typing import Any

import httpx

from sentrial._server import LocalServer
from sentrial._server._charts import agent_charts


def _caption(html: str, label: str) -> str:
    (caption,) = re.findall(rf"<figcaption>{label}: ([^<]*)</figcaption>", html)
    return str(caption)


def test_active_sessions_are_left_out_of_the_success_rate(sentrial_server: LocalServer) -> None:
    headers = {"Authorization": f"Bearer {sentrial_server.api_key}"}
    with httpx.Client(base_url=sentrial_server.url, headers=headers, timeout=10) as http:
        # One older session, then six started together (the latest span of time).
        made = [("2026-03-01T00:00:00Z", "failed")] + [
            ("2026-03-01T01:00:00Z", status)
            for status in ("completed", "active", "completed", "active", "failed", "active")
        ]
        for n, (started, status) in enumerate(made):
            body = {"name": f"s{n}", "agentName": "rated", "userId": "u", "startedAt": started}
            sid = http.post("/api/sdk/sessions", json=body).json()["id"]
            if status != "active":
                done = {"status": status, "success": status == "completed"}
                assert http.patch(f"/api/sdk/sessions/{sid}", json=done).status_code == 200
        overview = http.get("/overview")
    assert overview.status_code == 200
    assert _caption(overview.text, "success rate") == "latest 67%"  # 2 of the 3 that ended


def _session(us: int, status: str) -> dict[str, Any]:
    return {"startedUs": us, "status": status, "durationMs": 10.0, "cost": 0.0, "tokens": 0.0}


def test_a_chart_of_only_running_sessions_has_no_rate() -> None:
    html = agent_charts("a", [_session(1_000_000 * n, "active") for n in range(1, 4)])
    assert _caption(html, "success rate") == "latest n/a"
    html = agent_charts("a", [_session(1_000_000, "failed"), _session(2_000_000, "active")])
    assert _caption(html, "success rate") == "latest 0%"
