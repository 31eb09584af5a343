"""Common and returns APIs of the sandbox: ping, seller info, buyers' return claims."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from marketbridge.channels.wildberries import endpoints as ep
from marketbridge.sandbox.wildberries.endpoints import route
from marketbridge.sandbox.wildberries.errors import WbError
from marketbridge.sandbox.wildberries.shop import Shop, json_body, query_int
from marketbridge.sandbox.wildberries.state import now_utc

#: claim action -> (status, status_ex) it leads to
CLAIM_ACTIONS = {
    "approve1": (2, 10),
    "autorefund1": (2, 5),
    "reject1": (1, 1),
    "rejectcustom": (1, 1),
}


def router(shop: Shop) -> APIRouter:
    api = APIRouter()
    state = shop.state

    @route(api, ep.PING)
    def ping() -> dict[str, Any]:
        return {"TS": datetime.now(UTC).isoformat(timespec="seconds"), "Status": "OK"}

    @route(api, ep.SELLER_INFO)
    def seller_info() -> dict[str, Any]:
        return {"name": "ИП Песочница", "sid": f"{shop.issuer.seller_id}", "tradeMark": "Sandbox"}

    @route(api, ep.CLAIMS)
    def claims(request: Request) -> dict[str, Any]:
        archive_raw = request.query_params.get("is_archive")
        if archive_raw not in ("true", "false"):
            raise WbError(
                400, "Invalid query params", "Failed to deserialize query string: missing field `is_archive`"
            )
        limit = query_int(request, "limit", default=50, low=1, high=200)
        offset = query_int(request, "offset", default=0, low=0)
        wanted_id = request.query_params.get("id")
        nm_raw = request.query_params.get("nm_id")
        rows = [
            c
            for c in sorted(state.claims.values(), key=lambda c: c.created_at, reverse=True)
            if c.archived == (archive_raw == "true")
            and (not wanted_id or c.id == wanted_id)
            and (not nm_raw or str(c.nm_id) == nm_raw)
        ]
        return {"claims": [c.as_json() for c in rows[offset : offset + limit]], "total": len(rows)}

    @route(api, ep.CLAIM_ANSWER)
    async def answer_claim(request: Request) -> Response:
        body = await json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("id"), str) or "action" not in body:
            raise WbError(400, "Invalid request body", "Failed to deserialize the JSON body: missing field")
        claim = state.claims.get(body["id"])
        if claim is None:
            raise WbError(404, "Not Found", "Claim not found")
        action = body["action"]
        if action not in CLAIM_ACTIONS or claim.status != 0:
            raise WbError(400, "Invalid action", f"action {action!r} is not available for this claim")
        comment = body.get("comment")
        if action == "rejectcustom" and (not isinstance(comment, str) or not 10 <= len(comment) <= 1000):
            raise WbError(400, "Invalid comment", "comment of 10..1000 characters is required")
        claim.status, claim.status_ex = CLAIM_ACTIONS[action]
        claim.updated_at = now_utc()
        return Response(status_code=200)

    return api
