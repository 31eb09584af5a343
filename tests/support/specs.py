"""Where the official marketplace API descriptions are: specs/ in the repository (made by scripts/refresh-specs)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
SPECS_DIR = REPO_ROOT / "specs"


@cache
def load_json(relative: str) -> Any:
    return json.loads((SPECS_DIR / relative).read_text(encoding="utf-8"))


@cache
def load_yaml(relative: str) -> Any:
    return yaml.safe_load((SPECS_DIR / relative).read_text(encoding="utf-8"))
