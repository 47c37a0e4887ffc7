"""Music generation: tokenizer, model, pipeline, training (and the VQ-VAE transform).

    >>> from studio.music import generate
    >>> r = generate("tender", bars=16, seed=7)
    >>> r.save("outputs/tender")

Names are imported lazily so ``import studio.music`` does not load torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "generate": "studio.music.oneshot",
    "bars_for_seconds": "studio.music.oneshot",
    "default_pipeline": "studio.music.generators",
    "MusicPipeline": "studio.music.pipeline",
    "Piece": "studio.music.pipeline",
    "MusicResult": "studio.music.result",
    "MusicTokenizer": "studio.music.tokenizer",
    "MusicTransformer": "studio.music.model",
    "MusicGenConfig": "studio.music.model",
    "transform": "studio.music.transform",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'studio.music' has no attribute {name!r}")
    value = getattr(importlib.import_module(mod), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
