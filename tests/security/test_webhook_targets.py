"""Webhook targets: internal addresses are refused when a URL is written and again at every
delivery, the connection goes to the address that was checked, and no reply body is kept.

Nothing here is ever sent beyond loopback: names resolve through the test resolver, and a
transport that only lets loopback literals through stands between the hub and the network."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from marketbridge.model import EventType
from marketbridge.runtime.targets import Target, TargetRefused, check_target, is_loopback_host, pinned_request
from marketbridge.store.db import Database
from marketbridge.store.events import emit
from marketbridge.store.tables import WebhookAttempt, WebhookDelivery, WebhookSubscription
from marketbridge.sync.webhook_delivery import deliver_due
from marketbridge.wiring import Hub
from tests.api.conftest import ApiEnv
from tests.security.conftest import HubFactory, Recorder, resolver_of
from tests.support.resolver import StaticResolver
from tests.support.servers import serve_app

NAMES = {
    "hooks.example": ["93.184.216.34"],
    "evil.example": ["10.0.0.5"],
    "loop.example": ["127.0.0.1"],
    "metadata.example": ["169.254.169.254"],
    "cgnat.example": ["100.64.12.1"],
    "mapped.example": ["::ffff:127.0.0.1"],
    "mixed.example": ["93.184.216.34", "192.168.0.10"],
}

REFUSED = [
    "http://127.0.0.1:9/hook",
    "http://127.9.9.9/",
    "http://localhost:8000/hook",
    "http://0.0.0.0/",
    "http://0/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0x7f.0.0.1/",
    "http://0177.0.0.1/",
    "http://017700000001/",
    "http://127.1/",
    "http://[::1]/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:10.0.0.5]/",
    "http://[2002:a00:5::]/",
    "http://[64:ff9b::a00:5]/",
    "http://[fe80::1]/",
    "http://[fd00::1]/",
    "http://[fec0::1]/",
    "http://[ff02::1]/",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.5/",
    "http://172.16.3.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://224.0.0.1/",
    "http://255.255.255.255/",
    "http://240.0.0.1/",
    "https://evil.example/hook",
    "https://loop.example/hook",
    "https://metadata.example/",
    "https://cgnat.example/",
    "https://mapped.example/",
    "https://mixed.example/",
    "https://unknown.example/",
]


class LoopbackOnly(httpx.AsyncBaseTransport):
    """Lets through requests to loopback literals only; anything else is recorded and fails."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.stopped: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host not in ("127.0.0.1", "::1"):
            self.stopped.append(str(request.url))
            raise httpx.ConnectError("the test lets only loopback through", request=request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def _deliver(env: ApiEnv) -> LoopbackOnly:
    """One delivery round by a worker of this hub (its own database pool, in this event loop)."""
    served = env.hub
    worker = Hub(
        settings=served.settings, db=Database(served.db.url), box=served.box, resolver=served.resolver
    )
    transport = LoopbackOnly()
    try:
        async with httpx.AsyncClient(transport=transport, follow_redirects=False) as client:
            await deliver_due(worker, client=client)
    finally:
        await worker.aclose()
    return transport


async def _deliveries(db: Database) -> list[WebhookDelivery]:
    async with db.session() as s:
        return list((await s.execute(select(WebhookDelivery).order_by(WebhookDelivery.id))).scalars())


async def test_internal_targets_are_refused_when_written(hub_with: HubFactory) -> None:
    with hub_with(allow_loopback_targets=False) as env:
        resolver_of(env).names.update(NAMES)
        async with env.client(env.a) as client:
            for url in REFUSED:
                made = await client.post("/webhooks", json={"url": url, "event_types": ["order.created"]})
                assert made.status_code == 422, (url, made.status_code, made.text)
                assert made.json()["code"] == "webhook_target_refused", url
                assert made.json()["errors"][0]["field"] == "body.url"
                told = [a for names in NAMES.values() for a in names if a in made.text and "example" in url]
                assert told == [], url  # the addresses a name resolves to are not told
            assert (await client.get("/webhooks")).json()["items"] == []

            fine = await client.post(
                "/webhooks", json={"url": "https://hooks.example/in", "event_types": ["order.created"]}
            )
            assert fine.status_code == 201, fine.text
            moved = await client.patch(f"/webhooks/{fine.json()['id']}", json={"url": "http://evil.example/"})
            assert moved.status_code == 422 and moved.json()["code"] == "webhook_target_refused"
            kept = await client.get(f"/webhooks/{fine.json()['id']}")
            assert kept.json()["url"] == "https://hooks.example/in"
        assert {"evil.example", "hooks.example"} <= set(resolver_of(env).asked)


async def test_every_spelling_of_loopback_is_recognised_without_resolving() -> None:
    resolver = StaticResolver()
    for host in ("127.0.0.1", "2130706433", "0x7f.1", "0177.0.0.1", "127.1", "::1", "localhost"):
        assert is_loopback_host(host), host
    for url in ("http://2130706433/", "http://0x7f.1/", "http://[::1]/"):
        assert (await check_target(url, resolver, allow_loopback=True)).address in ("127.0.0.1", "::1")
        with pytest.raises(TargetRefused):
            await check_target(url, resolver, allow_loopback=False)
    with pytest.raises(TargetRefused):  # the development setting allows loopback, nothing else
        await check_target("http://10.1.2.3/", resolver, allow_loopback=True)
    assert resolver.asked == []


async def test_an_https_target_is_pinned_with_its_name_kept_for_host_and_tls() -> None:
    resolver = StaticResolver({"hooks.example": ["2001:db8::5", "93.184.216.34"]})
    with pytest.raises(TargetRefused):  # 2001:db8::/32 is documentation space, not global
        await check_target("https://hooks.example/in", resolver, allow_loopback=False)
    resolver.names["hooks.example"] = ["2606:4700::1111", "93.184.216.34"]
    target = await check_target("https://u:p@hooks.example:8443/in?x=1", resolver, allow_loopback=False)
    assert target == Target("https://u:p@hooks.example:8443/in?x=1", "hooks.example", 8443, "93.184.216.34")
    url, headers, extensions = pinned_request(target)
    assert url == "https://u:p@93.184.216.34:8443/in?x=1"
    assert headers == {"Host": "hooks.example:8443"} and extensions == {"sni_hostname": "hooks.example"}
    v6 = Target("http://hooks.example/in", "hooks.example", 80, "2606:4700::1111")
    assert pinned_request(v6) == ("http://[2606:4700::1111]/in", {"Host": "hooks.example"}, {})


async def test_delivery_checks_the_target_again_and_sends_nothing_when_refused(
    hub_with: HubFactory, db: Database
) -> None:
    recorder = Recorder()
    with serve_app(recorder.app()) as sink, hub_with(allow_loopback_targets=False) as env:
        async with db.session() as s:  # a row written before the check existed
            s.add(
                WebhookSubscription(
                    account_id=env.a.account_id,
                    url=sink.url + "/hook",
                    event_types=["order.created"],
                    secret=env.hub.box.encrypt_text("whsec_" + "x" * 32),
                    enabled=True,
                )
            )
        async with db.session() as s:
            await emit(s, env.a.account_id, EventType.ORDER_CREATED, {"order_id": 1})
        transport = await _deliver(env)
        assert recorder.seen == [] and transport.stopped == []
        (delivery,) = await _deliveries(db)
        assert delivery.status == "pending" and delivery.last_status_code is None
        assert (delivery.last_error or "").startswith("target_refused:"), delivery.last_error


async def test_the_connection_goes_to_the_checked_address_and_a_rebound_name_is_refused(
    hub_with: HubFactory, db: Database
) -> None:
    recorder = Recorder()
    with serve_app(recorder.app()) as sink, hub_with(allow_loopback_targets=True) as env:
        resolver = resolver_of(env)
        resolver.names["hooks.example"] = ["127.0.0.1"]
        url = f"http://hooks.example:{sink.port}/hook"
        async with env.client(env.a) as client:
            made = await client.post("/webhooks", json={"url": url, "event_types": ["order.created"]})
            assert made.status_code == 201, made.text
        assert resolver.asked == ["hooks.example"]  # checked when written, through the seam

        async with db.session() as s:
            await emit(s, env.a.account_id, EventType.ORDER_CREATED, {"order_id": 1})
        transport = await _deliver(env)
        assert transport.stopped == []
        assert len(recorder.seen) == 1
        method, path, headers = recorder.seen[0]
        assert (method, path) == ("POST", "/hook")
        assert (
            headers["host"] == f"hooks.example:{sink.port}"
        )  # the original name, sent to the pinned address

        resolver.names["hooks.example"] = ["10.0.0.5"]  # the name now points inside
        async with db.session() as s:
            await emit(s, env.a.account_id, EventType.ORDER_CREATED, {"order_id": 2})
        transport = await _deliver(env)
        assert transport.stopped == [] and len(recorder.seen) == 1
        first, second = await _deliveries(db)
        assert first.status == "delivered" and second.status == "pending"
        assert (second.last_error or "").startswith("target_refused:")


async def test_only_the_status_is_kept_and_redirects_are_not_followed(
    hub_with: HubFactory, db: Database
) -> None:
    secret_page = Recorder(
        status=500, body=b"db_password=hunter2 internal stack trace", media_type="text/plain"
    )
    elsewhere = Recorder()
    with serve_app(secret_page.app()) as failing, serve_app(elsewhere.app()) as other:
        moving = Recorder(status=302, headers={"Location": other.url + "/stolen"})
        with serve_app(moving.app()) as redirecting, hub_with(allow_loopback_targets=True) as env:
            async with env.client(env.a) as client:
                for sink in (failing, redirecting):
                    made = await client.post(
                        "/webhooks", json={"url": sink.url + "/hook", "event_types": ["order.created"]}
                    )
                    assert made.status_code == 201, made.text
            async with db.session() as s:
                await emit(s, env.a.account_id, EventType.ORDER_CREATED, {"order_id": 1})
            await _deliver(env)
            assert len(secret_page.seen) == 1 and len(moving.seen) == 1
            assert elsewhere.seen == []  # the redirect was not followed
            errors = {d.last_status_code: d.last_error for d in await _deliveries(db)}
            assert errors == {500: "HTTP 500", 302: "HTTP 302"}
            async with db.session() as s:
                attempts = list((await s.execute(select(WebhookAttempt.error))).scalars())
            assert sorted(a or "" for a in attempts) == ["HTTP 302", "HTTP 500"]
            async with env.client(env.a) as client:
                listed = await client.get("/webhook-deliveries")
            assert "hunter2" not in listed.text
