"""Shared checks of bulk requests that name items by SKU: duplicates and unknown references."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from marketbridge.api.problems import FieldError, Problem


class ItemErrors:
    """Collects per-item problems of a bulk request; `raise_if_any` answers 422 naming them all."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, index: int, sku: str, field: str, message: str) -> None:
        self.errors.append(
            FieldError(field=f"body.items[{index}].{field}", message=message, index=index, sku=sku)
        )

    def duplicates(
        self, keys: Sequence[tuple[str, ...]], skus: Sequence[str], what: str, field: str = "offer_sku"
    ) -> None:
        seen: dict[tuple[str, ...], int] = {}
        for index, key in enumerate(keys):
            if key in seen:
                self.add(index, skus[index], field, f"{what} given twice (first at item {seen[key]})")
            else:
                seen.setdefault(key, index)

    def unknown(self, values: Iterable[tuple[int, str, str]], known: set[str], field: str, what: str) -> None:
        for index, sku, value in values:
            if value not in known:
                self.add(index, sku, field, f"no {what} {value!r}")

    def raise_if_any(self) -> None:
        if self.errors:
            raise Problem(
                422,
                "invalid_items",
                f"{len(self.errors)} problem(s) in the request; nothing was written",
                errors=self.errors,
            )
