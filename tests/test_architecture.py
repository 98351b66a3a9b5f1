"""The layering of docs/architecture.md, checked on every module's imports (also those inside
functions): domain ``yusuan`` < persistence ``storage`` < ``tasks`` < app ``flows``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# What each layer must never import (top-level package names).
FORBIDDEN = {
    "yusuan": {"prefect", "prefect_dask", "sqlalchemy", "alembic", "storage", "tasks", "flows"},
    "storage": {"prefect", "prefect_dask", "tasks", "flows"},
    "tasks": {"flows"},
    "flows": set(),
}
MAX_LINES = 400


def imported_packages(source: str) -> set[str]:
    """Top-level package names a module imports, wherever in the module the import is."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def violations(layer: str, root: Path = REPO) -> list[str]:
    found = []
    for path in sorted((root / layer).rglob("*.py")):
        bad = imported_packages(path.read_text(encoding="utf-8")) & FORBIDDEN[layer]
        found += [f"{path.relative_to(root)} imports {name}" for name in sorted(bad)]
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_each_layer_imports_only_the_layers_below_it(layer: str) -> None:
    assert violations(layer) == []


def test_the_check_sees_a_violation_inside_a_function(tmp_path: Path) -> None:
    module = tmp_path / "yusuan" / "extract" / "sneaky.py"
    module.parent.mkdir(parents=True)
    module.write_text("def f():\n    from storage.database import engine_for\n    import prefect\n", encoding="utf-8")
    assert violations("yusuan", tmp_path) == [
        "yusuan/extract/sneaky.py imports prefect",
        "yusuan/extract/sneaky.py imports storage",
    ]


def test_long_modules_say_why_at_their_top() -> None:
    """A module over ~400 lines opens with a docstring that names why it is long."""
    unexplained = []
    for layer in FORBIDDEN:
        for path in (REPO / layer).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if text.count("\n") <= MAX_LINES:
                continue
            docstring = ast.get_docstring(ast.parse(text)) or ""
            if "long" not in docstring.lower():
                unexplained.append(f"{path.relative_to(REPO)} ({text.count(chr(10))} lines)")
    assert unexplained == []
