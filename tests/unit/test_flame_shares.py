"""bench/flame_shares: py-spy's raw stacks summed into named parts, first matching part wins."""

from __future__ import annotations

import pytest
from bench.flame_shares import parse_parts, report, shares

PROFILE = [
    "main (app.py:1);push (sync/pushing.py:10);send (channels/http.py:5) 6\n",
    "main (app.py:1);push (sync/pushing.py:12) 3\n",
    "main (app.py:1);select (selectors.py:468) 1\n",
    "not a stack line\n",
]


def test_each_stack_counts_under_its_first_matching_part() -> None:
    parts = parse_parts(["channel call=channels/", "push=sync/pushing"])
    counts = shares(PROFILE, parts)
    assert counts == {"channel call": 6, "push": 3, "other": 1}
    summary = report(counts, ["channel call", "push"], cpu_ms=20.0)
    assert summary["samples"] == 10
    assert summary["parts"]["channel call"] == {"share": 0.6, "ms_per_unit": 12.0}
    assert summary["parts"]["other"] == {"share": 0.1, "ms_per_unit": 2.0}


def test_a_part_without_a_pattern_is_refused() -> None:
    with pytest.raises(ValueError, match="name=regex"):
        parse_parts(["just a name"])
