"""Orders by polling the business-level list, and the status mapping from status + sub-status.

`POST /v1/businesses/{businessId}/orders` (the campaign-level list is deprecated) is read
with `page_token`, 50 a page, over the window of update moments; one order is the same list
filtered by its id. `raw_status` keeps Market's pair as "STATUS/SUBSTATUS"; `order_status`
is the table docs/channels/yandex-market.md gives.

A buyer's cancellation request (`cancelRequested`, only ever on an order already in delivery:
one still in PROCESSING is cancelled by Market itself) is answered as the order is read, by
the rule of `cancellation_answer`; the order is then read again, so the hub sees what the
answer made of it (a granted request: CANCELLED/USER_CHANGED_MIND).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Hashable
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from marketbridge.channels.errors import BadResponse, NotFoundError, RequestRejected
from marketbridge.channels.paging import Page, paginate, token_page
from marketbridge.channels.roles import RemoteOrder, RemoteOrderLine
from marketbridge.channels.yandex_market import endpoints as ep
from marketbridge.channels.yandex_market.base import YmBase
from marketbridge.channels.yandex_market.client import KIND, field, int_of, next_token, rows
from marketbridge.model import OrderStatus

#: Sub-statuses of PROCESSING and what they mean to the hub.
PROCESSING: dict[str, OrderStatus] = {
    "STARTED": OrderStatus.NEW,
    "AWAIT_CONFIRMATION": OrderStatus.NEW,
    "WAITING_FOR_STOCKS": OrderStatus.NEW,
    "PACKAGING": OrderStatus.CONFIRMED,
    "READY_TO_SHIP": OrderStatus.PACKED,
    "SHIPPED": OrderStatus.SHIPPED,
}
#: Statuses whose meaning does not depend on the sub-status.
STATUSES: dict[str, OrderStatus] = {
    "PLACING": OrderStatus.NEW,
    "RESERVED": OrderStatus.NEW,
    "UNPAID": OrderStatus.NEW,
    "PENDING": OrderStatus.NEW,
    "DELIVERY": OrderStatus.SHIPPED,
    "PICKUP": OrderStatus.SHIPPED,
    "DELIVERED": OrderStatus.DELIVERED,
    "CANCELLED": OrderStatus.CANCELLED,
    "PARTIALLY_RETURNED": OrderStatus.RETURNED,
    "RETURNED": OrderStatus.RETURNED,
}


def order_status(status: str, substatus: str) -> OrderStatus:
    """The hub's status of Market's (status, substatus); an unknown pair counts as new."""
    if status == "PROCESSING":
        return PROCESSING.get(substatus, OrderStatus.NEW)
    return STATUSES.get(status, OrderStatus.NEW)


#: Statuses in which a request left on an order needs no answer.
SETTLED = frozenset({"CANCELLED", "RETURNED", "PARTIALLY_RETURNED"})


def cancellation_answer(raw: dict[str, Any]) -> dict[str, Any] | None:
    """The answer to the buyer's cancellation request on an order (None: there is none to give).

    The hub has no step where a person decides: a request is granted while the order has not
    reached the buyer (the carrier can still stop it), and refused with ORDER_DELIVERED once it
    has (the buyer keeps the goods; a return is the way back).
    """
    if raw.get("cancelRequested") is not True or raw.get("status") in SETTLED:
        return None
    if raw.get("status") == "DELIVERED":
        return {"accepted": False, "reason": "ORDER_DELIVERED"}
    return {"accepted": True}


def moment_of(value: Any, what: str) -> datetime:
    """A date-time of an answer or a notification; BadResponse when it is not one."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadResponse(f"{KIND}: {what} is not a date-time: {value!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _price(item: dict[str, Any]) -> Decimal:
    payment = (item.get("prices") or {}).get("payment") if isinstance(item.get("prices"), dict) else None
    value = payment.get("value") if isinstance(payment, dict) else 0
    try:
        return Decimal(str(value)) / max(1, int(item.get("count") or 1)) if value else Decimal(0)
    except (InvalidOperation, ValueError) as exc:
        raise BadResponse(f"{KIND}: an item price is not a number: {value!r}") from exc


def remote_order(raw: dict[str, Any]) -> RemoteOrder:
    """RemoteOrder of a BusinessOrderDTO."""
    status, substatus = str(field(raw, "status")), str(field(raw, "substatus"))
    delivery = field(raw, "delivery")
    shipment = delivery.get("shipment") if isinstance(delivery, dict) else None
    ship_by = shipment.get("shipmentDate") if isinstance(shipment, dict) else None
    lines = [
        RemoteOrderLine(
            external_offer_id=str(field(i, "offerId")),
            offer_code=str(field(i, "offerId")),
            quantity=int_of(field(i, "count"), "item count"),
            price=_price(i),
            name=str(i.get("offerName") or ""),
            requires_marking="CIS" in (i.get("requiredInstanceTypes") or ()),
        )
        for i in rows(raw, "items")
    ]
    return RemoteOrder(
        external_id=str(int_of(field(raw, "orderId"), "order id")),
        status=order_status(status, substatus),
        raw_status=f"{status}/{substatus}",
        created_at=moment_of(field(raw, "creationDate"), "creationDate"),
        updated_at=moment_of(raw["updateDate"], "updateDate") if raw.get("updateDate") else None,
        ship_by=moment_of(f"{ship_by}T00:00:00+00:00", "shipmentDate") if ship_by else None,
        lines=lines,
        warehouse_id=str(delivery["warehouseId"])
        if isinstance(delivery, dict) and delivery.get("warehouseId")
        else None,
        cancel_reason=substatus if status == "CANCELLED" else None,
    )


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class YmOrders(YmBase):
    """OrderSource."""

    async def _orders_page(self, body: dict[str, Any], token: Hashable) -> Page[RemoteOrder]:
        query: dict[str, Any] = {"limit": ep.PAGE_LIMITS["business_orders"]}
        if token:
            query["page_token"] = token
        answer = await self.api.call(
            ep.BUSINESS_ORDERS, path={"businessId": self.business_id}, body=body, query=query
        )
        found = [remote_order(await self._answered(o)) for o in rows(answer, "orders")]
        return token_page(found, next_token(answer))

    def iter_orders(self, since: datetime, until: datetime) -> AsyncIterator[list[RemoteOrder]]:
        # Market takes whole seconds: the window's end is rounded up so nothing of its last second is lost
        ceiled = until + timedelta(seconds=1) if until.microsecond else until
        body = {"dates": {"updateDateFrom": _stamp(since), "updateDateTo": _stamp(ceiled)}}

        async def fetch(token: Hashable) -> Page[RemoteOrder]:
            return await self._orders_page(body, token)

        return paginate(fetch, "", what=f"{KIND} orders")

    async def raw_order(self, external_id: str) -> dict[str, Any]:
        """The BusinessOrderDTO of one order (its campaign, status and items)."""
        if not external_id.isdigit():
            raise NotFoundError(f"{KIND}: no order {external_id!r} (order ids are numbers)")
        answer = await self.api.call(
            ep.BUSINESS_ORDERS,
            path={"businessId": self.business_id},
            body={"orderIds": [int(external_id)]},
            query={"limit": ep.PAGE_LIMITS["business_orders"]},
        )
        for raw in rows(answer, "orders"):
            if str(raw.get("orderId")) == external_id:
                return raw
        raise NotFoundError(f"{KIND}: no order {external_id}")

    async def _answered(self, raw: dict[str, Any]) -> dict[str, Any]:
        """The order once the buyer's cancellation request on it, if any, is answered."""
        answer = cancellation_answer(raw)
        if answer is None:
            return raw
        order_id = str(int_of(field(raw, "orderId"), "order id"))
        path = {"campaignId": int_of(field(raw, "campaignId"), "campaign id"), "orderId": order_id}
        # a refusal means it was answered meanwhile (a read racing this one): the order tells
        with contextlib.suppress(RequestRejected):
            await self.api.call(ep.CANCELLATION_ACCEPT, path=path, body=answer)
        return await self.raw_order(order_id)

    async def get_order(self, external_id: str) -> RemoteOrder:
        return remote_order(await self._answered(await self.raw_order(external_id)))
