"""`marketbridge account`: accounts (tenants), disabling and enabling them, and their API keys."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from marketbridge.cli.common import make_hub
from marketbridge.store.db import NotMigratedError

T = TypeVar("T")
account_app = typer.Typer(
    help="Accounts (tenants): `create`, `list`, `disable`, `enable`; their API keys under `key`.",
    no_args_is_help=True,
)


@account_app.command("create")
def account_create(name: str = typer.Argument(..., help="account name, unique")) -> None:
    """Create an account and print its first API key (shown once, stored hashed)."""
    from sqlalchemy.exc import IntegrityError

    from marketbridge.store import accounts

    async def create(s: AsyncSession) -> tuple[int, str]:
        account, raw = await accounts.create_account(s, name)
        return account.id, raw

    try:
        account_id, raw = _in_session(create)
    except IntegrityError as exc:
        typer.echo(f"error: an account named {name!r} exists already", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"account {name} (id {account_id})")
    typer.echo(f"API key (shown once, keep it safe): {raw}")


@account_app.command("list")
def account_list() -> None:
    """List every account: id, name, status, active keys, connections, created."""
    from marketbridge.store import accounts

    found = _in_session(accounts.list_accounts)
    typer.echo("id\tname\tstatus\tkeys\tconnections\tcreated")
    for a in found:
        typer.echo(
            f"{a.id}\t{a.name}\t{a.status}\t{a.active_keys}\t{a.connections}\t{a.created_at:%Y-%m-%d %H:%M}"
        )


def _set_disabled(name: str, disabled: bool) -> None:
    from marketbridge.store import accounts

    async def job(s: AsyncSession, account_id: int) -> bool:
        return await accounts.set_disabled(s, account_id, disabled)

    _with_account(name, job)
    typer.echo(f"account {name} {'disabled' if disabled else 'enabled'}")


@account_app.command("disable")
def account_disable(name: str = typer.Argument(..., help="account name")) -> None:
    """Disable an account: its API keys get 403, its connections stop syncing; nothing is deleted."""
    _set_disabled(name, True)


@account_app.command("enable")
def account_enable(name: str = typer.Argument(..., help="account name")) -> None:
    """Enable a disabled account again: its keys work and its connections sync as before."""
    _set_disabled(name, False)


key_app = typer.Typer(help="API keys of an account: `create`, `list`, `revoke`.", no_args_is_help=True)
account_app.add_typer(key_app, name="key")


def _in_session(job: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `job(session)` in one transaction on a migrated database; exit 2 when it is not."""
    hub = make_hub()

    async def run() -> T:
        try:
            await hub.db.check_migrated()
            async with hub.db.session() as s:
                return await job(s)
        finally:
            await hub.aclose()

    try:
        return asyncio.run(run())
    except NotMigratedError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def _with_account(name: str, job: Callable[[AsyncSession, int], Awaitable[T]]) -> T:
    """Run `job(session, account_id)` in one transaction for the named account; exit 1 if there is none."""
    from marketbridge.store import accounts

    async def for_account(s: AsyncSession) -> T | None:
        account = await accounts.account_by_name(s, name)
        return None if account is None else await job(s, account.id)

    result = _in_session(for_account)
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
