"""Validators shared by request bodies of several API areas."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Path, Query


def valid_url(value: str) -> str:
    """An absolute http(s) URL, without a trailing slash."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an absolute http(s) URL")
    return value.rstrip("/")


#: Ids are 64-bit on PostgreSQL; larger numbers are refused up front (never reach the database).
MAX_ID = 2**63 - 1
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
