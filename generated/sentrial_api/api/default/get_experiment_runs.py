from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.experiment_config import ExperimentConfig
from ...types import Response


def _get_kwargs(
    id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/experiments/{id}/runs".format(
            id=quote(str(id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | ExperimentConfig | None:
    if response.status_code == 200:
        response_200 = ExperimentConfig.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Error.from_dict(response.json())

        return response_404

    if response.status_code == 429:
        response_429 = Error.from_dict(response.json())

        return response_429

    if response.status_code == 503:
        response_503 = Error.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | ExperimentConfig]:
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
) -> Response[Error | ExperimentConfig]:
    """An experiment's configuration and its runs so far.

     What the published Sentrial SDK reads to run an experiment:
    `experiment` with `name`, `status`, `variants` and `testCases`.
    `runs` (extension) lists the runs recorded so far, oldest first: those
    created here, and those recorded by their sessions (capability
    `experiment_sessions`, see `Health`).

    Args:
        id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | ExperimentConfig]
    """

    kwargs = _get_kwargs(
        id=id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Error | ExperimentConfig | None:
    """An experiment's configuration and its runs so far.

     What the published Sentrial SDK reads to run an experiment:
    `experiment` with `name`, `status`, `variants` and `testCases`.
    `runs` (extension) lists the runs recorded so far, oldest first: those
    created here, and those recorded by their sessions (capability
    `experiment_sessions`, see `Health`).

    Args:
        id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | ExperimentConfig
    """

    return sync_detailed(
        id=id,
        client=client,
    ).parsed


async def asyncio_detailed(
    id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[Error | ExperimentConfig]:
    """An experiment's configuration and its runs so far.

     What the published Sentrial SDK reads to run an experiment:
    `experiment` with `name`, `status`, `variants` and `testCases`.
    `runs` (extension) lists the runs recorded so far, oldest first: those
    created here, and those recorded by their sessions (capability
    `experiment_sessions`, see `Health`).

    Args:
        id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | ExperimentConfig]
    """

    kwargs = _get_kwargs(
        id=id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Error | ExperimentConfig | None:
    """An experiment's configuration and its runs so far.

     What the published Sentrial SDK reads to run an experiment:
    `experiment` with `name`, `status`, `variants` and `testCases`.
    `runs` (extension) lists the runs recorded so far, oldest first: those
    created here, and those recorded by their sessions (capability
    `experiment_sessions`, see `Health`).

    Args:
        id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | ExperimentConfig
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
        )
    ).parsed
