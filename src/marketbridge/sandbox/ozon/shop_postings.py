"""The Ozon shop's posting rules: status moves, ship (split by package), marking codes, cancel, carriages.

Postings move awaiting_packaging -> awaiting_deliver (ship; several packages split the
posting) -> delivering -> delivered, or to cancelled; products that need marking codes
ship only with their exemplar data. Every status move is announced by a push in Ozon's format.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from marketbridge.sandbox.common.faults import Faults
from marketbridge.sandbox.ozon.errors import OzonError, bad_request, not_found
from marketbridge.sandbox.ozon.render import PUSH_STATE
from marketbridge.sandbox.ozon.requests import as_int
from marketbridge.sandbox.ozon.state import Carriage, Posting, PostingLine, ShopState, iso, now

#: /v2/posting/fbs/cancel-reason/list
CANCEL_REASONS: tuple[tuple[int, str, bool], ...] = (
    (352, "Товар закончился на складе продавца", True),
    (400, "Остался только бракованный товар", True),
    (401, "Продавец отклонил арбитраж", False),
    (402, "Другое (вина продавца)", True),
    (665, "Покупатель не забрал заказ", False),
    (666, "Возврат из службы доставки: нет доставки в указанный регион", False),
)
BUYER_CANCEL_REASON = (506, "Покупатель отменил заказ")

#: Statuses a posting can be cancelled from by the seller.
CANCELLABLE = frozenset(
    {"awaiting_registration", "awaiting_approve", "awaiting_packaging", "awaiting_deliver"}
)


class PostingRules:
    """Postings of the shop (a part of `Shop`)."""

    state: ShopState
    seller_id: int
    emit: Callable[[dict[str, Any]], None]
    faults: Faults

    def posting(self, posting_number: str) -> Posting:
        posting = self.state.postings.get(posting_number)
        if posting is None:
            raise not_found("POSTING_NOT_FOUND")
        return posting

    def move(self, posting: Posting, status: str, substatus: str | None = None) -> None:
        old = posting.status
        posting.status = status
        posting.substatus = substatus or PUSH_STATE.get(status, "")
        posting.status_changed_at = now()
        if status == "cancelled":
            self._release(posting, shipped=old in ("delivering", "driver_pickup", "sent_by_seller"))
            self.emit(
                {
                    "message_type": "TYPE_POSTING_CANCELLED",
                    "posting_number": posting.posting_number,
                    "products": [{"sku": line.sku, "quantity": line.quantity} for line in posting.lines],
                    "old_state": PUSH_STATE.get(old, old),
                    "new_state": "posting_canceled",
                    "changed_state_date": iso(posting.status_changed_at),
                    "reason": {"id": posting.cancel_reason_id, "message": posting.cancel_reason},
                    "warehouse_id": posting.warehouse_id,
                    "seller_id": self.seller_id,
                }
            )
            return
        if status == "delivering" and old == "awaiting_deliver":
            posting.delivering_date = posting.status_changed_at
            self._release(posting, shipped=True)
        self.emit(
            {
                "message_type": "TYPE_STATE_CHANGED",
                "posting_number": posting.posting_number,
                "new_state": PUSH_STATE.get(status, status),
                "changed_state_date": iso(posting.status_changed_at),
                "warehouse_id": posting.warehouse_id,
                "seller_id": self.seller_id,
            }
        )

    def _release(self, posting: Posting, shipped: bool) -> None:
        """Free the reserve of a posting; when it left the warehouse the units are gone too."""
        for line in posting.lines:
            product = self.state.by_sku.get(line.sku)
            if product is None:
                continue
            w = posting.warehouse_id
            product.reserved[w] = max(0, product.reserved.get(w, 0) - line.quantity)
            if shipped:
                product.stocks[w] = max(0, product.stocks.get(w, 0) - line.quantity)

    def ship(self, posting_number: str, packages: list[dict[str, Any]], fail_after: float = 0.0) -> list[str]:
        """Split by package and ship; a posting set to fail (control, or the fault menu's
        `ship_failed`) answers the same and, `fail_after` seconds later, shows substatus
        `ship_failed` while staying awaiting_packaging."""
        posting = self.posting(posting_number)
        if posting.status == "cancelled":
            raise bad_request("POSTING_ALREADY_CANCELLED")
        if posting.status in ("awaiting_deliver", "delivering", "delivered", "driver_pickup"):
            raise bad_request("POSTING_ALREADY_SHIPPED")
        if posting.status != "awaiting_packaging":
            raise bad_request(f"HAS_INCORRECT_STATUS: posting is {posting.status}")
        if posting.ship_fails_at is not None:
            raise bad_request("HAS_INCORRECT_STATUS: the previous ship of this posting is being processed")
        if not packages:
            raise bad_request("packages: at least one package is required")
        boxes = [self._package(posting, package) for package in packages]
        packed: dict[int, int] = {}
        for box in boxes:
            for sku, qty in box.items():
                packed[sku] = packed.get(sku, 0) + qty
        ordered: dict[int, int] = {}
        for line in posting.lines:
            ordered[line.sku] = ordered.get(line.sku, 0) + line.quantity
        if packed != ordered:
            raise bad_request(
                f"HAS_INCORRECT_PRODUCT_QUANTITY: packages hold {packed}, the posting has {ordered}"
            )
        self._check_exemplars(posting)
        by_sku = {line.sku: line for line in posting.lines}
        numbers = [posting.posting_number]
        posting.lines = _lines_for(boxes[0], by_sku)
        for box in boxes[1:]:
            number = self.state.next_posting_number(posting.order_number, posting.order_id)
            part = Posting(
                posting_number=number,
                order_id=posting.order_id,
                order_number=posting.order_number,
                warehouse_id=posting.warehouse_id,
                delivery_method_id=posting.delivery_method_id,
                lines=_lines_for(box, by_sku),
                in_process_at=posting.in_process_at,
                shipment_date=posting.shipment_date,
                status=posting.status,
                parent_posting_number=posting.posting_number,
                buyer_city=posting.buyer_city,
            )
            self.state.add_posting(part)
            numbers.append(number)
        self._split_exemplars(posting, [self.state.postings[n] for n in numbers])
        if posting.fail_next_ship or self.faults.ship_fails(posting_number):
            posting.fail_next_ship = False
            for number in numbers:
                self.state.postings[number].ship_fails_at = now() + timedelta(seconds=fail_after)
                self.state.failing_ships.add(number)
            return numbers
        for number in numbers:
            self.state.postings[number].packed_at = now()
            self.move(self.state.postings[number], "awaiting_deliver")
        return numbers

    def _package(self, posting: Posting, package: dict[str, Any]) -> dict[int, int]:
        products = package.get("products") if isinstance(package, dict) else None
        if not isinstance(products, list) or not products:
            raise bad_request("packages[].products: at least one product is required")
        box: dict[int, int] = {}
        for entry in products:
            sku = as_int(entry.get("product_id") if isinstance(entry, dict) else None)
            qty = as_int(entry.get("quantity") if isinstance(entry, dict) else None)
            if sku <= 0 or qty <= 0:
                raise bad_request(
                    "packages[].products[]: product_id (SKU) and a positive quantity are required"
                )
            if all(line.sku != sku for line in posting.lines):
                raise bad_request(f"PRODUCT_NOT_FOUND: SKU {sku} is not in posting {posting.posting_number}")
            box[sku] = box.get(sku, 0) + qty
        return box

    def _check_exemplars(self, posting: Posting) -> None:
        for line in posting.lines:
            if not line.requires_marking:
                continue
            units = posting.exemplars.get(line.sku, [])
            if len(units) < line.quantity or any(not marks for marks in units[: line.quantity]):
                raise bad_request(
                    f"EXEMPLAR_INFO_NOT_FILLED_COMPLETELY: SKU {line.sku} needs a marking code (Честный ЗНАК) for each of "
                    f"{line.quantity} units; set them with /v6/fbs/posting/product/exemplar/set"
                )

    def _split_exemplars(self, original: Posting, parts: list[Posting]) -> None:
        pool = {sku: list(units) for sku, units in original.exemplars.items()}
        for part in parts:
            part.exemplars = {}
            for line in part.lines:
                units = pool.get(line.sku, [])
                part.exemplars[line.sku] = units[: line.quantity]
                pool[line.sku] = units[line.quantity :]

    def set_exemplars(self, posting: Posting, products: list[dict[str, Any]]) -> None:
        if posting.status != "awaiting_packaging":
            raise bad_request(f"HAS_INCORRECT_STATUS: posting is {posting.status}")
        lines = {line.sku: line for line in posting.lines}
        staged: dict[int, list[list[str]]] = {}
        for entry in products:
            sku = as_int(entry.get("product_id") if isinstance(entry, dict) else None)
            line = lines.get(sku)
            if line is None:
                raise bad_request(f"PRODUCT_NOT_FOUND: SKU {sku} is not in posting {posting.posting_number}")
            exemplars = entry.get("exemplars") or []
            if not isinstance(exemplars, list) or len(exemplars) > line.quantity:
                raise bad_request(f"exemplars: SKU {sku} has {line.quantity} units")
            units = []
            for ex in exemplars:
                marks = ex.get("marks") if isinstance(ex, dict) else None
                units.append(
                    [str(m.get("mark")) for m in (marks or []) if isinstance(m, dict) and m.get("mark")]
                )
            staged[sku] = units
        posting.exemplars.update(staged)

    def exemplar_status(self, posting: Posting) -> str:
        try:
            self._check_exemplars(posting)
        except OzonError:
            return "ship_not_available"
        return "ship_available"

    def cancel(self, posting: Posting, reason_id: int, message: str, initiator: str = "Продавец") -> None:
        if posting.status == "cancelled":
            raise bad_request("POSTING_ALREADY_CANCELLED")
        if initiator == "Продавец":
            if posting.status not in CANCELLABLE:
                raise bad_request(f"HAS_INCORRECT_STATUS: a posting in {posting.status} cannot be cancelled")
            reason = next((r for r in CANCEL_REASONS if r[0] == reason_id), None)
            if reason is None or not reason[2]:
                raise bad_request(f"cancel_reason_id: {reason_id} is not available for cancellation")
            if reason_id == 402 and not message:
                raise bad_request("cancel_reason_message is required for reason 402")
            text = message or reason[1]
        else:
            text = message or BUYER_CANCEL_REASON[1]
        posting.cancel_reason_id = reason_id
        posting.cancel_reason = text
        posting.cancellation_initiator = initiator
        posting.cancelled_after_ship = posting.status in ("delivering", "driver_pickup")
        self.move(posting, "cancelled")

    def new_carriage(self, delivery_method_id: int, departure: Any) -> Carriage:
        methods = {w.delivery_method_id for w in self.state.warehouses.values()}
        if delivery_method_id not in methods:
            raise bad_request(f"delivery_method_id: unknown delivery method {delivery_method_id}")
        taken = {n for c in self.state.carriages.values() for n in c.posting_numbers}
        numbers = [
            p.posting_number
            for p in self.state.postings.values()
            if p.delivery_method_id == delivery_method_id
            and p.status == "awaiting_deliver"
            and p.posting_number not in taken
        ]
        if not numbers:
            raise bad_request(
                "NO_POSTINGS_FOR_CARRIAGE: no postings awaiting delivery for this delivery method"
            )
        carriage = Carriage(
            self.state.next_id() + 90_000_000, delivery_method_id, departure or now(), numbers
        )
        self.state.carriages[carriage.carriage_id] = carriage
        for n in numbers:
            self.state.postings[n].substatus = "posting_in_carriage"
        return carriage


def _lines_for(box: dict[int, int], by_sku: dict[int, PostingLine]) -> list[PostingLine]:
    out = []
    for sku, qty in box.items():
        line = by_sku[sku]
        out.append(
            PostingLine(
                line.sku, line.offer_id, line.name, line.price, qty, line.product_id, line.requires_marking
            )
        )
    return out
