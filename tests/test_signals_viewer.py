"""The viewer shows signals: on a session's page (with its diagnosis), as a
filter of the sessions list, per agent per day on the overview, and production
sessions per variant on an experiment's page."""

from __future__ import annotations

import re

import httpx

from .test_signals import DONE, _tool, http, record

__all__ = ["http"]  # the fixture


def _page(http: httpx.Client, path: str) -> str:
    response = http.get(path)
    assert response.status_code == 200, response.text
    return response.text


def test_session_page_list_filter_and_overview(http: httpx.Client) -> None:
    same = _tool("search", {"q": "x"})
    record(http, "sess_ok", agent="helper", events=[same], end=DONE)
    record(http, "sess_loop", agent="helper", events=[same, same, same], end={"status": "failed"})
    page = _page(http, "/sessions/sess_loop")
    assert page.index("id='signals'") < page.index("id='diagnosis'") < page.index("id='events'")
    assert set(re.findall(r"data-signal='(\w+)'", page)) == {"failed_session", "loop"}
    assert "search called 3 times with the same input" in page
    assert "Most similar successful session: sess_ok" in page
    assert "id='signals'" not in _page(http, "/sessions/sess_ok")

    listed = _page(http, "/?signal=loop")
    assert "/sessions/sess_loop" in listed and "/sessions/sess_ok" not in listed
    negative = _page(http, "/?signal=negative")
    assert negative.count("/sessions/sess_loop'") == 2  # one row per signal
    assert "id='signal-filter'" in _page(http, "/")

    overview = _page(http, "/overview")
    table = overview[overview.index("id='negatives'") :]
    assert "<td>helper</td>" in table
    assert re.search(r"title='helper \d{4}-\d\d-\d\d: 2'", table)


def test_experiment_page_shows_production_per_variant(http: httpx.Client) -> None:
    created = http.post(
        "/api/experiments",
        json={"name": "ab", "variants": [{"name": "a", "systemPrompt": "A"}]},
    ).json()["experiment"]
    assignment = http.post(
        f"/api/experiments/{created['id']}/assignments", json={"userId": "u9"}
    ).json()["assignment"]
    http.post(
        "/api/sdk/sessions",
        json={
            "id": "sess_prod",
            "name": "p",
            "agentName": "bot",
            "userId": "u9",
            "experimentAssignmentId": assignment["id"],
        },
    ).raise_for_status()
    http.patch("/api/sdk/sessions/sess_prod", json={"status": "failed"}).raise_for_status()
    page = _page(http, f"/experiments/{created['id']}")
    row = page[page.index("class='production' data-variant='a'") :].split("</tr>")[0]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row)
    assert cells[0] == "a" and cells[1] == "1" and cells[-1] == "1"  # 1 session, 1 negative
