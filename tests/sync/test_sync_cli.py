"""`marketbridge sync run` runs one job from the command line and reports its counts."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import select

from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.shopping import buy, orderable
from marketbridge.demo.world import open_world
from marketbridge.runtime.settings import Settings
from marketbridge.store import accounts
from marketbridge.store.crypto import SecretBox
from marketbridge.store.db import Database
from marketbridge.store.tables import Order, SyncRun
from marketbridge.wiring import Hub
from tests.support.workers import worker_env


async def test_sync_run_imports_orders_and_prints_counts(tmp_path: Path) -> None:
    key = Fernet.generate_key()
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}")
    catalog = build_catalog(products=10, seed=4, bundles=1)
    async with open_world(
        catalog,
        db,
        serve_api=False,
        hub_factory=lambda d: Hub(settings=Settings(), db=d, box=SecretBox([key])),
        # the in-process worker pushes stock so the buyer sees it, but never polls orders:
        # only the command line may import the order this test places
        connection_settings={"schedule": {"orders": 0}},
    ) as world:
        kind = sorted(world.markets)[0]
        market = world.markets[kind]
        ids = await buy(world, kind, [(orderable(world, 1)[0], 1)])
        await world.hub.stop_worker()  # only the command line works on it now
        env = worker_env(db.url, key.decode(), None)
        args = [
            sys.executable,
            "-m",
            "marketbridge.cli",
            "sync",
            "run",
            "--connection",
            str(market.connection_id),
        ]
        done = await asyncio.to_thread(
            subprocess.run, [*args, "--kind", "orders"], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "ok" in done.stdout and "created" in done.stdout
        bad = await asyncio.to_thread(
            subprocess.run, [*args, "--kind", "nonsense"], env=env, capture_output=True, text=True, timeout=60
        )
        assert bad.returncode == 2 and "unknown kind" in bad.stdout + bad.stderr
        strict = {k: v for k, v in env.items() if k != "MB_ALLOW_LOOPBACK_TARGETS"}
        refused_url = await asyncio.to_thread(
            subprocess.run,
            [*args, "--kind", "orders"],
            env=strict,
            capture_output=True,
            text=True,
            timeout=120,
        )
        # a job that cannot start says why and fails; it is not "nothing to do"
        assert refused_url.returncode == 1, refused_url.stdout + refused_url.stderr
        assert (
            "failed: HostNotAllowed" in refused_url.stdout and "allow_loopback_targets" in refused_url.stdout
        )
        async with db.session() as s:
            orders = (await s.execute(select(Order.external_id))).scalars().all()
            manual = (await s.execute(select(SyncRun).where(SyncRun.trigger == "manual"))).scalars().all()
        assert sorted(orders) == sorted(ids)
        assert manual and manual[-1].counts.get("created") == len(ids)
        async with db.session() as s:
            await accounts.set_disabled(s, world.account_id, True)
        refused = await asyncio.to_thread(
            subprocess.run, [*args, "--kind", "orders"], env=env, capture_output=True, text=True, timeout=120
        )
        assert refused.returncode == 1 and "is disabled" in refused.stdout, refused.stdout
        async with db.session() as s:
            after = (await s.execute(select(SyncRun).where(SyncRun.trigger == "manual"))).scalars().all()
        assert len(after) == len(manual)  # no run while the account is disabled
