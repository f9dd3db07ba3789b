"""The privacy gate as the only door, as a rule `make test` checks (issue 12).

Outside `gaplens/privacy/` and `gaplens/releases/` (where releases are built and read):

- no comparison with a privacy threshold (`min_group_size`, `min_comment_group_size`,
  the floors) and no call of `group_is_shown` / `count_is_shown`: whether a group may be
  shown is decided by the gate, never again by a page or a service;
- no `PrivacyPolicy(...)` built by an adapter (`gaplens/web/`, `gaplens/cli.py`): one policy
  object is provided from one place;
- no adapter imports a `models` module, in any spelling (`from gaplens.x.models import T`,
  `import gaplens.x.models`, `from gaplens.x import models`): adapters render released
  figures through services and queries, and check roles against `accounts.schemas.StaffRole`.

The read paths that still compute per request are listed, with their counts, in
`privacy_door_allowed.txt`: a ratchet. A file over its allowance fails (a new way round the
gate); a file under it fails too, until the allowance is lowered, so the list only shrinks.
Usage: python scripts/linters/privacy_door.py [--write-allowance]
"""

from __future__ import annotations

import ast
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "gaplens"
ALLOWED = Path(__file__).with_name("privacy_door_allowed.txt")
EXEMPT = ("gaplens/privacy/", "gaplens/releases/", "gaplens/db/migrations/")
THRESHOLDS = {"min_group_size", "min_comment_group_size"}
FLOORS = {"MIN_GROUP_SIZE_FLOOR", "MIN_COMMENT_GROUP_SIZE_FLOOR"}
SHOWN_CALLS = {"group_is_shown", "count_is_shown"}


def is_adapter(path: str) -> bool:
    return path.startswith("gaplens/web/") or path == "gaplens/cli.py"


def _is_threshold(node: ast.expr, aliases: set[str]) -> bool:
    if isinstance(node, ast.Attribute) and node.attr in THRESHOLDS:
        return True
    return isinstance(node, ast.Name) and (node.id in FLOORS or node.id in aliases)


def _aliases(tree: ast.AST) -> set[str]:
    """Names bound to a threshold anywhere in the module (`k = policy.min_group_size`)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _is_threshold(node.value, set()):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def findings(path: str, tree: ast.AST) -> list[tuple[str, int]]:
    """(rule, line) for every breach in one module."""
    found: list[tuple[str, int]] = []
    aliases = _aliases(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(
            _is_threshold(part, aliases) for part in (node.left, *node.comparators)
        ):
            found.append(("threshold-compare", node.lineno))
        elif isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else None
            if isinstance(node.func, ast.Name):
                name = node.func.id
            if name in SHOWN_CALLS:
                found.append(("threshold-compare", node.lineno))
            elif name == "PrivacyPolicy" and is_adapter(path):
                found.append(("adapter-policy", node.lineno))
        elif isinstance(node, ast.Import | ast.ImportFrom) and is_adapter(path):
            found.extend(("adapter-imports-model", node.lineno) for _ in _model_imports(node))
    return found


def _is_models(module: str) -> bool:
    return module.startswith("gaplens.") and module.rsplit(".", 1)[-1] == "models"


def _model_imports(node: ast.Import | ast.ImportFrom) -> list[str]:
    """The table modules one import statement reaches: `from gaplens.x.models import T`,
    `import gaplens.x.models [as m]` and `from gaplens.x import models`."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if _is_models(alias.name)]
    if not node.module or node.level:
        return []
    if _is_models(node.module):
        return [node.module]
    return [
        f"{node.module}.{alias.name}"
        for alias in node.names
        if _is_models(f"{node.module}.{alias.name}")
    ]


def scan() -> dict[str, list[tuple[str, int]]]:
    result: dict[str, list[tuple[str, int]]] = {}
    for file in sorted(PACKAGE.rglob("*.py")):
        path = file.relative_to(ROOT).as_posix()
        if path.startswith(EXEMPT):
            continue
        found = findings(path, ast.parse(file.read_text(encoding="utf-8"), path))
        if found:
            result[path] = found
    return result


def counts(result: dict[str, list[tuple[str, int]]]) -> Counter[tuple[str, str]]:
    return Counter((path, rule) for path, found in result.items() for rule, _ in found)


def read_allowance() -> Counter[tuple[str, str]]:
    allowed: Counter[tuple[str, str]] = Counter()
    for line in ALLOWED.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            path, rule, count = line.split()
            allowed[(path, rule)] = int(count)
    return allowed


def write_allowance(current: Counter[tuple[str, str]]) -> None:
    lines = [
        "# Read paths that still decide privacy outside the gate (see privacy_door.py).",
        "# path rule count -- lower a count as a path moves to releases; never raise one.",
        *(f"{path} {rule} {n}" for (path, rule), n in sorted(current.items())),
    ]
    ALLOWED.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    result = scan()
    current = counts(result)
    if "--write-allowance" in argv:
        write_allowance(current)
        return 0
    allowed = read_allowance()
    problems = []
    for key in sorted(set(current) | set(allowed)):
        path, rule = key
        have, may = current.get(key, 0), allowed.get(key, 0)
        if have > may:
            lines = ", ".join(str(line) for r, line in result.get(path, []) if r == rule)
            problems.append(f"{path}: {rule} x{have}, allowed {may} (lines {lines})")
        elif have < may:
            problems.append(
                f"{path}: {rule} now x{have}, allowance {may}: lower it in {ALLOWED.name}"
            )
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
