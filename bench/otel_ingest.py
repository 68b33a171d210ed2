"""Spans stored per second by ``POST /api/otel/v1/traces`` (OTLP/JSON).

Measured as ``server_ingest_eps`` is: ``sentrial serve`` in its own process on
a WAL file, prepared bodies posted one after another from this process.
Each body is one trace of 500 spans (an agent span and GenAI model calls with
tokens, messages and attributes, as instrumented agents emit them), so the
figure includes decoding, the mapping, pricing and the session roll-up.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench._common import API_KEY, median_run, server_process

_MESSAGES = orjson.dumps([{"role": "user", "content": "Where is my order A1? " * 10}]).decode()


def _attr(key: str, value: Any) -> dict[str, Any]:
    kind = "intValue" if isinstance(value, int) else "stringValue"
    return {"key": key, "value": {kind: str(value) if kind == "intValue" else value}}


def _body(batch: int, size: int) -> bytes:
    trace = f"{batch + 1:032x}"
    root = f"{1:016x}"
    start = 1_767_225_600_000_000_000 + batch * 10**9
    spans = [
        {
            "traceId": trace,
            "spanId": root,
            "name": "invoke_agent bench",
            "startTimeUnixNano": str(start),
            "endTimeUnixNano": str(start + 900_000_000),
            "attributes": [
                _attr("gen_ai.operation.name", "invoke_agent"),
                _attr("gen_ai.agent.name", "bench"),
                _attr("user.id", "u"),
            ],
        }
    ]
    spans += [
        {
            "traceId": trace,
            "spanId": f"{i + 2:016x}",
            "parentSpanId": root,
            "name": "chat gpt-4o-mini",
            "startTimeUnixNano": str(start + i * 1000),
            "endTimeUnixNano": str(start + i * 1000 + 500),
            "attributes": [
                _attr("gen_ai.operation.name", "chat"),
                _attr("gen_ai.provider.name", "openai"),
                _attr("gen_ai.request.model", "gpt-4o-mini"),
                # Counts vary as real calls' do (a cache of prices helps little).
                _attr("gen_ai.usage.input_tokens", 100 + (batch * size + i) * 7919 % 50_000),
                _attr("gen_ai.usage.output_tokens", 10 + i % 500),
                _attr("gen_ai.input.messages", _MESSAGES),
            ],
        }
        for i in range(size - 1)
    ]
    resource = {"attributes": [_attr("service.name", "bench-svc")]}
    return orjson.dumps(
        {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": spans}]}]}
    )


def run(batches: int = 40, size: int = 500, repeats: int = 3) -> dict[str, Any]:
    """Median of ``repeats`` runs, each on a fresh database file."""
    return median_run(lambda: _run_once(batches, size), repeats, "spans_per_s")


def _run_once(batches: int, size: int) -> dict[str, Any]:
    bodies = [_body(b, size) for b in range(batches)]
    with tempfile.TemporaryDirectory() as tmp, server_process(str(Path(tmp) / "o.db")) as url:
        headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
        with httpx.Client(base_url=url, headers=headers, timeout=120) as http:
            http.post("/api/otel/v1/traces", content=bodies[0]).raise_for_status()  # warm up
            start = time.perf_counter()
            for body in bodies[1:]:
                response = http.post("/api/otel/v1/traces", content=body)
                assert response.status_code == 200 and response.json() == {}, response.text
            elapsed = time.perf_counter() - start
            stored = sum(
                http.get(f"/api/sdk/sessions/sess_otel-{b + 1:032x}").json()["eventCount"]
                for b in range(batches)
            )
    spans = (batches - 1) * size
    return {
        "spans_per_s": round(spans / elapsed),
        "spans": spans,
        "stored": stored,
        "all_stored": stored == batches * size,
        "batch_size": size,
        "seconds": round(elapsed, 3),
    }
