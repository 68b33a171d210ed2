"""The session viewer in a real headless Chromium (Debian's), driven by Playwright.

Screenshots land in test-artifacts/viewer/.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, sync_playwright

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


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    page = browser.new_page()
    yield page
    page.close()


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
    events.nth(0).locator("summary", has_text="input").click()
    assert '"order": "chen"' in events.nth(0).inner_text()
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
