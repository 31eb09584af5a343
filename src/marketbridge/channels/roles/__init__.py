"""The roles a connector can play, and how the engine asks which ones a connection has.

A connector implements the roles its marketplace has (see docs/channel-roles.md) and
nothing else: the engine never reads flags, it asks `has_role(channel, StockSink)` or takes
the role with `require(channel, StockSink)`, which raises NotSupported when it is missing.
A role is a Protocol: its methods, and where the engine needs a fact about how the
marketplace plays the role, a documented attribute (e.g. `Fulfilment.multi_box`).
"""

from __future__ import annotations

from typing import Any, TypeVar

from marketbridge.channels.errors import NotSupported
from marketbridge.channels.roles.cards import CardDraft, CardExporter, CardResult
from marketbridge.channels.roles.catalog import CatalogSource, RemoteOffer
from marketbridge.channels.roles.common import Channel, ConnectionConfig, ItemResult, RemoteWarehouse
from marketbridge.channels.roles.fulfilment import (
    Fulfilment,
    HandOver,
    HandOverResult,
    OrderConfirmer,
    PackBox,
    PackLine,
    PackResult,
)
from marketbridge.channels.roles.orders import NewOrderFeed, OrderSource, RemoteOrder, RemoteOrderLine
from marketbridge.channels.roles.prices import PricePush, PriceSink, PriceSource, RemotePrice
from marketbridge.channels.roles.push import PushHandler, PushKind, PushMessage, PushReply
from marketbridge.channels.roles.returns import RemoteReturn, ReturnsSource
from marketbridge.channels.roles.stocks import RemoteStock, StockPush, StockSink, StockSource

#: Every role, in the order the docs and the dashboard list them.
ROLES: tuple[type, ...] = (
    CatalogSource,
    CardExporter,
    StockSink,
    StockSource,
    PriceSink,
    PriceSource,
    OrderSource,
    NewOrderFeed,
    PushHandler,
    OrderConfirmer,
    Fulfilment,
    ReturnsSource,
)

R = TypeVar("R")


def _members(role: type) -> set[str]:
    names: set[str] = set()
    for klass in role.__mro__:
        if klass in (object,) or klass.__name__ in ("Protocol", "Generic"):
            continue
        names |= {n for n in vars(klass) if not n.startswith("_")}
        names |= set(getattr(klass, "__annotations__", {}))
    return names


_MEMBERS: dict[type, frozenset[str]] = {role: frozenset(_members(role)) for role in (*ROLES, Channel)}


def has_role(channel: Any, role: type) -> bool:
    """Whether a connector (an instance or its class) plays `role`: it has every member of it."""
    members = _MEMBERS.get(role) or frozenset(_members(role))
    return all(hasattr(channel, name) for name in members)


def roles_of(channel: Any) -> tuple[type, ...]:
    """The roles a connector (instance or class) plays, in ROLES order."""
    return tuple(role for role in ROLES if has_role(channel, role))


def require(channel: Any, role: type[R]) -> R:
    """The channel as `role`; NotSupported when its marketplace has no such role."""
    if not has_role(channel, role):
        kind = getattr(channel, "kind", type(channel).__name__)
        raise NotSupported(f"{kind} has no {role.__name__} role")
    return channel


__all__ = [
    "ROLES",
    "CardDraft",
    "CardExporter",
    "CardResult",
    "CatalogSource",
    "Channel",
    "ConnectionConfig",
    "Fulfilment",
    "HandOver",
    "HandOverResult",
    "ItemResult",
    "NewOrderFeed",
    "OrderConfirmer",
    "OrderSource",
    "PackBox",
    "PackLine",
    "PackResult",
    "PricePush",
    "PriceSink",
    "PriceSource",
    "PushHandler",
    "PushKind",
    "PushMessage",
    "PushReply",
    "RemoteOffer",
    "RemoteOrder",
    "RemoteOrderLine",
    "RemotePrice",
    "RemoteReturn",
    "RemoteStock",
    "RemoteWarehouse",
    "ReturnsSource",
    "StockPush",
    "StockSink",
    "StockSource",
    "has_role",
    "require",
    "roles_of",
]
