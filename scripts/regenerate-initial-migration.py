"""Regenerate the initial migration from the table models (only while no release has shipped it)."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from marketbridge.store.db import MIGRATIONS_DIR, alembic_config

target = MIGRATIONS_DIR / "versions" / "0001_initial_schema.py"
target.unlink(missing_ok=True)
with tempfile.TemporaryDirectory() as tmp:
    url = f"sqlite:///{Path(tmp) / 'gen.db'}"
    with create_engine(url).begin() as conn:
        config = alembic_config(url)
        config.attributes["connection"] = conn
        command.revision(config, message="initial schema", autogenerate=True, rev_id="0001")
text = target.read_text()
text = text.replace("astext_type=Text()", "astext_type=sa.Text()")
text = re.sub(r"    # ### .*###\n", "", text)
text = re.sub(r"Create Date: .*", "Create Date: 2026-11-23", text)
text = text.replace("Revises: \n", "Revises:\n")
target.write_text(text)
ruff = Path(sys.executable).parent / "ruff"
subprocess.run([str(ruff), "check", "--fix", "-q", str(target)], check=False)
subprocess.run([str(ruff), "format", "-q", str(target)], check=False)
print(f"wrote {target.name}")
