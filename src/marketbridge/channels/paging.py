"""Paginators: every listing call pages through one loop, with a guard against endless paging.

A connector describes one page fetch — a function from the page token to a Page (the items
and the token of the next page, None at the end) — and `paginate` does the loop. Page
tokens are whatever the marketplace pages by: a cursor, an offset, a last id, a page
number, a next token; `offset_page`, `number_page` and `token_page` build the Page for the
usual styles. A token that comes back a second time while items keep coming is a broken
answer (BadResponse), never an endless loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from marketbridge.channels.errors import BadResponse

T = TypeVar("T")

#: No listing is allowed more pages than this (a million pages of the smallest size).
MAX_PAGES = 1_000_000


@dataclass
class Page(Generic[T]):
    items: list[T]
    next: Hashable | None = None


async def paginate(
    fetch: Callable[[Hashable], Awaitable[Page[T]]],
    first: Hashable,
    *,
    what: str = "a listing",
    max_pages: int = MAX_PAGES,
) -> AsyncIterator[list[T]]:
    """Yield the items of every page, fetching from `first` until a page has no next token."""
    token: Hashable = first
    seen: set[Hashable] = {first}
    for _ in range(max_pages):
        page = await fetch(token)
        if page.items:
            yield page.items
        if page.next is None or (not page.items and page.next == token):
            return
        if page.next in seen:
            raise BadResponse(f"{what}: the marketplace sent the page token {page.next!r} twice")
        seen.add(page.next)
        token = page.next
    raise BadResponse(f"{what}: more than {max_pages} pages")


def token_page(items: list[T], token: object, *, has_next: bool | None = None) -> Page[T]:
    """A page of a cursor / last-id / next-token listing: ends on an empty token, an empty
    page, or has_next false when the marketplace says it."""
    more = bool(items) and token not in (None, "", 0) and has_next is not False
    return Page(items, token if more and isinstance(token, Hashable) else None)


def offset_page(items: list[T], offset: int, limit: int, *, has_next: bool | None = None) -> Page[T]:
    """A page of an offset + limit listing: the next offset while pages come back full (or
    while has_next says so)."""
    more = bool(items) and (has_next if has_next is not None else len(items) >= limit)
    return Page(items, offset + len(items) if more else None)


def number_page(items: list[T], number: int, limit: int, *, has_next: bool | None = None) -> Page[T]:
    """A page of a page-number listing: the next number while pages come back full."""
    more = bool(items) and (has_next if has_next is not None else len(items) >= limit)
    return Page(items, number + 1 if more else None)
