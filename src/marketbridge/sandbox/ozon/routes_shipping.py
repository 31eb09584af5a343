"""Seller API methods that act on FBS postings: ship, marking codes (exemplars), cancel, disputes.

Ship splits a posting into one posting per package; products that need marking codes ship
only after their exemplars are set. Cancel takes a reason of the seller's list; disputes
(arbitration) move postings handed over but never scanned, and back.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request

from marketbridge.channels.ozon import endpoints as api
from marketbridge.sandbox.ozon.backend import OzonBackend
from marketbridge.sandbox.ozon.errors import bad_request
from marketbridge.sandbox.ozon.requests import get_int, get_list, get_obj, read_body
from marketbridge.sandbox.ozon.routing import Route, router_of
from marketbridge.sandbox.ozon.shop_postings import CANCEL_REASONS
from marketbridge.sandbox.ozon.state import Posting


async def ship(backend: OzonBackend, request: Request) -> dict[str, Any]:
    data = await read_body(request)
    number = str(data.get("posting_number") or "")
    if not number:
        raise bad_request("posting_number: value is required")
    packages = get_list(data, "packages")
    with backend.state.lock:
        numbers = backend.shop.ship(number, packages, fail_after=backend.ship_failing())
        out: dict[str, Any] = {"result": numbers}
        if get_obj(data, "with").get("additional_data"):
            out["additional_data"] = [
                {
                    "posting_number": n,
                    "products": [
                        {
                            "sku": line.sku,
                            "offer_id": line.offer_id,
                            "name": line.name,
                            "price": str(line.price),
                            "quantity": line.quantity,
                            "currency_code": "RUB",
                            "mandatory_mark": [
                                m
                                for unit in backend.state.postings[n].exemplars.get(line.sku, [])
                                for m in unit
                            ],
                        }
                        for line in backend.state.postings[n].lines
                    ],
                }
                for n in numbers
            ]
    return out


def exemplar_products(posting: Posting) -> list[dict[str, Any]]:
    products = []
    for line in posting.lines:
        units = posting.exemplars.get(line.sku, [])
        products.append(
            {
                "product_id": line.sku,
                "quantity": line.quantity,
                "is_mandatory_mark_needed": line.requires_marking,
                "is_mandatory_mark_possible": line.requires_marking,
                "is_gtd_needed": False,
                "is_rnpt_needed": False,
                "is_jw_uin_needed": False,
                "exemplars": [
                    {
                        "exemplar_id": line.sku * 1000 + i + 1,
                        "gtd": "",
                        "is_gtd_absent": True,
                        "is_rnpt_absent": True,
                        "rnpt": "",
                        "marks": [
                            {"mark": m, "mark_type": "mandatory_mark"}
                            for m in (units[i] if i < len(units) else [])
                        ],
                    }
                    for i in range(line.quantity)
                ],
            }
        )
    return products


async def exemplar_create_or_get(backend: OzonBackend, request: Request) -> dict[str, Any]:
    data = await read_body(request)
    with backend.state.lock:
        posting = backend.shop.posting(str(data.get("posting_number") or ""))
        return {
            "posting_number": posting.posting_number,
            "multi_box_qty": 1,
            "products": exemplar_products(posting),
        }


async def exemplar_set(backend: OzonBackend, request: Request) -> dict[str, Any]:
    data = await read_body(request)
    with backend.state.lock:
        posting = backend.shop.posting(str(data.get("posting_number") or ""))
        backend.shop.set_exemplars(posting, [p for p in get_list(data, "products") if isinstance(p, dict)])
    return {}


async def exemplar_status(backend: OzonBackend, request: Request) -> dict[str, Any]:
    data = await read_body(request)
    with backend.state.lock:
        posting = backend.shop.posting(str(data.get("posting_number") or ""))
        products = exemplar_products(posting)
        for product in products:
            for exemplar in product["exemplars"]:
                for mark in exemplar["marks"]:
                    mark["check_status"] = "passed"
                    mark["error_codes"] = []
                exemplar["gtd_check_status"] = "passed"
                exemplar["rnpt_check_status"] = "passed"
                exemplar["gtd_error_codes"] = []
                exemplar["rnpt_error_codes"] = []
            for key in ("quantity", "is_gtd_needed", "is_rnpt_needed", "is_jw_uin_needed"):
                product.pop(key, None)
            product.pop("is_mandatory_mark_needed", None)
            product.pop("is_mandatory_mark_possible", None)
        return {
            "posting_number": posting.posting_number,
            "status": backend.shop.exemplar_status(posting),
            "products": products,
        }


async def cancel_reasons(backend: OzonBackend, request: Request) -> dict[str, Any]:
    await read_body(request, required=False)
    return {
        "result": [
            {"id": rid, "title": title, "type_id": "seller", "is_available_for_cancellation": ok}
            for rid, title, ok in CANCEL_REASONS
        ]
    }


async def cancel_reasons_for(backend: OzonBackend, request: Request) -> dict[str, Any]:
    data = await read_body(request)
    numbers = [str(n) for n in get_list(data, "related_posting_numbers")]
    reasons = [{"id": rid, "title": title, "type_id": "seller"} for rid, title, ok in CANCEL_REASONS if ok]
    return {"result": [{"posting_number": n, "reasons": reasons} for n in numbers]}


async def cancel(backend: OzonBackend, request: Request) -> dict[str, Any]:
    data = await read_body(request)
    number = str(data.get("posting_number") or "")
    reason_id = get_int(data, "cancel_reason_id")
    message = str(data.get("cancel_reason_message") or "")
    with backend.state.lock:
        backend.shop.cancel(backend.shop.posting(number), reason_id, message)
    return {"result": True}


async def move_all(
    backend: OzonBackend, request: Request, allowed: frozenset[str], target: str
) -> dict[str, Any]:
    data = await read_body(request)
    numbers = [str(n) for n in get_list(data, "posting_number")]
    if not numbers:
        raise bad_request("posting_number: at least one posting number is required")
    with backend.state.lock:
        postings = [backend.shop.posting(n) for n in numbers]
        wrong = [p.posting_number for p in postings if p.status not in allowed]
        if wrong:
            raise bad_request(f"HAS_INCORRECT_STATUS: {', '.join(wrong)}")
        for posting in postings:
            backend.shop.move(posting, target)
    return {"result": True}


async def arbitration(backend: OzonBackend, request: Request) -> dict[str, Any]:
    """A dispute over a posting handed over but never scanned at the sorting centre."""
    return await move_all(backend, request, frozenset({"awaiting_deliver"}), "arbitration")


async def awaiting_delivery(backend: OzonBackend, request: Request) -> dict[str, Any]:
    """Disputed postings back to shipping."""
    return await move_all(
        backend, request, frozenset({"arbitration", "client_arbitration"}), "awaiting_deliver"
    )


ROUTES: tuple[Route, ...] = (
    (api.SHIP, ship),
    (api.EXEMPLAR_CREATE_OR_GET, exemplar_create_or_get),
    (api.EXEMPLAR_SET, exemplar_set),
    (api.EXEMPLAR_SET_V5, exemplar_set),
    (api.EXEMPLAR_STATUS, exemplar_status),
    (api.CANCEL_REASONS, cancel_reasons),
    (api.CANCEL_REASONS_V1, cancel_reasons_for),
    (api.CANCEL, cancel),
    (api.ARBITRATION, arbitration),
    (api.AWAITING_DELIVERY, awaiting_delivery),
)


def shipping_router(backend: OzonBackend) -> APIRouter:
    return router_of(backend, ROUTES)
