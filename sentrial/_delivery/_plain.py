"""Request bodies for a server that lacks some of our extensions.

Such a server gets what the published SDK sends and nothing more: documented
fields and event types. An LLM call becomes what existing Sentrial data holds
for one: a ``tool_call`` named ``llm:<provider>:<model>`` (an ``error`` event
when the call failed) with its tokens and cost, model details in
``metadata``. A tool's duration goes to ``metadata.duration_ms``, where the
published ``@tool`` decorator puts it. Nothing here imports the generated
package: bodies are dicts keyed by JSON names, values as captured (JSON
bytes stay bytes).
"""

from __future__ import annotations

from typing import Any

import orjson

from .._capabilities import EXTENSION_FIELDS, LLM_CALL, Capabilities

# LLM details kept in metadata: metadata key -> JSON key of the llm_call body.
_LLM_DETAILS = (
    ("duration_ms", "durationMs"),
    ("prompt_tokens", "promptTokens"),
    ("completion_tokens", "completionTokens"),
    ("cached_tokens", "cachedTokens"),
    ("cache_write_tokens", "cacheWriteTokens"),
)
_KEPT_FROM_LLM_CALL = (
    "id",
    "sessionId",
    "timestamp",
    "estimatedCost",
    "tokenCount",
    "toolError",
    "traceId",
    "spanId",
)


def adapt(kind: str, body: dict[str, Any], caps: Capabilities) -> dict[str, Any]:
    """``body`` without the extensions ``caps`` lacks (a new dict)."""
    if kind == "create_event" and LLM_CALL not in caps:
        if body.get("eventType") == "llm_call":
            body = _llm_call_as_tool_call(body)
        elif body.get("durationMs") is not None:
            body = _with_metadata(body, {"duration_ms": body["durationMs"]})
    extensions = EXTENSION_FIELDS[kind]
    return {k: v for k, v in body.items() if k not in extensions or extensions[k] in caps}


def _json(value: Any) -> Any:
    return orjson.Fragment(value) if type(value) is bytes else value


def _llm_call_as_tool_call(body: dict[str, Any]) -> dict[str, Any]:
    provider = str(body.get("provider") or "unknown")
    model = str(body.get("model") or "unknown")
    out = {key: body[key] for key in _KEPT_FROM_LLM_CALL if key in body}
    out["toolName"] = f"llm:{provider}:{model}"
    out["toolInput"] = {"messages": _json(body.get("input")), "model": model, "provider": provider}
    if "toolError" in body:
        out["eventType"] = "error"
    else:
        out["eventType"] = "tool_call"
        out["reasoning"] = f"LLM call to {provider} {model}"
        prompt, completion = body.get("promptTokens"), body.get("completionTokens")
        total = (prompt or 0) + (completion or 0) if prompt or completion else None
        out["toolOutput"] = {
            "content": _json(body.get("output")),
            "tokens": {"prompt": prompt, "completion": completion, "total": total},
            "cost_usd": body.get("estimatedCost"),
        }
    details: dict[str, Any] = {"provider": provider, "model": model}
    details.update({name: body[key] for name, key in _LLM_DETAILS if body.get(key) is not None})
    out["metadata"] = body.get("metadata")
    return _with_metadata(out, details)


def _with_metadata(body: dict[str, Any], details: dict[str, Any]) -> dict[str, Any]:
    """``body`` whose metadata also holds ``details`` (the user's keys win)."""
    current = body.get("metadata")
    if type(current) is bytes:
        try:
            current = orjson.loads(current)
        except orjson.JSONDecodeError:
            current = None
    merged = {**details, **current} if isinstance(current, dict) else details
    return {**body, "metadata": merged}
