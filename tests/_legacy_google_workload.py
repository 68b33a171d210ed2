# mypy: disable-error-code="import-not-found, import-untyped, no-untyped-call"
"""The legacy ``google-generativeai`` SDK, wrapped by ``sentrial.wrap_google``.

Not a test module: ``test_legacy_integrations.py`` runs it with the Python of
``.venv-legacy`` (tests/_venvs.py), which holds the real SDK:

    python -I _legacy_google_workload.py SENTRIAL_URL SENTRIAL_KEY LLM_URL SPOOL_DIR

Synchronous calls go over the SDK's REST transport straight to the LLM
stand-in. ``generate_content_async`` only works over gRPC in this SDK (its
REST transport is synchronous), so the async calls go to a small gRPC server
started here that forwards each request, as JSON over HTTP, to the same
stand-in and converts its answer back. One JSON document on stdout: the
session id of each scenario and what the SDK returned.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import sentrial

QUESTION = "How do I reset my password?"
SERVICE = "google.ai.generativelanguage.v1beta.GenerativeService"


def main() -> None:
    import google.generativeai as genai
    from google.api_core import exceptions

    url, key, llm, spool = sys.argv[1:5]
    client = sentrial.configure(api_key=key, api_url=url, spool_dir=spool)
    labels: dict[str, str] = {}
    seen: dict[str, Any] = {}
    genai.configure(api_key="test-key", transport="rest", client_options={"api_endpoint": llm})

    support = genai.GenerativeModel("gemini-2.0-flash", system_instruction="You are support.")
    plain = support.generate_content(QUESTION)
    wrapped = sentrial.wrap_google(support)
    generate = wrapped.generate_content
    # The same object back; wrapping it again changes nothing.
    seen["same_object"] = wrapped is support and sentrial.wrap_google(support) is support
    seen["wrapped_once"] = support.generate_content is generate
    with sentrial.begin(user_id="u", event="generate") as interaction:
        result = wrapped.generate_content(QUESTION)
    labels["generate"] = interaction.session_id
    seen["generate"] = {
        "type": type(result).__name__,
        "text": result.text,
        "same_as_unwrapped": result.text == plain.text
        and type(result) is type(plain)
        and result.usage_metadata == plain.usage_metadata,
    }

    model = sentrial.wrap_google(genai.GenerativeModel("models/gemini-2.0-flash"))
    with sentrial.begin(user_id="u", event="stream") as interaction:
        response = model.generate_content("refund?", stream=True)
        seen["stream"] = {"type": type(response).__name__, "chunks": [c.text for c in response]}
    labels["stream"] = interaction.session_id

    with sentrial.begin(user_id="u", event="chat") as interaction:
        chat = model.start_chat()
        first = chat.send_message("refund please").text
        streamed = chat.send_message(QUESTION, stream=True)
        streamed.resolve()
        seen["chat"] = {"replies": [first, streamed.text], "history": len(chat.history)}
    labels["chat"] = interaction.session_id

    failing = sentrial.wrap_google(genai.GenerativeModel("gemini-error"))
    errors = []
    with sentrial.begin(user_id="u", event="errors") as interaction:
        for call in (
            lambda: failing.generate_content("x", request_options={"retry": None}),
            lambda: model.generate_content("[ratelimit]", request_options={"retry": None}),
        ):
            try:
                call()
            except exceptions.GoogleAPICallError as error:
                errors.append(type(error).__name__)
    labels["errors"] = interaction.session_id
    seen["errors"] = errors

    labels["async"], seen["async"] = asyncio.run(_async_calls(genai, llm))
    seen["flushed"] = client.flush(10)
    client.close()
    print(json.dumps({"labels": labels, "seen": seen}))


async def _async_calls(genai: Any, llm: str) -> tuple[str, Any]:
    """``generate_content_async`` (plain and streamed) and an async chat, over gRPC."""
    import grpc
    import httpx
    from google.ai import generativelanguage_v1beta as glm
    from google.ai.generativelanguage_v1beta.services.generative_service.transports import (
        GenerativeServiceGrpcAsyncIOTransport,
    )

    http = httpx.AsyncClient(base_url=llm)

    async def forward(request: Any, context: Any, method: str) -> list[Any]:
        body = glm.GenerateContentRequest.to_json(request)
        answer = await http.post(f"/v1beta/{request.model}:{method}", content=body)
        if answer.status_code != 200:
            await context.abort(grpc.StatusCode.INTERNAL, answer.text)
        texts = [answer.text] if method == "generateContent" else answer.json()
        return [
            glm.GenerateContentResponse.from_json(
                t if isinstance(t, str) else json.dumps(t), ignore_unknown_fields=True
            )
            for t in texts
        ]

    async def generate(request: Any, context: Any) -> Any:
        return (await forward(request, context, "generateContent"))[0]

    async def stream(request: Any, context: Any) -> Any:
        for chunk in await forward(request, context, "streamGenerateContent"):
            yield chunk

    handlers = {
        "GenerateContent": grpc.unary_unary_rpc_method_handler(
            generate,
            request_deserializer=glm.GenerateContentRequest.deserialize,
            response_serializer=glm.GenerateContentResponse.serialize,
        ),
        "StreamGenerateContent": grpc.unary_stream_rpc_method_handler(
            stream,
            request_deserializer=glm.GenerateContentRequest.deserialize,
            response_serializer=glm.GenerateContentResponse.serialize,
        ),
    }
    server = grpc.aio.server()
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(SERVICE, handlers)])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    address = f"127.0.0.1:{port}"

    def transport(**options: Any) -> Any:  # the SDK's transport, on a plaintext channel
        return GenerativeServiceGrpcAsyncIOTransport(
            channel=grpc.aio.insecure_channel(address), client_info=options.get("client_info")
        )

    genai.configure(api_key="test-key", transport=transport)
    model = sentrial.wrap_google(genai.GenerativeModel("gemini-2.0-flash"))
    with sentrial.begin(user_id="u", event="async") as interaction:
        result = await model.generate_content_async(QUESTION)
        response = await model.generate_content_async("refund?", stream=True)
        chunks = [chunk.text async for chunk in response]
        chat = model.start_chat()
        reply = await chat.send_message_async("refund please")
    await server.stop(None)
    await http.aclose()
    seen = {
        "type": type(response).__name__,
        "text": result.text,
        "chunks": chunks,
        "chat": reply.text,
    }
    return interaction.session_id, seen


if __name__ == "__main__":
    main()
