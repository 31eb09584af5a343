"""What the commands say about themselves: `serve` and `db upgrade` name the address and the
database (never its password), the help of each group names exactly its commands, and a second
demo refuses to wipe the directory of a running one."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from marketbridge.cli import app
from marketbridge.cli.common import describe_database
from marketbridge.demo.runner import DEMO_DIR, demo_lock
from marketbridge.runtime.serving import free_port

DYNAMIC_GROUPS = {"sandbox"}  # one command per registered sandbox: its help cannot list them


def test_a_printed_database_url_hides_its_password() -> None:
    shown = describe_database("postgresql+asyncpg://hub:s3cr3t-pw@127.0.0.1:5432/marketbridge")
    assert "s3cr3t-pw" not in shown
    assert "hub:***@127.0.0.1:5432/marketbridge" in shown
    assert describe_database("sqlite+aiosqlite:///var/x.db") == "SQLite file var/x.db"


def test_db_upgrade_says_which_database(workdir: Path) -> None:
    done = CliRunner().invoke(app, ["db", "upgrade"])
    assert done.exit_code == 0, done.output
    assert "database SQLite file var/marketbridge.db upgraded: at revision " in done.output


def _groups(group: TyperGroup, prefix: str = "") -> list[tuple[str, TyperGroup]]:
    found = [(prefix, group)]
    for name, command in group.commands.items():
        if isinstance(command, TyperGroup):
            found += _groups(command, f"{prefix} {name}".strip())
    return found


def test_each_group_help_names_exactly_its_commands() -> None:
    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    groups = [(path, g) for path, g in _groups(root) if path and path not in DYNAMIC_GROUPS]
    assert {path for path, _ in groups} >= {"db", "account", "account key", "sync"}
    for path, group in groups:
        named = set(re.findall(r"`([a-z-]+)`", group.help or ""))
        assert named == set(group.commands), f"`marketbridge {path} --help` names {named}"


def test_serve_prints_where_it_listens_and_its_database(workdir: Path) -> None:
    assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "marketbridge.cli", "serve", "--port", str(port), "--no-worker"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=dict(os.environ),
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while not any(line.startswith("worker:") for line in lines):
            assert proc.poll() is None and time.monotonic() < deadline, lines
            time.sleep(0.05)
        text = "".join(lines)
        assert f"listening on http://127.0.0.1:{port}" in text
        assert "database: SQLite file var/marketbridge.db" in text
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_second_demo_leaves_the_running_demo_alone(workdir: Path) -> None:
    DEMO_DIR.mkdir(parents=True)
    marker = DEMO_DIR / "hub.db"
    marker.write_text("the running demo's database")
    with demo_lock(DEMO_DIR):
        second = CliRunner().invoke(app, ["demo", "--once", "--json", "--products", "10"])
    assert second.exit_code == 1
    assert "a demo (process" in second.output and "is running" in second.output
    assert marker.read_text() == "the running demo's database"
