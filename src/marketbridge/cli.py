"""The `marketbridge` command: serve, worker, database, accounts, sandboxes, sync, demo, bench."""

from __future__ import annotations

import asyncio
import inspect
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Optional, TypeVar

import structlog
import typer

from marketbridge.runtime.logging import configure as configure_logging
from marketbridge.runtime.settings import get_settings
from marketbridge.store.db import NotMigratedError

app = typer.Typer(
    help="marketbridge: one API for the seller, many marketplaces behind it.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema: apply migrations, show the revision.", no_args_is_help=True)
account_app = typer.Typer(help="Accounts (tenants) and their API keys.", no_args_is_help=True)
T = TypeVar("T")
log = structlog.get_logger()
app.add_typer(db_app, name="db")
sync_app = typer.Typer(help="Sync runs: run one now, list recent ones.", no_args_is_help=True)
app.add_typer(account_app, name="account")
app.add_typer(sync_app, name="sync")


def _hub() -> Hub:
    from marketbridge.wiring import Hub

    return Hub.from_settings(get_settings())


async def _require_migrated(hub: Hub, patience: float = 120.0) -> None:
    """Stop with a clear message (exit 2) when the database is behind the code's schema.

    A database that is busy or not reachable yet (a locked SQLite file, PostgreSQL still
    starting) is waited for, up to `patience` seconds, instead of ending the process.
    """
    from sqlalchemy.exc import DBAPIError

    deadline = time.monotonic() + patience
    while True:
        try:
            await hub.db.check_migrated()
            return
        except NotMigratedError as exc:
            typer.echo(f"error: {exc}", err=True)
            await hub.aclose()
            raise typer.Exit(2) from exc
        except (DBAPIError, OSError) as exc:
            if time.monotonic() > deadline:
                typer.echo(f"error: the database did not answer for {patience:.0f} s: {exc}", err=True)
                await hub.aclose()
                raise typer.Exit(1) from exc
            log.warning("database_not_ready", error=str(exc).splitlines()[0][:200])
            await asyncio.sleep(1.0)


@app.command()
def serve(
    host: str | None = typer.Option(None, help="address to bind (default MB_HOST, 127.0.0.1)"),
    port: int | None = typer.Option(None, help="port (default MB_PORT, 8000)"),
    worker: bool = typer.Option(True, help="run the worker in this process (off when separate workers run)"),
) -> None:
    """Run the hub: seller API, push receivers, dashboard, and (by default) the worker."""
    import uvicorn

    from marketbridge.app import create_app

    settings = get_settings()
    hub = _hub()

    async def run() -> None:
        await _require_migrated(hub)
        if worker:
            await hub.start_worker()
        config = uvicorn.Config(
            create_app(hub), host=host or settings.host, port=port or settings.port, log_level="warning"
        )
        try:
            await uvicorn.Server(config).serve()
        finally:
            await hub.aclose()

    asyncio.run(run())


@app.command("worker")
def worker_command() -> None:
    """Run a worker: the scheduler and the jobs, taking kicks from Redis (MB_REDIS_URL)."""
    import signal

    settings = get_settings()
    if not settings.redis_url:
        typer.echo("note: MB_REDIS_URL is not set; this worker only sees work through the database", err=True)
    hub = _hub()

    async def run() -> None:
        await _require_migrated(hub)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await hub.start_worker()
        typer.echo(f"worker {hub.worker_id} running")
        await stop.wait()
        await hub.aclose()

    asyncio.run(run())


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="target revision")) -> None:
    """Apply the migrations up to the newest schema."""
    hub = _hub()

    async def run() -> str | None:
        await hub.db.upgrade(revision)
        current = await hub.db.current_revision()
        await hub.aclose()
        return current

    typer.echo(f"database at revision {asyncio.run(run())}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's schema revision."""
    hub = _hub()

    async def run() -> str | None:
        try:
            return await hub.db.current_revision()
        finally:
            await hub.aclose()

    typer.echo(asyncio.run(run()) or "empty (not migrated)")


@account_app.command("create")
def account_create(name: str = typer.Argument(..., help="account name, unique")) -> None:
    """Create an account and print its first API key (shown once, stored hashed)."""
    from sqlalchemy.exc import IntegrityError

    from marketbridge.store import accounts

    hub = _hub()

    async def run() -> tuple[int, str]:
        try:
            await hub.db.check_migrated()
            async with hub.db.session() as s:
                account, raw = await accounts.create_account(s, name)
                return account.id, raw
        finally:
            await hub.aclose()

    try:
        account_id, raw = asyncio.run(run())
    except NotMigratedError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except IntegrityError as exc:
        typer.echo(f"error: an account named {name!r} exists already", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"account {name} (id {account_id})")
    typer.echo(f"API key (shown once, keep it safe): {raw}")


key_app = typer.Typer(help="API keys of an account: create, list, revoke.", no_args_is_help=True)
account_app.add_typer(key_app, name="key")


def _with_account(name: str, job: Callable[[AsyncSession, int], Awaitable[T]]) -> T:
    """Run `job(session, account_id)` in one transaction for the named account; exit 1 if there is none."""
    from marketbridge.store import accounts

    hub = _hub()

    async def run() -> T | None:
        try:
            await hub.db.check_migrated()
            async with hub.db.session() as s:
                account = await accounts.account_by_name(s, name)
                return None if account is None else await job(s, account.id)
        finally:
            await hub.aclose()

    try:
        result = asyncio.run(run())
    except NotMigratedError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if result is None:
        typer.echo(f"error: no account named {name!r}", err=True)
        raise typer.Exit(1)
    return result


@key_app.command("create")
def account_key_create(
    account: str = typer.Argument(..., help="account name"),
    scope: str = typer.Option("read", help="read (read-only) or write (read-write)"),
    label: str = typer.Option("", "--name", help="a name to recognise the key by"),
) -> None:
    """Create an API key and print it (shown once, stored hashed)."""
    from marketbridge.store import accounts

    if scope not in accounts.SCOPES:
        raise typer.BadParameter(f"scope must be one of {', '.join(accounts.SCOPES)}")

    async def job(s: AsyncSession, account_id: int) -> tuple[str, int]:
        raw, key = await accounts.create_key(s, account_id, scope, name=label)
        return raw, key.id

    raw, key_id = _with_account(account, job)
    typer.echo(f"key {key_id} ({scope}) for account {account}")
    typer.echo(f"API key (shown once, keep it safe): {raw}")


@key_app.command("list")
def account_key_list(account: str = typer.Argument(..., help="account name")) -> None:
    """List an account's API keys: id, prefix, scope, name, created, revoked (never the keys)."""
    from sqlalchemy import select

    from marketbridge.store.tables import ApiKey

    async def job(s: AsyncSession, account_id: int) -> list[str]:
        rows = (
            await s.execute(select(ApiKey).where(ApiKey.account_id == account_id).order_by(ApiKey.id))
        ).scalars()
        return [
            f"{k.id}\t{k.prefix}…\t{k.scope}\t{k.name or '-'}\t{k.created_at:%Y-%m-%d %H:%M}\t"
            + (f"revoked {k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "active")
            for k in rows
        ]

    for line in _with_account(account, job):
        typer.echo(line)


@key_app.command("revoke")
def account_key_revoke(
    account: str = typer.Argument(..., help="account name"),
    key_id: int = typer.Argument(..., help="key id, from `account key list`"),
) -> None:
    """Revoke an API key: it stops working at once."""
    from marketbridge.store import accounts

    async def job(s: AsyncSession, account_id: int) -> bool:
        return await accounts.revoke_key(s, account_id, key_id)

    if not _with_account(account, job):
        typer.echo(f"error: account {account} has no active key {key_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"key {key_id} revoked")


@app.command()
def demo(
    once: bool = typer.Option(False, "--once", help="play the cycle once and exit (no dashboard afterwards)"),
    as_json: bool = typer.Option(False, "--json", help="print a JSON summary instead of the live display"),
    products: int = typer.Option(200, min=10, help="products in the demo shop"),
    orders: int = typer.Option(4, min=2, help="purchases per marketplace"),
    port: int = typer.Option(8000, help="port of the hub's API and dashboard"),
) -> None:
    """Start the sandboxes and a hub, connect the demo shop, and play the whole cycle."""
    from marketbridge.demo.runner import run_demo

    ok = asyncio.run(run_demo(once=once, as_json=as_json, products=products, orders=orders, port=port))
    raise typer.Exit(0 if ok else 1)


@sync_app.command("run")
def sync_run(
    connection: int = typer.Option(..., help="connection id"),
    kind: str = typer.Option(
        ..., help="orders, stocks, prices, catalog, returns, moderation, reconcile, price_import"
    ),
) -> None:
    """Run one sync job now, in this process, with a progress display."""
    from marketbridge.sync.dispatch import JobKind
    from marketbridge.sync.progress import run_with_progress

    try:
        job = JobKind(kind)
    except ValueError as exc:
        raise typer.BadParameter(
            f"unknown kind {kind!r}; one of {', '.join(k.value for k in JobKind)}"
        ) from exc
    hub = _hub()
    status = asyncio.run(run_with_progress(hub, connection, job))
    raise typer.Exit(0 if status in ("ok", "partial") else 1)


@app.command()
def bench(
    name: str = typer.Argument(
        ..., help="stock-latency, stock-throughput, order-ingest, catalog-import, api-bulk, oversell"
    ),
    as_json: bool = typer.Option(True, "--json/--pretty", help="print one JSON object (the default)"),
    size: int | None = typer.Option(
        None, help="offers (or orders for order-ingest) instead of the full size"
    ),
) -> None:
    """Run one benchmark on loopback and print its figures."""
    import json

    from marketbridge.benchmarks.registry import BENCHMARKS

    runner = BENCHMARKS.get(name)
    if runner is None:
        raise typer.BadParameter(f"unknown benchmark {name!r}; one of {', '.join(BENCHMARKS)}")
    kwargs = {}
    if size is not None:
        kwargs["orders" if name == "order-ingest" else "offers"] = size
    result = asyncio.run(runner(**kwargs))
    typer.echo(json.dumps(result, indent=None if as_json else 2, ensure_ascii=False))


sandbox_app = typer.Typer(
    help="Run a local emulator of a marketplace's seller API: one command per registered sandbox.",
    no_args_is_help=True,
)
app.add_typer(sandbox_app, name="sandbox")


def _serve_sandbox(
    kind: str,
    *,
    port: int,
    host: str,
    demo_data: bool,
    no_limits: bool,
    push_url: str | None,
    given: dict[str, Any],
) -> None:
    from marketbridge.sandbox import registry
    from marketbridge.sandbox.common.server import serve as serve_sandbox

    spec = registry.get(kind)
    credentials = spec.make_credentials()
    credentials.update({k: str(v) for k, v in given.items() if v and k in spec.credential_options})
    application = spec.create_app(
        credentials=credentials, demo_data=demo_data, limits=not no_limits, push_url=push_url
    )
    typer.echo(f"{kind} sandbox on http://{host}:{port}")
    typer.echo(spec.describe(credentials))
    serve_sandbox(application, host=host, port=port)


def _sandbox_command(kind: str, credential_options: tuple[str, ...]) -> Callable[..., None]:
    """The `sandbox KIND` command, with one option per credential the sandbox declares."""

    def command(
        port: int, host: str, demo_data: bool, no_limits: bool, push_url: str | None, **given: Any
    ) -> None:
        _serve_sandbox(
            kind,
            port=port,
            host=host,
            demo_data=demo_data,
            no_limits=no_limits,
            push_url=push_url,
            given=given,
        )

    keyword = inspect.Parameter.KEYWORD_ONLY
    params = [
        inspect.Parameter(
            "port", keyword, default=typer.Option(8100, help="port to listen on"), annotation=int
        ),
        inspect.Parameter(
            "host",
            keyword,
            default=typer.Option("127.0.0.1", help="address to bind (loopback by default)"),
            annotation=str,
        ),
        inspect.Parameter(
            "demo_data",
            keyword,
            default=typer.Option(False, "--demo-data", help="start with a small demo shop"),
            annotation=bool,
        ),
        inspect.Parameter(
            "no_limits",
            keyword,
            default=typer.Option(False, "--no-limits", help="switch the marketplace's rate limits off"),
            annotation=bool,
        ),
        inspect.Parameter(
            "push_url",
            keyword,
            default=typer.Option(None, help="where to send push notifications, if the marketplace has them"),
            annotation=Optional[str],  # noqa: UP045 - typer reads this at run time
        ),
    ]
    for option in credential_options:
        params.append(
            inspect.Parameter(
                option,
                keyword,
                default=typer.Option(
                    None, help=f"the {option} to accept (a fresh one is made up when absent)"
                ),
                annotation=Optional[str],  # noqa: UP045 - typer reads this at run time
            )
        )
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    return command


def _register_sandbox_commands() -> None:
    from marketbridge.sandbox import registry

    for kind, spec in sorted(registry.load_all().items()):
        sandbox_app.command(
            name=kind, help=f"Run the {kind} sandbox (its seller API and /_sandbox/ control)."
        )(_sandbox_command(kind, spec.credential_options))


_register_sandbox_commands()


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from marketbridge.wiring import Hub

if __name__ == "__main__":
    main()
