"""Caller-thread cost of tracking, against one direct POST per event (the published SDK)."""

from __future__ import annotations

import gc
import tempfile
import time
from typing import Any

from sentrial_api import AuthenticatedClient
from sentrial_api.api.default import create_event, create_session
from sentrial_api.models import EventCreate, EventType, JsonObject, SessionCreate

import sentrial
from bench._common import API_KEY, OUTPUT_1KB, PAYLOAD_1KB, server_process, summarize_ns


def _ours(url: str, calls: int, warmup: int = 2000) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as spool:
        client = sentrial.SentrialClient(api_key=API_KEY, api_url=url, spool_dir=spool)
        sid = client.create_session("bench", "bench-agent", "u")
        for _ in range(warmup):  # warm up: thread started, caches filled
            client.track_tool_call(sid, "search", PAYLOAD_1KB, OUTPUT_1KB)
        client.flush(30)
        samples = []
        track = client.track_tool_call
        clock = time.perf_counter_ns
        gc.disable()
        try:
            for _ in range(calls):
                start = clock()
                track(sid, "search", PAYLOAD_1KB, OUTPUT_1KB)
                samples.append(clock() - start)
        finally:
            gc.enable()
        client.flush(60)
        stats = client.stats()
        client.shutdown(5)
    # Delivered: what stats() counts as sent, not what flush() returned.
    delivered = stats["sent"] == stats["tracked"] and not stats["dropped"]
    return {**summarize_ns(samples), "delivered": delivered, "sent": stats["sent"]}


def _baseline(url: str, calls: int) -> dict[str, Any]:
    """What the published SDK does per event: one synchronous request on the caller's thread."""
    with AuthenticatedClient(base_url=url, token=API_KEY) as api:
        session = create_session.sync(
            client=api, body=SessionCreate(name="bench", agent_name="bench-agent", user_id="u")
        )
        assert session is not None and not hasattr(session, "error")
        sid = session.id
        assert isinstance(sid, str)
        samples = []
        clock = time.perf_counter_ns
        for i in range(calls + 50):
            start = clock()
            create_event.sync_detailed(
                client=api,
                body=EventCreate(
                    session_id=sid,
                    event_type=EventType.TOOL_CALL,
                    tool_name="search",
                    tool_input=JsonObject.from_dict(PAYLOAD_1KB),
                    tool_output=JsonObject.from_dict(OUTPUT_1KB),
                ),
            )
            if i >= 50:  # after warm-up
                samples.append(clock() - start)
    return summarize_ns(samples)


def _begin_finish(url: str, rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as spool:
        client = sentrial.configure(api_key=API_KEY, api_url=url, spool_dir=spool)
        samples = []
        clock = time.perf_counter_ns
        for _ in range(rounds):
            start = clock()
            interaction = sentrial.begin(user_id="u", event="bench-agent", input="question")
            for _ in range(5):
                interaction.track_tool_call("search", PAYLOAD_1KB, OUTPUT_1KB)
            interaction.finish(output="answer", success=True)
            samples.append(clock() - start)
        client.flush(60)
        client.shutdown(5)
    return summarize_ns(samples)


def run(
    calls: int = 20_000, baseline_calls: int = 500, warmup: int = 2000, rounds: int = 2000
) -> dict[str, Any]:
    with server_process() as url:
        baseline = _baseline(url, baseline_calls)
        ours = _ours(url, calls, warmup)
        begin_finish = _begin_finish(url, rounds)
    return {
        "hot_path_us": {
            "sentrial": ours["median_us"],
            "sentrial_p99": ours["p99_us"],
            "baseline": baseline["median_us"],
            "baseline_p99": baseline["p99_us"],
            "ratio": round(baseline["median_us"] / ours["median_us"], 1),
            "calls": calls,
            "all_delivered": ours["delivered"],
        },
        "begin_finish_us": {
            "sentrial": begin_finish["median_us"],
            "sentrial_p99": begin_finish["p99_us"],
        },
    }
