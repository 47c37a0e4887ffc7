"""docs/ARCHITECTURE.md describes the tree as it is: every module of the package is named there."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_module_is_named_in_the_architecture_page():
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    missing = [
        str(p.relative_to(ROOT))
        for p in sorted((ROOT / "studio").rglob("*.py"))
        if p.stem != "__init__" and p.stem not in words and p.name not in text
    ]
    assert not missing, f"modules docs/ARCHITECTURE.md does not describe: {missing}"
