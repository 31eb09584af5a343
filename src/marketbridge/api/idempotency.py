"""`Idempotency-Key` on POST: a retried request gets the stored answer instead of acting twice.

A key belongs to the API key that sent it: another key (even of the same account) never sees
its answer. The caller is authenticated before anything is looked up, and its key's scope
is checked by the route as usual; only answers of requests that ran to success (2xx) are
kept, so a refusal (401, 403, 404, 409, 422, ...) is never replayed and the same key may be
sent again once the request is fixed.

1. an in-progress row is inserted first (unique per API key and key): a concurrent request
   with the same key finds it and gets 409 `idempotency_request_in_progress`;
2. the request runs; a 2xx answer is stored on the row, anything else deletes the row;
3. the same key with the same method, path and body replays the stored answer (header
   `Idempotent-Replayed: true`); with a different request it is 409 `idempotency_key_reused`.

Records expire after EXPIRY; an in-progress row older than ABANDONED (its process died) may
be taken over. A route whose answer carries a secret names the secret's fields with
`not_replayable`: they are stored as null, so a replay says the object was created without
showing the secret again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from starlette.types import Scope

from marketbridge.api.deps import get_hub, principal_for
from marketbridge.api.problems import Problem, problem_response
from marketbridge.runtime.asgi import has_header
from marketbridge.store.accounts import Principal
from marketbridge.store.tables import IdempotencyRecord
from marketbridge.store.types import utcnow
from marketbridge.wiring import Hub

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
EXPIRY = timedelta(hours=24)
ABANDONED = timedelta(minutes=10)
_SECRET_FIELDS = "idempotency_secret_fields"


def not_replayable(request: Request, *fields: str) -> None:
    """Mark top-level fields of this request's JSON answer as secrets: a replay shows them as null."""
    setattr(request.state, _SECRET_FIELDS, fields)


def _request_hash(request: Request, body: bytes) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode() + b" " + request.url.path.encode() + b"?")
    digest.update(request.url.query.encode() + b"\n")
    digest.update(body)
    return digest.hexdigest()


def _bearer(request: Request) -> str | None:
    scheme, _, raw = request.headers.get("authorization", "").partition(" ")
    return raw.strip() if scheme.lower() == "bearer" and raw.strip() else None


def _without_secrets(content: bytes, fields: tuple[str, ...]) -> bytes:
    if not fields:
        return content
    data = json.loads(content)
    if isinstance(data, dict):
        data.update({f: None for f in fields if f in data})
    return json.dumps(data, separators=(",", ":")).encode()


async def _claim(hub: Hub, who: Principal, key: str, fingerprint: str) -> Response | int:
    """The id of a fresh in-progress row, or the answer to give instead of running the request."""
    now = utcnow()
    for _ in range(3):
        try:
            async with hub.db.session() as s:
                await s.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now - EXPIRY))
                row = IdempotencyRecord(
                    account_id=who.account_id,
                    api_key_id=who.key_id,
                    key=key,
                    request_hash=fingerprint,
                    created_at=now,
                )
                s.add(row)
                await s.flush()
                return row.id
        except IntegrityError:
            pass
        async with hub.db.session() as s:
            stored = (
                await s.execute(
                    select(IdempotencyRecord).where(
                        IdempotencyRecord.api_key_id == who.key_id, IdempotencyRecord.key == key
                    )
                )
            ).scalar_one_or_none()
            if stored is None:
                continue  # finished with a failure and removed in between: try again
            if stored.request_hash != fingerprint:
                return problem_response(
                    Problem(
                        409,
                        "idempotency_key_reused",
                        f"this {HEADER} was used for a different request; use a new key",
                    )
                )
            if stored.status_code is None or stored.body is None:
                if now - stored.created_at < ABANDONED:
                    return problem_response(
                        Problem(
                            409,
                            "idempotency_request_in_progress",
                            f"a request with this {HEADER} is still running; retry later",
                            headers={"Retry-After": "1"},
                        )
                    )
                await s.delete(stored)  # its process died: the request may run again
                continue
            return Response(
                stored.body,
                status_code=stored.status_code,
                media_type="application/json",
                headers={"Idempotent-Replayed": "true"},
            )
    return problem_response(
        Problem(409, "idempotency_request_in_progress", "try again", headers={"Retry-After": "1"})
    )


async def _finish(hub: Hub, record_id: int, status: int | None, body: bytes) -> None:
    async with hub.db.session() as s:
        row = await s.get(IdempotencyRecord, record_id)
        if row is None:
            return
        if status is None:
            await s.delete(row)
        else:
            row.status_code, row.body = status, body


def idempotency_applies(scope: Scope) -> bool:
    """A POST to the seller API with an `Idempotency-Key` (`idempotency_middleware` runs for those only)."""
    return (
        scope["method"] == "POST"
        and scope["path"].startswith("/api/")
        and has_header(scope, HEADER.lower().encode())
    )


async def idempotency_middleware(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None or not request.url.path.startswith("/api/"):
        return await call_next(request)
    if not key or len(key) > MAX_KEY_LENGTH:
        return problem_response(
            Problem(400, "invalid_idempotency_key", f"{HEADER} must be 1..{MAX_KEY_LENGTH} characters")
        )
    raw = _bearer(request)
    hub = get_hub(request)
    principal = await principal_for(hub, raw) if raw else None
    if principal is None:  # the route answers 401; nothing is stored
        return await call_next(request)
    body = await request.body()
    claimed = await _claim(hub, principal, key, _request_hash(request, body))
    if isinstance(claimed, Response):
        return claimed
    stored = False
    try:
        response = await call_next(request)
        if not 200 <= response.status_code < 300:
            return response
        content = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
        secret_fields: tuple[str, ...] = getattr(request.state, _SECRET_FIELDS, ())
        await _finish(hub, claimed, response.status_code, _without_secrets(content, secret_fields))
        stored = True
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return Response(content, status_code=response.status_code, headers=headers)
    finally:
        if not stored:
            await _finish(hub, claimed, None, b"")
