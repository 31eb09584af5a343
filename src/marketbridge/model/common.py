"""Shared building blocks of the canonical models: money, identifiers, base model config."""

from __future__ import annotations

import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

#: Money is a Decimal with two places, serialised as a string so no float ever touches it.
Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=14, decimal_places=2),
    PlainSerializer(lambda v: format(v, "f"), return_type=str, when_used="json"),
]

#: Unicode categories no identifier or credential may hold: controls, format characters
#: (zero-width spaces and joiners, bidirectional controls, the BOM), line and paragraph separators.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
#: Characters of other categories that show as nothing: variation selectors, the combining
#: grapheme joiner, Hangul fillers, the braille blank.
HIDDEN_CHARACTERS = frozenset(
    [*map(chr, range(0xFE00, 0xFE10)), "\u034f", "\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"]
)


def has_hidden_characters(text: str) -> bool:
    """Whether the text holds a control, invisible or bidirectional-control character."""
    return any(ch in HIDDEN_CHARACTERS or unicodedata.category(ch) in HIDDEN_CATEGORIES for ch in text)


def _visible(value: str) -> str:
    if has_hidden_characters(value):
        raise ValueError("must not contain control, invisible or bidirectional-control characters")
    return value


#: A seller-chosen code (article, SKU): printable, trimmed, 1..128 characters, nothing invisible.
Code = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^\S(.*\S)?$"), AfterValidator(_visible)]


def money(value: object) -> Decimal:
    """Turn a marketplace's number or string into a two-place Decimal, refusing floats' noise.

    Floats are converted through their shortest repr, so 0.1 becomes Decimal("0.10").
    """
    try:
        dec = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not a money amount: {value!r}") from exc
    if not dec.is_finite():
        raise ValueError(f"not a money amount: {value!r}")
    return dec.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class CanonicalModel(BaseModel):
    """Base for the canonical models: strict about unknown fields, validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, str_strip_whitespace=True)
