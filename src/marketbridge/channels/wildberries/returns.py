"""The returns role of the Wildberries channel: buyers' claims, with the tasks they return.

A claim names its task only by `srid` (the task's `rid`) and the order time, so the tasks of
claims not known yet are read around each claim's order time before the claim is mapped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Hashable
from datetime import datetime, timedelta
from typing import Any

from marketbridge.channels.paging import Page, offset_page, paginate
from marketbridge.channels.roles import RemoteReturn
from marketbridge.channels.wildberries import mapping
from marketbridge.channels.wildberries.orders import OrderRoles

CLAIMS_PAGE = 200


class ReturnRoles(OrderRoles):
    """ReturnsSource over WB's claims API (open claims, then archived ones)."""

    async def _find_claimed_tasks(self, claims: list[dict[str, Any]]) -> None:
        """Load the tasks of claims whose task is not known yet, around each claim's order time,
        and the offer codes of their sizes.

        The time is read with a day's margin either side, since WB does not say its time zone.
        """
        for claim in claims:
            if str(claim.get("srid") or "") in self.task_of_rid or not claim.get("order_dt"):
                continue
            ordered = mapping.guarded("claim", lambda c: mapping.parse_time(c["order_dt"]), claim)
            async for raws in self._task_pages(ordered - timedelta(days=1), ordered + timedelta(days=1)):
                for raw in raws:
                    self._remember_task(raw)
        claimed = [self.task_of_rid.get(str(c.get("srid") or "")) for c in claims]
        tasks = [self.tasks.get(found[0]) for found in claimed if found]
        await self._learn_units([raw for raw in tasks if raw])

    async def iter_returns(self, since: datetime) -> AsyncIterator[list[RemoteReturn]]:
        for archived in (False, True):

            async def fetch(offset: Hashable, archived: bool = archived) -> Page[dict[str, Any]]:
                """Claims updated since `since`; a page with older claims is the last."""
                assert isinstance(offset, int)
                body = await self.api.claims(archive=archived, limit=CLAIMS_PAGE, offset=offset)
                claims = [
                    c
                    for c in mapping.dicts(body, "claims")
                    if mapping.guarded(
                        "claim", lambda c: mapping.parse_time(c.get("dt_update") or c["dt"]), c
                    )
                    >= since
                ]
                return offset_page(claims, offset, CLAIMS_PAGE)

            async for claims in paginate(fetch, 0, what="wildberries claims"):
                await self._find_claimed_tasks(claims)
                yield [mapping.claim_return(c, archived, self.task_of_rid, self.unit_codes) for c in claims]
