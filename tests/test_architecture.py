"""The package's shape, as docs/design.md states it: imports run only downward.

The layer table is read from docs/design.md itself (between the ``layers``
markers), so the page and this test cannot drift apart.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from splitsched.paths import REPO_ROOT

PACKAGE = REPO_ROOT / "splitsched"
DESIGN = REPO_ROOT / "docs" / "design.md"


def layer_table() -> dict[str, int]:
    """Unit -> layer number, from the fenced block between the layer markers."""
    text = DESIGN.read_text()
    block = text.split("<!-- layers: begin -->", 1)[1].split("<!-- layers: end -->", 1)[0]
    table: dict[str, int] = {}
    for number, names in re.findall(r"^layer (\d+): (.+)$", block, flags=re.M):
        for name in names.split():
            assert name not in table, f"{name} listed twice in docs/design.md"
            table[name] = int(number)
    return table


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit_of(module: str) -> str | None:
    """``splitsched.solvers.dp`` -> ``solvers``; the package itself -> None."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def project_imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, imported module, imported names) of every project import, at any depth."""
    found: list[tuple[int, str, list[str]]] = []
    tree = ast.parse(path.read_text(), filename=str(path))
    # Imports under `if TYPE_CHECKING:` never run (the package root's lazy public names).
    typing_only = {id(n) for top in ast.walk(tree) if isinstance(top, ast.If)
                   and isinstance(top.test, ast.Name) and top.test.id == "TYPE_CHECKING"
                   for n in ast.walk(top)}
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] == "splitsched":
            found.append((node.lineno, node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name, []) for a in node.names
                      if a.name.split(".")[0] == "splitsched"]
    return found


def source_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_unit_has_a_layer() -> None:
    table = layer_table()
    units = {unit_of(module_name(p)) for p in source_files()} - {None}
    assert units <= set(table), f"units missing from docs/design.md: {units - set(table)}"
    assert set(table) <= units, f"docs/design.md names no such unit: {set(table) - units}"


def test_imports_only_run_downward() -> None:
    """No module imports a unit of its own layer (other than itself) or of a higher one."""
    table = layer_table()
    upward = []
    for path in source_files():
        here = unit_of(module_name(path))
        for line, target, _ in project_imports(path):
            there = unit_of(target)
            if here is None:
                upward.append(f"{path.name}:{line}: the package root imports {target}")
            elif there is None or there == here:
                continue
            elif table[there] >= table[here]:
                upward.append(f"{path.relative_to(REPO_ROOT)}:{line}: {here} (layer "
                              f"{table[here]}) imports {target} (layer {table[there]})")
    assert not upward, "\n".join(upward)


def test_the_problem_module_imports_nothing_of_the_project() -> None:
    assert project_imports(PACKAGE / "problem.py") == []
    assert project_imports(PACKAGE / "paths.py") == []


def test_the_cli_uses_only_public_names() -> None:
    private = [f"{path.relative_to(REPO_ROOT)}:{line}: {name} from {target}"
               for path in sorted((PACKAGE / "cli").glob("*.py"))
               for line, target, names in project_imports(path)
               if unit_of(target) != "cli"
               for name in names if name.startswith("_") and not name.startswith("__")]
    assert not private, "\n".join(private)


def test_only_the_cli_knows_typer_and_prints() -> None:
    offenders = []
    for path in source_files():
        if unit_of(module_name(path)) in ("cli", "__main__"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import | ast.ImportFrom):
                mods = [a.name for a in node.names] if isinstance(node, ast.Import) \
                    else [node.module or ""]
                offenders += [f"{path.name}:{node.lineno}: imports {m}" for m in mods
                              if m.split(".")[0] in ("typer", "rich", "click")]
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id == "print":
                offenders.append(f"{path.name}:{node.lineno}: print()")
    assert not offenders, "\n".join(offenders)


def test_importing_the_library_chooses_no_plot_backend() -> None:
    """Importing plot, the report and the CLI loads neither pyplot nor a backend."""
    code = ("import sys, splitsched.plot, splitsched.bench.report, splitsched.cli; "
            "print(sorted(m for m in sys.modules if m == 'matplotlib.pyplot' "
            "or m.startswith('matplotlib.backends.backend_')))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=REPO_ROOT)
    assert res.stdout.strip() == "[]", res.stdout
