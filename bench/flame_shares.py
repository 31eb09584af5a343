"""Where a process's time goes, as numbers: a py-spy profile summed into named parts.

`py-spy record --gil --format raw` writes one line per distinct stack, `frame;frame;... count`,
each frame `function (file:line)`. Every stack is counted under the first part (in the order
given) whose pattern matches one of its frames, else under "other". With --gil only samples
that hold the interpreter lock are kept, so the shares are of the Python CPU time, not of
waiting.

    python -m bench.flame_shares PROFILE.txt --part 'name=regex' ... [--cpu-ms N]

With --cpu-ms (the process's CPU milliseconds over the profiled window, divided by the units
of work done in it), each share is also given in milliseconds per unit. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any


def parse_parts(specs: Sequence[str]) -> list[tuple[str, re.Pattern[str]]]:
    """`name=regex` pairs, in order; a spec without '=' is refused."""
    parts = []
    for spec in specs:
        name, sep, pattern = spec.partition("=")
        if not sep or not name or not pattern:
            raise ValueError(f"a part is name=regex, not {spec!r}")
        parts.append((name, re.compile(pattern)))
    return parts


def shares(lines: Iterable[str], parts: Sequence[tuple[str, re.Pattern[str]]]) -> Counter[str]:
    """Samples per part."""
    counts: Counter[str] = Counter()
    for line in lines:
        stack, _, number = line.rstrip("\n").rpartition(" ")
        if not stack or not number.isdigit():
            continue
        frames = stack.split(";")
        name = next((n for n, p in parts if any(p.search(f) for f in frames)), "other")
        counts[name] += int(number)
    return counts


def report(counts: Counter[str], order: Sequence[str], cpu_ms: float | None) -> dict[str, Any]:
    total = sum(counts.values())
    rows: dict[str, Any] = {}
    for name in [*order, "other"]:
        share = counts[name] / total if total else 0.0
        row: dict[str, Any] = {"share": round(share, 3)}
        if cpu_ms is not None:
            row["ms_per_unit"] = round(share * cpu_ms, 3)
        rows[name] = row
    return {"samples": total, "parts": rows}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile")
    parser.add_argument("--part", action="append", default=[], help="name=regex, first match wins")
    parser.add_argument("--cpu-ms", type=float, default=None, help="CPU ms per unit of work")
    args = parser.parse_args(argv)
    try:
        parts = parse_parts(args.part)
        with open(args.profile, encoding="utf-8") as profile:
            counts = shares(profile, parts)
    except (OSError, ValueError, re.error) as exc:
        print(f"flame_shares: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report(counts, [n for n, _ in parts], args.cpu_ms), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
