"""What every dashboard answer carries, and the Origin check of every dashboard form post.

Pages may only be framed by nobody (`frame-ancestors 'none'`), load scripts, styles, images
and forms from the hub itself (CSP), are never sniffed as another type, and are never cached
(they show orders and settings of one seller). A POST whose `Origin` (or, without one, whose
`Referer`) names another host than the one it was sent to is refused with 403 before it is
read; a post with neither header still needs its form token (`web/session.py`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import PlainTextResponse, Response
from starlette.types import Scope

from marketbridge.runtime.asgi import Applies

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def same_origin(request: Request) -> bool:
    """False when the post names another host as where it came from."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return True
    if source == "null":
        return False
    return urlsplit(source).netloc.lower() == request.headers.get("host", "").lower()


def under(base: str) -> Applies:
    """Whether a request is for a dashboard path (`dashboard_guard` is run for those only)."""

    def applies(scope: Scope) -> bool:
        path: str = scope["path"]
        return path == base or path.startswith(base + "/")

    return applies


def dashboard_guard(
    base: str,
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    """The middleware for the dashboard's paths under `base`."""

    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if not request.url.path.startswith(base + "/") and request.url.path != base:
            return await call_next(request)
        if request.method == "POST" and not same_origin(request):
            response: Response = PlainTextResponse("cross-site form posts are refused", status_code=403)
        else:
            response = await call_next(request)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return guard
