"""Assembly-task metadata on Wildberries: marking codes, UIN, IMEI, GTIN and expiry date.

WB accepts metadata only for a task already in a supply (status `confirm`), so packing puts
the task into its supply first and sends the metadata after; a supply whose tasks miss their
`requiredMeta` cannot be delivered. The seller's data is checked here before any call: what
the task requires must be given, each code must have WB's length.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from marketbridge.channels.batching import batched
from marketbridge.channels.errors import RequestRejected
from marketbridge.channels.roles import PackBox
from marketbridge.channels.wildberries.client import WbApi
from marketbridge.model import REQUIRED_KINDS

SGTIN_BATCH = 100
SGTIN_LENGTH = (16, 135)
#: exact length WB takes for each single-value code
CODE_LENGTHS = {"uin": 16, "imei": 15, "gtin": 13}
#: WB's date format for the expiry date
EXPIRATION_FORMAT = "%d.%m.%Y"
KINDS = REQUIRED_KINDS


@dataclass
class TaskMeta:
    """What the seller gave for one assembly task (one unit)."""

    sgtins: list[str] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)  # uin / imei / gtin -> value
    expiration: date | None = None

    def kinds(self) -> set[str]:
        given = set(self.codes)
        if self.sgtins:
            given.add("sgtin")
        if self.expiration is not None:
            given.add("expiration")
        return given


def collect(task_id: str, boxes: Sequence[PackBox]) -> TaskMeta:
    """The metadata of the boxes' lines, checked against WB's lengths (one unit per task)."""
    out = TaskMeta()
    for box in boxes:
        for line in box.lines:
            out.sgtins.extend(line.marking_codes)
            for kind, length in CODE_LENGTHS.items():
                values: list[str] = getattr(line.meta, kind)
                if len(values) > 1 or (values and kind in out.codes):
                    raise RequestRejected(f"wildberries: task {task_id} takes one {kind}")
                if values and len(values[0]) != length:
                    raise RequestRejected(f"wildberries: {kind} must have {length} characters: {values[0]!r}")
                if values:
                    out.codes[kind] = values[0]
            if line.meta.expiration is not None:
                out.expiration = line.meta.expiration
    bad = [c for c in out.sgtins if not SGTIN_LENGTH[0] <= len(c) <= SGTIN_LENGTH[1]]
    if bad:
        raise RequestRejected(f"wildberries: marking codes must have 16..135 characters: {bad[0]!r}")
    return out


def check_required(task_id: str, raw: Mapping[str, Any], given: TaskMeta) -> None:
    """Refuse before any call when the task's `requiredMeta` names data the seller did not give."""
    required = [k for k in raw.get("requiredMeta") or [] if k in KINDS]
    missing = [k for k in required if k not in given.kinds()]
    if missing:
        raise RequestRejected(f"wildberries: task {task_id} requires {', '.join(missing)}; none given")


async def listing(api: WbApi, task_id: str, raw: Mapping[str, Any]) -> Mapping[str, Any]:
    """The task as listed among new tasks (with `requiredMeta`), looked up when not known yet."""
    if "requiredMeta" in raw:
        return raw
    body = await api.orders_new()
    rows = body.get("orders") if isinstance(body, dict) else None
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict) and str(row.get("id")) == task_id:
            return {**raw, **row}
    return raw


def accepted(raw: Mapping[str, Any]) -> set[str] | None:
    """Kinds the task takes (required or optional), or None when the task's listing is not known."""
    if "requiredMeta" not in raw and "optionalMeta" not in raw:
        return None
    return set(raw.get("requiredMeta") or []) | set(raw.get("optionalMeta") or [])


async def send(api: WbApi, task_id: int, given: TaskMeta, takes: set[str] | None) -> None:
    """Send every kind given (the task must be in a supply by now); marking codes only where taken."""
    if given.sgtins and (takes is None or "sgtin" in takes):
        for chunk in batched(given.sgtins, SGTIN_BATCH):
            await api.set_sgtins(task_id, chunk)
    for kind, value in given.codes.items():
        await api.set_meta(task_id, kind, value)
    if given.expiration is not None:
        await api.set_meta(task_id, "expiration", given.expiration.strftime(EXPIRATION_FORMAT))
