"""The session viewer in a real headless Chromium (Debian's), driven by Playwright.

Screenshots land in test-artifacts/viewer/.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Dialog,
    Page,
    ViewportSize,
    sync_playwright,
)

from sentrial import SentrialClient
from sentrial._server import LocalServer

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "viewer"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


LAPTOP: ViewportSize = {"width": 1366, "height": 768}


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    page = browser.new_page(viewport=LAPTOP)
    yield page
    page.close()


@pytest.fixture
def client(sentrial_server: LocalServer, tmp_path: Path) -> Iterator[SentrialClient]:
    client = SentrialClient(
        api_key=sentrial_server.api_key, api_url=sentrial_server.url, spool_dir=str(tmp_path)
    )
    yield client
    client.close()


def _no_horizontal_scroll(page: Page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"


def test_list_filter_and_open_a_session(
    sentrial_server: LocalServer, tmp_path: Path, page: Page
) -> None:
    client = SentrialClient(
        api_key=sentrial_server.api_key, api_url=sentrial_server.url, spool_dir=str(tmp_path)
    )
    for user in ("ana", "ben", "chen"):
        sid = client.create_session(f"help {user}", "support_agent", user)
        client.track_tool_call(
            sid, "lookup_order", {"order": user}, {"status": "shipped"}, duration_ms=15
        )
        client.track_llm_call(
            sid,
            "gpt-4o-mini",
            input=[{"role": "user", "content": "hi"}],
            output="hello",
            prompt_tokens=50,
            completion_tokens=10,
        )
        client.complete_session(
            sid,
            success=user != "chen",
            failure_reason=None if user != "chen" else "order lost",
            duration_ms=1200,
        )
    other = client.create_session("billing question", "billing_agent", "dee")
    client.track_error(other, ValueError("card declined"), tool_name="charge")
    client.complete_session(other, success=False, failure_reason="ValueError: card declined")
    assert client.flush(10)
    client.close()

    page.goto(sentrial_server.url + "/")
    assert page.title() == "Sentrial sessions"
    assert page.locator("#sessions tr.session").count() == 4
    agents = page.locator("#agents").inner_text()
    assert "support_agent" in agents and "67%" in agents and "billing_agent" in agents
    page.screenshot(path=str(ARTIFACTS / "1-sessions.png"), full_page=True)

    page.fill("input[name=agent]", "support_agent")
    page.select_option("select[name=status]", "failed")
    page.click("button[type=submit]")
    rows = page.locator("#sessions tr.session")
    assert rows.count() == 1 and "chen" in rows.first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "2-filtered.png"), full_page=True)

    rows.first.locator("a").click()
    page.wait_for_selector("#events")
    assert page.locator("#status").inner_text() == "failed"
    events = page.locator("#events tr.event")
    assert events.count() == 2
    assert "lookup_order" in events.nth(0).inner_text()
    assert "gpt-4o-mini" in events.nth(1).inner_text() and "60" in events.nth(1).inner_text()
    # The per-event cost column: gpt-4o-mini, 50 input and 10 output tokens at
    # $0.15 and $0.60 per million = $0.0000135; a tool call costs nothing shown.
    costs = [events.nth(i).locator("td.num").nth(2).inner_text() for i in range(2)]
    assert costs == ["", "$0.0000135"]
    assert events.nth(0).locator(".kv", has_text="input").inner_text().split() == [
        "input",
        '{"order":"chen"}',
    ]
    page.screenshot(path=str(ARTIFACTS / "3-session.png"), full_page=True)

    page.goto(sentrial_server.url + f"/sessions/{other}")
    error_row = page.locator("#events tr.event.error")
    assert error_row.count() == 1 and "charge" in error_row.inner_text()
    page.screenshot(path=str(ARTIFACTS / "4-error.png"), full_page=True)


def test_stored_markup_never_runs_and_the_page_keeps_its_style(
    sentrial_server: LocalServer, page: Page
) -> None:
    """Values a store holds where numbers belong (a former version, or a write past
    the API) are escaped; the CSP lets the page's own style apply and nothing run."""
    payload = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    storage = sentrial_server.storage
    session = storage.create_session({"name": payload, "agentName": payload, "userId": payload})
    storage.update_session(session["id"], {"totalTokens": payload, "estimatedCost": payload})
    storage.create_event(
        {"sessionId": session["id"], "eventType": "tool_call", "promptTokens": payload}
    )
    dialogs: list[str] = []
    violations: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            violations.append(message.text)

    page.on("dialog", on_dialog)
    page.on("console", on_console)
    for path in ("/", f"/sessions/{session['id']}"):
        page.goto(sentrial_server.url + path)
        assert payload in page.locator("body").inner_text()  # shown as text
        margin = page.evaluate("getComputedStyle(document.body).marginTop")
        assert margin == "32px"  # the page's stylesheet applied (2rem)
    page.screenshot(path=str(ARTIFACTS / "5-escaped.png"), full_page=True)
    assert dialogs == []
    assert [v for v in violations if "Content Security Policy" in v] == []


def _record_trip(client: SentrialClient) -> dict[str, str]:
    """A failed run with a child session that has a child of its own."""
    root = client.create_session("plan a trip", "planner", "ana", metadata={"plan": "gold"})
    child = client.create_session("find flights", "flights_agent", "ana", parent_session_id=root)
    grandchild = client.create_session(
        "price check", "pricing_agent", "ana", parent_session_id=child
    )
    client.track_tool_call(
        grandchild, "fare_api", {"route": "LIS-NYC"}, {"fare": 420}, duration_ms=40
    )
    client.complete_session(grandchild, success=True, duration_ms=60)
    client.track_tool_call(
        child, "search_flights", {"to": "NYC"}, {"hits": 3}, duration_ms=900, trace_id="t-1"
    )
    client.complete_session(child, success=True, duration_ms=1000)
    client.track_llm_call(
        root,
        "gpt-4o",
        provider="openai",
        input=[
            {"role": "system", "content": "You book trips."},
            {"role": "user", "content": "Book me a flight to NYC"},
        ],
        output={"content": None, "tool_calls": [{"name": "book", "arguments": '{"f": "TP209"}'}]},
        prompt_tokens=30,
        completion_tokens=12,
    )
    client.track_decision(
        root, "book the cheapest", alternatives=["ask the user", "wait"], confidence=0.82
    )
    try:
        raise TimeoutError("booking service timed out")
    except TimeoutError as exc:
        client.track_error(root, exc, tool_name="book")
    client.complete_session(
        root,
        success=False,
        failure_reason="TimeoutError: booking service timed out",
        user_input="Trip to NYC, " + "next week " * 40,
        assistant_output="Could not book",
    )
    assert client.flush(10)
    return {"root": root, "child": child, "grandchild": grandchild}


def test_session_page_waterfall_children_chat_decision_and_error(
    sentrial_server: LocalServer, client: SentrialClient, browser: Browser
) -> None:
    ids = _record_trip(client)
    context = browser.new_context(viewport=LAPTOP)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(sentrial_server.url + f"/sessions/{ids['root']}")
    summary = page.locator("#summary").inner_text()
    assert "failed" in summary and "planner" in summary and "42" in summary
    assert "booking service timed out" in page.locator("#failure").inner_text()
    io = page.locator("#io").inner_text()
    assert "Trip to NYC" in io and "Could not book" in io and '"plan": "gold"' in io

    # The waterfall: the session, its events, the child and the grandchild (nested deeper).
    bars = page.locator("#waterfall tr.bar")
    labels = [bars.nth(i).inner_text() for i in range(bars.count())]
    assert any("find flights" in label for label in labels)
    # Events sharing a traceId hang under one row for the trace.
    assert page.locator("#waterfall tr.bar.trace td.d2", has_text="t-1").count() == 1
    assert page.locator("#waterfall tr.bar td.d3", has_text="search_flights").count() == 1
    grandchild_bar = page.locator("#waterfall tr.bar.child", has_text="price check")
    assert grandchild_bar.locator("td.d2").count() == 1
    assert page.locator("#waterfall tr.bar.child td.d1", has_text="find flights").count() == 1
    # The slow tool's bar is wider than the fast one's.
    slow = page.locator("#waterfall tr.bar", has_text="search_flights").locator("rect")
    fast = page.locator("#waterfall tr.bar", has_text="fare_api").locator("rect")
    assert slow.bounding_box()["width"] > 5 * fast.bounding_box()["width"]  # type: ignore[index]
    assert "find flights" in page.locator("#children").inner_text()

    # The LLM call as chat, the decision with its alternatives, the error with its stack.
    llm = page.locator("#events tr.event.llm_call")
    assert llm.locator(".msg.system").inner_text().endswith("You book trips.")
    assert "Book me a flight to NYC" in llm.locator(".msg.user").inner_text()
    assert "book" in llm.locator(".msg.assistant .toolcall").inner_text()
    decision = page.locator("#events tr.event.llm_decision").inner_text()
    assert "ask the user" in decision and "82%" in decision
    error = page.locator("#events tr.event.error")
    assert (
        "TimeoutError" in error.inner_text() and "booking service timed out" in error.inner_text()
    )
    assert "Traceback" in error.locator("pre.stack").inner_text()

    # Every value is copyable as JSON.
    error.locator("button.copy").click()
    page.wait_for_selector("#events tr.event.error button.copy:text('copied')")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert '"eventType": "error"' in copied and ids["root"] in copied
    page.locator("#io button.copy").first.click()
    page.wait_for_selector("#io button.copy:text('copied')")
    assert page.evaluate("navigator.clipboard.readText()") == "Trip to NYC, " + "next week " * 40
    link = error.locator("a.json").get_attribute("href")
    assert link is not None and link.startswith(f"/sessions/{ids['root']}/events/evt_")
    _no_horizontal_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "6-waterfall.png"), full_page=True)

    page.locator("#waterfall a.child", has_text="price check").click()
    page.wait_for_selector("#parent")
    assert page.locator("h1").inner_text() == "price check"
    assert page.locator("#parent").inner_text() == ids["child"]
    answer = page.goto(sentrial_server.url + link)
    assert answer is not None and answer.status == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["toolError"]["type"] == "TimeoutError"
    elsewhere = link.replace(ids["root"], ids["child"])  # the same event id, another session
    missing = page.goto(sentrial_server.url + elsewhere)
    assert missing is not None and missing.status == 404  # not an event of that session
    context.close()


def test_sessions_list_pages_past_200_and_searches(
    sentrial_server: LocalServer, client: SentrialClient, page: Page
) -> None:
    for i in range(250):
        sid = client.create_session(f"run {i:03d}", "bulk_agent", f"user{i % 5}")
        client.complete_session(sid, success=i % 10 != 0, user_input=f"question {i:03d}")
    special = client.create_session("refund for order 77", "support_agent", "zoe")
    client.complete_session(special, success=True, assistant_output="Refund issued: 5 days")
    assert client.flush(20)

    page.goto(sentrial_server.url + "/")
    rows = page.locator("#sessions tr.session")
    assert rows.count() == 200
    assert "$0.000000" not in page.content()
    assert rows.first.locator("time").inner_text() in ("just now", "1 s ago", "2 s ago")
    exact = rows.first.locator("time").get_attribute("title")
    assert exact is not None and exact.endswith("UTC")
    page.click("#next")
    assert page.locator("#sessions tr.session").count() == 51
    assert "run 000" in page.locator("#sessions").inner_text()
    page.screenshot(path=str(ARTIFACTS / "7-second-page.png"), full_page=True)

    # Search reaches inputs and outputs; the filters stay in the URL.
    page.goto(sentrial_server.url + "/")
    page.fill("input[name=q]", "REFUND ISSUED")
    page.click("button[type=submit]")
    assert page.locator("#sessions tr.session").count() == 1
    assert "refund for order 77" in page.locator("#sessions").inner_text()
    assert "q=REFUND+ISSUED" in page.url
    page.goto(sentrial_server.url + "/?q=question+24&status=failed&agent=bulk_agent")
    listed = page.locator("#sessions tr.session")
    assert listed.count() == 1 and "run 240" in listed.inner_text()
    assert page.locator("select[name=status]").input_value() == "failed"
    page.goto(sentrial_server.url + "/?to=2000-01-01")
    assert page.locator("#sessions tr.session").count() == 0 and page.locator("#empty").count()
    page.goto(sentrial_server.url + "/?from=2000-01-01&user=zoe")
    assert page.locator("#sessions tr.session").count() == 1
    _no_horizontal_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "8-search.png"), full_page=True)


def test_new_events_and_sessions_appear_without_a_reload(
    sentrial_server: LocalServer, client: SentrialClient, page: Page
) -> None:
    sid = client.create_session("long run", "live_agent", "ana")
    client.track_tool_call(sid, "step_one", {}, {"ok": True})
    assert client.flush(10)
    page.goto(sentrial_server.url + f"/sessions/{sid}")
    assert page.locator("#events tr.event").count() == 1
    page.evaluate("window.notReloaded = true")
    client.track_tool_call(sid, "step_two", {"n": 2}, {"ok": True}, duration_ms=5)
    client.complete_session(sid, success=True)
    assert client.flush(10)
    page.wait_for_selector("#events tr.event:has-text('step_two')", timeout=15_000)
    page.wait_for_selector("#status.completed", timeout=15_000)
    assert page.evaluate("window.notReloaded") is True
    page.screenshot(path=str(ARTIFACTS / "9-live.png"), full_page=True)

    page.goto(sentrial_server.url + "/")
    page.evaluate("window.notReloaded = true")
    client.create_session("brand new run", "live_agent", "ben")
    assert client.flush(10)
    page.wait_for_selector("#sessions tr.session:has-text('brand new run')", timeout=15_000)
    assert page.evaluate("window.notReloaded") is True


def test_dark_mode_follows_the_system(
    sentrial_server: LocalServer, client: SentrialClient, browser: Browser
) -> None:
    ids = _record_trip(client)
    schemes: tuple[tuple[Literal["dark", "light"], bool], ...] = (("dark", True), ("light", False))
    for scheme, dark in schemes:
        page = browser.new_page(viewport=LAPTOP, color_scheme=scheme)
        page.goto(sentrial_server.url + f"/sessions/{ids['root']}")
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        red, green, blue = (int(x) for x in background[4:-1].split(","))
        assert (red + green + blue < 150) is dark, background
        if dark:
            page.screenshot(path=str(ARTIFACTS / "10-dark.png"), full_page=True)
            page.goto(sentrial_server.url + "/")
            page.screenshot(path=str(ARTIFACTS / "11-dark-list.png"), full_page=True)
        page.close()


def test_the_404_page_answers_404_with_a_way_back(
    sentrial_server: LocalServer, client: SentrialClient, page: Page
) -> None:
    client.create_session("only run", "agent_404", "ana")
    assert client.flush(10)
    for path in ("/sessions/sess_missing", "/no/such/page"):
        response = page.goto(sentrial_server.url + path)
        assert response is not None and response.status == 404
        assert page.title() == "Not found"
    page.screenshot(path=str(ARTIFACTS / "12-404.png"), full_page=True)
    page.click("#home")
    assert page.title() == "Sentrial sessions"
    assert "only run" in page.locator("#sessions").inner_text()


def test_overview_charts(sentrial_server: LocalServer, client: SentrialClient, page: Page) -> None:
    for i in range(30):
        sid = client.create_session(f"run {i}", "chart_agent", "ana")
        client.track_llm_call(sid, "gpt-4o-mini", prompt_tokens=100 + i, completion_tokens=10)
        client.complete_session(sid, success=i % 4 != 0, duration_ms=100 + 10 * i)
    assert client.flush(10)
    page.goto(sentrial_server.url + "/overview")
    section = page.locator("section.agent-charts[data-agent=chart_agent]")
    assert section.locator("figure").count() == 4
    assert "last 30 sessions" in section.inner_text()
    assert section.locator("svg polyline").count() == 3  # success rate, p50, p95
    assert "total 3,735" in section.locator("figure[data-chart=tokens]").inner_text()
    assert "73%" in page.locator("#agents").inner_text()  # 22 of 30
    _no_horizontal_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "13-overview.png"), full_page=True)
