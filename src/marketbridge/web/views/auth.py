"""Logging in with an API key, logging out, switching the language."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from marketbridge.store import accounts
from marketbridge.web.i18n import LANGUAGES, translator
from marketbridge.web.pages import BASE, hub_of, redirect, render, safe_next, url
from marketbridge.web.session import LANG_COOKIE, csrf_ok, end_session, start_session, viewer_for

router = APIRouter()


@router.get("/")
async def home() -> Response:
    return RedirectResponse(url("/orders"), status_code=303)


@router.get("/login")
async def login_form(request: Request, next: str | None = None) -> Response:
    viewer = await viewer_for(request, hub_of(request))
    return render(request, viewer, "login.html", next=safe_next(next, url("/orders")), error=None)


@router.post("/login")
async def login(request: Request) -> Response:
    hub = hub_of(request)
    viewer = await viewer_for(request, hub)
    form = await request.form()
    key = str(form.get("api_key") or "").strip()
    target = safe_next(str(form.get("next") or ""), url("/orders"))
    t = translator(viewer.language)
    principal = None
    if key and len(key) <= 200:
        async with hub.db.session() as s:
            principal = await accounts.authenticate(s, key)
    if principal is None:
        error = t("login.empty") if not key else t("login.bad")
        return render(request, viewer, "login.html", http_status=401, next=target, error=error)
    response = redirect(request, target)
    start_session(response, hub, key, secure=request.url.scheme == "https")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    viewer = await viewer_for(request, hub_of(request))
    form = {k: v for k, v in (await request.form()).multi_items() if isinstance(v, str)}
    if viewer.principal is not None and not csrf_ok(viewer, form):  # another site cannot log you out
        return redirect(request, url("/orders"), ("error", translator(viewer.language)("csrf.refused")))
    response = redirect(request, url("/login"))
    end_session(response)
    return response


@router.get("/lang/{code}")
async def language(code: str, request: Request, next: str | None = None) -> Response:
    response = redirect(request, safe_next(next, BASE + "/orders"))
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax", path="/")
    return response
