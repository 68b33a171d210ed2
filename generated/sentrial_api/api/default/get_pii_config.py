from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.pii_config_response import PiiConfigResponse
from ...types import Response


def _get_kwargs() -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/sdk/pii-config",
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | PiiConfigResponse | None:
    if response.status_code == 200:
        response_200 = PiiConfigResponse.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 429:
        response_429 = Error.from_dict(response.json())

        return response_429

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | PiiConfigResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
) -> Response[Error | PiiConfigResponse]:
    """The server's PII redaction settings.

     What an SDK should redact before sending: the published Sentrial SDK
    asks once when constructed with `pii=True` and redacts the listed
    request fields with the enabled patterns. `sentrial serve` answers a
    default (enabled, every built-in pattern, `label` mode, the usual
    text and payload fields) or the file given with `--pii-config`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | PiiConfigResponse]
    """

    kwargs = _get_kwargs()

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
) -> Error | PiiConfigResponse | None:
    """The server's PII redaction settings.

     What an SDK should redact before sending: the published Sentrial SDK
    asks once when constructed with `pii=True` and redacts the listed
    request fields with the enabled patterns. `sentrial serve` answers a
    default (enabled, every built-in pattern, `label` mode, the usual
    text and payload fields) or the file given with `--pii-config`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | PiiConfigResponse
    """

    return sync_detailed(
        client=client,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
) -> Response[Error | PiiConfigResponse]:
    """The server's PII redaction settings.

     What an SDK should redact before sending: the published Sentrial SDK
    asks once when constructed with `pii=True` and redacts the listed
    request fields with the enabled patterns. `sentrial serve` answers a
    default (enabled, every built-in pattern, `label` mode, the usual
    text and payload fields) or the file given with `--pii-config`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | PiiConfigResponse]
    """

    kwargs = _get_kwargs()

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
) -> Error | PiiConfigResponse | None:
    """The server's PII redaction settings.

     What an SDK should redact before sending: the published Sentrial SDK
    asks once when constructed with `pii=True` and redacts the listed
    request fields with the enabled patterns. `sentrial serve` answers a
    default (enabled, every built-in pattern, `label` mode, the usual
    text and payload fields) or the file given with `--pii-config`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | PiiConfigResponse
    """

    return (
        await asyncio_detailed(
            client=client,
        )
    ).parsed
