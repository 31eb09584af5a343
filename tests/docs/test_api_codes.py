"""Every error code the seller API answers is listed in docs/api.md (the operator API's in
docs/operating.md): a program can be written against the list without reading the code.

Codes are read from the source: the literal code of every `Problem(status, "code", ...)`,
`ActionRefused("code", ...)` and `code = "..."` assignment under src/marketbridge.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "marketbridge"
CODE = re.compile(r'\b(?:Problem\(\s*\d+,\s*|ActionRefused\(\s*)"([a-z][a-z0-9_]+)"')
ASSIGNED = re.compile(r"^\s*code = (.+)$", re.M)
LITERAL = re.compile(r'"([a-z][a-z0-9_]+)"')
DOC_OF = {"operator.py": ROOT / "docs" / "operating.md"}
API_DOC = ROOT / "docs" / "api.md"
#: Modules whose codes no client of the API sees (the sandboxes answer as the marketplaces do).
NOT_THE_API = ("sandbox", "channels", "benchmarks", "demo")


def raised_codes() -> dict[str, Path]:
    """code -> the document that must list it."""
    found: dict[str, Path] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        if path.relative_to(SOURCE).parts[0] in NOT_THE_API:
            continue
        text = path.read_text()
        assigned = [code for line in ASSIGNED.findall(text) for code in LITERAL.findall(line)]
        for code in [*CODE.findall(text), *assigned]:
            found[code] = DOC_OF.get(path.name, API_DOC)
    return found


def test_the_codes_are_found() -> None:
    codes = raised_codes()
    assert {"boxes_do_not_match", "marking_codes_missing", "required_meta_missing", "not_found"} <= set(codes)


def listed(code: str, doc: Path) -> bool:
    """Whether `code` appears in a code span of `doc` (alone, or as in `401 code`)."""
    return re.search(rf"`[^`\n]*\b{re.escape(code)}\b[^`\n]*`", doc.read_text()) is not None


def test_every_error_code_is_documented() -> None:
    missing = sorted(
        f"{code} (in {doc.name})" for code, doc in raised_codes().items() if not listed(code, doc)
    )
    assert not missing, f"error codes not listed: {', '.join(missing)}"
