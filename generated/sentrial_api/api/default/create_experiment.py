from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.experiment_create import ExperimentCreate
from ...models.experiment_response import ExperimentResponse
from ...types import Response


def _get_kwargs(
    *,
    body: ExperimentCreate,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/experiments",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | ExperimentResponse | None:
    if response.status_code == 200:
        response_200 = ExperimentResponse.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 413:
        response_413 = Error.from_dict(response.json())

        return response_413

    if response.status_code == 422:
        response_422 = Error.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Error.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = Error.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = Error.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | ExperimentResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: ExperimentCreate,
) -> Response[Error | ExperimentResponse]:
    """Create an experiment (extension).

     An experiment compares variants (each a system prompt) on test cases
    (each a user input taken from a recorded session). Test cases are
    given as `testCases`, or picked by the server with `fromSessions`:
    the newest finished sessions of one agent that recorded a
    `userInput`, one per distinct input, leaving out sessions of
    experiment runs (`experimentId` in their metadata), at most `limit`
    of them (422 when there is none).
    Variant names are unique within an experiment.

    Args:
        body (ExperimentCreate): `null` in an optional field means absent.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | ExperimentResponse]
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
    body: ExperimentCreate,
) -> Error | ExperimentResponse | None:
    """Create an experiment (extension).

     An experiment compares variants (each a system prompt) on test cases
    (each a user input taken from a recorded session). Test cases are
    given as `testCases`, or picked by the server with `fromSessions`:
    the newest finished sessions of one agent that recorded a
    `userInput`, one per distinct input, leaving out sessions of
    experiment runs (`experimentId` in their metadata), at most `limit`
    of them (422 when there is none).
    Variant names are unique within an experiment.

    Args:
        body (ExperimentCreate): `null` in an optional field means absent.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | ExperimentResponse
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: ExperimentCreate,
) -> Response[Error | ExperimentResponse]:
    """Create an experiment (extension).

     An experiment compares variants (each a system prompt) on test cases
    (each a user input taken from a recorded session). Test cases are
    given as `testCases`, or picked by the server with `fromSessions`:
    the newest finished sessions of one agent that recorded a
    `userInput`, one per distinct input, leaving out sessions of
    experiment runs (`experimentId` in their metadata), at most `limit`
    of them (422 when there is none).
    Variant names are unique within an experiment.

    Args:
        body (ExperimentCreate): `null` in an optional field means absent.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | ExperimentResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: ExperimentCreate,
) -> Error | ExperimentResponse | None:
    """Create an experiment (extension).

     An experiment compares variants (each a system prompt) on test cases
    (each a user input taken from a recorded session). Test cases are
    given as `testCases`, or picked by the server with `fromSessions`:
    the newest finished sessions of one agent that recorded a
    `userInput`, one per distinct input, leaving out sessions of
    experiment runs (`experimentId` in their metadata), at most `limit`
    of them (422 when there is none).
    Variant names are unique within an experiment.

    Args:
        body (ExperimentCreate): `null` in an optional field means absent.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | ExperimentResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
