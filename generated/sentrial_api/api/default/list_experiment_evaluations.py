from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.evaluation_list import EvaluationList
from ...types import UNSET, Response, Unset


def _get_kwargs(
    id: str,
    *,
    passed: bool | Unset = UNSET,
    metric: str | Unset = UNSET,
    limit: int | Unset = 50,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["passed"] = passed

    params["metric"] = metric

    params["limit"] = limit

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/experiments/{id}/evaluations".format(
            id=quote(str(id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | EvaluationList | None:
    if response.status_code == 200:
        response_200 = EvaluationList.from_dict(response.json())

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
) -> Response[Error | EvaluationList]:
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
    passed: bool | Unset = UNSET,
    metric: str | Unset = UNSET,
    limit: int | Unset = 50,
) -> Response[Error | EvaluationList]:
    """The experiment's recorded evaluations, newest first (extension).

     What `sentrial evaluate` compares against when no baseline variant is
    named: the newest evaluation that passed (`passed=true`) on the same
    metric.

    Args:
        id (str):
        passed (bool | Unset):
        metric (str | Unset):
        limit (int | Unset):  Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | EvaluationList]
    """

    kwargs = _get_kwargs(
        id=id,
        passed=passed,
        metric=metric,
        limit=limit,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    passed: bool | Unset = UNSET,
    metric: str | Unset = UNSET,
    limit: int | Unset = 50,
) -> Error | EvaluationList | None:
    """The experiment's recorded evaluations, newest first (extension).

     What `sentrial evaluate` compares against when no baseline variant is
    named: the newest evaluation that passed (`passed=true`) on the same
    metric.

    Args:
        id (str):
        passed (bool | Unset):
        metric (str | Unset):
        limit (int | Unset):  Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | EvaluationList
    """

    return sync_detailed(
        id=id,
        client=client,
        passed=passed,
        metric=metric,
        limit=limit,
    ).parsed


async def asyncio_detailed(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    passed: bool | Unset = UNSET,
    metric: str | Unset = UNSET,
    limit: int | Unset = 50,
) -> Response[Error | EvaluationList]:
    """The experiment's recorded evaluations, newest first (extension).

     What `sentrial evaluate` compares against when no baseline variant is
    named: the newest evaluation that passed (`passed=true`) on the same
    metric.

    Args:
        id (str):
        passed (bool | Unset):
        metric (str | Unset):
        limit (int | Unset):  Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | EvaluationList]
    """

    kwargs = _get_kwargs(
        id=id,
        passed=passed,
        metric=metric,
        limit=limit,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    passed: bool | Unset = UNSET,
    metric: str | Unset = UNSET,
    limit: int | Unset = 50,
) -> Error | EvaluationList | None:
    """The experiment's recorded evaluations, newest first (extension).

     What `sentrial evaluate` compares against when no baseline variant is
    named: the newest evaluation that passed (`passed=true`) on the same
    metric.

    Args:
        id (str):
        passed (bool | Unset):
        metric (str | Unset):
        limit (int | Unset):  Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | EvaluationList
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            passed=passed,
            metric=metric,
            limit=limit,
        )
    ).parsed
