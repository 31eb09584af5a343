"""The sandbox's category tree and category parameters, and how an offer's card is judged.

A small tree in Market's shape (integer ids, names, children) with two leaves that ask for
required parameters. A card is judged when its processing time is over: a leaf category and
every required parameter filled make it `HAS_CARD_CAN_UPDATE`; a missing required parameter
makes it `NO_CARD_NEED_CONTENT` with one error per parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marketbridge.sandbox.yandex_market.state import Market, Offer


@dataclass(frozen=True)
class Parameter:
    id: int
    name: str
    type: str  # ParameterType: TEXT, ENUM, NUMERIC, BOOLEAN
    required: bool
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Category:
    id: int
    name: str
    parent: int | None
    parameters: tuple[Parameter, ...] = ()


_COLOR = Parameter(14871214, "Цвет товара", "ENUM", True, ("черный", "белый", "красный"))
_SIZE = Parameter(26417130, "Размер", "TEXT", False)
_CONNECTION = Parameter(37693330, "Тип подключения", "ENUM", True, ("проводное", "беспроводное"))
_WEIGHT = Parameter(15341921, "Вес", "NUMERIC", False)

CATEGORIES: dict[int, Category] = {
    c.id: c
    for c in (
        Category(90401, "Все товары", None),
        Category(7877999, "Одежда, обувь и аксессуары", 90401),
        Category(7812177, "Футболки", 7877999, (_COLOR, _SIZE)),
        Category(91009, "Электроника", 90401),
        Category(90555, "Наушники и Bluetooth-гарнитуры", 91009, (_CONNECTION, _WEIGHT)),
        Category(90533, "Чехлы для телефонов", 91009, (_WEIGHT,)),
    )
}
#: Where a seeded offer without a category goes.
DEFAULT_CATEGORY = 90533


def is_leaf(category_id: int) -> bool:
    return category_id in CATEGORIES and not any(c.parent == category_id for c in CATEGORIES.values())


def tree(category_id: int = 90401) -> dict[str, Any]:
    """CategoryDTO: id, name and children (absent on a leaf)."""
    node: dict[str, Any] = {"id": category_id, "name": CATEGORIES[category_id].name}
    children = [tree(c.id) for c in CATEGORIES.values() if c.parent == category_id]
    if children:
        node["children"] = children
    return node


def parameter_json(p: Parameter) -> dict[str, Any]:
    """CategoryParameterDTO."""
    body: dict[str, Any] = {
        "id": p.id,
        "name": p.name,
        "type": p.type,
        "required": p.required,
        "filtering": p.type == "ENUM",
        "distinctive": False,
        "multivalue": False,
        "allowCustomValues": p.type != "ENUM",
    }
    if p.values:
        body["values"] = [{"id": p.id * 10 + n, "value": v} for n, v in enumerate(p.values, 1)]
    return body


def parameters(category_id: int) -> tuple[Parameter, ...]:
    return CATEGORIES[category_id].parameters if category_id in CATEGORIES else ()


def missing(offer: Offer) -> list[Parameter]:
    """Required parameters of the offer's category it does not fill."""
    return [p for p in parameters(offer.category_id) if p.required and not offer.params.get(p.id)]


def card_status(market: Market, offer: Offer) -> tuple[str, list[dict[str, str]]]:
    """(OfferCardStatusType, OfferErrorDTO list) of an offer's card as of now."""
    if market.processing(offer):
        return ("HAS_CARD_CAN_UPDATE_PROCESSING" if offer.market_sku else "NO_CARD_PROCESSING"), []
    gaps = missing(offer)
    if gaps:
        errors = [
            {
                "message": f"Не заполнена обязательная характеристика «{p.name}»",
                "comment": f"parameterId {p.id}",
            }
            for p in gaps
        ]
        return ("HAS_CARD_CAN_UPDATE_ERRORS" if offer.market_sku else "NO_CARD_NEED_CONTENT"), errors
    if offer.market_sku is None:
        offer.market_sku = market.next_id(100_000_000_000)
    return "HAS_CARD_CAN_UPDATE", []
