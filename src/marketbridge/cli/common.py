"""What every command shares: building the hub and waiting for a migrated database."""

from __future__ import annotations

import asyncio
import time

import structlog
import typer

from marketbridge.runtime.settings import get_settings
from marketbridge.store.db import NotMigratedError
from marketbridge.store.keycheck import SecretKeyError
from marketbridge.wiring import Hub

log = structlog.get_logger()


def make_hub() -> Hub:
    return Hub.from_settings(get_settings())


def describe_database(url: str) -> str:
    """The database URL as it may be printed: the password masked, the SQLite file path kept."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite file {parsed.database or ':memory:'}"
    return parsed.render_as_string(hide_password=True)


async def require_migrated(hub: Hub, patience: float = 120.0) -> None:
    """Stop with a clear message (exit 2) when the database is behind the code's schema or
    holds encrypted data the secret key cannot read.

    A database that is busy or not reachable yet (a locked SQLite file, PostgreSQL still
    starting) is waited for, up to `patience` seconds, instead of ending the process.
    """
    from sqlalchemy.exc import DBAPIError

    deadline = time.monotonic() + patience
    while True:
        try:
            await hub.check_ready()
            return
        except (NotMigratedError, SecretKeyError) as exc:
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
