"""The offers' answers of the seller API: read in two queries, written straight to JSON bytes.

A page of offers is the most requested read of the API (an ERP paging through the catalog),
so it skips the ORM and the per-row models. On one read-only connection (no session, no
identity map) it asks for the offers with whether their stock is known, then for their
barcodes, bundle components and listings in one `UNION ALL` query. Each offer becomes a dict
with `OfferOut`'s fields in their order, and pydantic-core writes the whole answer in one call,
by the same rules the response model would (datetimes in ISO 8601 with `Z`, enums by value).
The routes declare `OfferOut` as their response model, so the OpenAPI document is unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pydantic_core
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import Integer, Select, bindparam, cast, literal, not_, null, select, union_all

from marketbridge import model
from marketbridge.store.db import Database
from marketbridge.store.stock_known import stock_known_clause
from marketbridge.store.tables import Barcode, BundleComponent, Link, Offer


class ListingOut(BaseModel):
    connection_id: int
    external_id: str
    external_code: str | None
    status: model.ListingStatus
    status_reason: str | None
    updated_at: datetime


class ComponentOut(BaseModel):
    offer_id: int
    quantity: int


class OfferOut(BaseModel):
    id: int
    sku: str
    kind: str = Field(description="simple | bundle")
    product_id: int | None
    name: str | None
    size: str | None
    color: str | None
    weight_g: int | None
    requires_marking: bool
    barcodes: list[str]
    components: list[ComponentOut]
    listings: list[ListingOut]
    stock_known: bool = Field(
        description="false: the seller never set (or imported) this offer's stock; nothing is pushed for it"
    )
    updated_at: datetime


#: An offer's own columns, then whether its stock is known, in `OfferOut`'s order.
OFFER_COLUMNS = (
    Offer.id,
    Offer.sku,
    Offer.kind,
    Offer.product_id,
    Offer.name,
    Offer.size,
    Offer.color,
    Offer.weight_g,
    Offer.requires_marking,
    Offer.updated_at,
    stock_known_clause().label("stock_known"),
)

_BARCODE, _COMPONENT, _LISTING = 0, 1, 2


@functools.cache
def page_statement(filters: tuple[str, ...], stock_known: bool | None) -> Select[Any]:
    """A page of offers: the account's (bound as `account_id`) after the id `after`, at most
    `limit`, each column named in `filters` equal to the parameter of its name, and when
    `stock_known` is not None only those whose stock the hub knows (or does not). Built once
    per shape: building a statement costs more than running it."""
    known = stock_known_clause()
    query = select(*OFFER_COLUMNS).where(
        Offer.account_id == bindparam("account_id"), Offer.id > bindparam("after")
    )
    if stock_known is not None:
        query = query.where(known if stock_known else not_(known))
    for name in filters:
        query = query.where(getattr(Offer, name) == bindparam(name))
    return query.order_by(Offer.id).limit(bindparam("limit", type_=Integer))


@functools.cache
def one_statement() -> Select[Any]:
    """The offer `offer_id` of the account `account_id`."""
    return select(*OFFER_COLUMNS).where(
        Offer.id == bindparam("offer_id"), Offer.account_id == bindparam("account_id")
    )


@functools.cache
def _details(with_bundles: bool) -> Select[Any]:
    """Barcodes, listings and (`with_bundles`) components of the offers `ids` (and bundles
    `bundles`) of the account `account_id`, in one query: rows of (part, offer id, row id,
    text, text, text, text, number, number, time), each part in id order."""
    none_text = cast(null(), Link.external_id.type)
    none_int = cast(null(), Link.connection_id.type)
    none_time = cast(null(), Link.updated_at.type)
    ids: Any = bindparam("ids", expanding=True)
    listings = select(
        literal(_LISTING).label("part"),
        Link.entity_id,
        Link.id,
        Link.external_id,
        Link.external_code,
        Link.status,
        Link.status_reason,
        Link.connection_id,
        none_int,
        Link.updated_at,
    ).where(Link.entity_kind == "offer", Link.entity_id.in_(ids), Link.account_id == bindparam("account_id"))
    barcodes = select(
        literal(_BARCODE),
        Barcode.offer_id,
        Barcode.id,
        Barcode.value,
        *[none_text] * 3,
        none_int,
        none_int,
        none_time,
    ).where(Barcode.offer_id.in_(ids))
    parts = [listings, barcodes]
    if with_bundles:
        parts.append(
            select(
                literal(_COMPONENT),
                BundleComponent.bundle_id,
                BundleComponent.id,
                *[none_text] * 4,
                BundleComponent.component_id,
                BundleComponent.quantity,
                none_time,
            ).where(BundleComponent.bundle_id.in_(bindparam("bundles", expanding=True)))
        )
    both = union_all(*parts).subquery()
    return select(both).order_by(both.c[0], both.c[2])


def _listing_status(raw: str | None) -> str:
    try:
        return model.ListingStatus(raw or "linked").value
    except ValueError:
        return model.ListingStatus.LINKED.value


async def offer_answers(
    db: Database, account_id: int, statement: Select[Any], params: dict[str, Any]
) -> list[dict[str, Any]]:
    """The offers `statement` (`page_statement` or `one_statement`) finds with `params`
    (`account_id` added), as `OfferOut` dicts in its order."""
    async with db.reading_connection() as conn:
        rows = (await conn.execute(statement, {**params, "account_id": account_id})).all()
        if not rows:
            return []
        answers: dict[int, dict[str, Any]] = {}
        for r in rows:
            answers[r[0]] = {
                "id": r[0],
                "sku": r[1],
                "kind": r[2],
                "product_id": r[3],
                "name": r[4],
                "size": r[5],
                "color": r[6],
                "weight_g": r[7],
                "requires_marking": r[8],
                "barcodes": [],
                "components": [],
                "listings": [],
                "stock_known": bool(r[10]),
                "updated_at": r[9],
            }
        bundles = [r[0] for r in rows if r[2] == "bundle"]
        found = {"ids": list(answers), "account_id": account_id, "bundles": bundles}
        details = await conn.execute(_details(bool(bundles)), found)
        for part, offer_id, _, text, code, status, reason, number, quantity, at in details:
            answer = answers[offer_id]
            if part == _BARCODE:
                answer["barcodes"].append(text)
            elif part == _COMPONENT:
                answer["components"].append({"offer_id": number, "quantity": quantity})
            else:
                answer["listings"].append(
                    {
                        "connection_id": number,
                        "external_id": text,
                        "external_code": code,
                        "status": _listing_status(status),
                        "status_reason": reason,
                        "updated_at": at,
                    }
                )
    return list(answers.values())


def json_response(content: Any) -> Response:
    """`content` (dicts, lists, datetimes...) written as JSON by pydantic-core, as a response model would be."""
    return Response(pydantic_core.to_json(content), media_type="application/json")


def page_answer(items: Sequence[dict[str, Any]], next_cursor: str | None) -> Response:
    """A `Page` of answers as JSON."""
    return json_response({"items": items, "next_cursor": next_cursor})
