"""The operator API (`/operator/v1`): the hub's accounts, and disabling or enabling one.

It is for whoever runs the hub, not for a seller: a seller's API key never opens it. The
caller sends `Authorization: Bearer <MB_OPERATOR_TOKEN>`; while that setting is unset the
whole API answers 404, as if it did not exist.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from marketbridge.api.deps import HubDep, get_hub
from marketbridge.api.fields import IdPath
from marketbridge.api.problems import Problem, not_found, responses
from marketbridge.store import accounts
from marketbridge.store.accounts import AccountSummary

operator_bearer = HTTPBearer(auto_error=False, description="The operator token: `MB_OPERATOR_TOKEN`")


async def operator(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(operator_bearer)],
) -> None:
    """Let the request through only with the operator token; 404 while none is configured."""
    token = get_hub(request).settings.operator_token
    if not token:
        raise not_found("operator API")
    given = credentials.credentials if credentials else ""
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise Problem(
            401,
            "invalid_operator_token",
            "send `Authorization: Bearer <MB_OPERATOR_TOKEN>`",
            headers={"WWW-Authenticate": "Bearer"},
        )


router = APIRouter(
    prefix="/operator/v1",
    tags=["operator"],
    dependencies=[Depends(operator)],
    responses=responses(401, 404),
)


class AccountStatus(BaseModel):
    id: int
    name: str
    status: Literal["active", "disabled"]
    created_at: datetime
    disabled_at: datetime | None
    active_keys: int = Field(description="API keys not revoked")
    connections: int = Field(description="marketplace connections, enabled or not")


def _out(summary: AccountSummary) -> AccountStatus:
    return AccountStatus(
        id=summary.id,
        name=summary.name,
        status="disabled" if summary.status == "disabled" else "active",
        created_at=summary.created_at,
        disabled_at=summary.disabled_at,
        active_keys=summary.active_keys,
        connections=summary.connections,
    )


@router.get("/accounts", summary="List every account of the hub")
async def list_accounts(hub: HubDep) -> list[AccountStatus]:
    async with hub.db.session() as s:
        return [_out(a) for a in await accounts.list_accounts(s)]


async def _apply(hub: HubDep, account_id: int, disabled: bool | None) -> AccountStatus:
    async with hub.db.session() as s:
        if disabled is not None and not await accounts.set_disabled(s, account_id, disabled):
            raise not_found("account")
        found = await accounts.list_accounts(s, account_id)
    if not found:
        raise not_found("account")
    return _out(found[0])


@router.get("/accounts/{account_id}", summary="One account")
async def get_account(account_id: IdPath, hub: HubDep) -> AccountStatus:
    return await _apply(hub, account_id, None)


@router.post(
    "/accounts/{account_id}/disable",
    summary="Disable an account: its keys get 403, its connections stop syncing, nothing is deleted",
)
async def disable_account(account_id: IdPath, hub: HubDep) -> AccountStatus:
    return await _apply(hub, account_id, True)


@router.post("/accounts/{account_id}/enable", summary="Enable a disabled account again")
async def enable_account(account_id: IdPath, hub: HubDep) -> AccountStatus:
    return await _apply(hub, account_id, False)
