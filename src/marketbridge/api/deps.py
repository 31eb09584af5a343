"""Request dependencies: the hub, and who is calling (bearer API key → account and scope).

A wrong key is logged (`api_key_refused`, with the client's address and the key's first
characters, never the key) and counted against the client's address; an address with too
many recent failures gets 429 before its key is even looked at (`runtime/auth_throttle.py`).
"""

from __future__ import annotations

from typing import Annotated

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


def client_address(request: Request) -> str:
    """The caller's address (behind a trusted reverse proxy, the one it forwarded)."""
    return request.client.host if request.client else "unknown"


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
    async with hub.db.session() as s:
        return await accounts.authenticate(s, raw_key)


async def reader(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """Any valid key: read-only and read-write keys may read."""
    if credentials is None or not credentials.credentials:
        raise Problem(
            401,
            "unauthorized",
            "send `Authorization: Bearer <API key>`",
            headers={"WWW-Authenticate": "Bearer"},
        )
    hub, address = get_hub(request), client_address(request)
    throttled = too_many_failures(hub, address)
    if throttled is not None:
        raise throttled
    found = await principal_for(hub, credentials.credentials)
    if found is None:
        hub.auth_failures.failed(address)
        log.warning(
            "api_key_refused", client=address, key_start=credentials.credentials[:6], path=request.url.path
        )
        raise Problem(
            401,
            "invalid_api_key",
            "the API key is unknown or revoked",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return found


async def writer(principal: Annotated[Principal, Depends(reader)]) -> Principal:
    """A read-write key; a read-only key gets 403."""
    if not principal.can_write:
        raise Problem(403, "read_only_key", "this API key may only read")
    return principal


HubDep = Annotated[Hub, Depends(get_hub)]
Reader = Annotated[Principal, Depends(reader)]
Writer = Annotated[Principal, Depends(writer)]
