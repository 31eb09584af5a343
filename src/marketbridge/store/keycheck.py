"""Does the configured secret key read what the database holds? Checked before a process starts;
and sealing everything again with the newest key (the last step of a key rotation).

A hub whose key was lost (the key file deleted, MB_SECRET_KEY changed without keeping the old
key) cannot read any stored credential or webhook secret: every connection and every webhook
would fail. `check_secret_key` tries every sealed value; when there are some and none of them
decrypts, the process refuses to start and says why. When only some are unreadable (a key
dropped too early during a rotation), it starts and names them: each failing connection or
delivery fails on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, update

from marketbridge.store.crypto import SecretBox
from marketbridge.store.db import Database
from marketbridge.store.tables import Connection, WebhookSubscription


class SecretKeyError(RuntimeError):
    """The database holds encrypted values and the configured keys read none of them."""


@dataclass
class KeyReport:
    sealed: int = 0
    unreadable: list[str] = field(default_factory=list)  # "connection 3", "webhook subscription 7"


async def read_report(db: Database, box: SecretBox) -> KeyReport:
    report = KeyReport()
    async with db.session() as s:
        sealed = [
            *(
                ("connection", i, v)
                for i, v in await s.execute(select(Connection.id, Connection.credentials))
            ),
            *(
                ("webhook subscription", i, v)
                for i, v in await s.execute(select(WebhookSubscription.id, WebhookSubscription.secret))
            ),
        ]
    for what, row_id, value in sealed:
        report.sealed += 1
        if not box.readable(value):
            report.unreadable.append(f"{what} {row_id}")
    return report


async def check_secret_key(db: Database, box: SecretBox) -> KeyReport:
    """The report; SecretKeyError when encrypted values exist and the keys read none of them."""
    report = await read_report(db, box)
    if report.sealed and len(report.unreadable) == report.sealed:
        raise SecretKeyError(
            f"the database holds {report.sealed} encrypted values (marketplace credentials, webhook "
            "secrets) and the configured secret key decrypts none of them: the key they were written "
            "with is missing. Restore it (MB_SECRET_KEY, or the key file in MB_VAR_DIR); while "
            "rotating, give the new and the old key comma-separated. Refusing to start."
        )
    return report


async def reseal_all(db: Database, box: SecretBox) -> KeyReport:
    """Seal every stored credential and webhook secret again with the newest key; the report
    counts them and names those no configured key reads (left as they are)."""
    report = KeyReport()
    for table, column, what in (
        (Connection, Connection.credentials, "connection"),
        (WebhookSubscription, WebhookSubscription.secret, "webhook subscription"),
    ):
        async with db.session() as s:
            rows = list(await s.execute(select(table.id, column)))
            for row_id, value in rows:
                report.sealed += 1
                try:
                    fresh = box.reseal(value)
                except ValueError:
                    report.unreadable.append(f"{what} {row_id}")
                    continue
                await s.execute(update(table).where(table.id == row_id).values({column.key: fresh}))
    return report
