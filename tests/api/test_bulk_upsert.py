"""Bulk upsert of the catalog: 10,000 offers in one call, validated whole before anything is written."""

from __future__ import annotations

import httpx

from tests.api.conftest import ApiEnv

COUNT = 10_000


def offers(count: int) -> list[dict[str, object]]:
    return [
        {"sku": f"SKU-{n:05d}", "name": f"Item {n}", "barcodes": [f"46{n:011d}"], "weight_g": 100 + n % 50}
        for n in range(count)
    ]


async def _count(client: httpx.AsyncClient) -> int:
    total, cursor = 0, None
    while True:
        params: dict[str, str | int] = {"limit": 1000}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/catalog/offers", params=params)).json()
        total += len(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return total


async def test_ten_thousand_offers_with_one_invalid_write_nothing_then_all_valid_are_written(
    api: ApiEnv, client_a: httpx.AsyncClient
) -> None:
    items = offers(COUNT)
    items[7321]["barcodes"] = ["not a barcode!"]
    bad = await client_a.post("/catalog/offers/bulk", json={"items": items})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    problem = bad.json()
    assert problem["code"] == "validation_failed"
    assert len(problem["errors"]) == 1
    assert problem["errors"][0]["index"] == 7321
    assert problem["errors"][0]["sku"] == "SKU-07321"
    assert problem["errors"][0]["field"].startswith("body.items[7321].barcodes")
    assert await _count(client_a) == 0

    items[7321]["barcodes"] = ["4600000007321"]
    ok = await client_a.post("/catalog/offers/bulk", json={"items": items})  # its speed: bench/ api_bulk
    assert ok.status_code == 200, ok.text
    assert ok.json() == {"created": COUNT, "updated": 0}
    assert await _count(client_a) == COUNT

    items[0]["name"] = "renamed"
    again = await client_a.post("/catalog/offers/bulk", json={"items": items[:10]})
    assert again.json() == {"created": 0, "updated": 10}
    first = (await client_a.get("/catalog/offers", params={"sku": "SKU-00000"})).json()["items"][0]
    assert first["name"] == "renamed"
    assert first["barcodes"] == ["4600000000000"]


async def test_database_checks_name_every_offending_item(api: ApiEnv, client_a: httpx.AsyncClient) -> None:
    await client_a.post("/catalog/offers/bulk", json={"items": [{"sku": "A", "barcodes": ["1111"]}]})
    await client_a.post(
        "/catalog/bundles/bulk",
        json={"items": [{"sku": "KIT", "name": "kit", "components": [{"offer_sku": "A", "quantity": 2}]}]},
    )
    items = [
        {"sku": "B", "barcodes": ["1111"]},  # owned by A
        {"sku": "C", "product_sku": "NOPE"},  # unknown product
        {"sku": "B"},  # twice in the request
        {"sku": "KIT"},  # a bundle
        {"sku": "D"},
    ]
    bad = await client_a.post("/catalog/offers/bulk", json={"items": items})
    assert bad.status_code == 422
    named = sorted((e["index"], e["sku"]) for e in bad.json()["errors"])
    assert named == [(0, "B"), (1, "C"), (2, "B"), (3, "KIT")]
    assert bad.json()["code"] == "invalid_items"
    listed = (await client_a.get("/catalog/offers")).json()["items"]
    assert sorted(o["sku"] for o in listed) == ["A", "KIT"]
    kit = next(o for o in listed if o["sku"] == "KIT")
    assert kit["kind"] == "bundle" and kit["components"][0]["quantity"] == 2


async def test_products_with_variants_and_images(api: ApiEnv, client_a: httpx.AsyncClient) -> None:
    body = {
        "items": [
            {
                "sku": "TSHIRT",
                "name": "T-shirt",
                "images": [{"url": "https://img.example/1.jpg", "primary": True}],
                "offers": [{"sku": "TSHIRT-S", "size": "S"}, {"sku": "TSHIRT-M", "size": "M"}],
            }
        ]
    }
    done = await client_a.post("/catalog/products/bulk", json=body)
    assert done.json() == {"products": {"created": 1, "updated": 0}, "offers": {"created": 2, "updated": 0}}
    product = (await client_a.get("/catalog/products")).json()["items"][0]
    assert len(product["offer_ids"]) == 2
    replaced = await client_a.put(
        f"/catalog/products/{product['id']}/images", json={"images": [{"url": "https://img.example/2.jpg"}]}
    )
    assert replaced.json()["images"] == [{"url": "https://img.example/2.jpg", "primary": False}]
    variant = (await client_a.get(f"/catalog/offers/{product['offer_ids'][0]}")).json()
    assert variant["product_id"] == product["id"] and variant["size"] == "S"
