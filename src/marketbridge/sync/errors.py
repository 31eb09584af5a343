"""Errors the use-cases raise for the caller to show (the API maps them to problem+json)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class ActionRefused(Exception):
    """The action is not possible now (wrong status, boxes that do not match the order, ...)."""

    def __init__(self, code: str, message: str, items: Sequence[Mapping[str, str]] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        #: what is wrong item by item: {"field", "message", "sku"?}
        self.items = [dict(i) for i in items]


class NotFound(Exception):
    """The object does not exist in this account."""
