"""The asynchronous check of marking codes («Честный ЗНАК» cis) sent with an order's boxes.

A code sent (`instances[].cis` of `PUT .../boxes`) is first IN_PROGRESS; `CIS_CHECK_SECONDS`
later (through `Timing`) it is OK or INVALID with the substatus of what is wrong with it.
The sandbox has no registry of codes: it checks the form of a GS1 code, `01` and a 14-digit
GTIN, `21` and a serial of 1 to 20 printable ASCII characters, optionally the crypto tail
after the group separator (`\\u001d`): no GTIN is CIS_GTIN_NOT_FOUND, no serial
CIS_SERIAL_NUMBER_NOT_FOUND, other characters INVALID_SYMBOLS_FOUND. A code sent again keeps
its check. `POST .../identifiers/status` reads the checks; an order's items carry the codes
as `instances` (`cis` without the crypto tail, `cisFull` with it). As the description says,
an order with items that require marking may move to READY_TO_SHIP only when every unit
has a code and every code passed the check.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

#: Real seconds a code stays IN_PROGRESS (the description gives no figure: this sandbox's choice).
CIS_CHECK_SECONDS = 10.0
GROUP_SEPARATOR = "\x1d"
_GTIN = re.compile(r"01\d{14}")
_SERIAL = re.compile(r"21[!-~]{1,20}")


@dataclass
class CisCheck:
    """One code sent for a unit, and when and how its check ends."""

    value: str
    ready_at: float  # monotonic
    substatus: str | None  # None: the code passes

    def status(self, now: float) -> tuple[str, str | None]:
        if now < self.ready_at:
            return "IN_PROGRESS", None
        return ("OK", None) if self.substatus is None else ("INVALID", self.substatus)

    def short(self) -> str:
        """The code without its crypto tail."""
        return self.value.split(GROUP_SEPARATOR, 1)[0]


def defect(code: str) -> str | None:
    """What makes a code fail the check (a CisSubstatusType); None for a well-formed code."""
    head = code.split(GROUP_SEPARATOR, 1)[0]
    if not all(" " < c <= "~" or c == GROUP_SEPARATOR for c in code):
        return "INVALID_SYMBOLS_FOUND"
    if not _GTIN.match(head):
        return "CIS_GTIN_NOT_FOUND"
    if not _SERIAL.fullmatch(head[16:]):
        return "CIS_SERIAL_NUMBER_NOT_FOUND"
    return None


def sent_codes(boxes: list[dict[str, Any]]) -> dict[int, list[str]]:
    """Item id -> the codes of its units over all box entries (a unit in parts counts once)."""
    codes: dict[int, list[str]] = {}
    for entry in boxes:
        for instance in entry.get("instances") or []:
            cis = instance.get("cis") if isinstance(instance, dict) else None
            if isinstance(cis, str) and cis not in codes.setdefault(entry["id"], []):
                codes[entry["id"]].append(cis)
    return codes


def checked(
    before: dict[int, list[CisCheck]], sent: dict[int, list[str]], delay: float
) -> dict[int, list[CisCheck]]:
    """The checks of the codes sent: a code already sent keeps its check, a new one starts."""
    known = {c.value: c for checks in before.values() for c in checks}
    start = time.monotonic() + delay
    return {
        item: [known.get(code) or CisCheck(code, start, defect(code)) for code in codes]
        for item, codes in sent.items()
    }


def not_ready(codes: dict[int, list[CisCheck]], needed: dict[int, int]) -> str | None:
    """Why the items (id -> units needing a code) may not be shipped yet; None when they may."""
    now = time.monotonic()
    for item, units in needed.items():
        checks = codes.get(item, [])
        if len(checks) < units:
            return f"item {item}: {units - len(checks)} of {units} marking codes not sent"
        states = {c.status(now)[0] for c in checks}
        if "INVALID" in states:
            return f"item {item}: a marking code did not pass the check"
        if "IN_PROGRESS" in states:
            return f"item {item}: marking codes are still being checked"
    return None


def instances_json(checks: list[CisCheck]) -> list[dict[str, Any]]:
    """OrderItemInstanceDTOs of an item's codes."""
    return [{"cis": c.short(), "cisFull": c.value} for c in checks]


def status_json(codes: dict[int, list[CisCheck]]) -> dict[str, Any]:
    """GetOrderIdentifiersStatusDTO: each item's codes with their check."""
    now = time.monotonic()
    rows = []
    for item, checks in sorted(codes.items()):
        shown = []
        for c in checks:
            status, substatus = c.status(now)
            shown.append(
                {"value": c.value, "status": status, **({"substatus": substatus} if substatus else {})}
            )
        rows.append({"id": item, "cis": shown})
    return {"items": rows}
