"""The order role of the Wildberries channel: FBS assembly tasks, polled (WB has no pushes).

A poll reads the new tasks and then every task created in the window, 30 days per slice,
and asks their statuses (supplierStatus, wbStatus) 1,000 at a time. The new-order feed is
the list of new tasks alone, one call: a task listed there is new and waiting by definition. WB has no get-by-id
for a task: `get_order` answers from the tasks remembered, else reads the last 30 days.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from marketbridge.channels.batching import batched
from marketbridge.channels.errors import NotFoundError
from marketbridge.channels.paging import Page, paginate, token_page
from marketbridge.channels.roles import RemoteOrder
from marketbridge.channels.wildberries import mapping
from marketbridge.channels.wildberries.base import WbChannelBase
from marketbridge.model import OrderStatus

ORDERS_PAGE = 1000
STATUS_BATCH = 1000
MAX_WINDOW = timedelta(days=30)


class OrderRoles(WbChannelBase):
    """OrderSource and NewOrderFeed over WB's assembly tasks, and their statuses for the other roles."""

    async def _statuses(self, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        out: dict[str, tuple[str, str]] = {}
        for chunk in batched(ids, STATUS_BATCH):
            body = await self.api.orders_status([int(i) for i in chunk])
            for row in mapping.dicts(body, "orders"):
                key, pair = mapping.guarded(
                    "status",
                    lambda r: (str(int(r["id"])), (str(r["supplierStatus"]), str(r["wbStatus"]))),
                    row,
                )
                out[key] = pair
        return out

    async def _with_statuses(self, raws: list[dict[str, Any]]) -> list[RemoteOrder]:
        for raw in raws:
            self._remember_task(raw)
        await self._learn_units(raws)
        statuses = await self._statuses([str(r["id"]) for r in raws])
        return [mapping.task_order(r, statuses.get(str(r["id"])), self.unit_codes) for r in raws]

    async def new_orders(self) -> list[RemoteOrder]:
        raws = mapping.dicts(await self.api.orders_new(), "orders")
        for raw in raws:
            self._remember_task(raw)
        await self._learn_units(raws)
        return [mapping.task_order(r, mapping.NEW_TASK, self.unit_codes) for r in raws]

    async def iter_orders(self, since: datetime, until: datetime) -> AsyncIterator[list[RemoteOrder]]:
        seen: set[str] = set()
        body = await self.api.orders_new()
        fresh = mapping.dicts(body, "orders")
        if fresh:
            seen.update(str(r.get("id")) for r in fresh)
            yield await self._with_statuses(fresh)
        async for raws in self._task_pages(since, until):
            unseen = [r for r in raws if str(r.get("id")) not in seen]
            seen.update(str(r.get("id")) for r in unseen)
            if unseen:
                yield await self._with_statuses(unseen)

    async def _task_pages(self, since: datetime, until: datetime) -> AsyncIterator[list[dict[str, Any]]]:
        """Raw tasks created in [since, until], in slices of at most 30 days, page by page."""
        start = since
        while start < until:
            end = min(start + MAX_WINDOW, until)
            async for raws in paginate(self._task_fetch(start, end), 0, what="wildberries tasks"):
                yield raws
            start = end

    def _task_fetch(
        self, start: datetime, end: datetime
    ) -> Callable[[Hashable], Awaitable[Page[dict[str, Any]]]]:
        """The page fetch of the tasks created in [start, end], by WB's `next` cursor."""

        async def fetch(next_: Hashable) -> Page[dict[str, Any]]:
            assert isinstance(next_, int)
            page = await self.api.orders(
                limit=ORDERS_PAGE, next_=next_, date_from=int(start.timestamp()), date_to=int(end.timestamp())
            )
            raws = mapping.dicts(page, "orders")
            if len(raws) < ORDERS_PAGE:
                return Page(raws)
            return token_page(raws, mapping.guarded("tasks cursor", lambda p: int(p["next"]), page))

        return fetch

    async def get_order(self, external_id: str) -> RemoteOrder:
        raw = self.tasks.get(external_id)
        if raw is None:
            until = datetime.now(UTC)
            async for page in self.iter_orders(until - MAX_WINDOW, until):
                if any(o.external_id == external_id for o in page):
                    break
            raw = self.tasks.get(external_id)
        if raw is None:
            raise NotFoundError(f"wildberries: assembly task {external_id} not found", status=404)
        orders = await self._with_statuses([raw])
        return orders[0]

    async def refresh_statuses(self, external_ids: Sequence[str]) -> dict[str, tuple[OrderStatus, str]]:
        """Current status of many known tasks, 1000 per call: task id -> (status, raw status)."""
        pairs = await self._statuses(list(external_ids))
        return {i: (mapping.order_status(*p), mapping.raw_status(*p)) for i, p in pairs.items()}
