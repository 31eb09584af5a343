"""Every metric the hub defines is in docs/metrics.md's table, with each of its labels."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.metrics import MetricWrapperBase

from marketbridge.runtime import metrics

DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


def _rows() -> dict[str, str]:
    """metric name -> its table row's labels cell."""
    rows = {}
    for line in DOC.read_text().splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`mb_"):
            rows[cells[0].strip("`")] = cells[2]
    return rows


def test_every_metric_and_label_is_documented() -> None:
    defined = [m for m in vars(metrics).values() if isinstance(m, MetricWrapperBase)]
    assert len(defined) >= 10
    rows = _rows()
    for metric in defined:
        name = metric._name + ("_total" if metric._type == "counter" else "")
        assert name in rows, f"{name} is not in docs/metrics.md"
        for label in metric._labelnames:
            assert f"`{label}`" in rows[name], f"{name}: label {label} is not documented"
