"""A started process freezes what start-up built and collects its youngest generation less often."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from marketbridge.runtime.serving import GC_YOUNG_THRESHOLD, settle_garbage_collection


@pytest.fixture
def restored_collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_collector")
def test_settling_freezes_what_lives_and_raises_only_the_youngest_threshold() -> None:
    _, middle, oldest = gc.get_threshold()
    gc.unfreeze()
    kept = [{"built": "at start-up"} for _ in range(100)]
    settle_garbage_collection()
    assert gc.get_freeze_count() >= len(kept)
    assert not any(item is kept for item in gc.get_objects())  # frozen: no collection walks it
    assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, middle, oldest)
    assert GC_YOUNG_THRESHOLD > 700  # CPython's default, which paused a busy server every second
