import datetime
from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.session_page import SessionPage
from ...models.session_status_filter import SessionStatusFilter
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    agent_name: str | Unset = UNSET,
    user_id: str | Unset = UNSET,
    status: SessionStatusFilter | Unset = UNSET,
    convo_id: str | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    until: datetime.datetime | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
    changed_after: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["agentName"] = agent_name

    params["userId"] = user_id

    json_status: str | Unset = UNSET
    if not isinstance(status, Unset):
        json_status = status.value

    params["status"] = json_status

    params["convoId"] = convo_id

    json_since: str | Unset = UNSET
    if not isinstance(since, Unset):
        json_since = since.isoformat()
    params["since"] = json_since

    json_until: str | Unset = UNSET
    if not isinstance(until, Unset):
        json_until = until.isoformat()
    params["until"] = json_until

    params["limit"] = limit

    params["cursor"] = cursor

    params["changedAfter"] = changed_after

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/sdk/sessions",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | SessionPage | None:
    if response.status_code == 200:
        response_200 = SessionPage.from_dict(response.json())

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

    if response.status_code == 503:
        response_503 = Error.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | SessionPage]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    agent_name: str | Unset = UNSET,
    user_id: str | Unset = UNSET,
    status: SessionStatusFilter | Unset = UNSET,
    convo_id: str | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    until: datetime.datetime | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
    changed_after: str | Unset = UNSET,
) -> Response[Error | SessionPage]:
    """List sessions, newest first (extension).

    Args:
        agent_name (str | Unset):
        user_id (str | Unset):
        status (SessionStatusFilter | Unset):
        convo_id (str | Unset):
        since (datetime.datetime | Unset):
        until (datetime.datetime | Unset):
        limit (int | Unset):  Default: 50.
        cursor (str | Unset):
        changed_after (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | SessionPage]
    """

    kwargs = _get_kwargs(
        agent_name=agent_name,
        user_id=user_id,
        status=status,
        convo_id=convo_id,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor,
        changed_after=changed_after,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    agent_name: str | Unset = UNSET,
    user_id: str | Unset = UNSET,
    status: SessionStatusFilter | Unset = UNSET,
    convo_id: str | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    until: datetime.datetime | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
    changed_after: str | Unset = UNSET,
) -> Error | SessionPage | None:
    """List sessions, newest first (extension).

    Args:
        agent_name (str | Unset):
        user_id (str | Unset):
        status (SessionStatusFilter | Unset):
        convo_id (str | Unset):
        since (datetime.datetime | Unset):
        until (datetime.datetime | Unset):
        limit (int | Unset):  Default: 50.
        cursor (str | Unset):
        changed_after (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | SessionPage
    """

    return sync_detailed(
        client=client,
        agent_name=agent_name,
        user_id=user_id,
        status=status,
        convo_id=convo_id,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor,
        changed_after=changed_after,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    agent_name: str | Unset = UNSET,
    user_id: str | Unset = UNSET,
    status: SessionStatusFilter | Unset = UNSET,
    convo_id: str | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    until: datetime.datetime | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
    changed_after: str | Unset = UNSET,
) -> Response[Error | SessionPage]:
    """List sessions, newest first (extension).

    Args:
        agent_name (str | Unset):
        user_id (str | Unset):
        status (SessionStatusFilter | Unset):
        convo_id (str | Unset):
        since (datetime.datetime | Unset):
        until (datetime.datetime | Unset):
        limit (int | Unset):  Default: 50.
        cursor (str | Unset):
        changed_after (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | SessionPage]
    """

    kwargs = _get_kwargs(
        agent_name=agent_name,
        user_id=user_id,
        status=status,
        convo_id=convo_id,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor,
        changed_after=changed_after,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    agent_name: str | Unset = UNSET,
    user_id: str | Unset = UNSET,
    status: SessionStatusFilter | Unset = UNSET,
    convo_id: str | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    until: datetime.datetime | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
    changed_after: str | Unset = UNSET,
) -> Error | SessionPage | None:
    """List sessions, newest first (extension).

    Args:
        agent_name (str | Unset):
        user_id (str | Unset):
        status (SessionStatusFilter | Unset):
        convo_id (str | Unset):
        since (datetime.datetime | Unset):
        until (datetime.datetime | Unset):
        limit (int | Unset):  Default: 50.
        cursor (str | Unset):
        changed_after (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | SessionPage
    """

    return (
        await asyncio_detailed(
            client=client,
            agent_name=agent_name,
            user_id=user_id,
            status=status,
            convo_id=convo_id,
            since=since,
            until=until,
            limit=limit,
            cursor=cursor,
            changed_after=changed_after,
        )
    ).parsed
