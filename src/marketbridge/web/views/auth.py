"""Logging in with an API key, logging out, switching the language.

A login needs the form's own token (see `web/session.py`); a wrong key is logged
(`dashboard_login_refused`) and counted against the visitor's address like a wrong API key,
and too many of them answer 429 until the address has waited (`runtime/auth_throttle.py`).
"""

from __future__ import annotations

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from marketbridge.store import accounts
from marketbridge.web.i18n import LANGUAGES, translator
from marketbridge.web.pages import BASE, hub_of, redirect, render, safe_next, url
from marketbridge.web.session import (
    LANG_COOKIE,
    Viewer,
    csrf_ok,
    end_session,
    login_token,
    login_token_ok,
    remember_login_token,
    start_session,
    viewer_for,
)

log = structlog.get_logger(__name__)
router = APIRouter()


@router.get("/")
async def home() -> Response:
    return RedirectResponse(url("/orders"), status_code=303)


def _login_page(request: Request, viewer: Viewer, status: int, target: str, error: str | None) -> Response:
    hub = hub_of(request)
    token, fresh = login_token(request, hub)
    response = render(
        request, viewer, "login.html", http_status=status, next=target, error=error, token=token
    )
    if fresh:
        remember_login_token(response, hub, token)
    return response


@router.get("/login")
async def login_form(request: Request, next: str | None = None) -> Response:
    viewer = await viewer_for(request, hub_of(request))
    return _login_page(request, viewer, 200, safe_next(next, url("/orders")), None)


@router.post("/login")
async def login(request: Request) -> Response:
    hub = hub_of(request)
    viewer = await viewer_for(request, hub)
    form = {k: v for k, v in (await request.form()).multi_items() if isinstance(v, str)}
    key = str(form.get("api_key") or "").strip()
    target = safe_next(str(form.get("next") or ""), url("/orders"))
    t = translator(viewer.language)
    address = request.client.host if request.client else "unknown"
    wait = hub.auth_failures.retry_after(address)
    if wait:
        response = _login_page(request, viewer, 429, target, t("login.throttled", seconds=wait))
        response.headers["Retry-After"] = str(wait)
        return response
    if not login_token_ok(request, hub, form):
        return _login_page(request, viewer, 403, target, t("csrf.refused"))
    principal = None
    if key and len(key) <= 200:
        async with hub.db.session() as s:
            principal = await accounts.authenticate(s, key)
    if principal is None:
        if key:
            hub.auth_failures.failed(address)
            log.warning("dashboard_login_refused", client=address, key_start=key[:6])
        error = t("login.empty") if not key else t("login.bad")
        return _login_page(request, viewer, 401, target, error)
    response = redirect(request, target)
    await start_session(response, hub, principal)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    hub = hub_of(request)
    viewer = await viewer_for(request, hub)
    form = {k: v for k, v in (await request.form()).multi_items() if isinstance(v, str)}
    if viewer.principal is not None and not csrf_ok(viewer, form):  # another site cannot log you out
        return redirect(request, url("/orders"), ("error", translator(viewer.language)("csrf.refused")))
    response = redirect(request, url("/login"))
    await end_session(request, response, hub)
    return response


@router.get("/lang/{code}")
async def language(code: str, request: Request, next: str | None = None) -> Response:
    response = redirect(request, safe_next(next, BASE + "/orders"))
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax", path="/")
    return response
