from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.experiment_results import ExperimentResults
from ...types import UNSET, Response, Unset


def _get_kwargs(
    id: str,
    *,
    batch: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["batch"] = batch

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/experiments/{id}/results".format(
            id=quote(str(id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | ExperimentResults | None:
    if response.status_code == 200:
        response_200 = ExperimentResults.from_dict(response.json())

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

    if response.status_code == 503:
        response_503 = Error.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | ExperimentResults]:
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
    batch: str | Unset = UNSET,
) -> Response[Error | ExperimentResults]:
    """The variants compared on their runs.

     Per variant: runs, success rate, mean and p95 duration, total cost and
    tokens, and the mean of each custom metric, read from the sessions the
    runs recorded. A run succeeds when it completed and its session did
    not fail. Only the runs of one batch (one `sentrial experiment run`,
    or one `Experiment.run` call) are compared: the latest batch (the one of
    the run started last) unless `batch` names another, or is `all`. `batches` lists every batch,
    oldest first; runs recorded without a batch form one batch, `null`.
    `winner` is the variant with the best success rate (ties:
    lower mean cost, then shorter mean duration), null without evidence:
    before any run finished, or when no run succeeded.

    Args:
        id (str):
        batch (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | ExperimentResults]
    """

    kwargs = _get_kwargs(
        id=id,
        batch=batch,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    batch: str | Unset = UNSET,
) -> Error | ExperimentResults | None:
    """The variants compared on their runs.

     Per variant: runs, success rate, mean and p95 duration, total cost and
    tokens, and the mean of each custom metric, read from the sessions the
    runs recorded. A run succeeds when it completed and its session did
    not fail. Only the runs of one batch (one `sentrial experiment run`,
    or one `Experiment.run` call) are compared: the latest batch (the one of
    the run started last) unless `batch` names another, or is `all`. `batches` lists every batch,
    oldest first; runs recorded without a batch form one batch, `null`.
    `winner` is the variant with the best success rate (ties:
    lower mean cost, then shorter mean duration), null without evidence:
    before any run finished, or when no run succeeded.

    Args:
        id (str):
        batch (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | ExperimentResults
    """

    return sync_detailed(
        id=id,
        client=client,
        batch=batch,
    ).parsed


async def asyncio_detailed(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    batch: str | Unset = UNSET,
) -> Response[Error | ExperimentResults]:
    """The variants compared on their runs.

     Per variant: runs, success rate, mean and p95 duration, total cost and
    tokens, and the mean of each custom metric, read from the sessions the
    runs recorded. A run succeeds when it completed and its session did
    not fail. Only the runs of one batch (one `sentrial experiment run`,
    or one `Experiment.run` call) are compared: the latest batch (the one of
    the run started last) unless `batch` names another, or is `all`. `batches` lists every batch,
    oldest first; runs recorded without a batch form one batch, `null`.
    `winner` is the variant with the best success rate (ties:
    lower mean cost, then shorter mean duration), null without evidence:
    before any run finished, or when no run succeeded.

    Args:
        id (str):
        batch (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | ExperimentResults]
    """

    kwargs = _get_kwargs(
        id=id,
        batch=batch,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    batch: str | Unset = UNSET,
) -> Error | ExperimentResults | None:
    """The variants compared on their runs.

     Per variant: runs, success rate, mean and p95 duration, total cost and
    tokens, and the mean of each custom metric, read from the sessions the
    runs recorded. A run succeeds when it completed and its session did
    not fail. Only the runs of one batch (one `sentrial experiment run`,
    or one `Experiment.run` call) are compared: the latest batch (the one of
    the run started last) unless `batch` names another, or is `all`. `batches` lists every batch,
    oldest first; runs recorded without a batch form one batch, `null`.
    `winner` is the variant with the best success rate (ties:
    lower mean cost, then shorter mean duration), null without evidence:
    before any run finished, or when no run succeeded.

    Args:
        id (str):
        batch (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | ExperimentResults
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            batch=batch,
        )
    ).parsed
