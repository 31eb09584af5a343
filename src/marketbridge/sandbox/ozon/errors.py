"""Error answers of the Ozon Seller API: the `rpcStatus` body `{code, message, details}`.

`code` is a gRPC status number (3 invalid argument, 5 not found, 7 permission denied,
8 resource exhausted, 13 internal, 16 unauthenticated); the HTTP status goes with it. The
figures for missing and wrong credentials are those the live API answers.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

INVALID_ARGUMENT = 3
NOT_FOUND = 5
ALREADY_EXISTS = 6
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
INTERNAL = 13
UNAVAILABLE = 14
UNAUTHENTICATED = 16

RATE_LIMIT_MESSAGE = "You have reached request rate limit per second"
MISSING_HEADERS_MESSAGE = "Client-Id and Api-Key headers are required"
BAD_CLIENT_ID_MESSAGE = "Client-Id header value should be positive integer"
INVALID_KEY_MESSAGE = "Invalid Api-Key, please check the key and try again"


class OzonError(Exception):
    """Raised by a handler to answer with Ozon's error body."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def body(code: int, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "details": []}


def error_response(
    status: int, code: int, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(body(code, message), status_code=status, headers=headers)


def bad_request(message: str) -> OzonError:
    return OzonError(400, INVALID_ARGUMENT, message)


def not_found(message: str) -> OzonError:
    return OzonError(404, NOT_FOUND, message)


def for_status(status: int) -> JSONResponse:
    """The body Ozon gives for a bare status (used by fault injection and limits)."""
    if status == 429:
        return error_response(429, RESOURCE_EXHAUSTED, RATE_LIMIT_MESSAGE)
    if status == 504:
        return error_response(504, UNAVAILABLE, "Gateway Timeout")
    return error_response(status, INTERNAL, "Internal error")
