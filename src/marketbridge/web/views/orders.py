"""The orders board by status, an order's page, and the FBS actions: confirm, pack into boxes,
print labels (one PDF), ship, cancel. A refused action comes back as a message, never an error page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import func, select

from marketbridge.api.labels import label_file
from marketbridge.api.routes.handovers import document_file
from marketbridge.channels.roles import Fulfilment, OrderConfirmer, has_role
from marketbridge.model import Box, BoxLine, LabelFormat, LineMeta, OrderStatus, can_transition
from marketbridge.store.tables import Box as BoxRow
from marketbridge.store.tables import Offer, Order, OrderLine
from marketbridge.sync import fulfilment
from marketbridge.sync.errors import NotFound
from marketbridge.web.i18n import translator
from marketbridge.web.pages import IdPath, IdQuery, Page, checked_form, hub_of, redirect, render, url
from marketbridge.web.session import Viewer
from marketbridge.web.views.common import (
    ACTION_ERRORS,
    account_connections,
    connector_class,
    failure_text,
)

router = APIRouter()

ACTIVE = (OrderStatus.NEW, OrderStatus.CONFIRMED, OrderStatus.PACKED, OrderStatus.SHIPPED)
CLOSED = (OrderStatus.DELIVERED, OrderStatus.CANCELLED, OrderStatus.RETURNED)
PER_COLUMN = 40
MAX_BOXES = 20


@dataclass
class Column:
    status: OrderStatus
    total: int
    orders: list[Order]


@dataclass
class Summary:
    """An order's lines, each with the name to show (the marketplace's, else the hub offer's)."""

    lines: list[OrderLine] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)


async def _lines(request: Request, order_ids: list[int]) -> dict[int, Summary]:
    out: dict[int, Summary] = defaultdict(Summary)
    if not order_ids:
        return out
    async with hub_of(request).db.session() as s:
        found = await s.execute(
            select(OrderLine, Offer.name)
            .join(Offer, Offer.id == OrderLine.offer_id, isouter=True)
            .where(OrderLine.order_id.in_(order_ids))
            .order_by(OrderLine.id)
        )
        for line, offer_name in found.tuples():
            out[line.order_id].lines.append(line)
            out[line.order_id].names[line.id] = line.name or offer_name or line.offer_code
    return out


@router.get("/orders")
async def board(request: Request, viewer: Page, connection: IdQuery = None, view: str = "active") -> Response:
    hub = hub_of(request)
    connections = await account_connections(hub, viewer.account_id)
    statuses = CLOSED if view == "closed" else ACTIVE
    columns: list[Column] = []
    async with hub.db.session() as s:
        base = select(Order).where(Order.account_id == viewer.account_id)
        counted = select(Order.status, func.count()).where(Order.account_id == viewer.account_id)
        if connection is not None:
            base = base.where(Order.connection_id == connection)
            counted = counted.where(Order.connection_id == connection)
        totals = dict((await s.execute(counted.group_by(Order.status))).tuples().all())
        for status in statuses:
            order_by = (
                (Order.ship_by.is_(None), Order.ship_by, Order.id)
                if status in ACTIVE
                else (Order.updated_at.desc(), Order.id.desc())
            )
            rows = list(
                (
                    await s.execute(
                        base.where(Order.status == status.value).order_by(*order_by).limit(PER_COLUMN)
                    )
                ).scalars()
            )
            columns.append(Column(status, int(totals.get(status.value, 0)), rows))
    summaries = await _lines(request, [o.id for c in columns for o in c.orders])
    return render(
        request,
        viewer,
        "orders.html",
        columns=columns,
        summaries=summaries,
        connections=connections,
        connection=connection,
        view=view,
        totals=totals,
        closed=CLOSED,
    )


def _default_split(lines: list[OrderLine], boxes: int) -> dict[tuple[int, int], int]:
    """Spread the units over the boxes in order, so every box gets some when there are enough units."""
    total = sum(line.quantity for line in lines) or 1
    out: dict[tuple[int, int], int] = defaultdict(int)
    unit = 0
    for line in lines:
        for _ in range(line.quantity):
            out[(line.id, unit * boxes // total + 1)] += 1
            unit += 1
    return out


@router.get("/orders/{order_id}")
async def order_page(request: Request, order_id: IdPath, viewer: Page, boxes: int | None = None) -> Response:
    hub = hub_of(request)
    async with hub.db.session() as s:
        order = await s.get(Order, order_id)
        if order is None or order.account_id != viewer.account_id:
            return render(request, viewer, "not_found.html", http_status=404)
        packed = list(
            (
                await s.execute(select(BoxRow).where(BoxRow.order_id == order.id).order_by(BoxRow.number))
            ).scalars()
        )
    summary = (await _lines(request, [order.id]))[order.id]
    lines = summary.lines
    connections = await account_connections(hub, viewer.account_id)
    conn = connections.get(order.connection_id)
    connector = connector_class(conn.row) if conn else None
    multi = connector is not None and has_role(connector, Fulfilment) and bool(connector.multi_box)
    units = sum(line.quantity for line in lines)
    count = max(1, min(boxes or 1, MAX_BOXES, units or 1)) if multi else 1
    status = OrderStatus(order.status)
    document = await fulfilment.handover_document(hub, viewer.account_id, order.id)
    return render(
        request,
        viewer,
        "order.html",
        order=order,
        handover_kind=document.kind if document else None,
        other_label_formats=sorted(
            f.value for f in getattr(connector, "label_formats", frozenset()) if f != LabelFormat.PDF
        ),
        status=status,
        lines=lines,
        names=summary.names,
        packed=packed,
        conn=conn,
        multi=multi,
        max_boxes=min(MAX_BOXES, units or 1),
        box_count=count,
        split=_default_split(lines, count),
        can_confirm=connector is not None
        and has_role(connector, OrderConfirmer)
        and status == OrderStatus.NEW,
        can_pack=can_transition(status, OrderStatus.PACKED),
        can_label=status in (OrderStatus.PACKED, OrderStatus.SHIPPED),
        can_ship=status == OrderStatus.PACKED,
        can_cancel=can_transition(status, OrderStatus.CANCELLED),
    )


def _back(order_id: IdPath, form: dict[str, str]) -> str:
    return url("/orders") if form.get("back") == "board" else url(f"/orders/{order_id}")


async def _act(
    request: Request,
    order_id: IdPath,
    viewer: Viewer,
    do: Callable[[dict[str, str], Callable[..., str]], Awaitable[str]],
) -> Response:
    """Run one action on an order from a form; its outcome, good or bad, is the next page's message."""
    form, t, refused = await checked_form(request, viewer, url(f"/orders/{order_id}"))
    if refused:
        return refused
    back = _back(order_id, form)
    try:
        message = await do(form, t)
    except ACTION_ERRORS as exc:
        where = url("/orders") if isinstance(exc, NotFound) else back
        return redirect(request, where, ("error", failure_text(exc, t)))
    return redirect(request, back, ("ok", message))


@router.post("/orders/{order_id}/confirm")
async def confirm(request: Request, order_id: IdPath, viewer: Page) -> Response:
    async def do(form: dict[str, str], t: Callable[..., str]) -> str:
        await fulfilment.confirm(hub_of(request), viewer.account_id, order_id)
        return t("ord.confirmed")

    return await _act(request, order_id, viewer, do)


def _meta_from_form(form: dict[str, str], cell: str, before: LineMeta | None) -> LineMeta:
    """UIN, IMEI, GTIN (one a line) and expiry date typed into one cell of the packing form."""
    values: dict[str, Any] = (before or LineMeta()).model_dump()
    for kind in ("uin", "imei", "gtin"):
        values[kind] = values[kind] + [
            v.strip() for v in (form.get(f"{kind}-{cell}") or "").splitlines() if v.strip()
        ]
    expiration = (form.get(f"exp-{cell}") or "").strip()
    if expiration:
        values["expiration"] = expiration
    return LineMeta.model_validate(values)


def _boxes_from_form(form: dict[str, str], lines: list[OrderLine], t: Callable[..., str]) -> list[Box]:
    """The boxes the person filled in: `q-<line>-<box>` quantities, `codes-<line>-<box>` codes
    and the optional `uin-`, `imei-`, `gtin-` (one a line) and `exp-` (a date) of the same cell."""
    try:
        count = int(form.get("boxes") or "1")
    except ValueError:
        raise ValueError(t("ord.pack.bad_qty")) from None
    count = max(1, min(count, MAX_BOXES))
    boxes: list[Box] = []
    for number in range(1, count + 1):
        per_code: dict[str, tuple[int, list[str]]] = {}
        metas: dict[str, LineMeta] = {}
        for line in lines:
            raw = (form.get(f"q-{line.id}-{number}") or "0").strip() or "0"
            if not (raw.isascii() and raw.isdigit()) or len(raw) > 6:
                raise ValueError(t("ord.pack.bad_qty"))
            qty = int(raw)
            if qty == 0:
                continue
            codes = [
                c.strip() for c in (form.get(f"codes-{line.id}-{number}") or "").splitlines() if c.strip()
            ]
            before = per_code.get(line.offer_code, (0, []))
            per_code[line.offer_code] = (before[0] + qty, before[1] + codes)
            metas[line.offer_code] = _meta_from_form(form, f"{line.id}-{number}", metas.get(line.offer_code))
        if not per_code:
            raise ValueError(t("ord.pack.empty_box", n=number))
        boxes.append(
            Box(
                number=number,
                lines=[
                    BoxLine(offer_sku=code, quantity=qty, marking_codes=codes, meta=metas[code])
                    for code, (qty, codes) in per_code.items()
                ],
            )
        )
    return boxes


@router.post("/orders/{order_id}/pack")
async def pack(request: Request, order_id: IdPath, viewer: Page) -> Response:
    form, t, refused = await checked_form(request, viewer, url(f"/orders/{order_id}"))
    if refused:
        return refused
    hub = hub_of(request)
    async with hub.db.session() as s:
        order = await s.get(Order, order_id)
        if order is None or order.account_id != viewer.account_id:
            return redirect(request, url("/orders"), ("error", t("not_found.text")))
    lines = (await _lines(request, [order_id]))[order_id].lines
    back = url(f"/orders/{order_id}", boxes=form.get("boxes"))
    try:
        boxes = _boxes_from_form(form, lines, t)
    except ValidationError as exc:
        problems = "; ".join(str(e.get("msg", "")) for e in exc.errors())
        return redirect(request, back, ("error", f"{t('ord.refused')}: {problems}"))
    except ValueError as exc:
        return redirect(request, back, ("error", str(exc)))
    try:
        await fulfilment.pack(hub, viewer.account_id, order_id, boxes)
    except ACTION_ERRORS as exc:
        return redirect(request, back, ("error", failure_text(exc, t)))
    return redirect(request, url(f"/orders/{order_id}"), ("ok", t("ord.pack.done", n=len(boxes))))


@router.get("/orders/{order_id}/labels.pdf")
async def labels(request: Request, order_id: IdPath, viewer: Page) -> Response:
    t = translator(viewer.language)
    try:
        pdf = await fulfilment.labels_pdf(hub_of(request), viewer.account_id, order_id)
    except ACTION_ERRORS as exc:
        return redirect(request, url(f"/orders/{order_id}"), ("error", failure_text(exc, t)))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="order-{order_id}-labels.pdf"'},
    )


@router.get("/orders/{order_id}/labels/{fmt}")
async def labels_in(request: Request, order_id: IdPath, fmt: LabelFormat, viewer: Page) -> Response:
    """The labels in a format the marketplace offers besides PDF (ZPL for label printers, PNG)."""
    t = translator(viewer.language)
    try:
        files = await fulfilment.order_labels(hub_of(request), viewer.account_id, order_id, fmt)
    except ACTION_ERRORS as exc:  # a format the marketplace does not offer is its NotSupported
        return redirect(request, url(f"/orders/{order_id}"), ("error", failure_text(exc, t)))
    return label_file(order_id, fmt, files)


@router.get("/orders/{order_id}/handover-document")
async def handover_document(request: Request, order_id: IdPath, viewer: Page) -> Response:
    document = await fulfilment.handover_document(hub_of(request), viewer.account_id, order_id)
    if document is None:
        return render(request, viewer, "not_found.html", http_status=404)
    return document_file(document, "inline")


@router.post("/orders/{order_id}/ship")
async def ship(request: Request, order_id: IdPath, viewer: Page) -> Response:
    async def do(form: dict[str, str], t: Callable[..., str]) -> str:
        handover = await fulfilment.ship(hub_of(request), viewer.account_id, order_id)
        return t("ord.shipped", id=handover)

    return await _act(request, order_id, viewer, do)


@router.post("/orders/{order_id}/cancel")
async def cancel(request: Request, order_id: IdPath, viewer: Page) -> Response:
    async def do(form: dict[str, str], t: Callable[..., str]) -> str:
        reason = (form.get("reason") or "").strip()[:500] or "cancelled by the seller"
        await fulfilment.cancel(hub_of(request), viewer.account_id, order_id, reason)
        return t("ord.cancelled")

    return await _act(request, order_id, viewer, do)
