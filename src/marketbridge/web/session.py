"""Who is looking: the API key kept in an encrypted, signed cookie, the language, and one-shot notices.

The cookie holds the raw key and the time it was issued, encrypted with the hub's secret box
(Fernet: encrypted and authenticated), so it cannot be read or forged and ends after
SESSION_SECONDS; the key is checked against the store on every request, so a revoked key ends
the session at once. Every form carries a CSRF token kept in the same cookie."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from marketbridge.store import accounts
from marketbridge.store.accounts import Principal
from marketbridge.web.i18n import DEFAULT_LANGUAGE, pick_language
from marketbridge.wiring import Hub

SESSION_COOKIE = "mb_session"
LANG_COOKIE = "mb_lang"
NOTICE_COOKIE = "mb_notice"
SESSION_SECONDS = 12 * 3600


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


async def viewer_for(request: Request, hub: Hub) -> Viewer:
    """Read the cookies of a request; `principal` is None when nobody (valid) is logged in."""
    language = pick_language(request.query_params.get("lang") or request.cookies.get(LANG_COOKIE))
    viewer = Viewer(principal=None, language=language)
    if request.query_params.get("lang") in ("en", "ru"):
        viewer.new_cookies[LANG_COOKIE] = language
    session = _decrypt(hub, request.cookies.get(SESSION_COOKIE))
    notice = _decrypt(hub, request.cookies.get(NOTICE_COOKIE))
    if notice.get("kind") and notice.get("text"):
        viewer.notice = (notice["kind"], notice["text"])
    issued = session.get("at", "")
    fresh = issued.isdigit() and 0 <= time.time() - int(issued) <= SESSION_SECONDS
    viewer.csrf = session.get("csrf", "") if fresh else ""
    key = session.get("key") if fresh else None
    if key:
        async with hub.db.session() as s:
            viewer.principal = await accounts.authenticate(s, key)
    return viewer


def start_session(response: Response, hub: Hub, raw_key: str, secure: bool) -> None:
    token = _encrypt(hub, {"key": raw_key, "csrf": secrets.token_urlsafe(24), "at": str(int(time.time()))})
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def set_notice(response: Response, hub: Hub, kind: str, text: str) -> None:
    """A message shown once on the next page (after a POST and its redirect)."""
    response.set_cookie(
        NOTICE_COOKIE, _encrypt(hub, {"kind": kind, "text": text[:1500]}), httponly=True, samesite="lax"
    )


def finish(response: Response, viewer: Viewer) -> Response:
    """Write the cookies a page view changes: the chosen language, the notice it has shown."""
    for name, value in viewer.new_cookies.items():
        response.set_cookie(name, value, max_age=365 * 86400, samesite="lax", path="/")
    return response


def csrf_ok(viewer: Viewer, form: dict[str, Any]) -> bool:
    sent = str(form.get("csrf") or "")
    return bool(viewer.csrf) and secrets.compare_digest(sent, viewer.csrf)
