"""Ozon orders and returns: postings polled by window, fetched by number, cancelled; returns listed.

Orders are Ozon postings (external id = posting_number); units are keyed by Ozon's `sku`.
Polling uses /v4/posting/fbs/list twice per window (postings created in it, and postings
whose status changed in it), so every posting created or changed is seen in every status.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Hashable, Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from marketbridge.channels.errors import BadResponse
from marketbridge.channels.ozon import endpoints as api
from marketbridge.channels.ozon import mapping
from marketbridge.channels.ozon.base import OzonBase
from marketbridge.channels.paging import Page, paginate, token_page
from marketbridge.channels.roles import RemoteOrder, RemoteReturn

MAX_PERIOD = timedelta(days=365)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class OzonOrders(OzonBase):
    """OrderSource (with the seller's cancel) and ReturnsSource."""

    async def iter_orders(self, since: datetime, until: datetime) -> AsyncIterator[list[RemoteOrder]]:
        seen: set[str] = set()
        created = {"since": _iso(since), "to": _iso(until)}
        changed = {
            "since": _iso(max(until - MAX_PERIOD, since - MAX_PERIOD)),
            "to": _iso(until),
            "last_changed_status_date": {"from": _iso(since), "to": _iso(until)},
        }
        for flt in (created, changed):
            async for orders in paginate(partial(self._postings, flt), "", what="ozon postings"):
                page = []
                for order in orders:
                    if order.external_id not in seen:
                        seen.add(order.external_id)
                        page.append(order)
                if page:
                    yield page

    async def _postings(self, flt: Mapping[str, Any], cursor: Hashable) -> Page[RemoteOrder]:
        answer = await self.api.call(
            api.POSTING_LIST,
            {
                "filter": flt,
                "limit": api.PAGE_SIZE,
                "cursor": cursor,
                "sort_dir": "asc",
                "with": {"analytics_data": True},
            },
        )
        orders = [mapping.order(p) for p in mapping.items(answer.get("postings"), "postings")]
        return token_page(orders, str(answer.get("cursor") or ""), has_next=bool(answer.get("has_next")))

    async def get_order(self, external_id: str) -> RemoteOrder:
        answer = await self.api.call(
            api.POSTING_GET, {"posting_number": external_id, "with": {"analytics_data": True}}
        )
        return mapping.order(mapping.obj(answer.get("result"), f"posting {external_id}"))

    async def cancel(self, external_id: str, reason: str) -> None:
        """Cancel by the seller: a numeric `reason` is Ozon's reason id, any text goes as 402 (other)."""
        if reason.strip().isdigit():
            body: dict[str, Any] = {"posting_number": external_id, "cancel_reason_id": int(reason)}
        else:
            body = {
                "posting_number": external_id,
                "cancel_reason_id": 402,
                "cancel_reason_message": reason or "cancelled by the seller",
            }
        answer = await self.api.call(api.CANCEL, body)
        if answer.get("result") is not True:
            raise BadResponse(f"ozon: cancel of {external_id} answered {str(answer)[:200]}")

    async def iter_returns(self, since: datetime) -> AsyncIterator[list[RemoteReturn]]:
        until = datetime.now(UTC) + timedelta(minutes=5)

        async def fetch(last_id: Hashable) -> Page[RemoteReturn]:
            answer = await self.api.call(
                api.RETURNS,
                {
                    # the moment of the last status change: a new return, and an old one
                    # whose status moved since, both fall in (the return date would miss the latter)
                    "filter": {
                        "visual_status_change_moment": {"time_from": _iso(since), "time_to": _iso(until)}
                    },
                    "limit": api.RETURNS_PAGE,
                    "last_id": last_id,
                },
            )
            page = [mapping.return_item(r) for r in mapping.items(answer.get("returns"), "returns")]
            last = max((int(r.external_id) for r in page if r.external_id.isdigit()), default=0)
            return token_page(page, last, has_next=bool(answer.get("has_next")))

        async for page in paginate(fetch, 0, what="ozon returns"):
            yield page
