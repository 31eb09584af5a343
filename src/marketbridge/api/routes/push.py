"""Marketplace push receivers: verify, store in the inbox, acknowledge fast; processing is asynchronous.

`POST /push/{kind}/{connection_id}/{secret}`: the secret is the connection's push secret
(its full URL is in the connection's detail); a marketplace that posts to a method under the
URL it was given (`.../notification`) is taken at `/push/{kind}/{connection_id}/{secret}/{method}`. A wrong kind, connection or secret is a 404.
The channel checks the body and says what to answer; when it carries a message, an inbox
row is written (unique on connection and dedup key, so a repeated push is acknowledged and
not stored twice) before the answer goes out, and the worker is asked to process it.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

import structlog
from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response
from starlette.requests import ClientDisconnect

from marketbridge.api.deps import HubDep
from marketbridge.api.fields import IdPath
from marketbridge.api.problems import Problem, not_found
from marketbridge.channels.roles import PushHandler, PushMessage, has_role, require
from marketbridge.store import accounts
from marketbridge.store.tables import Connection, InboxItem
from marketbridge.store.upsert import insert_for
from marketbridge.sync.kicks import wake_after_commit
from marketbridge.wiring import Hub

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/push", tags=["push"])

MAX_BODY = 1_000_000
MAX_DEDUP = 300


def _dedup_key(message: PushMessage) -> str:
    key = message.dedup_key
    if len(key) <= MAX_DEDUP:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


async def _store(hub: Hub, row: Connection, message: PushMessage, body: bytes) -> bool:
    """Write the inbox row; False when the same push was stored before."""
    async with hub.db.session() as s:
        stmt = insert_for(s, InboxItem).values(
            account_id=row.account_id,
            connection_id=row.id,
            dedup_key=_dedup_key(message),
            kind=message.kind.value,
            order_external_id=message.order_external_id,
            body=body,
            status="new",
            attempts=0,
        )
        result = await s.execute(stmt.on_conflict_do_nothing(index_elements=["connection_id", "dedup_key"]))
        fresh = bool(getattr(result, "rowcount", 1))
        if fresh:
            wake_after_commit(s)  # the worker processes it at once
    return fresh


@router.post(
    "/{kind}/{connection_id}/{secret}",
    summary="Receive a marketplace notification",
    responses={404: {"description": "unknown connection or wrong secret"}},
)
@router.post(
    "/{kind}/{connection_id}/{secret}/{method}",
    summary="Receive a marketplace notification the marketplace sends to a method under the URL",
    responses={404: {"description": "unknown connection or wrong secret"}},
)
async def receive(
    kind: Annotated[str, Path(max_length=40)],
    connection_id: IdPath,
    secret: Annotated[str, Path(max_length=200)],
    request: Request,
    hub: HubDep,
) -> Response:
    async with hub.db.reading() as s:  # a read: no write turn, no write lock
        row = await s.get(Connection, connection_id)
        enabled = row is not None and await accounts.account_enabled(s, row.account_id)
    if row is None or row.kind != kind or not hmac.compare_digest(row.push_secret.encode(), secret.encode()):
        raise not_found("push endpoint")
    if not enabled:  # the marketplace retries; the polling safety net reads the orders once enabled
        raise Problem(403, "account_disabled", "the account of this connection is disabled")
    try:
        body = await request.body()
    except ClientDisconnect:  # the marketplace gave up before sending the whole body: nothing to store
        return Response(status_code=400)
    if len(body) > MAX_BODY:
        raise Problem(413, "payload_too_large", f"a notification is at most {MAX_BODY} bytes")
    try:
        channel = hub.channels.get(row)
    except ValueError as exc:  # the connection's credentials cannot build a channel
        raise Problem(503, "connection_unusable", str(exc)) from exc
    if not has_role(channel, PushHandler):
        raise not_found("push endpoint")
    reply = require(channel, PushHandler).handle_push(dict(request.headers), body)
    if reply.message is not None:
        fresh = await _store(hub, row, reply.message, body)
        log.info(
            "push_received",
            connection_id=row.id,
            kind=reply.message.kind.value,
            duplicate=not fresh,
            order=reply.message.order_external_id,
        )
    if reply.body is None:
        return Response(status_code=reply.status)
    return JSONResponse(reply.body, status_code=reply.status)
