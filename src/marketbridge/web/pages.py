"""Rendering pages: the Jinja2 environment, the page and redirect helpers, and the login gate.

Every dashboard URL lives under BASE. A page needs a logged-in viewer (`Page` dependency);
an action needs a read-write key and the form's CSRF token (`checked_form`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path as FilePath
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from marketbridge.runtime.redaction import url_for_readers
from marketbridge.web.i18n import translator
from marketbridge.web.session import NOTICE_COOKIE, Viewer, csrf_ok, finish, set_notice, viewer_for
from marketbridge.wiring import Hub

BASE = "/dashboard"
MAX_ID = 2**63 - 1  # the largest id the databases store

IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]


def form_id(value: str | None) -> int:
    """An id posted in a form; ValueError unless it is a whole number the databases can hold."""
    text = (value or "").strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_ID:
        raise ValueError(f"not an id: {text[:20]!r}")
    return int(text)


HTMX_FILE = FilePath("node_modules") / "htmx.org" / "dist" / "htmx.min.js"


def _when(value: datetime | None) -> str:
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _seconds(start: datetime | None, end: datetime | None) -> str:
    if start is None:
        return "—"
    stop = end or datetime.now(UTC)
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    if stop.tzinfo is None:
        stop = stop.replace(tzinfo=UTC)
    return f"{max((stop - start).total_seconds(), 0):.1f} s"


def _money(value: Decimal | int | None) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value):,.2f}".replace(",", "\u202f")


def url(path: str = "", **query: Any) -> str:
    """A dashboard URL: BASE + path, with the query parameters that have a value."""
    params = {k: v for k, v in query.items() if v not in (None, "")}
    return BASE + path + ("?" + urlencode(params) if params else "")


ENV = Environment(
    loader=PackageLoader("marketbridge.web", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters["when"] = _when
ENV.filters["money"] = _money
ENV.filters["urlquote"] = lambda v: quote(str(v), safe="")
ENV.filters["for_readers"] = url_for_readers
ENV.globals["seconds"] = _seconds
ENV.globals["url"] = url


def hub_of(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


def htmx_file(hub: Hub) -> FilePath | None:
    """htmx as installed by `make setup` (npm, into var/web); None when it is not there."""
    path = hub.settings.var_dir / "web" / HTMX_FILE
    return path if path.is_file() else None


class LoginRequired(Exception):
    """Raised by the page gate; answered with a redirect to the login form."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def login_redirect(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return RedirectResponse(url("/login", next=exc.next_url), status_code=303)


async def logged_in(request: Request) -> Viewer:
    viewer = await viewer_for(request, hub_of(request))
    if viewer.principal is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return viewer


Page = Annotated[Viewer, Depends(logged_in)]


def render(
    request: Request, viewer: Viewer, template: str, http_status: int = 200, **context: Any
) -> Response:
    hub = hub_of(request)
    t = translator(viewer.language)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    html = ENV.get_template(template).render(
        t=t,
        viewer=viewer,
        request_path=request.url.path,
        here=here,
        htmx=htmx_file(hub) is not None,
        **context,
    )
    response = HTMLResponse(html, status_code=http_status)
    if viewer.notice is not None:
        response.delete_cookie(NOTICE_COOKIE)
    return finish(response, viewer)


def redirect(request: Request, to: str, notice: tuple[str, str] | None = None) -> Response:
    """303 to `to` (a POST's answer), carrying a message for the next page."""
    response = RedirectResponse(to, status_code=303)
    if notice is not None:
        set_notice(response, hub_of(request), *notice)
    return response


def safe_next(value: str | None, default: str) -> str:
    """Only dashboard paths are followed after a form, never another site."""
    if value and value.startswith(BASE + "/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


async def checked_form(
    request: Request, viewer: Viewer, back: str
) -> tuple[dict[str, str], Callable[..., str], Response | None]:
    """The posted form and the viewer's translator; plus a redirect with the reason when the key may
    not write or the form's token is stale (then nothing must be done)."""
    form = {k: v for k, v in (await request.form()).multi_items() if isinstance(v, str)}
    t = translator(viewer.language)
    if not csrf_ok(viewer, form):
        return form, t, redirect(request, back, ("error", t("csrf.refused")))
    if not viewer.can_write:
        return form, t, redirect(request, back, ("error", t("readonly.refused")))
    return form, t, None


async def rows(session: AsyncSession, query: Select[Any]) -> list[Any]:
    """Every row object a one-entity SELECT finds."""
    return list((await session.execute(query)).scalars())
