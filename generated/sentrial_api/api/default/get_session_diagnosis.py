from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.get_session_diagnosis_format import GetSessionDiagnosisFormat
from ...models.session_diagnosis import SessionDiagnosis
from ...types import UNSET, Response, Unset


def _get_kwargs(
    id: str,
    *,
    format_: GetSessionDiagnosisFormat | Unset = GetSessionDiagnosisFormat.JSON,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_format_: str | Unset = UNSET
    if not isinstance(format_, Unset):
        json_format_ = format_.value

    params["format"] = json_format_

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/sessions/{id}/diagnosis".format(
            id=quote(str(id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | SessionDiagnosis | None:
    if response.status_code == 200:
        response_200 = SessionDiagnosis.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Error.from_dict(response.json())

        return response_404

    if response.status_code == 429:
        response_429 = Error.from_dict(response.json())

        return response_429

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | SessionDiagnosis]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    format_: GetSessionDiagnosisFormat | Unset = GetSessionDiagnosisFormat.JSON,
) -> Response[Error | SessionDiagnosis]:
    """What went wrong in a session, and where it left a similar success (extension).

     Deterministic (no LLM): the first failing step with its input and
    error, the last decision before it, loops and retries, time and cost
    by step type, and the most similar completed session of the same
    agent with both step sequences side by side (`divergesAt`: the first
    index where they differ). `format=text` answers the same as plain
    text for a person (the JSON's `text`).

    Args:
        id (str):
        format_ (GetSessionDiagnosisFormat | Unset):  Default: GetSessionDiagnosisFormat.JSON.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | SessionDiagnosis]
    """

    kwargs = _get_kwargs(
        id=id,
        format_=format_,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    format_: GetSessionDiagnosisFormat | Unset = GetSessionDiagnosisFormat.JSON,
) -> Error | SessionDiagnosis | None:
    """What went wrong in a session, and where it left a similar success (extension).

     Deterministic (no LLM): the first failing step with its input and
    error, the last decision before it, loops and retries, time and cost
    by step type, and the most similar completed session of the same
    agent with both step sequences side by side (`divergesAt`: the first
    index where they differ). `format=text` answers the same as plain
    text for a person (the JSON's `text`).

    Args:
        id (str):
        format_ (GetSessionDiagnosisFormat | Unset):  Default: GetSessionDiagnosisFormat.JSON.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | SessionDiagnosis
    """

    return sync_detailed(
        id=id,
        client=client,
        format_=format_,
    ).parsed


async def asyncio_detailed(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    format_: GetSessionDiagnosisFormat | Unset = GetSessionDiagnosisFormat.JSON,
) -> Response[Error | SessionDiagnosis]:
    """What went wrong in a session, and where it left a similar success (extension).

     Deterministic (no LLM): the first failing step with its input and
    error, the last decision before it, loops and retries, time and cost
    by step type, and the most similar completed session of the same
    agent with both step sequences side by side (`divergesAt`: the first
    index where they differ). `format=text` answers the same as plain
    text for a person (the JSON's `text`).

    Args:
        id (str):
        format_ (GetSessionDiagnosisFormat | Unset):  Default: GetSessionDiagnosisFormat.JSON.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | SessionDiagnosis]
    """

    kwargs = _get_kwargs(
        id=id,
        format_=format_,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    format_: GetSessionDiagnosisFormat | Unset = GetSessionDiagnosisFormat.JSON,
) -> Error | SessionDiagnosis | None:
    """What went wrong in a session, and where it left a similar success (extension).

     Deterministic (no LLM): the first failing step with its input and
    error, the last decision before it, loops and retries, time and cost
    by step type, and the most similar completed session of the same
    agent with both step sequences side by side (`divergesAt`: the first
    index where they differ). `format=text` answers the same as plain
    text for a person (the JSON's `text`).

    Args:
        id (str):
        format_ (GetSessionDiagnosisFormat | Unset):  Default: GetSessionDiagnosisFormat.JSON.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | SessionDiagnosis
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            format_=format_,
        )
    ).parsed
