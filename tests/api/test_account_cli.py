"""The `account` commands: create an account, then create, list and revoke its keys."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from marketbridge.cli import app
from marketbridge.runtime.settings import get_settings


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh var/ directory and secret key; settings are read again for it."""
    for name in [k for k in os.environ if k.startswith("MB_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("MB_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


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
