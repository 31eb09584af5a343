"""What every route module of the Wildberries sandbox shares: the state and request helpers."""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from marketbridge.sandbox.common.control import new_journal
from marketbridge.sandbox.common.faults import PRICE_REFUSED, Faults
from marketbridge.sandbox.common.limits import SandboxLimits
from marketbridge.sandbox.common.push import PushSender
from marketbridge.sandbox.common.timing import Timing
from marketbridge.sandbox.wildberries.errors import WbError
from marketbridge.sandbox.wildberries.state import ShopState
from marketbridge.sandbox.wildberries.tokens import TokenIssuer

#: The control API's fault menu items this sandbox emulates.
FAULT_MENU = frozenset({PRICE_REFUSED})


@dataclass
class Shop:
    """The sandbox's world: state, tokens, limits, faults and the journal of requests."""

    state: ShopState
    issuer: TokenIssuer
    limits: SandboxLimits
    faults: Faults = field(default_factory=lambda: Faults(menu=FAULT_MENU))
    pusher: PushSender = field(default_factory=PushSender)
    journal: deque[dict[str, Any]] = field(default_factory=new_journal)
    timing: Timing = field(default_factory=Timing)  # WB's real delays unless shortened


#: WB's asynchronous steps, in real seconds (passed through `Shop.timing`): a price task in
#: the buffer, a cards upload in moderation before it shows up or lands in the error list.
PRICE_TASK_SECONDS = 5.0
CARD_MODERATION_SECONDS = 10.0


async def json_body(request: Request) -> Any:
    """The request's JSON, or the service's 400 IncorrectRequestBody."""
    raw = await request.body()
    if not raw:
        raise WbError(400, "IncorrectRequestBody", "Некорректное тело запроса")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise WbError(400, "IncorrectRequestBody", "Некорректное тело запроса") from exc


def query_int(
    request: Request,
    name: str,
    *,
    default: int | None = None,
    low: int | None = None,
    high: int | None = None,
) -> int:
    """An integer query parameter within [low, high], or 400 IncorrectParameter."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        if default is None:
            raise WbError(400, "IncorrectParameter", f"Передан некорректный параметр: {name}")
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise WbError(400, "IncorrectParameter", f"Передан некорректный параметр: {name}") from exc
    if (low is not None and value < low) or (high is not None and value > high):
        raise WbError(400, "IncorrectParameter", f"Передан некорректный параметр: {name}")
    return value


def int_list(body: Any, key: str, *, high: int, code: str = "IncorrectRequestBody") -> list[int]:
    """`body[key]` as a non-empty list of at most `high` integers, or 400."""
    values = body.get(key) if isinstance(body, dict) else None
    if not isinstance(values, list) or not values or len(values) > high:
        raise WbError(400, code, "Некорректное тело запроса")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise WbError(400, code, "Некорректное тело запроса")
    return list(values)
