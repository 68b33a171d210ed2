"""A deterministic, offline stand-in for the OpenAI, Anthropic and Gemini HTTP APIs.

It answers the real SDKs (``openai``, ``anthropic``, ``google-genai``) over real HTTP with
responses shaped like the providers' own, streaming included, so the demo and
the tests exercise the real client code paths with no network and no key.
Replies echo the last user message; token counts follow from the text, and a
model name containing ``error`` (or a prompt containing ``[fail]``) gives the
provider's error body with status 500 (or 429 for ``[ratelimit]``).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            _text_of(part.get("text", "")) for part in content if isinstance(part, dict)
        )
    return ""


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _reply(prompt: str, context: str = "") -> str:
    if "Context:" in context and context.split("Context:", 1)[1].strip():
        return "Thanks for reaching out. " + context.split("Context:", 1)[1].strip()
    if "refund" in prompt.lower():
        return "I have started your refund; it will arrive within 5 business days."
    if "password" in prompt.lower():
        return "Open Settings > Security and choose Reset password; the link lasts 1 hour."
    return f"Echo: {prompt.strip()[:200]}"


def _fault(model: str, prompt: str) -> tuple[int, str] | None:
    if "[ratelimit]" in prompt:
        return 429, "rate_limit_error"
    if "error" in model or "[fail]" in prompt:
        return 500, "api_error"
    return None


def _sse(events: list[tuple[str | None, dict[str, Any] | str]]) -> StreamingResponse:
    async def body() -> AsyncIterator[bytes]:
        for name, data in events:
            payload = data if isinstance(data, str) else json.dumps(data)
            prefix = f"event: {name}\n" if name else ""
            yield f"{prefix}data: {payload}\n\n".encode()

    return StreamingResponse(body(), media_type="text/event-stream")


def _requested_tool_call(body: dict[str, Any], messages: list[Any]) -> dict[str, Any] | None:
    """A user turn containing ``[call:NAME {json args}]`` gets a call of that tool
    (when offered in ``tools``) instead of text, so agent frameworks can be run
    through tool calls and handoffs; the turn after the tool's result is text."""
    if not body.get("tools") or not messages or messages[-1].get("role") != "user":
        return None
    offered = {(t.get("function") or {}).get("name") for t in body["tools"] if isinstance(t, dict)}
    call = _call_in(_text_of(messages[-1].get("content", "")), offered)
    if call is None:
        return None
    name, arguments = call
    return {
        "id": f"call_standin_{name}",
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }


def _call_in(text: str, offered: set[Any]) -> tuple[str, str] | None:
    """``[call:NAME {json args}]`` in ``text`` for an offered tool: (name, arguments)."""
    found = re.search(r"\[call:(\w+)( \{.*?\})?\]", text)
    if found is None or found.group(1) not in offered:
        return None
    return found.group(1), (found.group(2) or " {}").strip()


def _tool_calls(prompt: str) -> list[dict[str, Any]]:
    """``[tool NAME key=value ...]`` in the user's message asks for that tool call
    with string arguments (non-streamed; see also ``[call:NAME {json}]`` above)."""
    if "[tool " not in prompt:
        return []
    spec = prompt.split("[tool ", 1)[1].split("]", 1)[0].split()
    if not spec:
        return []
    arguments = dict(pair.split("=", 1) for pair in spec[1:] if "=" in pair)
    return [
        {
            "id": "call_standin0",
            "type": "function",
            "function": {"name": spec[0], "arguments": json.dumps(arguments)},
        }
    ]


async def chat_completions(request: Request) -> Response:
    body = await request.json()
    model = body.get("model", "gpt-4o")
    messages = body.get("messages", [])
    prompt = _text_of(messages[-1].get("content", "")) if messages else ""
    fault = _fault(model, prompt)
    if fault:
        status, kind = fault
        return JSONResponse(
            {"error": {"message": f"stand-in {kind}", "type": kind, "param": None, "code": None}},
            status,
        )
    system = " ".join(_text_of(m.get("content", "")) for m in messages if m.get("role") == "system")
    reply = _reply(prompt, system)
    tool_calls = (
        _tool_calls(prompt) if body.get("tools") and messages[-1].get("role") == "user" else []
    )
    prompt_tokens = sum(_tokens(_text_of(m.get("content", ""))) for m in messages) + 3
    completion_tokens = _tokens(reply)
    cached = (prompt_tokens // 64) * 64 if prompt_tokens >= 1024 else 0
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }
    created = int(time.time())
    ident = f"chatcmpl-standin{created}"
    tool_call = _requested_tool_call(body, messages)
    if tool_call is not None and not body.get("stream"):
        message = {"role": "assistant", "content": None, "tool_calls": [tool_call]}
        return JSONResponse(
            {
                "id": ident,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
                "usage": usage,
            }
        )
    if not body.get("stream"):
        return JSONResponse(
            {
                "id": ident,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": None if tool_calls else reply,
                            "refusal": None,
                            "annotations": [],
                            **({"tool_calls": tool_calls} if tool_calls else {}),
                        },
                        "logprobs": None,
                        "finish_reason": "tool_calls" if tool_calls else "stop",
                    }
                ],
                "usage": usage,
                "service_tier": "default",
                "system_fingerprint": "fp_standin",
            }
        )
    base = {
        "id": ident,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "system_fingerprint": "fp_standin",
    }
    events: list[tuple[str | None, dict[str, Any] | str]] = [
        (
            None,
            {
                **base,
                "choices": [
                    {
                        "index": 0,
                        "delta": {"role": "assistant", "content": ""},
                        "logprobs": None,
                        "finish_reason": None,
                    }
                ],
            },
        )
    ]
    for word in reply.split(" "):
        events.append(
            (
                None,
                {
                    **base,
                    "choices": [
                        {
                            "index": 0,
                            "delta": {"content": word + " "},
                            "logprobs": None,
                            "finish_reason": None,
                        }
                    ],
                },
            )
        )
    events.append(
        (
            None,
            {
                **base,
                "choices": [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}],
            },
        )
    )
    if (body.get("stream_options") or {}).get("include_usage"):
        events.append((None, {**base, "choices": [], "usage": usage}))
    events.append((None, "[DONE]"))
    return _sse(events)


async def messages(request: Request) -> Response:
    body = await request.json()
    model = body.get("model", "claude-sonnet-4-6")
    turns = body.get("messages", [])
    prompt = _text_of(turns[-1].get("content", "")) if turns else ""
    fault = _fault(model, prompt)
    if fault:
        status, kind = fault
        return JSONResponse(
            {"type": "error", "error": {"type": kind, "message": f"stand-in {kind}"}}, status
        )
    reply = _reply(prompt)
    system = _text_of(body.get("system", ""))
    input_tokens = sum(_tokens(_text_of(t.get("content", ""))) for t in turns) + 2
    cache_read = _tokens(system) if system else 0
    # System blocks marked ``cache_control`` are written to the cache (a first
    # call's answer); the other system blocks are read from it.
    blocks = body.get("system") if isinstance(body.get("system"), list) else []
    marked = _text_of([b for b in blocks if isinstance(b, dict) and b.get("cache_control")])
    cache_write = _tokens(marked) if marked else 0
    if cache_write:
        rest = _text_of([b for b in blocks if isinstance(b, dict) and not b.get("cache_control")])
        cache_read = _tokens(rest) if rest else 0
    output_tokens = _tokens(reply)
    usage = {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cache_creation_input_tokens": cache_write,
        "cache_read_input_tokens": cache_read,
        "service_tier": "standard",
    }
    ident = f"msg_standin{int(time.time())}"
    message = {
        "id": ident,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": reply}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": usage,
    }
    if not body.get("stream"):
        return JSONResponse(message)
    start_usage = {**usage, "output_tokens": 1}
    events: list[tuple[str | None, dict[str, Any] | str]] = [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {**message, "content": [], "stop_reason": None, "usage": start_usage},
            },
        ),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
    ]
    for word in reply.split(" "):
        events.append(
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": word + " "},
                },
            )
        )
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": output_tokens},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    return _sse(events)


def _google_text(content: Any) -> str:
    if not isinstance(content, dict):
        return ""
    return " ".join(
        str(p.get("text", "")) for p in content.get("parts") or [] if isinstance(p, dict)
    )


async def google_generate(request: Request) -> Response:
    """Gemini's REST ``models/{model}:generateContent`` and ``:streamGenerateContent``
    (``?alt=sse``, as ``google-genai`` calls it, or else a JSON array, as the
    legacy ``google-generativeai`` REST transport reads it). A system instruction is
    reported as implicitly cached (``cachedContentTokenCount``, part of the
    prompt count, as Gemini does); a thinking budget adds ``thoughtsTokenCount``."""
    model, _, method = request.path_params["target"].partition(":")
    if method not in ("generateContent", "streamGenerateContent"):
        return JSONResponse(
            {"error": {"code": 404, "message": "not found", "status": "NOT_FOUND"}}, 404
        )
    body = await request.json()
    contents = body.get("contents") or []
    prompt = _google_text(contents[-1]) if contents else ""
    fault = _fault(model, prompt)
    if fault:
        status, _kind = fault
        state = "RESOURCE_EXHAUSTED" if status == 429 else "INTERNAL"
        return JSONResponse(
            {"error": {"code": status, "message": f"stand-in {state}", "status": state}}, status
        )
    system = _google_text(body.get("systemInstruction"))
    reply = _reply(prompt)
    cached = _tokens(system) if system else 0
    prompt_tokens = sum(_tokens(_google_text(c)) for c in contents) + cached
    output_tokens = _tokens(reply)
    thinking_config = (body.get("generationConfig") or {}).get("thinkingConfig") or {}
    # google-genai sends the budget in snake case inside thinkingConfig
    thinking = thinking_config.get("thinkingBudget", thinking_config.get("thinking_budget"))
    thoughts = min(int(thinking), 16) if thinking else 0

    def usage(candidates: int, final: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "promptTokenCount": prompt_tokens,
            "candidatesTokenCount": candidates,
            "totalTokenCount": prompt_tokens + candidates + (thoughts if final else 0),
        }
        if cached:
            out["cachedContentTokenCount"] = cached
        if thoughts and final:
            out["thoughtsTokenCount"] = thoughts
        return out

    def chunk(text: str, candidates: int, final: bool) -> dict[str, Any]:
        candidate: dict[str, Any] = {
            "content": {"role": "model", "parts": [{"text": text}]},
            "index": 0,
        }
        if final:
            candidate["finishReason"] = "STOP"
        return {
            "candidates": [candidate],
            "usageMetadata": usage(candidates, final),
            "modelVersion": model,
            "responseId": f"standin{int(time.time())}",
        }

    if method == "generateContent":
        return JSONResponse(chunk(reply, output_tokens, True))
    words = reply.split(" ")
    events: list[tuple[str | None, dict[str, Any] | str]] = []
    for i, word in enumerate(words):
        last = i == len(words) - 1
        text = word if last else word + " "
        # Gemini repeats the usage so far on every chunk; the last one is final.
        so_far = output_tokens if last else _tokens(" ".join(words[: i + 1]))
        events.append((None, chunk(text, so_far, last)))
    if request.query_params.get("alt") != "sse":
        # Without ``alt=sse`` Gemini streams one JSON array of the chunks (the
        # legacy ``google-generativeai`` REST transport reads it that way).
        return _json_array([data for _, data in events])
    return _sse(events)


def _json_array(items: list[Any]) -> StreamingResponse:
    async def body() -> AsyncIterator[bytes]:
        for i, item in enumerate(items):
            yield (("[" if i == 0 else ",\r\n") + json.dumps(item)).encode()
        yield b"]" if items else b"[]"

    return StreamingResponse(body(), media_type="application/json")


async def responses(request: Request) -> Response:
    """OpenAI's ``/v1/responses`` (``client.responses.create``), not streamed."""
    body = await request.json()
    model = body.get("model", "gpt-4o")
    given = body.get("input", "")
    prompt = _text_of(given[-1].get("content", "")) if isinstance(given, list) else str(given)
    fault = _fault(model, prompt)
    if fault:
        status, kind = fault
        return JSONResponse(
            {"error": {"message": f"stand-in {kind}", "type": kind, "param": None, "code": None}},
            status,
        )
    instructions = _text_of(body.get("instructions") or "")
    reply = _reply(prompt)
    input_tokens = _tokens(prompt) + (_tokens(instructions) if instructions else 0) + 3
    output_tokens = _tokens(reply)
    created = int(time.time())
    return JSONResponse(
        {
            "id": f"resp_standin{created}",
            "object": "response",
            "created_at": created,
            "status": "completed",
            "model": model,
            "output": [
                {
                    "type": "message",
                    "id": f"msg_standin{created}",
                    "status": "completed",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": reply, "annotations": []}],
                }
            ],
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
            "usage": {
                "input_tokens": input_tokens,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": output_tokens,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": input_tokens + output_tokens,
            },
        }
    )


def create_llm_app() -> Starlette:
    """OpenAI-compatible ``/v1/chat/completions``, Anthropic-compatible
    ``/v1/messages`` and Gemini-compatible ``/v1beta/models/{model}:generateContent``."""
    return Starlette(
        routes=[
            Route("/v1/chat/completions", chat_completions, methods=["POST"]),
            Route("/v1/responses", responses, methods=["POST"]),
            Route("/v1/messages", messages, methods=["POST"]),
            Route("/{version}/models/{target}", google_generate, methods=["POST"]),
        ]
    )
