import datetime
from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.signal_page import SignalPage
from ...models.signal_type import SignalType
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    since: datetime.datetime | Unset = UNSET,
    until: datetime.datetime | Unset = UNSET,
    type_: SignalType | Unset = UNSET,
    source: str | Unset = UNSET,
    agent_name: str | Unset = UNSET,
    session_id: str | Unset = UNSET,
    name: str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_since: str | Unset = UNSET
    if not isinstance(since, Unset):
        json_since = since.isoformat()
    params["since"] = json_since

    json_until: str | Unset = UNSET
    if not isinstance(until, Unset):
        json_until = until.isoformat()
    params["until"] = json_until

    json_type_: str | Unset = UNSET
    if not isinstance(type_, Unset):
        json_type_ = type_.value

    params["type"] = json_type_

    params["source"] = source

    params["agentName"] = agent_name

    params["sessionId"] = session_id

    params["name"] = name

    params["limit"] = limit

    params["cursor"] = cursor

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/signals",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | SignalPage | None:
    if response.status_code == 200:
        response_200 = SignalPage.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

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
) -> Response[Error | SignalPage]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    since: datetime.datetime | Unset = UNSET,
    until: datetime.datetime | Unset = UNSET,
    type_: SignalType | Unset = UNSET,
    source: str | Unset = UNSET,
    agent_name: str | Unset = UNSET,
    session_id: str | Unset = UNSET,
    name: str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
) -> Response[Error | SignalPage]:
    """Signals of classified sessions, newest first (extension).

     Sessions are classified by deterministic heuristics once they reach
    `completed` or `failed` (again on every later write to them); a
    session left `active` with no activity for 30 minutes gets the
    `abandoned` signal. Reading first classifies whatever is pending.
    The heuristics and their thresholds are listed in the README.

    Args:
        since (datetime.datetime | Unset):
        until (datetime.datetime | Unset):
        type_ (SignalType | Unset):
        source (str | Unset):
        agent_name (str | Unset):
        session_id (str | Unset):
        name (str | Unset):
        limit (int | Unset):  Default: 50.
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | SignalPage]
    """

    kwargs = _get_kwargs(
        since=since,
        until=until,
        type_=type_,
        source=source,
        agent_name=agent_name,
        session_id=session_id,
        name=name,
        limit=limit,
        cursor=cursor,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    since: datetime.datetime | Unset = UNSET,
    until: datetime.datetime | Unset = UNSET,
    type_: SignalType | Unset = UNSET,
    source: str | Unset = UNSET,
    agent_name: str | Unset = UNSET,
    session_id: str | Unset = UNSET,
    name: str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
) -> Error | SignalPage | None:
    """Signals of classified sessions, newest first (extension).

     Sessions are classified by deterministic heuristics once they reach
    `completed` or `failed` (again on every later write to them); a
    session left `active` with no activity for 30 minutes gets the
    `abandoned` signal. Reading first classifies whatever is pending.
    The heuristics and their thresholds are listed in the README.

    Args:
        since (datetime.datetime | Unset):
        until (datetime.datetime | Unset):
        type_ (SignalType | Unset):
        source (str | Unset):
        agent_name (str | Unset):
        session_id (str | Unset):
        name (str | Unset):
        limit (int | Unset):  Default: 50.
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | SignalPage
    """

    return sync_detailed(
        client=client,
        since=since,
        until=until,
        type_=type_,
        source=source,
        agent_name=agent_name,
        session_id=session_id,
        name=name,
        limit=limit,
        cursor=cursor,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    since: datetime.datetime | Unset = UNSET,
    until: datetime.datetime | Unset = UNSET,
    type_: SignalType | Unset = UNSET,
    source: str | Unset = UNSET,
    agent_name: str | Unset = UNSET,
    session_id: str | Unset = UNSET,
    name: str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
) -> Response[Error | SignalPage]:
    """Signals of classified sessions, newest first (extension).

     Sessions are classified by deterministic heuristics once they reach
    `completed` or `failed` (again on every later write to them); a
    session left `active` with no activity for 30 minutes gets the
    `abandoned` signal. Reading first classifies whatever is pending.
    The heuristics and their thresholds are listed in the README.

    Args:
        since (datetime.datetime | Unset):
        until (datetime.datetime | Unset):
        type_ (SignalType | Unset):
        source (str | Unset):
        agent_name (str | Unset):
        session_id (str | Unset):
        name (str | Unset):
        limit (int | Unset):  Default: 50.
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | SignalPage]
    """

    kwargs = _get_kwargs(
        since=since,
        until=until,
        type_=type_,
        source=source,
        agent_name=agent_name,
        session_id=session_id,
        name=name,
        limit=limit,
        cursor=cursor,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    since: datetime.datetime | Unset = UNSET,
    until: datetime.datetime | Unset = UNSET,
    type_: SignalType | Unset = UNSET,
    source: str | Unset = UNSET,
    agent_name: str | Unset = UNSET,
    session_id: str | Unset = UNSET,
    name: str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
) -> Error | SignalPage | None:
    """Signals of classified sessions, newest first (extension).

     Sessions are classified by deterministic heuristics once they reach
    `completed` or `failed` (again on every later write to them); a
    session left `active` with no activity for 30 minutes gets the
    `abandoned` signal. Reading first classifies whatever is pending.
    The heuristics and their thresholds are listed in the README.

    Args:
        since (datetime.datetime | Unset):
        until (datetime.datetime | Unset):
        type_ (SignalType | Unset):
        source (str | Unset):
        agent_name (str | Unset):
        session_id (str | Unset):
        name (str | Unset):
        limit (int | Unset):  Default: 50.
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | SignalPage
    """

    return (
        await asyncio_detailed(
            client=client,
            since=since,
            until=until,
            type_=type_,
            source=source,
            agent_name=agent_name,
            session_id=session_id,
            name=name,
            limit=limit,
            cursor=cursor,
        )
    ).parsed
