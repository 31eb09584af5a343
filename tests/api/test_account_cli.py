"""The `account` commands: create an account, then create, list and revoke its keys."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet


def test_account_key_commands(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MB_")}
    env["MB_SECRET_KEY"] = Fernet.generate_key().decode()

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "marketbridge.cli", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert cli("db", "upgrade").returncode == 0
    assert cli("account", "create", "shop").returncode == 0
    made = cli("account", "key", "create", "shop", "--scope", "write", "--name", "erp")
    assert made.returncode == 0, made.stderr
    key_id = re.search(r"key (\d+) \(write\)", made.stdout)
    assert key_id and "mb_" in made.stdout
    listed = cli("account", "key", "list", "shop")
    assert listed.returncode == 0
    lines = listed.stdout.strip().splitlines()
    assert len(lines) == 2 and all(line.endswith("active") for line in lines)
    assert "erp" in listed.stdout and made.stdout.split(": ")[-1].strip() not in listed.stdout
    revoked = cli("account", "key", "revoke", "shop", key_id.group(1))
    assert revoked.returncode == 0
    again = cli("account", "key", "revoke", "shop", key_id.group(1))
    assert again.returncode == 1 and "no active key" in again.stderr
    missing = cli("account", "key", "list", "nobody")
    assert missing.returncode == 1 and "no account" in missing.stderr
