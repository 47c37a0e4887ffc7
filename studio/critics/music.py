"""The music-emotion critic: a symbolic piece -> valence, arousal, quadrant probabilities, confidence.

Trained on EMOPIA (piano clips labelled with Russell quadrants Q1-Q4). A piece becomes the feature
vector of :mod:`studio.critics.music_features`; an ensemble of a multinomial logistic regression and gradient-boosted
trees (exported to plain arrays, no pickles) gives quadrant probabilities, temperature-scaled on the validation split.
Inference is numpy only; training (``fit``) uses scikit-learn.

Valence and arousal are read off the quadrant probabilities::

    V = P(Q1) + P(Q4) - P(Q2) - P(Q3)        A = P(Q1) + P(Q2) - P(Q3) - P(Q4)

Confidence starts from the normalised margin of the top quadrant and is cut for input the critic
was not trained on: few notes, no pitched notes (drums only), features far outside the training
range. Such input gets a defined low-confidence reading, not an error; unreadable or oversized files
raise ``ValueError``.

Fit and ship::

    python -m studio.critics.music fit --out checkpoints/music-critic
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from studio.critics.base import Reading
from studio.critics.music_features import FEATURE_NAMES, NUM_FEATURES, note_features
from studio.errors import user_errors

MAX_FILE_BYTES = 16 * 1024 * 1024  # a 16 MB MIDI is hours of dense music; refuse rather than hang
MAX_ANALYSIS_SECONDS = 600.0  # longer pieces are judged on their first ten minutes
MAX_NOTES = 60_000
MIN_NOTES = 24  # below this a reading is a guess: confidence is scaled down and the critic abstains
OUTLIER_Z = 6.0
CRITIC_NAME = "music-critic"

_SIGN_V = np.array([1.0, -1.0, -1.0, 1.0])  # Q1..Q4
# Velocity features, and the values they take when every velocity is equal (hand-entered / generated files).
VELOCITY_FEATURES = {"velocity_cv": 0.0, "velocity_flat": 1.0, "velocity_accent_share": 0.0, "velocity_pitch_corr": 0.0}
FLAT_PREFIX = "flat."  # weights of the equal-velocity path carry this prefix
_SIGN_A = np.array([1.0, 1.0, -1.0, -1.0])


# --------------------------------------------------------------------------- input
def load_score(x: Any):
    """Read a piece into a ``symusic.Score``.

    Args:
        x: a MIDI path (str/PathLike), MIDI bytes, a ``symusic.Score``, or any object with a
            ``.score`` attribute holding one (``MusicResult``).

    Raises:
        TypeError: unsupported input type. FileNotFoundError: missing path.
        ValueError: empty, oversized or unreadable MIDI.
    """
    import symusic

    if hasattr(x, "score") and not isinstance(x, (str, bytes, os.PathLike)):
        x = x.score
    from studio.attributes.music import check_score

    if isinstance(x, symusic.Score):
        return check_score(x)
    if isinstance(x, (bytes, bytearray, memoryview)):
        data = bytes(x)
        where = "MIDI bytes"
    elif isinstance(x, (str, os.PathLike)):
        p = Path(x)
        if not p.exists():
            raise FileNotFoundError(f"no such MIDI file: {p}")
        if p.is_dir():
            raise ValueError(f"{p} is a folder; give a .mid/.midi file")
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ValueError(f"{p} is {size / 1e6:.1f} MB; MIDI files up to {MAX_FILE_BYTES // 2**20} MB are accepted")
        data = p.read_bytes()
        where = str(p)
    else:
        raise TypeError(
            f"cannot judge {type(x).__name__} as music; give a MIDI path, MIDI bytes, a symusic.Score or a MusicResult"
        )
    if not data:
        raise ValueError(f"{where} is empty (0 bytes); give a standard MIDI file")
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"{where} is {len(data) / 1e6:.1f} MB; up to {MAX_FILE_BYTES // 2**20} MB are accepted")
    if not data.startswith(b"MThd"):
        raise ValueError(f"{where} is not a standard MIDI file (no 'MThd' header)")
    try:
        score = symusic.Score.from_midi(data)
    except Exception as e:  # symusic raises plain RuntimeError/IndexError on corrupt files
        raise ValueError(f"{where} could not be read as MIDI ({e}); give a standard MIDI file") from e
    return check_score(score, where)


def pitched_notes(score, max_seconds: float = MAX_ANALYSIS_SECONDS) -> tuple[np.ndarray, dict]:
    """Pitched notes in seconds and what was left out.

    Args:
        score: a ``symusic.Score`` (any time unit).
        max_seconds: notes starting later than this are ignored.

    Returns:
        ``notes`` ``[N, 4]`` float64 ``(onset_s, duration_s, pitch, velocity)`` sorted by onset,
        and ``info`` with ``drum_notes``, ``tracks``, ``truncated`` (bool) and ``seconds``.
    """
    s = score.to("second") if str(score.ttype).lower() != "second" else score
    arrs, drum = [], 0
    for tr in s.tracks:
        if tr.is_drum:
            drum += len(tr.notes)
            continue
        if len(tr.notes) == 0:
            continue
        d = tr.notes.numpy()
        arrs.append(np.stack([d["time"], d["duration"], d["pitch"], d["velocity"]], 1).astype(np.float64))
    notes = np.concatenate(arrs) if arrs else np.zeros((0, 4))
    notes = notes[np.argsort(notes[:, 0], kind="stable")]
    total = float((notes[:, 0] + notes[:, 1]).max()) if len(notes) else 0.0
    keep = notes[:, 0] < max_seconds
    truncated = not keep.all()
    notes = notes[keep][:MAX_NOTES]
    truncated = truncated or int(keep.sum()) > MAX_NOTES
    return notes, {"drum_notes": drum, "tracks": len(s.tracks), "truncated": truncated, "seconds": round(total, 2)}


# --------------------------------------------------------------------------- model
@dataclass
class MusicCriticConfig:
    """What the checkpoint's ``config.json`` holds (weights live in ``model.safetensors``).

    Attributes:
        lr_weight: share of the logistic regression in the ensemble; the rest is the boosted trees.
        temperature: divides the ensemble's log-probabilities (fitted on the validation split).
    """

    feature_names: list[str] = field(default_factory=lambda: list(FEATURE_NAMES))
    lr_weight: float = 0.3
    temperature: float = 1.0
    version: str = "music-critic-1"
    trained_on: str = "EMOPIA train split"
    hyper: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)


class MusicCritic:
    """Quadrant classifier over symbolic features: logistic regression + gradient-boosted trees.

    Args:
        config: :class:`MusicCriticConfig`.
        weights: ``mean [F]``, ``std [F]``, ``lr_W [F, 4]``, ``lr_b [4]`` (on standardised
            features) and the trees (on raw features): ``tree_feature [K]``, ``tree_threshold [K]``,
            ``tree_left [K]``, ``tree_right [K]`` (global node indices), ``tree_leaf [K]``,
            ``tree_value [K]``, ``tree_roots [I, 4]`` (root node of iteration i, class c) and
            ``tree_baseline [4]``; no trees is allowed (``tree_roots`` of shape ``[0, 4]``).
            Optionally the same arrays again under ``flat.`` (:data:`FLAT_PREFIX`): the equal-velocity
            path, fitted with every velocity feature set to its flat value, which reads pieces whose
            velocities are all equal (a loud/soft spread it never saw cannot move it either way).
    """

    def __init__(self, config: MusicCriticConfig, weights: dict[str, np.ndarray]):
        if list(config.feature_names) != list(FEATURE_NAMES):
            raise ValueError(
                "checkpoint was fitted on a different feature set; refit with `python -m studio.critics.music fit`"
            )
        self.config = config
        self.w = {k: np.asarray(v) for k, v in weights.items()}

    # -- persistence
    @classmethod
    def from_pretrained(cls, path: str | os.PathLike | None = None) -> MusicCritic:
        from safetensors.numpy import load_file

        from studio.paths import checkpoint

        p = Path(path) if path is not None else checkpoint(CRITIC_NAME)
        if not (p / "config.json").is_file():
            raise FileNotFoundError(
                f"no music-critic checkpoint at {p}; fit one with `python -m studio.critics.music fit`"
            )
        cfg = MusicCriticConfig(**json.loads((p / "config.json").read_text()))
        return cls(cfg, load_file(str(p / "model.safetensors")))

    def save_pretrained(self, path: str | os.PathLike) -> Path:
        from safetensors.numpy import save_file

        from studio.io import atomic_path, write_json_atomic

        p = Path(path)
        p.mkdir(parents=True, exist_ok=True)
        with atomic_path(p / "model.safetensors") as tmp:
            save_file({k: np.ascontiguousarray(v) for k, v in self.w.items()}, str(tmp))
        write_json_atomic(p / "config.json", asdict(self.config))
        return p

    # -- inference
    @property
    def has_flat_path(self) -> bool:
        return f"{FLAT_PREFIX}lr_W" in self.w

    def _tree_logits(self, X: np.ndarray, w: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """Boosted-tree raw scores ``[B, 4]`` for raw features ``X [B, F]`` (trees of ``w``, default the main path)."""
        w = self.w if w is None else w
        roots = w["tree_roots"].astype(np.int64)
        if roots.size == 0:
            return np.zeros((len(X), 4))
        feat, thr = w["tree_feature"].astype(np.int64), w["tree_threshold"]
        left, right = w["tree_left"].astype(np.int64), w["tree_right"].astype(np.int64)
        leaf, value = w["tree_leaf"].astype(bool), w["tree_value"]
        node = np.broadcast_to(roots.reshape(1, -1), (len(X), roots.size)).copy()  # [B, I*4]
        rows = np.arange(len(X))[:, None]
        for _ in range(64):  # depth bound; trees here are a handful of levels deep
            inner = ~leaf[node]
            if not inner.any():
                break
            go_left = X[rows, feat[node]] <= thr[node]
            node = np.where(inner, np.where(go_left, left[node], right[node]), node)
        out = value[node].reshape(len(X), -1, 4).sum(1)
        return out + w["tree_baseline"]

    def _path_logits(self, X: np.ndarray, w: dict[str, np.ndarray]) -> np.ndarray:
        z = (X - w["mean"]) / w["std"]
        p_lr = _softmax(z @ w["lr_W"] + w["lr_b"])
        p_tree = _softmax(self._tree_logits(X, w))
        lw = self.config.lr_weight
        return np.log(np.clip(lw * p_lr + (1 - lw) * p_tree, 1e-9, 1.0))

    def logits(self, features: np.ndarray) -> np.ndarray:
        """Log of the ensemble's quadrant probability before temperature.

        Pieces whose velocities are all equal (``velocity_flat`` 1) go through the equal-velocity
        path when the checkpoint has one; the rest through the main path.

        Args:
            features: ``[B, F]`` raw feature vectors.

        Returns:
            ``[B, 4]`` log-probabilities (Q1..Q4).
        """
        X = np.atleast_2d(features).astype(np.float64)
        out = self._path_logits(X, self.w)
        if self.has_flat_path:
            flat = X[:, FEATURE_NAMES.index("velocity_flat")] >= 0.5
            if flat.any():
                n = len(FLAT_PREFIX)
                wf = {k[n:]: v for k, v in self.w.items() if k.startswith(FLAT_PREFIX)}
                out[flat] = self._path_logits(neutral_velocity(X[flat]), wf)
        return out

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """Calibrated quadrant probabilities ``[B, 4]`` for raw features ``[B, F]``."""
        return _softmax(self.logits(features) / self.config.temperature)

    def out_of_range(self, features: np.ndarray) -> list[str]:
        """Names of features outside what the critic was trained on.

        A feature is out of range when it lies more than one training SD beyond the range seen in
        training (augmented copies included), or, for checkpoints without stored ranges, more than
        ``OUTLIER_Z`` SDs from the training mean.
        """
        z = (np.asarray(features, dtype=np.float64) - self.w["mean"]) / self.w["std"]
        if "feature_lo" in self.w:
            bad = (z < self.w["feature_lo"] - 1.0) | (z > self.w["feature_hi"] + 1.0)
        else:
            bad = np.abs(z) > OUTLIER_Z
        return [FEATURE_NAMES[i] for i in np.flatnonzero(bad)]

    def __call__(self, x: Any) -> Reading:
        """Judge one piece (MIDI path, bytes, ``symusic.Score`` or ``MusicResult``)."""
        score = load_score(x)
        notes, info = pitched_notes(score)
        warnings = []
        if info["truncated"]:
            warnings.append(f"judged on the first {MAX_ANALYSIS_SECONDS:.0f} s / {MAX_NOTES} notes only")
        if len(notes) == 0:
            why = "drum-only piece" if info["drum_notes"] else "no notes"
            return Reading(
                0.0,
                0.0,
                0.0,
                {q: 0.25 for q in range(1, 5)},
                "music",
                self.config.version,
                details={
                    "warning": f"{why}: the critic reads pitched music only",
                    **info,
                    "abstain": True,
                    "abstain_reasons": [why],
                },
            )
        feats = note_features(notes, _attributes(score))
        p = self.predict_proba(feats[None])[0]
        conf = float((p.max() - 0.25) / 0.75) ** 0.5
        abstain = []
        if len(notes) < MIN_NOTES:
            conf *= len(notes) / MIN_NOTES
            warnings.append(f"only {len(notes)} notes; readings under {MIN_NOTES} notes are unreliable")
            abstain.append("too few notes")
        out = self.out_of_range(feats)
        if out:
            conf *= 0.6 ** len(out)
            warnings.append(f"feature(s) outside the training range: {', '.join(out)}")
            abstain.append("features outside what the critic was trained on")
        if info["drum_notes"] > len(notes):
            conf *= 0.5
            warnings.append("mostly drums; the critic was trained on solo piano")
            abstain.append("mostly drums")
        min_prob = float(self.config.hyper.get("min_prob", 0.0))
        if p.max() < min_prob:
            abstain.append(f"low confidence (top quadrant p {p.max():.2f} < {min_prob:.2f})")
        details = {"notes": int(len(notes)), **info, "abstain": bool(abstain)}
        if abstain:
            details["abstain_reasons"] = abstain
        if warnings:
            details["warning"] = "; ".join(warnings)
        return Reading(
            valence=float(p @ _SIGN_V),
            arousal=float(p @ _SIGN_A),
            confidence=float(np.clip(conf, 0.0, 1.0)),
            quadrant_probs={q + 1: float(p[q]) for q in range(4)},
            kind="music",
            critic=self.config.version,
            details=details,
        )


def abstains(reading: Reading) -> bool:
    """Whether the music critic declined to vouch for ``reading`` (unknown input or low confidence)."""
    return bool(reading.details.get("abstain", False))


def neutral_velocity(X: np.ndarray) -> np.ndarray:
    """A copy of features ``[B, F]`` with every velocity feature at its equal-velocity value."""
    X = np.array(X, dtype=np.float64, copy=True)
    for name, value in VELOCITY_FEATURES.items():
        X[..., FEATURE_NAMES.index(name)] = value
    return X


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@lru_cache(maxsize=1)
def default_critic() -> MusicCritic:
    return MusicCritic.from_pretrained()


@user_errors
def judge_music(x: Any, critic: MusicCritic | None = None) -> Reading:
    """Reading of a piece by the released critic (or ``critic``)."""
    return (critic or default_critic())(x)


def _attributes(score: Any):
    """The shared music attributes of a piece (:func:`studio.attributes.music.extract_attributes`)."""
    from studio.attributes.music import extract_attributes

    return extract_attributes(score)


def features_of(x: Any) -> np.ndarray:
    """Feature vector ``[F]`` of a piece (zeros if it has no pitched notes)."""
    score = load_score(x)
    notes, _ = pitched_notes(score)
    return note_features(notes, _attributes(score)) if len(notes) else np.zeros(NUM_FEATURES, np.float32)


if __name__ == "__main__":
    from studio.critics.music_fit import main

    raise SystemExit(main())

__all__ = ["MusicCritic", "MusicCriticConfig", "abstains", "judge_music", "load_score", "pitched_notes", "features_of"]
