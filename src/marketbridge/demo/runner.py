"""`marketbridge demo`: build the world on the embedded default and play the cycle, with a live display."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from rich.console import Console
from rich.live import Live
from rich.table import Table

from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.cycle import Play, Stage
from marketbridge.demo.world import open_world
from marketbridge.runtime.logging import configure
from marketbridge.runtime.settings import Settings
from marketbridge.store.crypto import SecretBox
from marketbridge.store.db import Database
from marketbridge.wiring import Hub

DEMO_DIR = Path("var") / "demo"
STAGES = 12


class DemoRunning(RuntimeError):
    """Another demo holds the demo directory: this one must not wipe it."""


@contextlib.contextmanager
def demo_lock(directory: Path) -> Iterator[None]:
    """Hold `<directory>.lock` (beside the directory, which is wiped) for as long as a demo runs.

    The lock is an advisory lock of the open file, so the system drops it when the holding
    process ends however it ends: a crashed demo leaves no stale lock behind.
    """
    directory.parent.mkdir(parents=True, exist_ok=True)
    with open(directory.parent / f"{directory.name}.lock", "a+", encoding="utf-8") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            raise DemoRunning(
                f"a demo (process {holder}) is running in {directory}; stop it (Ctrl-C) before starting another"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _table(stages: list[Stage], title: str) -> Table:
    table = Table(title=title, expand=False)
    table.add_column("stage")
    table.add_column("result")
    table.add_column("time", justify="right")
    table.add_column("what happened")
    for stage in stages:
        result = "[green]ok[/green]" if stage.ok else "[red]failed[/red]"
        detail = ", ".join(f"{k}={v}" for k, v in stage.counts.items()) if stage.ok else (stage.error or "")
        table.add_row(stage.name, result, f"{stage.seconds:.2f} s", detail)
    if len(stages) < STAGES:
        table.add_row("…", "[yellow]running[/yellow]", "", "")
    return table


async def run_demo(
    *, once: bool, as_json: bool, products: int, orders: int, port: int, left_open: int = 3
) -> bool:
    """Play the demo in var/demo/, which it wipes first; raises `DemoRunning` while another demo runs."""
    with demo_lock(DEMO_DIR):
        return await _run_demo(
            once=once, as_json=as_json, products=products, orders=orders, port=port, left_open=left_open
        )


async def _run_demo(
    *, once: bool, as_json: bool, products: int, orders: int, port: int, left_open: int
) -> bool:
    configure("warning", json=True)
    console = Console(stderr=as_json)
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    DEMO_DIR.mkdir(parents=True)
    db = Database(f"sqlite+aiosqlite:///{DEMO_DIR / 'hub.db'}")
    settings = Settings(var_dir=DEMO_DIR, allow_loopback_targets=True)  # the sandboxes run on loopback

    def hub_factory(database: Database) -> Hub:
        return Hub(settings=settings, db=database, box=SecretBox([Fernet.generate_key()]))

    catalog = build_catalog(products=products, seed=1)
    summary: dict[str, Any] = {}
    stages: list[Stage] = []
    live = Live(_table(stages, "marketbridge demo"), console=console, refresh_per_second=4, transient=False)
    if not as_json:
        console.print(
            f"starting the sandboxes and the hub ({products} products, {len(catalog.bundles)} bundles)…"
        )
    async with open_world(catalog, db, hub_factory=hub_factory, api_port=port, serve_api=True) as world:

        def on_stage(stage: Stage) -> None:
            stages.append(stage)
            if not as_json:
                live.update(_table(stages, "marketbridge demo"))

        play = Play(
            world,
            orders_per_marketplace=orders,
            left_open=left_open,
            labels_path=DEMO_DIR / "labels.pdf",
            on_stage=on_stage,
        )
        if as_json:
            summary = await play.run()
        else:
            with live:
                summary = await play.run()
        summary["dashboard"] = world.hub_url
        summary["labels_pdf"] = str(DEMO_DIR / "labels.pdf")
        summary["order_commands"] = {kind: await play.order_command(kind) for kind in sorted(world.markets)}
        if as_json:
            print(json.dumps(summary, indent=2))
        else:
            verdict = "[green]every stage succeeded[/green]" if play.ok else "[red]some stages failed[/red]"
            console.print(f"{verdict} in {summary['total_seconds']} s; labels: {summary['labels_pdf']}")
        if not once:
            for kind, url in summary["sandboxes"].items():
                waiting = ", ".join(summary["open_orders"].get(kind, [])) or "none"
                console.print(f"{kind} sandbox: {url}  (orders waiting to be packed: {waiting})")
                console.print(f"  place another order: {summary['order_commands'][kind]}", soft_wrap=True)
            console.print(f"dashboard: {world.hub_url}  (API key of the demo account: {world.api_key})")
            console.print("press Ctrl-C to stop")
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.Event().wait()
    return bool(summary.get("ok"))
