"""Request dependencies: the hub, and who is calling (bearer API key → account and scope).

A wrong key is logged (`api_key_refused`, with the client's address and the key's first
characters, never the key) and counted against the client's address; an address with too
many recent failures gets 429 before its key is even looked at (`runtime/auth_throttle.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import structlog
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from marketbridge.api.problems import Problem
from marketbridge.store import accounts
from marketbridge.store.accounts import Principal
from marketbridge.wiring import Hub

log = structlog.get_logger(__name__)

bearer = HTTPBearer(auto_error=False, description="A seller API key: `Authorization: Bearer mb_...`")


def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


async def hub_dependency(request: Request) -> Hub:
    """`get_hub` as a dependency: async, since FastAPI runs a plain function dependency in a worker thread."""
    return get_hub(request)


def client_address(scope: Mapping[str, Any]) -> str:
    """The caller's address from an ASGI scope (behind a trusted reverse proxy, the one it forwarded)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def too_many_failures(hub: Hub, address: str) -> Problem | None:
    wait = hub.auth_failures.retry_after(address)
    if not wait:
        return None
    return Problem(
        429,
        "too_many_failed_attempts",
        f"too many wrong keys from this address; try again in {wait} s",
        headers={"Retry-After": str(wait)},
    )


async def principal_for(hub: Hub, raw_key: str) -> Principal | None:
    return await accounts.verify(hub.db, raw_key)


#: Where the body guard (`api/bodies.py`) leaves the caller it authenticated before reading a body.
PRINCIPAL_SCOPE_KEY = "marketbridge.principal"


async def authenticate(hub: Hub, raw_key: str | None, address: str, path: str) -> Principal:
    """The caller of a bearer key; 401 when it is missing, unknown or revoked, 403 when its
    account is disabled, 429 for an address with too many recent wrong keys."""
    if not raw_key:
        raise Problem(
            401,
            "unauthorized",
            "send `Authorization: Bearer <API key>`",
            headers={"WWW-Authenticate": "Bearer"},
        )
    throttled = too_many_failures(hub, address)
    if throttled is not None:
        raise throttled
    found = await principal_for(hub, raw_key)
    if found is None:
        async with hub.db.reading() as s:
            if await accounts.key_disabled(s, raw_key):
                raise Problem(403, "account_disabled", "the account of this API key is disabled")
        hub.auth_failures.failed(address)
        log.warning("api_key_refused", client=address, key_start=raw_key[:6], path=path)
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
    return await authenticate(
        get_hub(request),
        credentials.credentials if credentials else None,
        client_address(request.scope),
        request.scope["path"],
    )


async def writer(principal: Annotated[Principal, Depends(reader)]) -> Principal:
    """A read-write key; a read-only key gets 403."""
    if not principal.can_write:
        raise Problem(403, "read_only_key", "this API key may only read")
    return principal


HubDep = Annotated[Hub, Depends(hub_dependency)]
Reader = Annotated[Principal, Depends(reader)]
Writer = Annotated[Principal, Depends(writer)]
