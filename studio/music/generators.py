"""The music generators by name, and ``default_pipeline()``: each loaded once per process.

``MusicPipeline`` (studio/music/pipeline.py, the 0.3.0 REMI transformer) and ``LeadSheetPipeline``
(studio/music/structured/pipeline.py, the default) share one request contract (studio/music/request.py);
this module picks one by name or by a checkpoint's files and caches it. It lives in its own module, not in
pipeline.py, because pipeline.py imports torch and the training code while the default lead-sheet
generator needs neither: ``default_pipeline()`` imports only the generator it loads.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

# The generators by name: (module, class). The structure-first lead-sheet generator is the default; the
# REMI transformer (0.3.0) stays available by name.
GENERATORS = {
    "leadsheet": ("studio.music.structured.pipeline", "LeadSheetPipeline"),
    "transformer": ("studio.music.pipeline", "MusicPipeline"),
}
DEFAULT_GENERATOR = "leadsheet"
_PIPELINES: dict[tuple[str, str], Any] = {}


def generator_kind(path: str | Path) -> str:
    """Which generator a checkpoint folder holds (by its files)."""
    folder = Path(path)
    if (folder / "tables.safetensors").is_file():
        return "leadsheet"
    if (folder / "model.safetensors").is_file():
        return "transformer"
    raise FileNotFoundError(
        f"no music generator at {folder}: expected tables.safetensors (lead-sheet generator) or "
        "model.safetensors (transformer) beside config.json"
    )


def default_pipeline(path: str | Path | None = None, generator: str | None = None):
    """A generator loaded once per process (a warm second call costs no load).

    Args:
        path: a checkpoint folder (its files say which generator it is), or None for a released one.
        generator: ``"leadsheet"`` (default) or ``"transformer"`` when ``path`` is None.
    """
    if path is not None:
        kind = generator_kind(path)
    else:
        kind = generator or DEFAULT_GENERATOR
        if kind not in GENERATORS:
            raise ValueError(f"generator must be one of {sorted(GENERATORS)}, got {generator!r}")
    key = (kind, str(path))
    if key not in _PIPELINES:
        module, cls = GENERATORS[kind]
        _PIPELINES[key] = getattr(importlib.import_module(module), cls).from_pretrained(path)
    return _PIPELINES[key]


__all__ = ["GENERATORS", "DEFAULT_GENERATOR", "generator_kind", "default_pipeline"]
