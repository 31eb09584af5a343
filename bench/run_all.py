"""Run every benchmark and write docs/performance.md (`make bench`).

Sizes come from the environment so that a quick run is possible:
MB_BENCH_SIZE_<NAME> (e.g. MB_BENCH_SIZE_STOCK_THROUGHPUT=20000); the defaults are the
full sizes. Each benchmark runs in a process of its own (`marketbridge bench NAME`), so
that what one leaves in memory does not count against the next; its JSON is also written to
bench/results/<name>.json, with the time it ended. `--table-only` runs nothing and writes the
table from the results on disk, so that re-running some benchmarks keeps the others' rows.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from marketbridge.benchmarks.common import machine
from marketbridge.benchmarks.registry import BENCHMARKS

RESULTS = Path("bench/results")


def _size(name: str) -> int | None:
    value = os.environ.get("MB_BENCH_SIZE_" + name.upper().replace("-", "_"))
    return int(value) if value else None


READING = [
    "How to read the table:",
    "",
    "- Each benchmark runs in a process of its own; catalog-import runs the import itself in one",
    "  more process (`marketbridge sync run`), so its peak RSS is the import's alone.",
    "- stock-latency starts 31 s after the initial export: a marketplace may take one value per",
    "  offer and warehouse every 30 s, and the figures are for steady state, not for that window.",
    "  Its times end when the marketplace accepted the value (the sandbox stamps it); read back",
    "  by a watcher that looks every 20 ms, they are longer by that wait (p99 in brackets).",
    "- stock-throughput's ceiling is what the marketplace's limits let through (calls per second",
    "  of the stock method × items per call); the hub's own share is what falls short of it.",
    "- catalog-import on a marketplace whose read limits bound it (its channel's",
    "  catalog_offers_per_second) runs at the size that limit reads in ten minutes, not at a million.",
    "- oversell: one unit per offer, bought on one marketplace and then on the next after the",
    "  gap shown; an oversell is both orders accepted. The baseline is the same hub reading",
    "  orders and sending stocks every 5 minutes, as hosted hubs do. Within 100 ms no hub can",
    "  help: the first order has reached nobody yet.",
    "- api-load: the 50 clients run in processes of their own but share the machine's cores with",
    "  the hub, so requests/s is partly the clients' limit; the server's CPU per request is not",
    "  (given also net of what the server spends idle: the worker's ticks inside it).",
    "  PostgreSQL is measured when MB_BENCH_POSTGRES_URL names a server database.",
    "- scale: runs when MB_BENCH_POSTGRES_URL and MB_BENCH_REDIS_URL are set (its Redis database",
    "  is emptied); MB_BENCH_SIZE_SCALE picks one number of connections, else 10, 100 and 1,000 run",
    "  one after the other. Worker CPU and transactions are per stock change sent through the API,",
    "  the orders' and the idle polling's share included (the JSON has the idle figures apart).",
]


#: The line of docs/performance.md after which the text is written by hand and kept as it is.
KEPT = "<!-- written by hand below this line: make bench keeps it -->"


def _of(ceiling: float | None) -> str:
    return f" of a {ceiling} ceiling set by the marketplace's limits" if ceiling else ""


def _rows(result: dict[str, Any]) -> list[str]:
    name = result["benchmark"]
    if "failed" in result:
        return [f"| {name} | — | — | did not finish ({result['failed']}); its output is above | — |"]
    rows = []
    if name in ("stock-latency", "price-latency"):
        for kind, p in result["latency_seconds"].items():
            lost = result["failed_changes"]
            lost_here = f"lost {lost[kind]}; " if isinstance(lost, dict) else ""
            back = result.get("read_back_seconds", {}).get(kind)
            read_back = f" (read back {back.get('p99')} s)" if back else ""
            rows.append(
                f"| {name} | {kind} | {result['offers']} offers, {result['changes']} changes | "
                f"p50 {p.get('p50')} s, p95 {p.get('p95')} s, p99 {p.get('p99')} s{read_back}; "
                f"{lost_here}429s: {result['rejected_429'][kind]} | {result['target']} |"
            )
    elif name == "stock-throughput":
        for kind, r in result["results"].items():
            rows.append(
                f"| stock-throughput | {kind} | {result['offers_per_marketplace']} offers | "
                f"{r['items_per_second']} items/s of a {r['ceiling_items_per_second']} ceiling "
                f"({r['share_of_ceiling']}); 429s: {r['rejected_429']} | {result['target']} |"
            )
    elif name == "order-ingest":
        for kind, r in result["results"].items():
            a, w = r["readable_in_api_seconds"], r["webhook_delivered_seconds"]
            rows.append(
                f"| order-ingest | {kind} | {result['orders_per_marketplace']} orders | "
                f"API p50 {a.get('p50')} s, p99 {a.get('p99')} s; webhook p50 {w.get('p50')} s, p99 {w.get('p99')} s | {result['target']} |"
            )
    elif name == "catalog-import":
        for kind, r in result["results"].items():
            rows.append(
                f"| catalog-import | {kind} | {r['offers']} offers | {r['seconds']} s "
                f"({r['offers_per_second']} offers/s{_of(r.get('ceiling_offers_per_second'))}); "
                f"peak RSS of the import {r['peak_rss_mb']} MB | {result['target']} |"
            )
    elif name == "oversell":
        for band in result["bands_seconds"]:
            cells = []
            for mode, label in (
                ("marketbridge", "marketbridge"),
                ("polling_every_5_minutes", "5-minute polling"),
            ):
                r = result["results"][mode][band]
                cells.append(f"{label} {r['oversold']}/{r['trials']}")
            rows.append(
                f"| oversell | any two | last unit bought on two marketplaces, {band} apart | oversold: {'; '.join(cells)} | "
                f"{result['target']} |"
            )
    elif name == "api-bulk":
        rows.append(
            f"| api-bulk | — | {result['offers']} offers + stocks | {result['offers_per_second']} offers/s, "
            f"{result['stocks_per_second']} stocks/s; peak RSS {result['peak_rss_mb']} MB | — |"
        )
    elif name == "api-load":
        for database, cases in result["results"].items():
            if "not_run" in cases:
                rows.append(
                    f"| api-load | — | {database} | not run: {cases['not_run']} | {result['target']} |"
                )
                continue
            for case, r in cases.items():
                p = r["latency_seconds"]
                rows.append(
                    f"| api-load | — | {database}, {case}, {result['clients']} clients | "
                    f"{r['requests_per_second']} req/s; p50 {p.get('p50')} s, p95 {p.get('p95')} s, "
                    f"p99 {p.get('p99')} s; server CPU {r['server_cpu_ms_per_request']} ms a request "
                    f"({r.get('server_cpu_ms_per_request_net_of_idle')} ms net of idle); "
                    f"errors {r['errors']} | {result['target']} |"
                )
    elif name == "scale":
        rows += _scale_rows(result)
    return rows


def _scale_rows(result: dict[str, Any]) -> list[str]:
    if "not_run" in result["results"]:
        return [f"| scale | — | — | not run: {result['results']['not_run']} | {result['target']} |"]
    rows = []
    for size, r in result["results"].items():
        stock = "; ".join(
            f"{kind} p50 {p.get('p50')} s, p99 {p.get('p99')} s"
            for kind, p in r["stock_latency_seconds"].items()
        )
        fairness = max((f["slowest_over_median"] or 0 for f in r["fairness"].values()), default=None)
        rows.append(
            f"| scale | all | {size} connections, {r['accounts']} accounts, {r['workers']} worker(s) | "
            f"stock {stock}; order → webhook p99 {r['order_to_webhook_seconds'].get('p99')} s; "
            f"429s {r['rejected_429']}; lost {r['lost_changes']}; slowest/median p99 {fairness}; "
            f"worker CPU {r['worker_cpu_seconds_per_stock_change']} s and "
            f"{r['database_transactions_per_stock_change']} transactions a change | {result['target']} |"
        )
    return rows


def write_markdown(results: list[dict[str, Any]], path: Path) -> None:
    m = machine()
    lines = [
        "# Performance",
        "",
        "Measured by `make bench` (bench/run_all.py) on the machine below; each benchmark's figures come",
        "from one run of it, ended at the time given under the table.",
        "Sandboxes run in their own processes on loopback with the marketplaces' real rate limits where",
        "the benchmark says so. Regenerate with `make bench`.",
        "",
        f"Machine: {m['cpus']} CPUs, {m['memory_gib']} GiB, {m['system']}, Python {m['python']}.",
        "",
        "| benchmark | marketplace | size | result | target |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        lines += _rows(result)
    ended = ", ".join(f"{r['benchmark']} {r.get('ended_at', 'unknown')}" for r in results)
    lines += ["", f"Runs ended (UTC): {ended}.", "", "Raw results: bench/results/*.json (not committed).", ""]
    lines += [*READING, ""]
    kept = path.read_text(encoding="utf-8").partition(KEPT)[2] if path.exists() else ""
    path.write_text("\n".join(lines) + "\n" + KEPT + kept, encoding="utf-8")


def run_one(name: str) -> dict[str, Any]:
    """One benchmark in a fresh process; its JSON line (the last thing it prints)."""
    command = [sys.executable, "-m", "marketbridge.cli", "bench", name]
    size = _size(name)
    if size is not None:
        command += ["--size", str(size)]
    started = time.monotonic()
    done = subprocess.run(command, stdout=subprocess.PIPE, check=False)
    lines = done.stdout.decode().strip().splitlines()
    if done.returncode != 0 or not lines:
        result: dict[str, Any] = {"benchmark": name, "failed": f"exit status {done.returncode}"}
    else:
        result = json.loads(lines[-1])
    result["wall_seconds"] = round(time.monotonic() - started, 1)
    result["ended_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    return result


def saved(names: list[str]) -> list[dict[str, Any]]:
    """The results on disk of the benchmarks named, in their order; missing ones are left out."""
    found = [RESULTS / f"{name}.json" for name in names]
    return [json.loads(path.read_text(encoding="utf-8")) for path in found if path.exists()]


def main(names: list[str], write: Path | None, table_only: bool) -> None:
    if table_only:
        if write:
            write_markdown(saved(names), write)
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    results = []
    for name in names:
        result = run_one(name)
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
        print(json.dumps(result), flush=True)
        results.append(result)
    if write:
        write_markdown(results, write)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", default=list(BENCHMARKS))
    parser.add_argument("--write", type=Path, default=None, help="write the Markdown table here")
    parser.add_argument("--table-only", action="store_true", help="run nothing: table from bench/results")
    args = parser.parse_args()
    main(args.names, args.write, args.table_only)
