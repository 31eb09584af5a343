"""The `marketbridge` command: serve, worker, database, accounts, sandboxes, sync, demo, bench."""

from __future__ import annotations

import asyncio
import sys

import typer

from marketbridge.cli.accounts import account_app
from marketbridge.cli.common import describe_database, make_hub, require_migrated
from marketbridge.cli.sandboxes import register_sandbox_commands, sandbox_app
from marketbridge.runtime.logging import configure as configure_logging
from marketbridge.runtime.settings import get_settings

app = typer.Typer(
    help="marketbridge: one API for the seller, many marketplaces behind it.", no_args_is_help=True
)
db_app = typer.Typer(
    help="Database schema: `upgrade` applies the migrations, `current` shows the revision, `reseal` seals every stored secret with the newest key.",
    no_args_is_help=True,
)
sync_app = typer.Typer(help="Sync runs: `run` runs one now, in this process.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(account_app, name="account")
app.add_typer(sync_app, name="sync")
app.add_typer(sandbox_app, name="sandbox")
register_sandbox_commands()


@app.command()
def serve(
    host: str | None = typer.Option(None, help="address to bind (default MB_HOST, 127.0.0.1)"),
    port: int | None = typer.Option(None, help="port (default MB_PORT, 8000)"),
    worker: bool = typer.Option(True, help="run the worker in this process (off when separate workers run)"),
) -> None:
    """Run the hub: seller API, push receivers, dashboard, and (by default) the worker."""
    from marketbridge.app import create_app
    from marketbridge.runtime.serving import (
        AnnouncingServer,
        run_loop,
        server_config,
        settle_garbage_collection,
    )

    settings = get_settings()
    hub = make_hub()

    bind_host, bind_port = host or settings.host, port or settings.port

    async def run() -> None:
        await require_migrated(hub)
        if worker:
            await hub.start_worker()

        def announce() -> None:
            settle_garbage_collection()  # uvicorn and the app have started: what they built stays
            shown = f"[{bind_host}]" if ":" in bind_host else bind_host
            typer.echo(f"marketbridge listening on http://{shown}:{bind_port}")
            typer.echo(f"database: {describe_database(hub.db.url)}")
            typer.echo(f"worker: {'in this process' if worker else 'none here (run `marketbridge worker`)'}")

        server = AnnouncingServer(server_config(create_app(hub), bind_host, bind_port), announce)
        try:
            await server.serve()
        finally:
            await hub.aclose()

    run_loop(run())


@app.command("worker")
def worker_command(
    metrics_port: int | None = typer.Option(
        None, min=1, max=65535, help="serve this worker's metrics at http://METRICS_HOST:PORT/metrics"
    ),
    metrics_host: str = typer.Option("127.0.0.1", help="address of the metrics port"),
) -> None:
    """Run a worker: the scheduler and the jobs, taking kicks from Redis (MB_REDIS_URL)."""
    import signal

    from marketbridge.runtime.metrics import serve_metrics

    settings = get_settings()
    if not settings.redis_url:
        typer.echo("note: MB_REDIS_URL is not set; this worker only sees work through the database", err=True)
    hub = make_hub()
    if metrics_port is not None:
        serve_metrics(metrics_port, metrics_host)
        typer.echo(f"worker metrics on http://{metrics_host}:{metrics_port}/metrics")

    async def run() -> None:
        await require_migrated(hub)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await hub.start_worker()
        settle_garbage_collection()
        typer.echo(f"worker {hub.worker_id} running")
        await stop.wait()
        await hub.aclose()

    from marketbridge.runtime.serving import run_loop, settle_garbage_collection

    run_loop(run())


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="target revision")) -> None:
    """Apply the migrations up to the newest schema."""
    hub = make_hub()

    async def run() -> str | None:
        await hub.db.upgrade(revision)
        current = await hub.db.current_revision()
        await hub.aclose()
        return current

    current = asyncio.run(run())
    typer.echo(f"database {describe_database(hub.db.url)} upgraded: at revision {current}")


@db_app.command("reseal")
def db_reseal() -> None:
    """Seal every stored credential and webhook secret again with the first key of MB_SECRET_KEY
    (after a key rotation; the old key may then be dropped)."""
    from marketbridge.store.keycheck import reseal_all

    hub = make_hub()

    async def run() -> tuple[int, list[str]]:
        await require_migrated(hub)
        try:
            report = await reseal_all(hub.db, hub.box)
        finally:
            await hub.aclose()
        return report.sealed, report.unreadable

    sealed, unreadable = asyncio.run(run())
    typer.echo(f"{sealed - len(unreadable)} of {sealed} secrets sealed with the first key")
    if unreadable:
        typer.echo(f"error: no configured key reads {', '.join(unreadable)}", err=True)
        raise typer.Exit(1)


@db_app.command("current")
def db_current() -> None:
    """Print the database's schema revision."""
    hub = make_hub()

    async def run() -> str | None:
        try:
            return await hub.db.current_revision()
        finally:
            await hub.aclose()

    typer.echo(asyncio.run(run()) or "empty (not migrated)")


@app.command()
def demo(
    once: bool = typer.Option(False, "--once", help="play the cycle once and exit (no dashboard afterwards)"),
    as_json: bool = typer.Option(False, "--json", help="print a JSON summary instead of the live display"),
    products: int = typer.Option(200, min=10, help="products in the demo shop"),
    orders: int = typer.Option(4, min=2, help="purchases per marketplace"),
    port: int = typer.Option(8000, help="port of the hub's API and dashboard"),
    left_open: int = typer.Option(
        3, min=0, max=5, help="orders per marketplace left open at the end, for you to pack"
    ),
) -> None:
    """Start the sandboxes and a hub, connect the demo shop, and play the whole cycle."""
    from marketbridge.demo.runner import DemoRunning, run_demo

    try:
        ok = asyncio.run(
            run_demo(
                once=once, as_json=as_json, products=products, orders=orders, port=port, left_open=left_open
            )
        )
    except DemoRunning as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    raise typer.Exit(0 if ok else 1)


@sync_app.command("run")
def sync_run(
    connection: int = typer.Option(..., help="connection id"),
    kind: str = typer.Option(
        ...,
        help="orders, new_orders, stocks, prices, catalog, returns, moderation, reconcile, price_import, stock_import",
    ),
) -> None:
    """Run one sync job now, in this process, with a progress display."""
    from marketbridge.cli.progress import run_with_progress
    from marketbridge.sync.dispatch import JobKind

    try:
        job = JobKind(kind)
    except ValueError as exc:
        raise typer.BadParameter(
            f"unknown kind {kind!r}; one of {', '.join(k.value for k in JobKind)}"
        ) from exc
    hub = make_hub()
    status = asyncio.run(run_with_progress(hub, connection, job))
    raise typer.Exit(0 if status in ("ok", "partial") else 1)


@app.command()
def bench(
    name: str = typer.Argument(
        ...,
        help="stock-latency, stock-throughput, price-latency, order-ingest, catalog-import, api-bulk, api-load, oversell, scale",
    ),
    as_json: bool = typer.Option(True, "--json/--pretty", help="print one JSON object (the default)"),
    size: int | None = typer.Option(
        None, help="offers (orders for order-ingest, connections for scale) instead of the full size"
    ),
    workers: int | None = typer.Option(None, min=1, help="worker processes (scale only; default 1)"),
) -> None:
    """Run one benchmark on loopback and print its figures."""
    import json

    from marketbridge.benchmarks.registry import BENCHMARKS

    runner = BENCHMARKS.get(name)
    if runner is None:
        raise typer.BadParameter(f"unknown benchmark {name!r}; one of {', '.join(BENCHMARKS)}")
    kwargs = {}
    if size is not None:
        kwargs[{"order-ingest": "orders", "scale": "connections"}.get(name, "offers")] = size
    if workers is not None:
        if name != "scale":
            raise typer.BadParameter("--workers is an option of the scale benchmark only")
        kwargs["workers"] = workers
    result = asyncio.run(runner(**kwargs))
    typer.echo(json.dumps(result, indent=None if as_json else 2, ensure_ascii=False))


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
