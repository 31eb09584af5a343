"""Dashboard sessions live on the server and end at logout; the login form cannot be posted from
another site; cookies are `__Host-` and Secure in production; pages forbid framing, sniffing and
caching; wrong logins are counted, logged and slowed down."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from marketbridge.app import create_app
from marketbridge.runtime.settings import Settings
from marketbridge.store.crypto import SecretBox
from marketbridge.store.db import Database
from marketbridge.store.tables import DashboardSession
from marketbridge.wiring import Hub
from tests.api.conftest import ApiEnv
from tests.support.servers import ThreadedServer, serve_app
from tests.web.conftest import login_form_token, post_login


async def test_a_session_ends_at_logout_even_for_a_copied_cookie(api: ApiEnv, db: Database) -> None:
    async with httpx.AsyncClient(base_url=api.url, timeout=30) as person:
        assert (await post_login(person, api.a.key)).status_code == 303
        cookie = person.cookies["mb_session"]
        assert api.a.key not in cookie
        page = await person.get("/dashboard/connections")
        assert page.status_code == 200
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf
        out = await person.post("/dashboard/logout", data={"csrf": csrf.group(1)})
        assert out.status_code == 303
    async with db.session() as s:
        assert (await s.execute(select(func.count()).select_from(DashboardSession))).scalar_one() == 0
    async with httpx.AsyncClient(base_url=api.url, cookies={"mb_session": cookie}, timeout=30) as thief:
        again = await thief.get("/dashboard/connections")
    assert again.status_code == 303 and again.headers["location"].startswith("/dashboard/login")


async def test_the_login_form_cannot_be_posted_from_another_site(api: ApiEnv) -> None:
    async with httpx.AsyncClient(base_url=api.url, timeout=30) as visitor:
        no_token = await visitor.post("/dashboard/login", data={"api_key": api.a.key})
        assert no_token.status_code == 403 and "mb_session" not in no_token.cookies
        token = await login_form_token(visitor)
        foreign = await visitor.post(
            "/dashboard/login",
            data={"api_key": api.a.key, "login_token": token},
            headers={"Origin": "http://attacker.example"},
        )
        assert foreign.status_code == 403 and "mb_session" not in foreign.cookies
        same = await visitor.post(
            "/dashboard/login", data={"api_key": api.a.key, "login_token": token}, headers={"Origin": api.url}
        )
        assert same.status_code == 303 and "mb_session" in same.cookies


async def test_dashboard_pages_forbid_framing_sniffing_and_caching(api: ApiEnv) -> None:
    async with httpx.AsyncClient(base_url=api.url, timeout=30) as person:
        await post_login(person, api.a.key)
        for path in ("/dashboard/login", "/dashboard/orders", "/dashboard/connections"):
            page = await person.get(path)
            assert page.status_code == 200, path
            assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
            assert "default-src 'self'" in page.headers["content-security-policy"]
            assert page.headers["x-content-type-options"] == "nosniff"
            assert page.headers["cache-control"] == "no-store"
            assert page.headers["x-frame-options"] == "DENY"


@pytest.fixture
def production(db: Database, fernet_key: bytes, api: ApiEnv) -> Iterator[ThreadedServer]:
    hub = Hub(settings=Settings(production=True), db=Database(db.url), box=SecretBox([fernet_key]))
    with serve_app(create_app(hub)) as server:
        yield server


async def test_production_cookies_are_host_prefixed_and_secure(
    api: ApiEnv, production: ThreadedServer
) -> None:
    async with httpx.AsyncClient(base_url=production.url, timeout=30) as person:
        form = await person.get("/dashboard/login")
        login_cookie = form.headers["set-cookie"]
        assert login_cookie.startswith("__Host-mb_login=") and "Secure" in login_cookie
        token = re.search(r'name="login_token" value="([^"]+)"', form.text)
        assert token
        person.cookies.set("__Host-mb_login", login_cookie.split(";")[0].split("=", 1)[1])
        answer = await person.post(
            "/dashboard/login", data={"api_key": api.a.key, "login_token": token.group(1)}
        )
    assert answer.status_code == 303, answer.text
    session = next(c for c in answer.headers.get_list("set-cookie") if "mb_session" in c)
    assert session.startswith("__Host-mb_session=")
    attributes = [a.strip().lower() for a in session.split(";")[1:]]
    assert "secure" in attributes and "httponly" in attributes and "path=/" in attributes
    assert not any(a.startswith("domain") for a in attributes)


async def test_wrong_logins_are_logged_and_slowed_down(
    api: ApiEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    async with httpx.AsyncClient(base_url=api.url, timeout=30) as guesser:
        token = await login_form_token(guesser)
        statuses = [
            (
                await guesser.post(
                    "/dashboard/login", data={"api_key": f"mb_guess{i:04d}", "login_token": token}
                )
            ).status_code
            for i in range(21)
        ]
        assert statuses[:20] == [401] * 20 and statuses[20] == 429
        right = await guesser.post("/dashboard/login", data={"api_key": api.a.key, "login_token": token})
        assert right.status_code == 429 and int(right.headers["retry-after"]) >= 1
        assert "mb_session" not in right.cookies
    logs = capsys.readouterr().err
    assert logs.count('"dashboard_login_refused"') == 20
    assert "mb_guess0001" not in logs  # only the first characters of a wrong key are logged
