"""A musical-quality critic: how much a piece looks like real piano music rather than generator output.

A logistic real-vs-generated discriminator on *structural* features only — nothing that carries the
emotion (no mode, register, tempo or density), so preferring "real-looking" pieces never pulls the
loop away from the emotion asked for. Real pieces are POP909 piano arrangements (16-bar windows)
and EMOPIA train clips, both round-tripped through the generator's REMI tokenizer so that the grid
and velocity levels (how the file was made) cannot give the answer; generated pieces are the
default pipeline's output over a spread of emotions.

``quality(score) -> float`` is P(real) in [0, 1]; ``QualityCritic.logit`` the log-odds. Fit::

    python -m studio.critics.music_quality fit [--pieces 160] [--out checkpoints/music-quality]

Refit whenever the generator changes: the discriminator describes *this* generator's weaknesses.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from studio.attributes.music import key_correlations, match_chords

NAME = "music-quality"
BAR_BEATS = 4.0
QUALITY_FEATURES = (
    "in_scale_share",  # notes in the estimated key's scale
    "pc_entropy",
    "key_strength",
    "chord_fit",  # mean cosine of each half-bar's chroma with its best chord template
    "no_chord_share",
    "bar_chroma_repeat",  # cosine of bar i's chroma with bar i+1 / i+2 / i+4 (harmonic rhythm)
    "bar_chroma_repeat_4",
    "bar_rhythm_repeat",  # share of bars whose onset pattern recurs within 4 bars
    "empty_bar_share",
    "density_cv",  # bar-to-bar variation of note count
    "step_share",
    "leap_share",
    "big_leap_share",  # top-voice leaps over an octave
    "repeat_share",
    "dissonance",  # minor 2nds / major 7ths / tritones among simultaneous pitch classes
    "cluster_share",  # onsets with 3+ notes within a whole tone of each other
    "duration_entropy",
    "offbeat_share",
    "notes_per_onset_cv",
    "overlap_share",  # same-pitch notes that overlap (stuck / doubled notes)
)
_MAJOR = np.array([0, 2, 4, 5, 7, 9, 11])
_MINOR = np.array([0, 2, 3, 5, 7, 8, 10, 11])


def _beats(score) -> dict[str, np.ndarray]:
    s = score if str(score.ttype).lower() == "tick" else score.to("tick")
    tpq = max(int(s.ticks_per_quarter), 1)
    parts = [t.notes.numpy() for t in s.tracks if not t.is_drum and len(t.notes)]
    if not parts:
        raise ValueError("the piece has no pitched notes")
    d = {k: np.concatenate([p[k] for p in parts]).astype(np.float64) for k in ("time", "duration", "pitch")}
    o = np.lexsort((d["pitch"], d["time"]))
    return {"on": d["time"][o] / tpq, "dur": np.maximum(d["duration"][o] / tpq, 1 / 32), "pitch": d["pitch"][o]}


def quality_features(score) -> np.ndarray:
    """Structural feature vector ``[len(QUALITY_FEATURES)]`` of a piece (beats, 4/4 bars)."""
    n = _beats(score)
    on, dur, pitch = n["on"], n["dur"], n["pitch"].astype(int)
    on = on - on.min()
    pc = np.bincount(pitch % 12, weights=dur, minlength=12)
    r = key_correlations(pc / pc.sum())
    mode, tonic = np.unravel_index(int(np.argmax(r)), r.shape)
    scale = (_MAJOR if mode == 0 else _MINOR) + tonic
    in_scale = float(np.isin(pitch % 12, scale % 12).mean())
    pcn = pc / pc.sum()
    entropy = float(-(pcn[pcn > 0] * np.log2(pcn[pcn > 0])).sum())

    n_bars = max(int(np.ceil((on + dur).max() / BAR_BEATS - 1e-6)), 1)
    bar = np.minimum((on // BAR_BEATS).astype(int), n_bars - 1)
    chroma = np.zeros((n_bars, 12))
    np.add.at(chroma, (bar, pitch % 12), dur)
    half = np.zeros((n_bars * 2, 12))
    np.add.at(half, (np.minimum((on // 2).astype(int), n_bars * 2 - 1), pitch % 12), dur)
    heard = half.sum(1) > 0
    idx, cos, _ = match_chords(half[heard]) if heard.any() else (np.zeros(1, int), np.zeros(1), None)
    unit = chroma / np.maximum(np.linalg.norm(chroma, axis=1, keepdims=True), 1e-9)

    def rep(k: int) -> float:
        return float((unit[:-k] * unit[k:]).sum(1).mean()) if n_bars > k else 0.0

    pos = np.round((on % BAR_BEATS) * 4).astype(int)  # 16th position in the bar
    patterns = [frozenset(pos[bar == b]) for b in range(n_bars)]
    recurs = [any(patterns[b] == patterns[c] for c in range(max(0, b - 4), b)) for b in range(1, n_bars)]
    counts = np.bincount(bar, minlength=n_bars).astype(float)

    g = np.r_[True, np.diff(on) > 1 / 16]
    starts = np.r_[np.flatnonzero(g), len(on)]
    top = np.array([pitch[a:b].max() for a, b in zip(starts[:-1], starts[1:])])
    sizes = np.diff(starts)
    iv = np.abs(np.diff(top)) if len(top) > 1 else np.zeros(1)
    diss, tot, clusters = 0, 0, 0
    for a, b in zip(starts[:-1], starts[1:]):
        p = np.unique(pitch[a:b])
        pcs = np.unique(p % 12)
        if len(pcs) > 1:
            d = np.abs(pcs[:, None] - pcs[None, :])[np.triu_indices(len(pcs), 1)]
            ic = np.minimum(d, 12 - d)
            diss += int(((ic == 1) | (ic == 6)).sum())
            tot += len(ic)
        if len(p) >= 3 and (np.diff(p) <= 2).sum() >= 2:
            clusters += 1
    dq = np.round(np.log2(dur * 4)).astype(int)
    dh = np.bincount(dq - dq.min()).astype(float)
    dh /= dh.sum()
    same = np.zeros(len(on), bool)
    for p in np.unique(pitch):
        m = np.flatnonzero(pitch == p)
        if len(m) > 1:
            same[m[1:]] = on[m[1:]] < (on[m[:-1]] + dur[m[:-1]] - 1 / 32)
    f = [
        in_scale,
        entropy,
        float(r.max()),
        float(cos.mean()),
        float((idx < 0).mean()),
        rep(1),
        rep(4),
        float(np.mean(recurs)) if recurs else 0.0,
        float((counts == 0).mean()),
        float(counts.std() / max(counts.mean(), 1e-9)),
        float(((iv >= 1) & (iv <= 2)).mean()),
        float((iv >= 5).mean()),
        float((iv > 12).mean()),
        float((iv == 0).mean()),
        diss / max(tot, 1),
        clusters / max(len(sizes), 1),
        float(-(dh[dh > 0] * np.log2(dh[dh > 0])).sum()),
        float((pos % 2 == 1).mean()),
        float(sizes.std() / max(sizes.mean(), 1e-9)),
        float(same.mean()),
    ]
    return np.nan_to_num(np.asarray(f, dtype=np.float64))


class QualityCritic:
    """Logistic discriminator: ``logit = w . (x - mean) / std + b`` (positive = looks real).

    Args:
        config: ``{"feature_names", "mean", "std", "coef", "intercept", "version", "metrics"}``.
    """

    def __init__(self, config: dict):
        if tuple(config["feature_names"]) != QUALITY_FEATURES:
            raise ValueError(
                "quality checkpoint was fitted on other features; refit with `python -m studio.critics.music_quality fit`"
            )
        self.config = config
        self.mean, self.std = np.asarray(config["mean"]), np.asarray(config["std"])
        self.coef, self.intercept = np.asarray(config["coef"]), float(config["intercept"])

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike | None = None) -> QualityCritic:
        from studio.paths import checkpoint

        p = Path(path) if path is not None else checkpoint(NAME)
        f = p / "config.json"
        if not f.is_file():
            raise FileNotFoundError(
                f"no {NAME} checkpoint at {p}; fit one with `python -m studio.critics.music_quality fit`"
            )
        return cls(json.loads(f.read_text()))

    def save_pretrained(self, path: str | os.PathLike) -> Path:
        from studio.io import write_json_atomic

        p = Path(path)
        p.mkdir(parents=True, exist_ok=True)
        write_json_atomic(p / "config.json", self.config)
        return p

    def logit(self, features: np.ndarray) -> np.ndarray:
        """Log-odds real vs generated ``[B]`` for feature rows ``[B, F]``."""
        z = (np.atleast_2d(features) - self.mean) / self.std
        return np.clip(z, -8, 8) @ self.coef + self.intercept

    def relative(self, x: Any) -> float:
        """Quality of a piece against typical generator output: ``(logit - median) / IQR`` of the
        generated pieces' logits at fit time (0 = a typical generated piece, > 0 = more real-looking)."""
        from studio.critics.music import load_score

        q1, q2, q3 = self.config["generated_logit_quartiles"]
        logit = float(self.logit(quality_features(load_score(x)))[0])
        return (logit - q2) / max(q3 - q1, 1e-3)

    def __call__(self, x: Any) -> float:
        """P(real) of a piece (a ``symusic.Score``, MIDI path or bytes, or a ``MusicResult``)."""
        from studio.critics.music import load_score

        return float(1.0 / (1.0 + np.exp(-self.logit(quality_features(load_score(x)))[0])))


@lru_cache(maxsize=1)
def default_quality_critic() -> QualityCritic:
    return QualityCritic.from_pretrained()


def quality(x: Any) -> float:
    """P(real) of a piece by the released quality critic."""
    return default_quality_critic()(x)


# --------------------------------------------------------------------------- fitting
def _windows(score, bars: int = 16):
    """16-bar windows of a POP909 song (first one after the first note, and one from the middle)."""
    from studio.critics.music_augment import _arrays, _build

    d = _arrays(score)
    tpq = score.ticks_per_quarter
    span = bars * 4 * tpq
    out = []
    for start in (int(d["time"].min()), int(np.median(d["time"]))):
        m = (d["time"] >= start) & (d["time"] < start + span)
        if m.sum() >= 32:
            out.append(_build(score, {k: (v[m] - start if k == "time" else v[m]) for k, v in d.items()}))
    return out


def real_pieces(data_root: Path, limit: int = 400):
    """POP909 piano windows (songs 001-909, two per song up to ``limit``/2 songs) and EMOPIA train clips, quantised."""
    import symusic

    from studio.critics.music_augment import quantise
    from studio.critics.music_fit import split_names

    pop = sorted((Path(data_root) / "pop909" / "POP909").glob("[0-9][0-9][0-9]/[0-9][0-9][0-9].mid"))
    out = []
    for p in pop[: limit // 2]:
        s = symusic.Score.from_file(str(p))
        piano = symusic.Score(s.ticks_per_quarter)
        piano.tempos = s.tempos
        piano.tracks = [t for t in s.tracks if not t.is_drum]
        out += [quantise(w) for w in _windows(piano)]
    names, _ = split_names(data_root, "train")
    for n in names[: limit // 2]:
        out.append(quantise(symusic.Score.from_file(str(Path(data_root) / "emopia" / "midis" / n))))
    return out


def generated_pieces(count: int, bars: int = 16, seed: int = 0, pipeline=None):
    """``count`` pieces from the default pipeline over a grid of emotions (8 per call)."""
    from studio.mapping import attributes_for
    from studio.music.generators import default_pipeline

    pipe = pipeline or default_pipeline()
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < count:
        va = rng.uniform(-0.9, 0.9, 2)
        att = attributes_for(tuple(va)).music
        pieces = pipe(attributes=att, bars=bars, seed=int(rng.integers(1 << 30)), num_pieces=8, progress=False)
        out += [p.score for p in pieces]
        print(f"  generated {len(out)}/{count}", flush=True)
    return out[:count]


def fit(data_root: Path, out: Path | None, pieces: int = 160, seed: int = 0) -> tuple[QualityCritic, dict]:
    """Fit the discriminator; accuracy and AUC by 5-fold CV (real songs and generated calls kept apart)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from studio.music.generators import default_pipeline

    t0 = time.time()
    real = real_pieces(data_root)
    pipe = default_pipeline()
    fake = generated_pieces(pieces, seed=seed, pipeline=pipe)
    X = np.stack([quality_features(s) for s in real + fake])
    y = np.r_[np.ones(len(real)), np.zeros(len(fake))]
    mean, std = X.mean(0), X.std(0) + 1e-6
    Z = np.clip((X - mean) / std, -8, 8)
    lr = LogisticRegression(C=0.1, class_weight="balanced", max_iter=5000)
    cv = StratifiedKFold(5, shuffle=True, random_state=seed)
    p = cross_val_predict(lr, Z, y, cv=cv, method="predict_proba")[:, 1]
    lr.fit(Z, y)
    gen_logit = lr.decision_function(Z[y == 0])
    report = {
        "real": len(real),
        "generated": len(fake),
        "cv_auc": round(float(roc_auc_score(y, p)), 4),
        "cv_acc": round(float(((p > 0.5) == y).mean()), 4),
        "generated_mean_p_real": round(float(p[y == 0].mean()), 4),
        "fit_seconds": round(time.time() - t0, 1),
    }
    config = {
        "feature_names": list(QUALITY_FEATURES),
        "mean": mean.round(6).tolist(),
        "std": std.round(6).tolist(),
        "coef": lr.coef_[0].round(6).tolist(),
        "intercept": round(float(lr.intercept_[0]), 6),
        "generated_logit_quartiles": np.quantile(gen_logit, [0.25, 0.5, 0.75]).round(4).tolist(),
        "version": "music-quality-1",
        "trained_on": "POP909 16-bar piano windows + EMOPIA train clips (REMI round-trip) vs default pipeline output",
        "generator": pipe.model_id,  # the generator whose weaknesses it describes: refit when this changes
        "metrics": report,
    }
    critic = QualityCritic(config)
    if out is not None:
        critic.save_pretrained(out)
    return critic, report


def main(argv: list[str] | None = None) -> int:
    from studio.paths import checkpoint, data_root

    ap = argparse.ArgumentParser(prog="python -m studio.critics.music_quality", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fit", help="fit the real-vs-generated discriminator")
    f.add_argument("--data", type=Path, default=None)
    f.add_argument("--pieces", type=int, default=160, help="generated pieces (16 bars each)")
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--out", type=Path, default=checkpoint(NAME))
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    _, report = fit(args.data or data_root(), args.out, pieces=args.pieces, seed=args.seed)
    print(report, "->", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
