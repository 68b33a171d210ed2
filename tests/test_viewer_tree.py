"""The session page's timeline as a tree (issue #31), in headless Chromium.

A session made by the SDK as people write it: ``research -> summarize ->
gpt-4o-mini`` (nested ``@tool`` calling a wrapped OpenAI client), then a
``delegate`` tool that runs a child session. The timeline nests each step
under the step it ran in, by start; the child session sits under
``delegate``; a picked row shows its detail beside the tree. Screenshots in
light and dark, at 1280x720 and 1400x1000, land in test-artifacts/viewer/.
"""

from __future__ import annotations

from typing import Any, Literal

import openai
from playwright.sync_api import Browser, Page, ViewportSize

import sentrial
from sentrial import SentrialClient
from sentrial._server import LocalServer

from .test_viewer import ARTIFACTS, browser  # noqa: F401  (the Chromium fixture)

MESSAGES: Any = [{"role": "user", "content": "Summarize the tides of Lisbon."}]
SCREENS: tuple[ViewportSize, ...] = (
    {"width": 1280, "height": 720},
    {"width": 1400, "height": 1000},
)


def _record(llm: str) -> tuple[str, str]:
    model = sentrial.wrap_openai(
        openai.OpenAI(api_key="sk-test", base_url=llm + "/v1", max_retries=0)
    )

    @sentrial.tool
    def summarize(text: str) -> str:
        reply = model.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        return f"{text}: {reply.choices[0].message.content}"

    @sentrial.tool
    def research(topic: str) -> str:
        return summarize(topic)

    @sentrial.tool
    def lookup(place: str) -> dict[str, str]:
        return {"place": place, "tide": "high at 14:05"}

    @sentrial.tool
    def delegate(task: str) -> str:
        with sentrial.begin(user_id="ana", event="tide_agent", input=task) as sub:
            lookup("Lisbon")
            sub.set_output("high at 14:05")
            child.append(sub.session_id)
        return "done"

    child: list[str] = []
    with sentrial.begin(user_id="ana", event="planner", input="When is high tide?") as run:
        research("tides")
        delegate("tide times")
        run.set_output("High tide is at 14:05.")
    return run.session_id, child[0]


def _rows(page: Page) -> list[tuple[int, str, str]]:
    """(depth, kind, name) of each timeline row, top to bottom."""
    rows: list[list[str]] = page.eval_on_selector_all(
        "#waterfall tr.bar",
        "rows => rows.map(r => [r.cells[0].className, r.className, r.cells[0].innerText])",
    )
    out = []
    for cell, kind, text in rows:
        depth = int(cell.split()[0].removeprefix("d"))
        name = text.split()[0] if text.strip() else ""
        out.append((depth, kind.removeprefix("bar ").strip(), name))
    return out


def test_the_timeline_is_a_tree_with_a_detail_panel(
    sentrial_server: LocalServer,
    client: SentrialClient,
    llm: str,
    browser: Browser,  # noqa: F811
) -> None:
    root, child = _record(llm)
    assert client.flush(10)
    schemes: tuple[Literal["light", "dark"], ...] = ("light", "dark")
    for scheme in schemes:
        for screen in SCREENS:
            page = browser.new_page(viewport=screen, color_scheme=scheme)
            page.goto(sentrial_server.url + f"/sessions/{root}")
            rows = _rows(page)
            assert rows[0][:2] == (0, "session")
            assert rows[1:] == [
                (1, "tool_call", "research"),
                (2, "tool_call", "summarize"),
                (3, "llm_call", "gpt-4o-mini"),
                (1, "tool_call", "delegate"),
                (2, "child", "tide_agent:" + rows[5][2].removeprefix("tide_agent:")),
                (3, "tool_call", "lookup"),
            ]
            assert rows[5][2].startswith("tide_agent:")
            # every kind in the timeline is in the legend
            legend = page.locator("#legend").inner_text()
            for word in ("tool", "LLM call", "decision", "error", "child session"):
                assert word in legend
            # picking the LLM call shows its model, input, tokens and cost beside the tree
            page.locator("#waterfall tr.bar.llm_call").click()
            detail = page.locator("#detail")
            detail.locator("pre.d-JSON").wait_for()
            text = detail.inner_text()
            assert "gpt-4o-mini" in text and "Summarize the tides of Lisbon." in text
            assert "tokens" in text and "$" in text
            assert page.locator("#waterfall tr.bar.sel").count() == 1
            box = detail.bounding_box()
            tree = page.locator("#waterfall").bounding_box()
            assert box is not None and tree is not None
            assert box["x"] >= tree["x"] + tree["width"]  # beside the tree, not below it
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"the page scrolls sideways by {overflow}px"
            name = f"tree-{scheme}-{screen['width']}x{screen['height']}.png"
            page.screenshot(path=str(ARTIFACTS / name))
            # a step of the child session opens its own detail (its own JSON)
            page.locator("#waterfall tr.bar", has_text="lookup").click()
            page.locator("#detail h3", has_text="lookup").wait_for()
            assert "high at 14:05" in page.locator("#detail").inner_text()
            page.close()
    # the child session's own page starts its tree at its steps
    page = browser.new_page(viewport=SCREENS[0])
    page.goto(sentrial_server.url + f"/sessions/{child}")
    assert [(d, k, n) for d, k, n in _rows(page)[1:]] == [(1, "tool_call", "lookup")]
    assert page.locator("#parent").inner_text() == root
    page.close()
