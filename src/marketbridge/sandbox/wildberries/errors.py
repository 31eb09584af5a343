"""Error bodies of the Wildberries API, in the shape each service uses.

The API gateway answers 401/413/429 itself with `{title, detail, code, requestId, origin,
status, statusText, timestamp}`. Behind it each service has its own shape:
- marketplace (orders, supplies, stocks, warehouses): `{code, message}`;
- content: `{data, error, errorText, additionalErrors}`;
- prices and discounts: `{data, error, errorText}`;
- returns (claims): problem JSON `{title, detail, requestId}`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from http import HTTPStatus
from typing import Any

from starlette.responses import JSONResponse


class Style(StrEnum):
    MARKETPLACE = "marketplace"
    CONTENT = "content"
    PRICES = "prices"
    RETURNS = "returns"
    COMMON = "common"


class WbError(Exception):
    """Raised by a handler to answer with a service error in the route's style."""

    def __init__(self, status: int, code: str, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.data = data


def gateway_body(
    status: int, title: str, detail: str, origin: str = "s2s-api-auth-catalog"
) -> dict[str, Any]:
    return {
        "title": title,
        "detail": detail,
        "code": uuid.uuid4().hex[:12],
        "requestId": uuid.uuid4().hex,
        "origin": origin,
        "status": status,
        "statusText": HTTPStatus(status).phrase,
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def gateway_error(
    status: int, title: str, detail: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(gateway_body(status, title, detail), status_code=status, headers=headers)


def service_body(style: Style, code: str, message: str, data: Any = None) -> dict[str, Any]:
    if style == Style.CONTENT:
        return {"data": data, "error": True, "errorText": message, "additionalErrors": {"code": code}}
    if style == Style.PRICES:
        return {"data": data, "error": True, "errorText": message}
    if style == Style.RETURNS:
        return {"title": code, "detail": message, "requestId": uuid.uuid4().hex}
    body: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        body["data"] = data
    return body


def service_error(style: Style, error: WbError) -> JSONResponse:
    media = "application/problem+json" if style == Style.RETURNS else "application/json"
    return JSONResponse(
        service_body(style, error.code, error.message, error.data),
        status_code=error.status,
        media_type=media,
    )


def access_denied(style: Style) -> JSONResponse:
    messages = {
        Style.CONTENT: "Доступ запрещен",
        Style.PRICES: "Access denied",
        Style.RETURNS: "Access denied",
    }
    return service_error(style, WbError(403, "AccessDenied", messages.get(style, "Доступ запрещён")))
