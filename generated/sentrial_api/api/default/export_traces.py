from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.export_trace_service_request import ExportTraceServiceRequest
from ...models.export_trace_service_response import ExportTraceServiceResponse
from ...models.otlp_status import OtlpStatus
from ...types import Response


def _get_kwargs(
    *,
    body: ExportTraceServiceRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/otel/v1/traces",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ExportTraceServiceResponse | OtlpStatus | None:
    if response.status_code == 200:
        response_200 = ExportTraceServiceResponse.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = OtlpStatus.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = OtlpStatus.from_dict(response.json())

        return response_401

    if response.status_code == 413:
        response_413 = OtlpStatus.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = OtlpStatus.from_dict(response.json())

        return response_415

    if response.status_code == 503:
        response_503 = OtlpStatus.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ExportTraceServiceResponse | OtlpStatus]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: ExportTraceServiceRequest,
) -> Response[ExportTraceServiceResponse | OtlpStatus]:
    """OpenTelemetry traces over OTLP/HTTP (Sentrial's second ingestion path).

     An OTLP `ExportTraceServiceRequest`, as OpenTelemetry exporters and the
    Collector's `otlphttp` exporter send it: OTLP/JSON (as documented by
    Sentrial) or, beyond it, binary protobuf (`application/x-protobuf`),
    either one optionally with `Content-Encoding: gzip`. Up to
    `maxOtlpBytes` (16 MiB) of body, before and after gzip; past it 413.

    One trace is one session (id `sess_otel-<traceId>`), each span one
    event (id `evt_<traceId><spanId>`) keeping its span id, parent span id
    (`parentSpanId`), start (`timestamp`), `durationMs`, status and
    attributes (`metadata.otel`), so a repeated export stores nothing
    twice and spans of one trace may come over many exports. The root
    span's end completes the session (failed when its status is ERROR,
    with the status message as failure reason); tokens and cost are the
    sums of the session's events. Session fields: user from `user.id`,
    `enduser.id`, `sentrial.user_id`; conversation from
    `conversation.id`, `gen_ai.conversation.id`, `sentrial.convo_id`,
    `thread.id`, else the trace id; agent from `gen_ai.agent.name`, else
    the resource's `service.name`; name from the root span;
    `sentrial.experiment.assignment_id` as
    `metadata.experimentAssignmentId`. Model calls (OTel GenAI
    conventions, OpenLLMetry, OpenInference, Vercel AI SDK) become
    `llm_call` events, tool executions `tool_call` events, other spans
    `span` events, and a failed span of the latter kind an `error` event
    too.

    Answers follow the OTLP/HTTP specification, in the request's
    encoding (errors as `google.rpc.Status`, whose JSON form also has
    this API's `error` and `message`): 200 with `partialSuccess` when
    some spans could not be stored (they are not retried), 400 for a body
    that cannot be decoded, 413, 415 for another content type or
    encoding, 503 with `Retry-After` while the server is busy.

    Args:
        body (ExportTraceServiceRequest): OTLP/JSON `ExportTraceServiceRequest` (see the
            OpenTelemetry protocol
            specification): `resourceSpans[].scopeSpans[].spans[]`, ids in hex,
            int64 values as strings or numbers.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ExportTraceServiceResponse | OtlpStatus]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: ExportTraceServiceRequest,
) -> ExportTraceServiceResponse | OtlpStatus | None:
    """OpenTelemetry traces over OTLP/HTTP (Sentrial's second ingestion path).

     An OTLP `ExportTraceServiceRequest`, as OpenTelemetry exporters and the
    Collector's `otlphttp` exporter send it: OTLP/JSON (as documented by
    Sentrial) or, beyond it, binary protobuf (`application/x-protobuf`),
    either one optionally with `Content-Encoding: gzip`. Up to
    `maxOtlpBytes` (16 MiB) of body, before and after gzip; past it 413.

    One trace is one session (id `sess_otel-<traceId>`), each span one
    event (id `evt_<traceId><spanId>`) keeping its span id, parent span id
    (`parentSpanId`), start (`timestamp`), `durationMs`, status and
    attributes (`metadata.otel`), so a repeated export stores nothing
    twice and spans of one trace may come over many exports. The root
    span's end completes the session (failed when its status is ERROR,
    with the status message as failure reason); tokens and cost are the
    sums of the session's events. Session fields: user from `user.id`,
    `enduser.id`, `sentrial.user_id`; conversation from
    `conversation.id`, `gen_ai.conversation.id`, `sentrial.convo_id`,
    `thread.id`, else the trace id; agent from `gen_ai.agent.name`, else
    the resource's `service.name`; name from the root span;
    `sentrial.experiment.assignment_id` as
    `metadata.experimentAssignmentId`. Model calls (OTel GenAI
    conventions, OpenLLMetry, OpenInference, Vercel AI SDK) become
    `llm_call` events, tool executions `tool_call` events, other spans
    `span` events, and a failed span of the latter kind an `error` event
    too.

    Answers follow the OTLP/HTTP specification, in the request's
    encoding (errors as `google.rpc.Status`, whose JSON form also has
    this API's `error` and `message`): 200 with `partialSuccess` when
    some spans could not be stored (they are not retried), 400 for a body
    that cannot be decoded, 413, 415 for another content type or
    encoding, 503 with `Retry-After` while the server is busy.

    Args:
        body (ExportTraceServiceRequest): OTLP/JSON `ExportTraceServiceRequest` (see the
            OpenTelemetry protocol
            specification): `resourceSpans[].scopeSpans[].spans[]`, ids in hex,
            int64 values as strings or numbers.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ExportTraceServiceResponse | OtlpStatus
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: ExportTraceServiceRequest,
) -> Response[ExportTraceServiceResponse | OtlpStatus]:
    """OpenTelemetry traces over OTLP/HTTP (Sentrial's second ingestion path).

     An OTLP `ExportTraceServiceRequest`, as OpenTelemetry exporters and the
    Collector's `otlphttp` exporter send it: OTLP/JSON (as documented by
    Sentrial) or, beyond it, binary protobuf (`application/x-protobuf`),
    either one optionally with `Content-Encoding: gzip`. Up to
    `maxOtlpBytes` (16 MiB) of body, before and after gzip; past it 413.

    One trace is one session (id `sess_otel-<traceId>`), each span one
    event (id `evt_<traceId><spanId>`) keeping its span id, parent span id
    (`parentSpanId`), start (`timestamp`), `durationMs`, status and
    attributes (`metadata.otel`), so a repeated export stores nothing
    twice and spans of one trace may come over many exports. The root
    span's end completes the session (failed when its status is ERROR,
    with the status message as failure reason); tokens and cost are the
    sums of the session's events. Session fields: user from `user.id`,
    `enduser.id`, `sentrial.user_id`; conversation from
    `conversation.id`, `gen_ai.conversation.id`, `sentrial.convo_id`,
    `thread.id`, else the trace id; agent from `gen_ai.agent.name`, else
    the resource's `service.name`; name from the root span;
    `sentrial.experiment.assignment_id` as
    `metadata.experimentAssignmentId`. Model calls (OTel GenAI
    conventions, OpenLLMetry, OpenInference, Vercel AI SDK) become
    `llm_call` events, tool executions `tool_call` events, other spans
    `span` events, and a failed span of the latter kind an `error` event
    too.

    Answers follow the OTLP/HTTP specification, in the request's
    encoding (errors as `google.rpc.Status`, whose JSON form also has
    this API's `error` and `message`): 200 with `partialSuccess` when
    some spans could not be stored (they are not retried), 400 for a body
    that cannot be decoded, 413, 415 for another content type or
    encoding, 503 with `Retry-After` while the server is busy.

    Args:
        body (ExportTraceServiceRequest): OTLP/JSON `ExportTraceServiceRequest` (see the
            OpenTelemetry protocol
            specification): `resourceSpans[].scopeSpans[].spans[]`, ids in hex,
            int64 values as strings or numbers.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ExportTraceServiceResponse | OtlpStatus]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: ExportTraceServiceRequest,
) -> ExportTraceServiceResponse | OtlpStatus | None:
    """OpenTelemetry traces over OTLP/HTTP (Sentrial's second ingestion path).

     An OTLP `ExportTraceServiceRequest`, as OpenTelemetry exporters and the
    Collector's `otlphttp` exporter send it: OTLP/JSON (as documented by
    Sentrial) or, beyond it, binary protobuf (`application/x-protobuf`),
    either one optionally with `Content-Encoding: gzip`. Up to
    `maxOtlpBytes` (16 MiB) of body, before and after gzip; past it 413.

    One trace is one session (id `sess_otel-<traceId>`), each span one
    event (id `evt_<traceId><spanId>`) keeping its span id, parent span id
    (`parentSpanId`), start (`timestamp`), `durationMs`, status and
    attributes (`metadata.otel`), so a repeated export stores nothing
    twice and spans of one trace may come over many exports. The root
    span's end completes the session (failed when its status is ERROR,
    with the status message as failure reason); tokens and cost are the
    sums of the session's events. Session fields: user from `user.id`,
    `enduser.id`, `sentrial.user_id`; conversation from
    `conversation.id`, `gen_ai.conversation.id`, `sentrial.convo_id`,
    `thread.id`, else the trace id; agent from `gen_ai.agent.name`, else
    the resource's `service.name`; name from the root span;
    `sentrial.experiment.assignment_id` as
    `metadata.experimentAssignmentId`. Model calls (OTel GenAI
    conventions, OpenLLMetry, OpenInference, Vercel AI SDK) become
    `llm_call` events, tool executions `tool_call` events, other spans
    `span` events, and a failed span of the latter kind an `error` event
    too.

    Answers follow the OTLP/HTTP specification, in the request's
    encoding (errors as `google.rpc.Status`, whose JSON form also has
    this API's `error` and `message`): 200 with `partialSuccess` when
    some spans could not be stored (they are not retried), 400 for a body
    that cannot be decoded, 413, 415 for another content type or
    encoding, 503 with `Retry-After` while the server is busy.

    Args:
        body (ExportTraceServiceRequest): OTLP/JSON `ExportTraceServiceRequest` (see the
            OpenTelemetry protocol
            specification): `resourceSpans[].scopeSpans[].spans[]`, ids in hex,
            int64 values as strings or numbers.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ExportTraceServiceResponse | OtlpStatus
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
