"""List functions longer than a threshold (default 80 lines), longest first.

    python tools/long_functions.py [--max 80] [PATH ...]      (default PATH: studio app.py)

A function's length is its ``def`` line through its last line (docstring included); nested functions
are listed on their own and also count toward the function that holds them.
"""

from __future__ import annotations

import argparse
import ast
from pathlib import Path


def _docstring_lines(fn: ast.AST) -> int:
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        if isinstance(body[0].value.value, str):
            return body[0].end_lineno - body[0].lineno + 1
    return 0


def long_functions(paths: list[str], limit: int) -> list[tuple[int, int, str, str]]:
    """``(lines, docstring lines, "path:line", qualified name)`` for every function over ``limit`` lines."""
    found = []
    files = [p for root in paths for p in ([Path(root)] if Path(root).is_file() else sorted(Path(root).rglob("*.py")))]
    for path in files:
        tree = ast.parse(path.read_text(), filename=str(path))
        stack: list[tuple[ast.AST, str]] = [(tree, "")]
        while stack:
            node, prefix = stack.pop()
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    name = f"{prefix}{child.name}"
                    if not isinstance(child, ast.ClassDef):
                        start = min([child.lineno] + [d.lineno for d in child.decorator_list])
                        n = child.end_lineno - start + 1
                        if n > limit:
                            found.append((n, _docstring_lines(child), f"{path}:{child.lineno}", name))
                    stack.append((child, name + "."))
                else:
                    stack.append((child, prefix))
    return sorted(found, reverse=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", default=["studio", "app.py"])
    ap.add_argument("--max", type=int, default=80, help="list functions longer than this many lines (default 80)")
    args = ap.parse_args()
    rows = long_functions(args.paths, args.max)
    print(f"{'lines':>5s} {'doc':>4s}  {'function':45s} where")
    for n, doc, where, name in rows:
        print(f"{n:5d} {doc:4d}  {name:45s} {where}")
    print(f"{len(rows)} functions over {args.max} lines")


if __name__ == "__main__":
    main()
