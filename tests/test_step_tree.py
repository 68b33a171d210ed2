"""Steps have parents (issue #31): what runs inside a step names it.

A ``@tool`` inside a ``@tool``, an LLM call (wrap_openai) inside a tool, a
session begun inside a step: each records the step it ran in, across threads
(``contextvars.copy_context``) and asyncio tasks, and its start as its time.
A plain server (no ``otel`` capability) gets none of it.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import openai

import sentrial
from sentrial import SentrialClient

from ._faults import serve_app
from ._standins import StandIn
from .conftest import Reader, run_cli

MESSAGES: Any = [{"role": "user", "content": "Summarize the findings."}]


def _tools(llm: str) -> tuple[Any, Any]:
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

    return research, summarize


def _by_name(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(e.get("toolName") or e.get("model")): e for e in events}


def _time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _assert_chain(events: list[dict[str, Any]]) -> None:
    """research -> summarize -> gpt-4o-mini, each starting when (or after) its parent did."""
    steps = _by_name(events)
    research, summarize, llm = steps["research"], steps["summarize"], steps["gpt-4o-mini"]
    assert research["spanId"] and summarize["spanId"]
    assert research.get("parentSpanId") is None
    assert summarize["parentSpanId"] == research["spanId"]
    assert llm["parentSpanId"] == summarize["spanId"]
    # the timestamp is the start: the parent started first, though it ended last
    starts = [_time(e["timestamp"]) for e in (research, summarize, llm)]
    assert starts == sorted(starts)
    ends = [
        s + dt.timedelta(milliseconds=e["durationMs"])
        for s, e in zip(starts, (research, summarize, llm), strict=True)
    ]
    assert ends[0] >= ends[1] >= ends[2]
    # listed by start: the parent before its children
    assert [e["id"] for e in events] == [research["id"], summarize["id"], llm["id"]]


def test_nested_tool_and_llm_call_record_their_parents(
    llm: str, client: SentrialClient, reader: Reader
) -> None:
    research, _ = _tools(llm)
    with sentrial.begin(user_id="u", event="nest") as interaction:
        research("tides")
    assert client.flush(10)
    _assert_chain(reader.events(interaction.session_id))


def test_parents_flow_into_threads_with_copy_context(
    llm: str, client: SentrialClient, reader: Reader
) -> None:
    research, summarize = _tools(llm)

    @sentrial.tool
    def fan_out(topics: list[str]) -> list[str]:
        with ThreadPoolExecutor(2) as pool:
            futures = [pool.submit(contextvars.copy_context().run, summarize, t) for t in topics]
            return [f.result() for f in futures]

    with sentrial.begin(user_id="u", event="threads") as interaction:
        fan_out(["a", "b"])
        research("c")  # a sibling of fan_out: the step ended
    assert client.flush(10)
    events = reader.events(interaction.session_id)
    fan = next(e for e in events if e.get("toolName") == "fan_out")
    top = next(e for e in events if e.get("toolName") == "research")
    summaries = [e for e in events if e.get("toolName") == "summarize"]
    assert len(summaries) == 3
    under_fan = [s for s in summaries if s.get("parentSpanId") == fan["spanId"]]
    under_research = [s for s in summaries if s.get("parentSpanId") == top["spanId"]]
    assert len(under_fan) == 2 and len(under_research) == 1
    assert fan.get("parentSpanId") is None and top.get("parentSpanId") is None
    llm_parents = sorted(e["parentSpanId"] for e in events if e.get("model") == "gpt-4o-mini")
    assert llm_parents == sorted(s["spanId"] for s in summaries)


def test_parents_flow_into_asyncio_tasks(llm: str, client: SentrialClient, reader: Reader) -> None:
    @sentrial.tool
    async def leaf(n: int) -> int:
        await asyncio.sleep(0.01 * n)
        return n

    @sentrial.tool
    async def gather() -> list[int]:
        return list(await asyncio.gather(leaf(1), leaf(2)))

    async def main() -> str:
        with sentrial.begin(user_id="u", event="tasks") as interaction:
            await gather()
            await leaf(0)
        return interaction.session_id

    sid = asyncio.run(main())
    assert client.flush(10)
    events = reader.events(sid)
    head = next(e for e in events if e.get("toolName") == "gather")
    leaves = [e for e in events if e.get("toolName") == "leaf"]
    assert sorted(
        (e["toolInput"]["n"], e.get("parentSpanId") == head["spanId"]) for e in leaves
    ) == [(0, False), (1, True), (2, True)]
    assert head.get("parentSpanId") is None


def test_a_session_begun_inside_a_step_is_its_child(client: SentrialClient, reader: Reader) -> None:
    @sentrial.tool
    def delegate(task: str) -> str:
        with sentrial.begin(user_id="u", event="sub-agent", input=task) as sub:
            sub.track_decision("do it")
            holder.append(sub.session_id)
        return "done"

    holder: list[str] = []
    with sentrial.begin(user_id="u", event="lead") as interaction:
        delegate("write")
    assert client.flush(10)
    (step,) = reader.events(interaction.session_id)
    child = reader.session(holder[0])
    assert child["parentSessionId"] == interaction.session_id
    assert child["parentSpanId"] == step["spanId"]
    # the child's own steps are its roots (their parent is in another session)
    (decision,) = reader.events(holder[0])
    assert decision.get("parentSpanId") is None


def test_a_plain_server_receives_no_parent_field(llm: str, tmp_path: Path) -> None:
    standin = StandIn()
    with serve_app(standin.app()) as url:
        plain = sentrial.configure(api_key="k", api_url=url, spool_dir=str(tmp_path))
        try:
            research, _ = _tools(llm)

            @sentrial.tool
            def delegate() -> None:
                with sentrial.begin(user_id="u", event="sub"):
                    research("inner")

            with sentrial.begin(user_id="u", event="lead"):
                research("tides")
                delegate()
            assert plain.flush(10)
        finally:
            plain.close()
    assert standin.rejections == []
    assert len(standin.sessions) == 2 and len(standin.events) == 7
    bodies = [*standin.sessions.values(), *standin.events]
    assert not [b for b in bodies if "parentSpanId" in b]
    # spanId is a documented field: the steps still carry theirs
    assert len({e["spanId"] for e in standin.events if e.get("toolName") == "research"}) == 2


def test_show_prints_the_tree(llm: str, client: SentrialClient, env: dict[str, str]) -> None:
    research, _ = _tools(llm)

    @sentrial.tool
    def report(text: str) -> str:
        return text.upper()

    with sentrial.begin(user_id="u", event="nest") as interaction:
        research("tides\x1b[2J")  # a stored escape sequence is shown, not run
        report("done")
    assert client.flush(10)
    out = run_cli("show", interaction.session_id, env=env)
    assert out.returncode == 0, out.stderr
    steps = [line for line in out.stdout.splitlines() if "_call" in line]
    # (branch, kind, name): research at 0, summarize under it, the LLM call under summarize
    shapes = [(line.split("─")[0] + "─", *line.split("─")[-1].split()[1:3]) for line in steps]
    assert shapes == [
        ("├─", "tool_call", "research"),
        ("│  └─", "tool_call", "summarize"),
        ("│     └─", "llm_call", "gpt-4o-mini"),
        ("└─", "tool_call", "report"),
    ], out.stdout
    # each step: start offset from the session's start, duration, tokens and cost
    offsets = [line.split("─")[-1].split()[0] for line in steps]
    assert all(o.startswith("+") and o.endswith("ms") for o in offsets), offsets
    starts = [float(o.removeprefix("+").removesuffix("ms")) for o in offsets]
    assert starts == sorted(starts)  # by start: a step before the steps it holds
    assert "15 tok" in steps[2] and "$0.0000054" in steps[2]
    assert "\x1b" not in out.stdout and "\\u001b[2J" in out.stdout
