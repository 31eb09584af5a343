"""The offers' answers of the seller API: read in one query, written straight to JSON bytes.

A page of offers is the most requested read of the API (an ERP paging through the catalog),
so it skips the ORM and the per-row models. One query on a read-only connection (no session,
no identity map) reads the page of offers, with whether their stock is known, and their
barcodes, bundle components and listings (a `UNION ALL` over the page as a common table
expression); its statements are built once per shape, and its rows come as the driver reads
them (`Database.read_rows`: no column types applied, so times and flags are read here). Each
offer becomes a dict with `OfferOut`'s fields in their order, and pydantic-core writes the whole answer in one call,
by the same rules the response model would (datetimes in ISO 8601 with `Z`, enums by value).
The routes declare `OfferOut` as their response model, so the OpenAPI document is unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, datetime
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


#: An offer's own columns and whether its stock is known (the page's common table expression).
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

_OFFER, _BARCODE, _COMPONENT, _LISTING = -1, 0, 1, 2


@functools.cache
def page_statement(filters: tuple[str, ...], stock_known: bool | None) -> Select[Any]:
    """A page of offers with their details (`with_details`): the account's (bound as
    `account_id`) after the id `after`, at most `limit`, each column named in `filters` equal to
    the parameter of its name, and when `stock_known` is not None only those whose stock the
    hub knows (or does not). Built once per shape: building a statement costs more than running it."""
    known = stock_known_clause()
    query = select(*OFFER_COLUMNS).where(
        Offer.account_id == bindparam("account_id"), Offer.id > bindparam("after")
    )
    if stock_known is not None:
        query = query.where(known if stock_known else not_(known))
    for name in filters:
        query = query.where(getattr(Offer, name) == bindparam(name))
    return with_details(query.order_by(Offer.id).limit(bindparam("limit", type_=Integer)))


@functools.cache
def one_statement() -> Select[Any]:
    """The offer `offer_id` of the account `account_id`, with its details (`with_details`)."""
    return with_details(
        select(*OFFER_COLUMNS).where(
            Offer.id == bindparam("offer_id"), Offer.account_id == bindparam("account_id")
        )
    )


def with_details(offers: Select[Any]) -> Select[Any]:
    """`offers` (of OFFER_COLUMNS) and their barcodes, bundle components and listings on the
    account's (`account_id`) connections, in one query and one round trip: rows of (part, offer
    id, row id, five texts, two numbers, two flags, a time), the offers first, then each part in
    id order. The columns a part does not use are typed NULLs (PostgreSQL types a UNION by them)."""
    page = offers.cte("page")
    text, number, flag, time = (
        cast(null(), t)
        for t in (Offer.sku.type, Offer.product_id.type, Offer.requires_marking.type, Link.updated_at.type)
    )
    rows = select(
        literal(_OFFER).label("part"),
        page.c.id.label("offer_id"),
        page.c.id.label("row_id"),
        page.c.sku,
        page.c.kind,
        page.c.name,
        page.c.size,
        page.c.color,
        page.c.product_id,
        page.c.weight_g,
        page.c.requires_marking,
        page.c.stock_known,
        page.c.updated_at,
    )
    barcodes = select(
        literal(_BARCODE),
        Barcode.offer_id,
        Barcode.id,
        Barcode.value,
        *[text] * 4,
        number,
        number,
        flag,
        flag,
        time,
    ).join(page, page.c.id == Barcode.offer_id)
    components = select(
        literal(_COMPONENT),
        BundleComponent.bundle_id,
        BundleComponent.id,
        *[text] * 5,
        BundleComponent.component_id,
        BundleComponent.quantity,
        flag,
        flag,
        time,
    ).join(page, page.c.id == BundleComponent.bundle_id)
    listings = (
        select(
            literal(_LISTING),
            Link.entity_id,
            Link.id,
            Link.external_id,
            Link.external_code,
            Link.status,
            Link.status_reason,
            text,
            Link.connection_id,
            number,
            flag,
            flag,
            Link.updated_at,
        )
        # Each of the page's ids looked up in the entity index. Joined to the page, or with the
        # account as a plain column, SQLite (no statistics) walked every link of the account
        # instead; `+ 0` keeps it off the account's index (the page is the account's anyway).
        .where(
            Link.entity_kind == "offer",
            Link.entity_id.in_(select(page.c.id)),
            Link.account_id + 0 == bindparam("account_id"),
        )
    )
    every = union_all(rows, barcodes, components, listings).subquery()
    return select(every).order_by(every.c.part, every.c.row_id)


def _moment(raw: datetime | str) -> datetime:
    """A time column as the driver gave it (`Database.read_rows`: SQLite's text of a UTC time,
    or PostgreSQL's aware datetime) as an aware UTC datetime, as `UtcDateTime` reads it."""
    if isinstance(raw, str):
        return datetime.fromisoformat(raw).replace(tzinfo=UTC)
    return raw.astimezone(UTC)


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
    rows = await db.read_rows(statement, {**params, "account_id": account_id})
    answers: dict[int, dict[str, Any]] = {}
    for part, offer_id, _, text, code, name, size, color, number, quantity, flag, known, at in rows:
        if part == _OFFER:
            answers[offer_id] = {
                "id": offer_id,
                "sku": text,
                "kind": code,
                "product_id": number,
                "name": name,
                "size": size,
                "color": color,
                "weight_g": quantity,
                "requires_marking": bool(flag),
                "barcodes": [],
                "components": [],
                "listings": [],
                "stock_known": bool(known),
                "updated_at": _moment(at),
            }
        elif part == _BARCODE:
            answers[offer_id]["barcodes"].append(text)
        elif part == _COMPONENT:
            answers[offer_id]["components"].append({"offer_id": number, "quantity": quantity})
        else:
            answers[offer_id]["listings"].append(
                {
                    "connection_id": number,
                    "external_id": text,
                    "external_code": code,
                    "status": _listing_status(name),
                    "status_reason": size,
                    "updated_at": _moment(at),
                }
            )
    return list(answers.values())


def json_response(content: Any) -> Response:
    """`content` (dicts, lists, datetimes...) written as JSON by pydantic-core, as a response model would be."""
    return Response(pydantic_core.to_json(content), media_type="application/json")


def page_answer(items: Sequence[dict[str, Any]], next_cursor: str | None) -> Response:
    """A `Page` of answers as JSON."""
    return json_response({"items": items, "next_cursor": next_cursor})
