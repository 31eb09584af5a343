"""Request dependencies: the hub, and who is calling (bearer API key → account and scope)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from marketbridge.api.problems import Problem
from marketbridge.store import accounts
from marketbridge.store.accounts import Principal
from marketbridge.wiring import Hub

bearer = HTTPBearer(auto_error=False, description="A seller API key: `Authorization: Bearer mb_...`")


def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


async def principal_for(hub: Hub, raw_key: str) -> Principal | None:
    async with hub.db.session() as s:
        return await accounts.authenticate(s, raw_key)


#: Where the body guard (`api/bodies.py`) leaves the caller it authenticated before reading a body.
PRINCIPAL_SCOPE_KEY = "marketbridge.principal"


async def authenticate(hub: Hub, raw_key: str | None) -> Principal:
    """The caller of a bearer key; 401 when it is missing, unknown or revoked, 403 when its account is disabled."""
    if not raw_key:
        raise Problem(
            401,
            "unauthorized",
            "send `Authorization: Bearer <API key>`",
            headers={"WWW-Authenticate": "Bearer"},
        )
    found = await principal_for(hub, raw_key)
    if found is None:
        async with hub.db.session() as s:
            if await accounts.key_disabled(s, raw_key):
                raise Problem(403, "account_disabled", "the account of this API key is disabled")
        raise Problem(
            401,
            "invalid_api_key",
            "the API key is unknown or revoked",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return found


async def reader(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """Any valid key: read-only and read-write keys may read."""
    known: Principal | None = request.scope.get(PRINCIPAL_SCOPE_KEY)
    if known is not None:  # checked before the body was read
        return known
    return await authenticate(get_hub(request), credentials.credentials if credentials else None)


async def writer(principal: Annotated[Principal, Depends(reader)]) -> Principal:
    """A read-write key; a read-only key gets 403."""
    if not principal.can_write:
        raise Problem(403, "read_only_key", "this API key may only read")
    return principal


HubDep = Annotated[Hub, Depends(get_hub)]
Reader = Annotated[Principal, Depends(reader)]
Writer = Annotated[Principal, Depends(writer)]
