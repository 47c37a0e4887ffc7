"""Human VAD ratings for fitting and evaluating the text model (EmoBank sentences, Glasgow words).

Only ``tools/fit_text_vad.py``, the benchmark and ``data``-marked tests use this module; the
shipped model never reads the data folder. Both sources are mapped to [-1, 1]:

* Glasgow (1-9): ``(x - 5) / 4``. Senses of one word ("address (postal)", "address (speak to)")
  are averaged, since a user types the bare word. The held-out word split is every word whose
  CRC32 is 0 mod 5 (~20%, deterministic, no word in both halves).
* EmoBank (1-5): ``(x - 3) / 2 * stretch``. Its ratings crowd around 3 (std ~0.17 on [-1, 1]
  against ~0.45 for Glasgow words), so each axis is stretched about the scale midpoint by the ratio
  of the two training standard deviations (capped at 3), which puts sentences and words on one
  scale before they are fitted together. ``stretch`` is computed on the train splits only.
"""

from __future__ import annotations

import csv
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

AXES = ("valence", "arousal", "dominance")
MAX_STRETCH = 3.0


@dataclass
class Ratings:
    """Texts with VAD targets in [-1, 1] (before any stretch for EmoBank).

    Args:
        texts: N strings.
        vad: float array [N, 3].
    """

    texts: list[str]
    vad: np.ndarray

    def __len__(self) -> int:
        return len(self.texts)


def glasgow_is_test(word: str) -> bool:
    """The deterministic held-out Glasgow split: ~20% of words, hashed by the bare word."""
    return zlib.crc32(word.encode("utf-8")) % 5 == 0


def load_glasgow(root: Path, split: str) -> Ratings:
    """Glasgow words for ``split`` in {"train", "test", "all"}, senses averaged, on [-1, 1]."""
    by_word: dict[str, list[list[float]]] = {}
    with open(root / "glasgow" / "glasgow.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            word = r["word"].split(" (")[0].strip().lower()
            vad = [float(r["valence_mean"]), float(r["arousal_mean"]), float(r["dominance_mean"])]
            by_word.setdefault(word, []).append(vad)
    words = sorted(w for w in by_word if split == "all" or glasgow_is_test(w) == (split == "test"))
    vad = np.array([np.mean(by_word[w], axis=0) for w in words], np.float64)
    return Ratings(words, (vad - 5.0) / 4.0)


def load_emobank(root: Path, split: str) -> Ratings:
    """EmoBank sentences of the official ``split`` (train/dev/test) on ``(x - 3) / 2`` (no stretch)."""
    texts, vad = [], []
    with open(root / "emobank" / "emobank.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["split"] != split or not r["text"].strip():
                continue
            texts.append(r["text"].strip())
            vad.append([float(r["V"]), float(r["A"]), float(r["D"])])
    return Ratings(texts, (np.array(vad, np.float64) - 3.0) / 2.0)


def emobank_stretch(emobank_train: Ratings, glasgow_train: Ratings) -> np.ndarray:
    """Per-axis factor [3] that gives EmoBank's train ratings the spread of Glasgow's train words."""
    s = glasgow_train.vad.std(axis=0) / np.maximum(emobank_train.vad.std(axis=0), 1e-6)
    return np.clip(s, 1.0, MAX_STRETCH)


def pearson(pred: np.ndarray, gold: np.ndarray) -> list[float]:
    """Pearson r per axis for [N, 3] arrays."""
    return [float(np.corrcoef(pred[:, i], gold[:, i])[0, 1]) for i in range(gold.shape[1])]
