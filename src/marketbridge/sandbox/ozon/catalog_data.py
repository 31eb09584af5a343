"""The sandbox's description-category tree, its attributes and their dictionaries.

A small but real-shaped slice of Ozon's tree: categories hold types, and a card is created
for a (description_category_id, type_id) pair. Attribute 85 (brand) and 10096 (colour)
are dictionary attributes; the brand dictionary is long enough to need paging.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TypeNode:
    type_id: int
    name: str
    requires_marking: bool = False


@dataclass(frozen=True)
class CategoryNode:
    category_id: int
    name: str
    types: tuple[TypeNode, ...]


@dataclass(frozen=True)
class AttributeDef:
    id: int
    name: str
    type: str = "String"
    is_required: bool = False
    is_collection: bool = False
    dictionary_id: int = 0


ROOTS: tuple[tuple[int, str, tuple[CategoryNode, ...]], ...] = (
    (
        17027484,
        "Электроника",
        (
            CategoryNode(
                17028922,
                "Аксессуары для телефонов",
                (TypeNode(91565, "Защитная плёнка"), TypeNode(93900, "Чехол для смартфона")),
            ),
        ),
    ),
    (
        17027489,
        "Обувь",
        (CategoryNode(17028650, "Кроссовки и кеды", (TypeNode(94700, "Кроссовки", requires_marking=True),)),),
    ),
    (
        17027492,
        "Канцелярские товары",
        (CategoryNode(17029016, "Печати и штампы", (TypeNode(970778135, "Пистолет-маркиратор"),)),),
    ),
)

BRAND = AttributeDef(85, "Бренд", is_required=True, dictionary_id=28732849)
COLOR = AttributeDef(10096, "Цвет товара", is_collection=True, dictionary_id=10096)
MODEL = AttributeDef(9048, "Название модели", is_required=True)
TYPE = AttributeDef(8229, "Тип", is_required=True, dictionary_id=1960)
SIZE = AttributeDef(4295, "Российский размер", is_required=True, dictionary_id=4295)
ANNOTATION = AttributeDef(4191, "Аннотация", type="multiline")

COMMON_ATTRIBUTES: tuple[AttributeDef, ...] = (BRAND, MODEL, TYPE, COLOR, ANNOTATION)
SHOE_ATTRIBUTES: tuple[AttributeDef, ...] = (*COMMON_ATTRIBUTES, SIZE)

COLORS = ("чёрный", "белый", "серый", "красный", "синий", "зелёный", "жёлтый", "розовый")
BRAND_COUNT = 2500

_CATEGORIES: dict[int, CategoryNode] = {c.category_id: c for _, _, cs in ROOTS for c in cs}


def find_type(category_id: int, type_id: int) -> TypeNode | None:
    category = _CATEGORIES.get(category_id)
    if category is None:
        return None
    return next((t for t in category.types if t.type_id == type_id), None)


def attributes_for(category_id: int, type_id: int) -> tuple[AttributeDef, ...] | None:
    node = find_type(category_id, type_id)
    if node is None:
        return None
    return SHOE_ATTRIBUTES if node.requires_marking else COMMON_ATTRIBUTES


def tree_json() -> list[dict[str, Any]]:
    return [
        {
            "description_category_id": root_id,
            "category_name": root_name,
            "disabled": False,
            "children": [
                {
                    "description_category_id": c.category_id,
                    "category_name": c.name,
                    "disabled": False,
                    "children": [
                        {"type_name": t.name, "type_id": t.type_id, "disabled": False, "children": []}
                        for t in c.types
                    ],
                }
                for c in cats
            ],
        }
        for root_id, root_name, cats in ROOTS
    ]


def attribute_json(a: AttributeDef) -> dict[str, Any]:
    return {
        "id": a.id,
        "attribute_complex_id": 0,
        "name": a.name,
        "description": a.name,
        "type": a.type,
        "is_collection": a.is_collection,
        "is_required": a.is_required,
        "is_aspect": False,
        "max_value_count": 0,
        "group_name": "",
        "group_id": 0,
        "dictionary_id": a.dictionary_id,
        "category_dependent": a.id == TYPE.id,
        "complex_is_collection": False,
    }


def dictionary_values(attribute_id: int, type_name: str) -> list[tuple[int, str]]:
    """(value id, value) pairs of a dictionary attribute, ordered by id."""
    if attribute_id == BRAND.id:
        return [(5_000_000 + i, "Нет бренда" if i == 0 else f"Бренд {i:04d}") for i in range(BRAND_COUNT)]
    if attribute_id == COLOR.id:
        return [(61_570 + i, c) for i, c in enumerate(COLORS)]
    if attribute_id == TYPE.id:
        return [(95_900, type_name)]
    if attribute_id == SIZE.id:
        return [(40_000 + s, str(s)) for s in range(30, 48)]
    return []
