"""The demo's play: the whole FBS cycle on every connected marketplace, stage by stage.

Each stage reports what it did (counts), how long it took and whether it succeeded; a failed
stage is recorded and the play goes on where it can, so the summary shows every failure.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from sqlalchemy import func, select

from marketbridge.channels.roles import Fulfilment, has_role, require
from marketbridge.demo.shopping import buy, orderable
from marketbridge.demo.world import World, wait_for
from marketbridge.model import Box, BoxLine, OrderStatus
from marketbridge.runtime.pdf import merge_pdfs
from marketbridge.store.tables import Connection, Link, Order, OrderLine, PendingChange, Reservation, Return
from marketbridge.sync import fulfilment, returns
from marketbridge.sync.dispatch import JobKind


@dataclass
class Stage:
    name: str
    ok: bool = True
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None


@dataclass
class Play:
    world: World
    orders_per_marketplace: int = 4
    #: Orders per marketplace left open at the end, for the visitor to pack on the dashboard.
    left_open: int = 0
    labels_path: Path | None = None
    on_stage: Callable[[Stage], None] = lambda stage: None
    stages: list[Stage] = field(default_factory=list)
    placed: dict[str, list[str]] = field(default_factory=dict)
    open_orders: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.stages)

    def summary(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "marketplaces": sorted(self.world.markets),
            "stages": [
                {
                    "name": s.name,
                    "ok": s.ok,
                    "seconds": round(s.seconds, 3),
                    "counts": s.counts,
                    "error": s.error,
                }
                for s in self.stages
            ],
            "failures": [s.name for s in self.stages if not s.ok],
            "sandboxes": {kind: m.url for kind, m in sorted(self.world.markets.items())},
            "open_orders": self.open_orders,
            "total_seconds": round(sum(s.seconds for s in self.stages), 3),
        }

    async def stage(self, name: str, body: Callable[[Stage], Awaitable[None]]) -> Stage:
        stage = Stage(name)
        started = time.monotonic()
        try:
            await body(stage)
        except Exception as exc:  # a failed stage is reported, the play goes on
            stage.ok = False
            stage.error = f"{type(exc).__name__}: {exc}"
        stage.seconds = time.monotonic() - started
        self.stages.append(stage)
        self.on_stage(stage)
        return stage

    async def run(self) -> dict[str, Any]:
        await self.stage("catalog matching", self.catalog)
        await self.stage("stock and price push", self.push)
        await self.stage("buyers order", self.order)
        await self.stage("import and reservation", self.import_orders)
        await self.stage("stock pushed to the other channels", self.propagate)
        await self.stage("packing into boxes", self.pack)
        await self.stage("labels", self.labels)
        await self.stage("hand-over", self.hand_over)
        await self.stage("delivery", self.deliver)
        await self.stage("cancellation", self.cancel)
        await self.stage("return", self.return_)
        if self.left_open:
            await self.stage("orders left open for you", self.leave_open)
        return self.summary()

    # --- stages ---------------------------------------------------------------------------

    async def catalog(self, stage: Stage) -> None:
        async with self.world.hub.db.session() as s:
            for kind, market in self.world.markets.items():
                linked = (
                    await s.execute(
                        select(func.count()).where(
                            Link.connection_id == market.connection_id, Link.entity_kind == "offer"
                        )
                    )
                ).scalar_one()
                stage.counts[f"{kind}_linked"] = int(linked)
        expected = len(self.world.catalog.offers) + len(self.world.catalog.bundles)
        missing = {k: v for k, v in stage.counts.items() if v != expected}
        if missing:
            raise RuntimeError(f"expected {expected} linked offers on every marketplace, got {missing}")

    async def push(self, stage: Stage) -> None:
        await wait_for(self.world.stocks_settled, timeout=120, every=0.5)

        async def prices_sent() -> bool:
            async with self.world.hub.db.session() as s:
                waiting = (
                    await s.execute(
                        select(func.count()).where(PendingChange.kind == "price", PendingChange.attempts == 0)
                    )
                ).scalar_one()
            return int(waiting) == 0

        await wait_for(prices_sent, timeout=120, every=0.5)
        for kind in self.world.markets:
            stage.counts[f"{kind}_stock_values"] = len(await self.world.sandbox_stocks(kind))

    async def order(self, stage: Stage) -> None:
        for n, kind in enumerate(sorted(self.world.markets)):
            skus = orderable(self.world, self.orders_per_marketplace * 2, min_stock=3, skip=n * 20)
            ids: list[str] = []
            for i in range(self.orders_per_marketplace):
                a, b = skus[2 * i], skus[2 * i + 1]
                ids += await buy(self.world, kind, [(a, 1), (b, 1)])
            self.placed[kind] = ids
            stage.counts[f"{kind}_orders"] = len(ids)

    async def _orders(self, kind: str, external_ids: list[str] | None = None) -> list[Order]:
        wanted = self.placed.get(kind, []) if external_ids is None else external_ids
        async with self.world.hub.db.session() as s:
            rows = await s.execute(
                select(Order)
                .where(
                    Order.connection_id == self.world.markets[kind].connection_id,
                    Order.external_id.in_(wanted),
                )
                .order_by(Order.id)
            )
            return list(rows.scalars())

    async def import_orders(self, stage: Stage) -> None:
        for market in self.world.markets.values():
            await self.world.hub.dispatcher.kick(market.connection_id, JobKind.ORDERS)

        async def imported() -> bool:
            for kind, ids in self.placed.items():
                if len(await self._orders(kind)) != len(ids):
                    return False
            return True

        await wait_for(imported, timeout=90, every=0.3)
        async with self.world.hub.db.session() as s:
            held = (
                await s.execute(
                    select(func.coalesce(func.sum(Reservation.quantity), 0)).where(
                        Reservation.released_at.is_(None)
                    )
                )
            ).scalar_one()
        for kind in self.placed:
            stage.counts[f"{kind}_imported"] = len(await self._orders(kind))
        stage.counts["units_reserved"] = int(held)

    async def propagate(self, stage: Stage) -> None:
        stage.counts["seconds_to_settle_ms"] = int(
            1000 * await wait_for(self.world.stocks_settled, timeout=120, every=0.2)
        )

    async def _boxes(self, order: Order) -> list[Box]:
        async with self.world.hub.db.session() as s:
            lines = list((await s.execute(select(OrderLine).where(OrderLine.order_id == order.id))).scalars())
            conn = await s.get(Connection, order.connection_id)
        assert conn is not None
        channel = self.world.hub.channels.get(conn)
        if has_role(channel, Fulfilment) and require(channel, Fulfilment).multi_box and len(lines) > 1:
            return [
                Box(number=n + 1, lines=[BoxLine(offer_sku=line.offer_code, quantity=line.quantity)])
                for n, line in enumerate(lines)
            ]
        return [
            Box(
                number=1, lines=[BoxLine(offer_sku=line.offer_code, quantity=line.quantity) for line in lines]
            )
        ]

    def _working(self, kind: str) -> list[str]:
        """Orders of the play that go all the way; the last one of each marketplace is kept for cancelling."""
        return self.placed.get(kind, [])[:-1]

    async def pack(self, stage: Stage) -> None:
        hub, account = self.world.hub, self.world.account_id
        for kind in self.placed:
            boxes_total = 0
            for order in await self._orders(kind):
                if order.external_id not in self._working(kind):
                    continue
                boxes = await self._boxes(order)
                await fulfilment.pack(hub, account, order.id, boxes)
                boxes_total += len(boxes)
            stage.counts[f"{kind}_boxes"] = boxes_total

    async def labels(self, stage: Stage) -> None:
        files: list[bytes] = []
        for kind in self.placed:
            for order in await self._orders(kind):
                if order.external_id not in self._working(kind):
                    continue
                files.append(await fulfilment.labels_pdf(self.world.hub, self.world.account_id, order.id))
        merged = merge_pdfs(files)
        stage.counts["pages"] = len(PdfReader(io.BytesIO(merged)).pages)
        if self.labels_path is not None:
            self.labels_path.parent.mkdir(parents=True, exist_ok=True)
            self.labels_path.write_bytes(merged)

    async def hand_over(self, stage: Stage) -> None:
        for kind in self.placed:
            handed: set[str] = set()
            for order in await self._orders(kind):
                if order.external_id in self._working(kind):
                    handed.add(await fulfilment.ship(self.world.hub, self.world.account_id, order.id))
            stage.counts[f"{kind}_handovers"] = len(handed)

    async def deliver(self, stage: Stage) -> None:
        for kind, market in self.world.markets.items():
            for external_id in self._working(kind):
                moved = await market.control.post(f"/orders/{external_id}/move", json={"status": "delivered"})
                moved.raise_for_status()
            await self.world.hub.dispatcher.kick(market.connection_id, JobKind.ORDERS)

        async def delivered() -> bool:
            for kind in self.placed:
                states = {o.status for o in await self._orders(kind) if o.external_id in self._working(kind)}
                if states != {OrderStatus.DELIVERED.value}:
                    return False
            return True

        await wait_for(delivered, timeout=90, every=0.3)
        for kind in self.placed:
            stage.counts[f"{kind}_delivered"] = len(self._working(kind))

    async def cancel(self, stage: Stage) -> None:
        for kind in self.placed:
            last = self.placed[kind][-1]
            order = next(o for o in await self._orders(kind) if o.external_id == last)
            await fulfilment.cancel(
                self.world.hub, self.world.account_id, order.id, "the seller cannot ship it"
            )
            stage.counts[f"{kind}_cancelled"] = 1

    async def return_(self, stage: Stage) -> None:
        for kind, market in self.world.markets.items():
            first = self._working(kind)[0]
            opened = await market.control.post("/returns", json={"order_id": first, "reason": "does not fit"})
            opened.raise_for_status()
            await self.world.run(market.connection_id, JobKind.RETURNS)
            async with self.world.hub.db.session() as s:
                row = (
                    (
                        await s.execute(
                            select(Return).where(
                                Return.connection_id == market.connection_id, Return.status == "opened"
                            )
                        )
                    )
                    .scalars()
                    .first()
                )
            if row is None:
                raise RuntimeError(f"{kind}: the return was not imported")
            await returns.confirm_receipt(self.world.hub, self.world.account_id, row.id, restock=True)
            stage.counts[f"{kind}_restocked"] = 1

    def _spare_skus(self, kind: str, count: int) -> list[str]:
        """Offers the play's own orders did not take, for the orders left open."""
        n = sorted(self.world.markets).index(kind)
        return orderable(self.world, count, min_stock=3, skip=n * 20 + 2 * self.orders_per_marketplace)

    async def leave_open(self, stage: Stage) -> None:
        for kind, market in sorted(self.world.markets.items()):
            ids: list[str] = []
            for sku in self._spare_skus(kind, self.left_open):
                ids += await buy(self.world, kind, [(sku, 1)])
            if not ids:
                raise RuntimeError(f"{kind}: no offer in stock left to order")
            self.open_orders[kind] = ids
            await self.world.hub.dispatcher.kick(market.connection_id, JobKind.ORDERS)

        async def imported() -> bool:
            for kind, ids in self.open_orders.items():
                if len(await self._orders(kind, ids)) != len(ids):
                    return False
            return True

        await wait_for(imported, timeout=90, every=0.3)
        for kind, ids in self.open_orders.items():
            stage.counts[f"{kind}_open"] = len(ids)

    async def order_command(self, kind: str) -> str:
        """A shell command that places one more order on the marketplace's sandbox, as a buyer would."""
        skus = self._spare_skus(kind, self.left_open + 1)
        sku = skus[-1] if skus else self.world.catalog.offers[0].sku
        warehouse = (await self.world.warehouse_ids(kind))[0]
        body = json.dumps({"lines": [{"offer_code": sku, "quantity": 1}], "warehouse_id": warehouse})
        url = self.world.markets[kind].url
        return f"curl -s -X POST {url}/_sandbox/orders -H 'Content-Type: application/json' -d '{body}'"
