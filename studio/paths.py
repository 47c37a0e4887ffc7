"""Where the studio finds its data and checkpoints.

* ``STUDIO_DATA``: the training/evaluation data folder (default ``../shared/data`` next to the
  project, when it exists). Only training, fitting and benchmarks need it; generation never does.
* ``STUDIO_CHECKPOINTS``: the released models (default ``checkpoints/`` at the project root).
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def data_root(required: bool = True) -> Path | None:
    """The data folder; raises ``FileNotFoundError`` with a hint if ``required`` and absent."""
    env = os.environ.get("STUDIO_DATA")
    p = Path(env) if env else PROJECT_ROOT.parent / "shared" / "data"
    if p.is_dir():
        return p
    if required:
        raise FileNotFoundError(
            f"training data folder not found at {p}; set STUDIO_DATA to the folder holding emopia/, pop909/, ... "
            "(only training, fitting and benchmarks need it)"
        )
    return None


def checkpoints_root() -> Path:
    env = os.environ.get("STUDIO_CHECKPOINTS")
    return Path(env) if env else PROJECT_ROOT / "checkpoints"


def checkpoint(name: str) -> Path:
    """Path of a released checkpoint folder, e.g. ``checkpoint('music-gen')``."""
    return checkpoints_root() / name
