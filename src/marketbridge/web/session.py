"""Who is looking: server-side dashboard sessions, the login form's token, the language and notices.

Logging in stores a `dashboard_sessions` row (the hash of a random token, the API key it was
opened with, a CSRF token, an expiry SESSION_SECONDS ahead); the cookie holds only the token.
Every request looks the row up and checks that the key is still valid, so logging out (the
row is deleted) or revoking the key ends the session at once, and a copied cookie is worth
nothing afterwards. With MB_PRODUCTION the cookies are `Secure` and carry the `__Host-`
prefix (no other host or path can set them). The login form carries its own token, kept in a
short-lived cookie (double submit), so another site cannot log a visitor in to its account.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import delete, select

from marketbridge.store.accounts import Principal
from marketbridge.store.tables import ApiKey, DashboardSession
from marketbridge.store.types import utcnow
from marketbridge.web.i18n import DEFAULT_LANGUAGE, pick_language
from marketbridge.wiring import Hub

LANG_COOKIE = "mb_lang"
NOTICE_COOKIE = "mb_notice"
SESSION_SECONDS = 12 * 3600
LOGIN_FORM_SECONDS = 3600


def cookie_name(hub: Hub, name: str) -> str:
    """A cookie's name: `__Host-` prefixed in production (Secure, whole host, path /)."""
    return f"__Host-{name}" if hub.settings.production else name


def session_cookie(hub: Hub) -> str:
    return cookie_name(hub, "mb_session")


def login_cookie(hub: Hub) -> str:
    return cookie_name(hub, "mb_login")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class Viewer:
    """The person behind a request: their account and key scope, language and CSRF token."""

    principal: Principal | None
    language: str = DEFAULT_LANGUAGE
    csrf: str = ""
    notice: tuple[str, str] | None = None  # (kind: ok | error, text)
    new_cookies: dict[str, str] = field(default_factory=dict)

    @property
    def account_id(self) -> int:
        assert self.principal is not None
        return self.principal.account_id

    @property
    def can_write(self) -> bool:
        return self.principal is not None and self.principal.can_write


def _decrypt(hub: Hub, token: str | None) -> dict[str, str]:
    if not token:
        return {}
    try:
        payload = hub.box.decrypt_text(token.encode("ascii"))
        data = json.loads(payload)
    except (ValueError, UnicodeError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _encrypt(hub: Hub, data: dict[str, str]) -> str:
    return hub.box.encrypt_text(json.dumps(data, sort_keys=True)).decode("ascii")


async def _session_of(hub: Hub, token: str | None) -> tuple[Principal, str] | None:
    """(who, CSRF token) of a live session whose key is still valid."""
    if not token or len(token) > 200:
        return None
    async with hub.db.session() as s:
        found = (
            await s.execute(
                select(DashboardSession, ApiKey)
                .join(ApiKey, ApiKey.id == DashboardSession.api_key_id)
                .where(
                    DashboardSession.token_hash == _hash(token),
                    DashboardSession.expires_at > utcnow(),
                    ApiKey.revoked_at.is_(None),
                )
            )
        ).first()
    if found is None:
        return None
    row, key = found
    return Principal(account_id=key.account_id, key_id=key.id, scope=key.scope), row.csrf


async def viewer_for(request: Request, hub: Hub) -> Viewer:
    """Read the cookies of a request; `principal` is None when nobody (valid) is logged in."""
    language = pick_language(request.query_params.get("lang") or request.cookies.get(LANG_COOKIE))
    viewer = Viewer(principal=None, language=language)
    if request.query_params.get("lang") in ("en", "ru"):
        viewer.new_cookies[LANG_COOKIE] = language
    notice = _decrypt(hub, request.cookies.get(NOTICE_COOKIE))
    if notice.get("kind") and notice.get("text"):
        viewer.notice = (notice["kind"], notice["text"])
    found = await _session_of(hub, request.cookies.get(session_cookie(hub)))
    if found is not None:
        viewer.principal, viewer.csrf = found
    return viewer


def _set(response: Response, hub: Hub, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="lax", secure=hub.settings.production, path="/"
    )


async def start_session(response: Response, hub: Hub, who: Principal) -> None:
    """Open a session for the key `who` logged in with and set its cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    async with hub.db.session() as s:
        await s.execute(delete(DashboardSession).where(DashboardSession.expires_at <= now))
        s.add(
            DashboardSession(
                token_hash=_hash(token),
                account_id=who.account_id,
                api_key_id=who.key_id,
                csrf=secrets.token_urlsafe(24),
                created_at=now,
                expires_at=now + timedelta(seconds=SESSION_SECONDS),
            )
        )
    _set(response, hub, session_cookie(hub), token, SESSION_SECONDS)
    response.delete_cookie(login_cookie(hub), path="/", secure=hub.settings.production)


async def end_session(request: Request, response: Response, hub: Hub) -> None:
    """Delete the session row (the cookie is worthless from now on) and the cookie."""
    token = request.cookies.get(session_cookie(hub))
    if token and len(token) <= 200:
        async with hub.db.session() as s:
            await s.execute(delete(DashboardSession).where(DashboardSession.token_hash == _hash(token)))
    response.delete_cookie(session_cookie(hub), path="/", secure=hub.settings.production)


def login_token(request: Request, hub: Hub) -> tuple[str, bool]:
    """The login form's token: the one in the visitor's cookie, or a new one (True: set the cookie)."""
    current = request.cookies.get(login_cookie(hub), "")
    if 20 <= len(current) <= 100:
        return current, False
    return secrets.token_urlsafe(24), True


def remember_login_token(response: Response, hub: Hub, token: str) -> None:
    _set(response, hub, login_cookie(hub), token, LOGIN_FORM_SECONDS)


def login_token_ok(request: Request, hub: Hub, form: dict[str, Any]) -> bool:
    cookie = request.cookies.get(login_cookie(hub), "")
    sent = str(form.get("login_token") or "")
    return bool(cookie) and secrets.compare_digest(sent.encode(), cookie.encode())


def set_notice(response: Response, hub: Hub, kind: str, text: str) -> None:
    """A message shown once on the next page (after a POST and its redirect)."""
    response.set_cookie(
        NOTICE_COOKIE,
        _encrypt(hub, {"kind": kind, "text": text[:1500]}),
        httponly=True,
        samesite="lax",
        secure=hub.settings.production,
    )


def finish(response: Response, viewer: Viewer) -> Response:
    """Write the cookies a page view changes: the chosen language, the notice it has shown."""
    for name, value in viewer.new_cookies.items():
        response.set_cookie(name, value, max_age=365 * 86400, samesite="lax", path="/")
    return response


def csrf_ok(viewer: Viewer, form: dict[str, Any]) -> bool:
    sent = str(form.get("csrf") or "")
    return bool(viewer.csrf) and secrets.compare_digest(sent.encode(), viewer.csrf.encode())
