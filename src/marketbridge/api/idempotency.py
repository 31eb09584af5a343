"""`Idempotency-Key` on POST: a retried request gets the stored answer instead of acting twice.

The key is scoped to the account. The first request with a key runs and its answer (any
status below 500) is stored with a hash of the request; the same key with the same method,
path and body replays that answer (header `Idempotent-Replayed: true`); the same key with a
different request is refused with 409 `idempotency_key_reused`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketbridge.api.deps import get_hub, principal_for
from marketbridge.api.problems import Problem, problem_response
from marketbridge.store.tables import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


def _request_hash(request: Request, body: bytes) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode() + b" " + request.url.path.encode() + b"?")
    digest.update(request.url.query.encode() + b"\n")
    digest.update(body)
    return digest.hexdigest()


def _bearer(request: Request) -> str | None:
    scheme, _, raw = request.headers.get("authorization", "").partition(" ")
    return raw.strip() if scheme.lower() == "bearer" and raw.strip() else None


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
    if principal is None:  # the route answers 401
        return await call_next(request)
    body = await request.body()
    fingerprint = _request_hash(request, body)
    async with hub.db.session() as s:
        stored = (
            await s.execute(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.account_id == principal.account_id, IdempotencyRecord.key == key
                )
            )
        ).scalar_one_or_none()
    if stored is not None:
        if stored.request_hash != fingerprint:
            return problem_response(
                Problem(
                    409,
                    "idempotency_key_reused",
                    f"this {HEADER} was used for a different request; use a new key",
                )
            )
        return Response(
            stored.body,
            status_code=stored.status_code,
            media_type=_media_type(stored.status_code),
            headers={"Idempotent-Replayed": "true"},
        )
    response = await call_next(request)
    if response.status_code >= 500:
        return response
    content = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
    try:
        async with hub.db.session() as s:
            s.add(
                IdempotencyRecord(
                    account_id=principal.account_id,
                    key=key,
                    request_hash=fingerprint,
                    status_code=response.status_code,
                    body=content,
                )
            )
    except IntegrityError:  # a concurrent request with the same key stored first
        pass
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    return Response(content, status_code=response.status_code, headers=headers)


def _media_type(status: int) -> str:
    return "application/json" if status < 400 else "application/problem+json"
