"""The MIDI generator's release files: ``model.safetensors`` (weights, the tied head left out),
``config.json`` (model config, condition bins, training record) and ``tokenizer.json``.

Loading needs nothing from training: :mod:`studio.music.pipeline` reads a checkpoint through here, and
:mod:`studio.music.train` writes one through here.
"""

from __future__ import annotations

import json
from pathlib import Path

from safetensors.torch import load_file, save_file

from studio.io import atomic_path, write_json_atomic

from .conditions import ConditionBins
from .model import MusicGenConfig, MusicTransformer
from .tokenizer import MusicTokenizer

MODEL_FILE = "model.safetensors"
CONFIG_FILE = "config.json"


def save_checkpoint(folder: Path, model, tok: MusicTokenizer, bins: ConditionBins, training: dict) -> None:
    """Write the release files atomically: weights, config (+bins, +training record), tokenizer."""
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous().clone() for k, v in model.state_dict().items() if k != "head.weight"}
    with atomic_path(folder / MODEL_FILE) as tmp:
        save_file(state, str(tmp), metadata={"format": "pt"})
    tok.save(folder)
    cfg = {
        "name": "music-gen",
        "version": training.get("version", "0.1.0"),
        "model": model.config.to_dict(),
        "conditions": bins.to_dict(),
        "training": training,
    }
    write_json_atomic(folder / CONFIG_FILE, cfg)


def load_model(folder: Path) -> tuple[MusicTransformer, dict]:
    cfg = json.loads((folder / CONFIG_FILE).read_text())
    model = MusicTransformer(MusicGenConfig.from_dict(cfg["model"]))
    state = load_file(str(folder / MODEL_FILE))
    state["head.weight"] = state["embed.weight"]
    model.load_state_dict(state)
    return model, cfg


# The smallest shape `studio train music --tiny` builds (a smoke run, not a release).
TINY_SHAPE = {"dim": 64, "layers": 2, "heads": 2, "context": 256}


def released_shape(folder: Path | None = None) -> dict:
    """The released checkpoint's model shape (dim, layers, heads, context) as its ``config.json`` records it,
    so a retrain builds what was released; the vocabulary size comes from the tokenizer at train time."""
    from studio.paths import checkpoint

    cfg = json.loads(((folder or checkpoint("music-gen")) / CONFIG_FILE).read_text())["model"]
    return {k: cfg[k] for k in ("dim", "layers", "heads", "context")}
