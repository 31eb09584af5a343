"""The `account` commands: create an account, then create, list and revoke its keys."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from marketbridge.cli import app


def test_account_key_commands(workdir: Path) -> None:
    runner = CliRunner()

    def cli(*args: str) -> Result:
        return runner.invoke(app, list(args))

    assert cli("db", "upgrade").exit_code == 0
    assert cli("account", "create", "shop").exit_code == 0
    made = cli("account", "key", "create", "shop", "--scope", "write", "--name", "erp")
    assert made.exit_code == 0, made.output
    key_id = re.search(r"key (\d+) \(write\)", made.output)
    raw = made.output.split(": ")[-1].strip()
    assert key_id and raw.startswith("mb_")
    listed = cli("account", "key", "list", "shop")
    assert listed.exit_code == 0
    lines = listed.output.strip().splitlines()
    assert len(lines) == 2 and all(line.endswith("active") for line in lines)
    assert "erp" in listed.output and raw not in listed.output
    assert cli("account", "key", "revoke", "shop", key_id.group(1)).exit_code == 0
    assert "revoked" in cli("account", "key", "list", "shop").output
    again = cli("account", "key", "revoke", "shop", key_id.group(1))
    assert again.exit_code == 1 and "no active key" in again.output
    missing = cli("account", "key", "list", "nobody")
    assert missing.exit_code == 1 and "no account" in missing.output
    assert cli("account", "key", "create", "shop", "--scope", "admin").exit_code != 0


def test_account_list_disable_enable(workdir: Path) -> None:
    runner = CliRunner()

    def cli(*args: str) -> Result:
        return runner.invoke(app, list(args))

    assert cli("db", "upgrade").exit_code == 0
    assert cli("account", "create", "shop").exit_code == 0
    assert cli("account", "create", "other").exit_code == 0
    listed = cli("account", "list")
    assert listed.exit_code == 0, listed.output
    rows = [line.split("\t") for line in listed.output.strip().splitlines()[1:]]
    assert [(r[1], r[2], r[3]) for r in rows] == [("shop", "active", "1"), ("other", "active", "1")]
    off = cli("account", "disable", "shop")
    assert off.exit_code == 0 and "disabled" in off.output
    rows = [line.split("\t") for line in cli("account", "list").output.strip().splitlines()[1:]]
    assert [(r[1], r[2], r[3]) for r in rows] == [("shop", "disabled", "1"), ("other", "active", "1")]
    assert cli("account", "enable", "shop").exit_code == 0
    assert "\tshop\tactive\t" in cli("account", "list").output
    missing = cli("account", "disable", "nobody")
    assert missing.exit_code == 1 and "no account" in missing.output
