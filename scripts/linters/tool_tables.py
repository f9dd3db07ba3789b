"""Tool tables are read only by the ingest package that owns them, in SQL text too.

The import contract in pyproject.toml keeps every other module from importing a `tools.py`;
this catches the one way round it a contract cannot see: a tool table named in a string
(`text("select ... from copilot_user_day")`, `metadata.tables["m365_usage_snapshot"]`).
Tool tables are the `__tablename__`s of `gaplens/<package>/tools.py`, so a new one is covered
the day it is added. Docstrings and comments may name them; migrations must.
Usage: python scripts/linters/tool_tables.py
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "gaplens"
EXEMPT = ("gaplens/db/migrations/",)


def tool_tables(package: Path = PACKAGE) -> dict[str, str]:
    """Each tool table's name -> the folder of the package that owns it (`gaplens/work/`)."""
    owners: dict[str, str] = {}
    for module in sorted(package.glob("*/tools.py")):
        owner = module.parent.relative_to(package.parent).as_posix() + "/"
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "__tablename__" for t in node.targets)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                owners[node.value.value] = owner
    return owners


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings (a body's first bare string, and the
    bare string after an assignment, which this codebase uses to document attributes)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        for stmt in body:
            if (
                isinstance(stmt, ast.Expr)
                and isinstance(stmt.value, ast.Constant)
                and isinstance(stmt.value.value, str)
            ):
                found.add(id(stmt.value))
    return found


def findings(path: str, tree: ast.AST, owners: dict[str, str]) -> list[tuple[str, int]]:
    """(table, line) for every string outside its owner that names a tool table."""
    if path.startswith(EXEMPT):
        return []
    foreign = {table for table, owner in owners.items() if not path.startswith(owner)}
    if not foreign:
        return []
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, foreign))) + r")\b")
    docs = _docstrings(tree)
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            found += [(match, node.lineno) for match in pattern.findall(node.value)]
    return found


def scan(package: Path = PACKAGE) -> list[tuple[str, int, str]]:
    owners = tool_tables(package)
    result: list[tuple[str, int, str]] = []
    for module in sorted(package.rglob("*.py")):
        path = module.relative_to(package.parent).as_posix()
        tree = ast.parse(module.read_text(encoding="utf-8"), filename=path)
        result += [(path, line, table) for table, line in findings(path, tree, owners)]
    return result


def main() -> int:
    breaches = scan()
    for path, line, table in breaches:
        print(
            f"{path}:{line}: names the tool table '{table}': read the domain tables, or ask "
            "the package that owns it for a domain-level query (docs/architecture.md)"
        )
    return 1 if breaches else 0


if __name__ == "__main__":
    sys.exit(main())
