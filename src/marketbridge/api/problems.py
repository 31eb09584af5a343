"""Errors as RFC 9457 problem documents: one shape for every 4xx and 5xx the API answers.

`{type, title, status, detail, code, errors: [{field, message}]}` with the media type
application/problem+json. Route code raises `Problem`; FastAPI's own errors (validation,
unknown routes, wrong methods) and unexpected exceptions are turned into the same shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from marketbridge.channels.errors import (
    AuthError,
    ChannelError,
    HostNotAllowed,
    NotFoundError,
    NotSupported,
    RateLimited,
    RequestRejected,
)
from marketbridge.sync.errors import ActionRefused, NotFound

log = structlog.get_logger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://marketbridge.dev/problems/"


class FieldError(BaseModel):
    field: str = Field(description="where the problem is, e.g. `body.items[3].sku` or `query.limit`")
    message: str
    index: int | None = Field(default=None, description="position of the offending item in a bulk request")
    sku: str | None = Field(default=None, description="SKU of the offending item in a bulk request")


class ProblemDetail(BaseModel):
    """An RFC 9457 problem document with a machine-readable `code`."""

    type: str
    title: str
    status: int
    detail: str | None = None
    code: str = Field(description="stable, machine-readable error code")
    errors: list[FieldError] = Field(default_factory=list)


class Problem(Exception):
    """Raise to answer with a problem document."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str | None = None,
        *,
        errors: Sequence[FieldError] = (),
        title: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or code)
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = list(errors)
        self.title = title or _title(status)
        self.headers = headers


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def not_found(what: str) -> Problem:
    return Problem(404, "not_found", f"{what} not found")


def problem_response(problem: Problem) -> JSONResponse:
    body = ProblemDetail(
        type=TYPE_BASE + problem.code,
        title=problem.title,
        status=problem.status,
        detail=problem.detail,
        code=problem.code,
        errors=problem.errors,
    )
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=problem.headers,
    )


def _field_path(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _item_sku(body: Any, index: int) -> str | None:
    items = body.get("items") if isinstance(body, dict) else None
    if isinstance(items, list) and 0 <= index < len(items) and isinstance(items[index], dict):
        sku = items[index].get("sku", items[index].get("offer_sku"))
        return sku if isinstance(sku, str) else None
    return None


def validation_errors(raw: Sequence[Any], body: Any = None) -> list[FieldError]:
    """pydantic/FastAPI error dicts → field errors (`body.items[2].sku`).

    An error inside `body.items[i]` of a bulk request also names the item's index and SKU.
    """
    out = []
    for e in raw:
        loc = tuple(e.get("loc", ()))
        error = FieldError(field=_field_path(loc), message=str(e.get("msg", "")))
        if len(loc) >= 3 and loc[:2] == ("body", "items") and isinstance(loc[2], int):
            error.index = loc[2]
            error.sku = _item_sku(body, loc[2])
        out.append(error)
    return out


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
}


def channel_problem(exc: ChannelError) -> Problem:
    """A marketplace failure as the seller sees it.

    What the seller can act on (the marketplace refused the request, does not know the object,
    has no such operation, or refused the credentials) is a 409 with a code; the marketplace
    being down, slow or answering nonsense is a 502, and its rate limit a 503.
    """
    if isinstance(exc, HostNotAllowed):
        return Problem(409, "base_url_not_allowed", str(exc))
    if isinstance(exc, NotSupported):
        return Problem(409, "not_supported_by_marketplace", str(exc))
    if isinstance(exc, AuthError):
        return Problem(409, "marketplace_auth_failed", str(exc))
    if isinstance(exc, NotFoundError):
        return Problem(409, "marketplace_not_found", str(exc))
    if isinstance(exc, RequestRejected):
        return Problem(409, "marketplace_rejected", str(exc))
    if isinstance(exc, RateLimited):
        return Problem(503, "marketplace_rate_limited", str(exc))
    return Problem(502, "marketplace_unavailable", str(exc))


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem document."""

    async def on_problem(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(exc)

    async def on_http(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = _STATUS_CODES.get(exc.status_code, "error")
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(Problem(exc.status_code, code, detail, headers=dict(exc.headers or {})))

    async def on_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = validation_errors(exc.errors(), exc.body)
        return problem_response(
            Problem(422, "validation_failed", "the request is not valid; see errors", errors=errors)
        )

    async def on_channel(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ChannelError)
        return problem_response(channel_problem(exc))

    async def on_refused(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ActionRefused)
        errors = [FieldError(field="body", message=line) for line in exc.lines]
        return problem_response(Problem(409, exc.code, exc.message, errors=errors))

    async def on_missing(_: Request, exc: Exception) -> JSONResponse:
        return problem_response(Problem(404, "not_found", f"{exc} not found"))

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("api_unhandled_error", path=request.url.path, error=type(exc).__name__)
        return problem_response(Problem(500, "internal_error", "an unexpected error; it was logged"))

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(ChannelError, on_channel)
    app.add_exception_handler(ActionRefused, on_refused)
    app.add_exception_handler(NotFound, on_missing)
    app.add_exception_handler(Exception, on_unexpected)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting problem answers for these statuses."""
    ref = {"$ref": "#/components/schemas/ProblemDetail"}
    return {
        s: {
            "model": ProblemDetail,
            "description": _title(s),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": ref}},
        }
        for s in statuses
    }
