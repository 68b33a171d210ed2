"""An LLM call's input and output as chat messages: roles, text, tool calls.

Understands the shapes the integrations record (OpenAI and Anthropic
messages, content parts, tool calls in either form); anything else is shown
as JSON, so nothing stored is hidden.
"""

from __future__ import annotations

from typing import Any

from ._viewer import _e, _pretty

ROLES = ("system", "developer", "user", "assistant", "tool", "function", "model")


def _tool_call(call: Any) -> str:
    """One requested tool call: {name, arguments}, OpenAI's {function: ...} or {tool_use, input}."""
    if not isinstance(call, dict):
        return f"<pre>{_pretty(call)}</pre>"
    inner = call.get("function")
    function: dict[str, Any] = inner if isinstance(inner, dict) else call
    name = function.get("name") or call.get("tool_use") or call.get("name")
    arguments = function.get("arguments", call.get("input"))
    if isinstance(arguments, str):
        shown = _e(arguments)
    else:
        shown = _pretty(arguments) if arguments is not None else ""
    return (
        f"<div class='toolcall'><span class='tag'>calls</span> <b>{_e(name)}</b>"
        f"<pre>{shown}</pre></div>"
    )


def _part(part: Any) -> str:
    """One content part: text, a tool call or result, or JSON for anything else."""
    if isinstance(part, str):
        return f"<pre>{_e(part)}</pre>"
    if isinstance(part, dict):
        kind = part.get("type")
        if kind in ("text", "input_text", "output_text") and isinstance(part.get("text"), str):
            return f"<pre>{_e(part['text'])}</pre>"
        if kind == "tool_use" or "tool_use" in part:
            return _tool_call(part)
        if kind == "tool_result":
            return (
                "<div class='toolresult'><span class='tag'>tool result</span>"
                f"{_content(part.get('content'))}</div>"
            )
    return f"<pre>{_pretty(part)}</pre>"


def _content(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, list):
        return "".join(_part(p) for p in content)
    return _part(content)


def message(role: Any, content: Any, tool_calls: Any = None, name: Any = None) -> str:
    known = role if isinstance(role, str) and role in ROLES else "other"
    label = _e(role) + (f" &middot; {_e(name)}" if name else "")
    calls = "".join(_tool_call(c) for c in tool_calls) if isinstance(tool_calls, list) else ""
    return (
        f"<div class='msg {known}'><div class='role'>{label}</div>{_content(content)}{calls}</div>"
    )


def _from_dict(item: dict[str, Any], default_role: str) -> str:
    if "role" in item or "content" in item or "tool_calls" in item:
        return message(
            item.get("role", default_role),
            item.get("content"),
            item.get("tool_calls"),
            item.get("name") or item.get("tool_call_id"),
        )
    return message(default_role, item)


def _messages(value: Any, default_role: str) -> str:
    if isinstance(value, dict) and isinstance(value.get("messages"), list):
        value = value["messages"]
    if (
        isinstance(value, list)
        and value
        and all(isinstance(v, dict) and "role" in v for v in value)
    ):
        return "".join(_from_dict(v, default_role) for v in value)
    if isinstance(value, dict):
        return _from_dict(value, default_role)
    return message(default_role, value)


def chat(input: Any, output: Any) -> str:
    """The conversation of one LLM call: its input messages, then its answer."""
    parts = []
    if input not in (None, "", [], {}):
        parts.append(_messages(input, "user"))
    if output not in (None, "", [], {}):
        parts.append(_messages(output, "assistant"))
    return f"<div class='chat'>{''.join(parts)}</div>" if parts else ""
