"""A dict that keeps at most a given number of entries, dropping the least recently used.

Connectors remember things they learnt from the marketplace (a size's article, a card as
last seen) to save calls; with a million-offer catalog such a memory must have a bound.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, MutableMapping
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LruDict(MutableMapping[K, V]):
    def __init__(self, at_most: int) -> None:
        if at_most < 1:
            raise ValueError("at_most must be at least 1")
        self.at_most = at_most
        self._items: OrderedDict[K, V] = OrderedDict()

    def __getitem__(self, key: K) -> V:
        value = self._items[key]
        self._items.move_to_end(key)
        return value

    def __setitem__(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.at_most:
            self._items.popitem(last=False)

    def __delitem__(self, key: K) -> None:
        del self._items[key]

    def __iter__(self) -> Iterator[K]:
        return iter(list(self._items))  # a snapshot: reading an entry while iterating reorders it

    def __len__(self) -> int:
        return len(self._items)
