"""The bounded dict connectors remember things in."""

from __future__ import annotations

import pytest

from marketbridge.runtime.lru import LruDict


def test_keeps_at_most_the_bound_and_drops_the_least_recently_used() -> None:
    d: LruDict[str, int] = LruDict(3)
    for n, key in enumerate("abc"):
        d[key] = n
    assert d["a"] == 0  # a is now the most recently used
    d["d"] = 3
    assert list(d) == ["c", "a", "d"]
    assert "b" not in d and len(d) == 3
    assert d.get("b") is None


def test_a_bound_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        LruDict(0)


def test_items_and_values_can_be_read_while_iterating() -> None:
    memory: LruDict[str, int] = LruDict(3)
    for n, key in enumerate("abc"):
        memory[key] = n
    assert list(memory.items()) == [("a", 0), ("b", 1), ("c", 2)]
    assert list(memory.values()) == [0, 1, 2]
