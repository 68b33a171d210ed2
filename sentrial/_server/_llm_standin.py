"""A deterministic, offline stand-in for the OpenAI and Anthropic HTTP APIs.

It answers the real SDKs (``openai``, ``anthropic``) over real HTTP with
responses shaped like the providers' own, streaming included, so the demo and
the tests exercise the real client code paths with no network and no key.
Replies echo the last user message; token counts follow from the text, and a
model name containing ``error`` (or a prompt containing ``[fail]``) gives the
provider's error body with status 500 (or 429 for ``[ratelimit]``).
"""

from __future__ import annotations

import json
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
                            "content": reply,
                            "refusal": None,
                            "annotations": [],
                        },
                        "logprobs": None,
                        "finish_reason": "stop",
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
    model = body.get("model", "claude-sonnet-4-5")
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
    output_tokens = _tokens(reply)
    usage = {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cache_creation_input_tokens": 0,
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


def create_llm_app() -> Starlette:
    """OpenAI-compatible ``/v1/chat/completions`` and Anthropic-compatible ``/v1/messages``."""
    return Starlette(
        routes=[
            Route("/v1/chat/completions", chat_completions, methods=["POST"]),
            Route("/v1/messages", messages, methods=["POST"]),
        ]
    )
