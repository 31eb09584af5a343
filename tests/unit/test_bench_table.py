"""docs/performance.md from saved results: rows per benchmark, run times, the hand-written part kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import run_all


def _save(folder: Path, result: dict[str, object]) -> None:
    (folder / f"{result['benchmark']}.json").write_text(json.dumps(result), encoding="utf-8")


def test_table_only_writes_saved_results_and_keeps_the_hand_written_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = tmp_path / "results"
    results.mkdir()
    monkeypatch.setattr(run_all, "RESULTS", results)
    _save(
        results,
        {
            "benchmark": "api-bulk",
            "offers": 1000,
            "offers_per_second": 812.5,
            "stocks_per_second": 1500.0,
            "peak_rss_mb": 99.0,
            "ended_at": "2026-12-02 07:30",
        },
    )
    _save(results, {"benchmark": "oversell", "failed": "exit status 1", "ended_at": "2026-12-02 07:40"})
    doc = tmp_path / "performance.md"
    doc.write_text(f"old table\n{run_all.KEPT}\nnotes written by hand\n", encoding="utf-8")

    run_all.main(["api-bulk", "stock-latency", "oversell"], doc, table_only=True)

    text = doc.read_text(encoding="utf-8")
    assert "old table" not in text
    assert "| api-bulk | — | 1000 offers + stocks | 812.5 offers/s, 1500.0 stocks/s" in text
    assert "| oversell | — | — | did not finish (exit status 1)" in text
    assert "stock-latency" not in text.partition("Runs ended")[0]  # nothing saved: no row
    assert "Runs ended (UTC): api-bulk 2026-12-02 07:30, oversell 2026-12-02 07:40." in text
    assert text.endswith(f"{run_all.KEPT}\nnotes written by hand\n")
