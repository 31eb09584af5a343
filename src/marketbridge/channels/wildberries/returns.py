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

    def _tasks_by_rid(self) -> dict[str, tuple[str, str]]:
        return {
            str(raw.get("rid")): (task_id, str(raw.get("chrtId")))
            for task_id, raw in self.tasks.items()
            if raw.get("rid")
        }

    async def _find_claimed_tasks(self, claims: list[dict[str, Any]]) -> None:
        """Load the tasks of claims whose task is not known yet, around each claim's order time.

        The time is read with a day's margin either side, since WB does not say its time zone.
        """
        known = self._tasks_by_rid()
        for claim in claims:
            if str(claim.get("srid") or "") in known or not claim.get("order_dt"):
                continue
            ordered = mapping.guarded("claim", lambda c: mapping.parse_time(c["order_dt"]), claim)
            async for raws in self._task_pages(ordered - timedelta(days=1), ordered + timedelta(days=1)):
                for raw in raws:
                    self.tasks[str(raw.get("id"))] = raw
            known = self._tasks_by_rid()
        await self._learn_units([raw for raw in self.tasks.values() if str(raw.get("rid")) in known])

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
                by_rid = self._tasks_by_rid()
                yield [mapping.claim_return(c, archived, by_rid, self.unit_codes) for c in claims]
