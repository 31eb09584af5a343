"""Errors the use-cases raise for the caller to show (the API maps them to problem+json)."""

from __future__ import annotations


class ActionRefused(Exception):
    """The action is not possible now (wrong status, boxes that do not match the order, ...)."""

    def __init__(self, code: str, message: str, lines: list[str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        #: One readable problem per line (the API answers them as `errors[]`).
        self.lines = lines or []


class NotFound(Exception):
    """The object does not exist in this account."""
