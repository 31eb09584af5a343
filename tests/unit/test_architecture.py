"""The shape of the house: no import cycle, dependencies point inward, small modules,
no marketplace named outside its own packages."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from marketbridge.channels import registry as channel_registry
from marketbridge.sandbox import registry as sandbox_registry

SRC = Path(__file__).resolve().parents[2] / "src" / "marketbridge"
ROOT = SRC.parents[1]

#: What each layer may import of the others (model and runtime are the innermost).
ALLOWED: dict[str, set[str]] = {
    "model": set(),
    "runtime": {"model"},
    "channels": {"model", "runtime"},
    "store": {"model", "runtime"},
    "sandbox": {"model", "runtime", "channels"},
    "sync": {"model", "runtime", "channels", "store"},
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports() -> dict[str, set[str]]:
    modules = {
        _module_name(p): p for p in SRC.rglob("*.py") if "migrations" not in p.parts or p.name == "env.py"
    }
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base])
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            else:
                continue
            # a package's own __init__ runs before any of its modules: not an edge of the graph
            found |= {t for t in targets if t in modules and t != name and not name.startswith(f"{t}.")}
        graph[name] = found
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def _layer(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def test_the_import_graph_has_no_cycle() -> None:
    cycle = _cycle(_imports())
    assert cycle is None, " -> ".join(cycle or [])


def test_dependencies_point_inward() -> None:
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in _imports().items()
        for target in targets
        if _layer(module) in ALLOWED
        and _layer(target) != _layer(module)
        and _layer(target) not in ALLOWED[_layer(module)]
    )
    assert not wrong, "\n".join(wrong)


def test_no_module_over_400_lines() -> None:
    long = sorted(
        f"{p.relative_to(SRC)}: {n}"
        for p in SRC.rglob("*.py")
        if "versions" not in p.parts and (n := len(p.read_text(encoding="utf-8").splitlines())) > 400
    )
    assert not long, long


def test_every_module_says_its_job() -> None:
    silent = sorted(
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if "versions" not in p.parts and ast.get_docstring(ast.parse(p.read_text(encoding="utf-8"))) is None
    )
    assert not silent, silent


def test_no_marketplace_named_outside_its_packages() -> None:
    kinds = set(channel_registry.load_all()) | set(sandbox_registry.load_all())
    names = re.compile("|".join(sorted(k.replace("_", "[ _-]?") for k in kinds)), re.IGNORECASE)
    own = {k.replace("-", "_") for k in kinds}
    registries = {SRC / "channels" / "registry.py", SRC / "sandbox" / "registry.py"}
    found = []
    for folder in (SRC, ROOT / "tests", ROOT / "bench"):
        for path in folder.rglob("*.py"):
            rel = path.relative_to(ROOT).parts
            if path == Path(__file__) or any(part in own for part in rel):
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if names.search(line) and not (path in registries and "PACKAGES" in line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)
