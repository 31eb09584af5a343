"""Bad input to the dashboard: odd ids, query values, forms and cookies get a clear answer (a 4xx or
a message on the page), never a server error, and never a redirect to another site."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from marketbridge.demo.world import World
from marketbridge.store import accounts
from marketbridge.store.tables import Order, WarehouseMapping
from tests.web.conftest import one_new_order, post_login

HUGE = "9" * 30


@pytest.fixture
async def person(world: World) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client logged in to the dashboard the way a browser is (the session cookie)."""
    assert world.hub_url is not None
    async with httpx.AsyncClient(base_url=world.hub_url, timeout=30) as client:
        answer = await post_login(client, world.api_key)
        assert answer.status_code == 303 and "mb_session" in answer.cookies
        yield client


async def _csrf(client: httpx.AsyncClient) -> str:
    page = await client.get("/dashboard/orders")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, "every page with a form carries the CSRF token"
    return found.group(1)


async def _notice(client: httpx.AsyncClient, answer: httpx.Response) -> str:
    assert answer.status_code == 303, answer.text
    target = answer.headers["location"]
    assert target.startswith("/dashboard/")
    page = await client.get(target)
    assert page.status_code == 200
    found = re.search(r'<p class="notice (ok|error)"[^>]*>([^<]*)</p>', page.text)
    assert found, "the next page says what happened"
    return f"{found.group(1)}: {found.group(2)}"


async def test_odd_addresses_are_4xx_not_5xx(world: World, person: httpx.AsyncClient) -> None:
    for path in (
        "/dashboard/orders/abc",
        f"/dashboard/orders/{HUGE}",
        "/dashboard/orders/0",
        "/dashboard/orders?connection=-1",
        f"/dashboard/runs?connection={HUGE}",
        "/dashboard/products?page=0",
        f"/dashboard/products/{HUGE}",
        f"/dashboard/mappings?connection={HUGE}",
    ):
        answer = await person.get(path)
        assert 400 <= answer.status_code < 500, (path, answer.status_code)
    missing = await person.get("/dashboard/products/123456")
    assert missing.status_code == 404 and "Not found" in missing.text
    weird = await person.get("/dashboard/products", params={"q": "%_'\"<script>", "status": "<b>x</b>"})
    assert weird.status_code == 200
    assert "<script>" not in weird.text and "&lt;script&gt;" in weird.text
    assert (await person.get("/dashboard/orders", params={"view": "nonsense"})).status_code == 200


async def test_odd_forms_get_a_message(world: World, person: httpx.AsyncClient) -> None:
    order = await one_new_order(world)
    conn_id = order.connection_id
    csrf = await _csrf(person)
    pack = f"/dashboard/orders/{order.id}/pack"
    for quantity in ("x", "-1", HUGE, "", "0"):
        form = {"csrf": csrf, "boxes": "1"}
        form.update(
            {
                k: quantity
                for k in re.findall(
                    r'name="(q-\d+-1)"', (await person.get(f"/dashboard/orders/{order.id}")).text
                )
            }
        )
        said = await _notice(person, await person.post(pack, data=form))
        assert said.startswith("error: "), (quantity, said)
    said = await _notice(person, await person.post(pack, data={"csrf": csrf, "boxes": HUGE}))
    assert said.startswith("error: ")
    said = await _notice(person, await person.post("/dashboard/orders/123456/ship", data={"csrf": csrf}))
    assert said.startswith("error: ")
    mappings = f"/dashboard/mappings/{conn_id}"
    for table, form in (
        ("warehouses", {"warehouse_id": HUGE, "external_id": "x"}),
        ("warehouses", {"warehouse_id": "abc", "external_id": "x"}),
        ("prices", {"price_type_id": "1", "target": "no_such_price"}),
        ("categories", {"hub_category": "", "external_category_id": ""}),
        ("nonsense", {}),
    ):
        said = await _notice(person, await person.post(f"{mappings}/{table}", data={"csrf": csrf, **form}))
        assert said.startswith("error: "), (table, form, said)
    said = await _notice(
        person,
        await person.post(f"/dashboard/connections/{conn_id}/sync", data={"csrf": csrf, "kind": "nope"}),
    )
    assert said.startswith("error: ")
    # no token, or another session's token: nothing is done
    said = await _notice(
        person, await person.post(f"/dashboard/orders/{order.id}/cancel", data={"reason": "x"})
    )
    assert "expired" in said
    async with world.hub.db.session() as s:
        still = await s.get(Order, order.id)
    assert still is not None and still.status == "new"


async def test_cookies_and_redirects_cannot_be_abused(world: World) -> None:
    assert world.hub_url is not None
    async with httpx.AsyncClient(base_url=world.hub_url, timeout=30) as client:
        client.cookies.set("mb_session", "not-a-token")
        answer = await client.get("/dashboard/orders")
        assert answer.status_code == 303 and answer.headers["location"].startswith("/dashboard/login")
        login = await client.get("/dashboard/login", params={"next": "https://elsewhere.example/"})
        assert 'name="next" value="/dashboard/orders"' in login.text  # the form never leads away
        sent = await post_login(client, world.api_key, next="//elsewhere.example/x")
        assert sent.status_code == 303 and sent.headers["location"] == "/dashboard/orders"
        lang = await client.get("/dashboard/lang/ru", params={"next": "//elsewhere.example"})
        assert lang.headers["location"].startswith("/dashboard/")
        wrong = await post_login(client, "x" * 5000)
        assert wrong.status_code == 401


async def test_another_account_reaches_nothing(world: World) -> None:
    """A second seller's key: every page and action on the demo account's objects is refused."""
    assert world.hub_url is not None
    order = await one_new_order(world)
    conn_id = order.connection_id
    offer_id = next(iter(world.ids.offers.values()))
    async with world.hub.db.session() as s:
        _, other_key = await accounts.create_account(s, "another shop")
        mapping_ids = [
            m
            for (m,) in await s.execute(
                select(WarehouseMapping.id).where(WarehouseMapping.connection_id == conn_id)
            )
        ]
    async with httpx.AsyncClient(base_url=world.hub_url, timeout=30) as other:
        logged = await post_login(other, other_key)
        assert logged.status_code == 303
        for path in (f"/dashboard/orders/{order.id}", f"/dashboard/products/{offer_id}"):
            assert (await other.get(path)).status_code == 404, path
        for path in ("/dashboard/orders", "/dashboard/products", "/dashboard/runs", "/dashboard/connections"):
            page = await other.get(path)
            assert page.status_code == 200
            assert order.external_id not in page.text and "DEMO-" not in page.text, path
        csrf = await _csrf(other)
        for action in (
            f"/dashboard/orders/{order.id}/ship",
            f"/dashboard/orders/{order.id}/cancel",
            f"/dashboard/orders/{order.id}/pack",
            f"/dashboard/connections/{conn_id}/check",
            f"/dashboard/connections/{conn_id}/sync",
            f"/dashboard/mappings/{conn_id}/warehouses/{mapping_ids[0]}/delete",
        ):
            answer = await other.post(action, data={"csrf": csrf, "reason": "x", "kind": "orders"})
            assert answer.status_code == 303, action
        labels = await other.get(f"/dashboard/orders/{order.id}/labels.pdf")
        assert labels.status_code == 303 and labels.headers["location"] == f"/dashboard/orders/{order.id}"
    async with world.hub.db.session() as s:
        still = await s.get(Order, order.id)
        kept = (
            await s.execute(select(WarehouseMapping.id).where(WarehouseMapping.connection_id == conn_id))
        ).all()
    assert still is not None and still.status == "new"
    assert len(kept) == len(mapping_ids)
