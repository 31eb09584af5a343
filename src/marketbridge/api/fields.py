"""Validators shared by request bodies of several API areas."""

from __future__ import annotations

from urllib.parse import urlsplit


def valid_url(value: str) -> str:
    """An absolute http(s) URL, without a trailing slash."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an absolute http(s) URL")
    return value.rstrip("/")
