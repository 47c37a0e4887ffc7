"""Emotion (valence, arousal, dominance) <-> music attributes, fitted on EMOPIA train.

Forward (:func:`music_attributes_for`), after EmoGen's supervised clustering (Kang et al. 2023):
the clips of each EMOPIA quadrant form a cluster in standardised attribute space; the clips nearest
the cluster's median carry the quadrant's general emotion and wash out annotator and song bias, so a
quadrant's centre is the mean of its closest ``keep`` share of clips (``keep`` picked on the val split
by nearest-centre 4Q accuracy) and its spread their standard deviation. The four centres sit at
``(+-0.5, +-0.5)`` in the VA plane and are joined by a surface that is bilinear in sharpened axis
weights (a point clearly inside a quadrant gets that cluster's centre; beyond the centres it extrapolates
at half slope, clipped to the 2nd-98th percentile of the training clips).

Dominance has no music labels; it moves a few attributes along directions reported in music-emotion
research (Gabrielsson & Lindstrom 2010; Juslin & Laukka 2004; Eerola, Friberg & Bresin 2013): more
dominant/powerful music is louder, lower in register, denser in texture and steadier in pulse.
D = +-1 shifts each by the population SDs in ``DOMINANCE_SD``.

Reverse (:func:`estimate_emotion`): two logistic regressions on standardised attributes (high vs low
valence, high vs low arousal; regularisation picked on val) give ``(2 P(V+) - 1, 2 P(A+) - 1)``.

Fit with ``.venv/bin/python -m studio.mapping.music fit``; the result is ``checkpoints/music-mapper/mapper.json``.
"""

from __future__ import annotations

import csv
import subprocess
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from studio.attributes.music import ATTRIBUTES, MusicAttributes, extract_attributes
from studio.emotion import Emotion
from studio.paths import PROJECT_ROOT, checkpoint, data_root

FORMAT = "studio.music-mapper/1"
# Attributes the forward map targets. key and instruments are not emotion-driven here; onset_regularity
# is set from a prior (EMOPIA is unquantised transcription, so its regularity says nothing).
MAPPED = (
    "tempo",
    "mode",
    "note_density",
    "onset_density",
    "pitch_mean",
    "pitch_range",
    "velocity_mean",
    "velocity_std",
    "articulation",
    "polyphony",
    "chord_valence",
)
# Reverse-map features: tempo-free rates in seconds, so transcribed (EMOPIA) and quantised
# (generated) MIDI are measured alike.
REVERSE = (
    "mode",
    "chord_valence",
    "note_rate",
    "onset_rate",
    "pitch_mean",
    "pitch_range",
    "velocity_mean",
    "velocity_std",
    "polyphony",
)
QUADRANT_VA = {1: (0.5, 0.5), 2: (-0.5, 0.5), 3: (-0.5, -0.5), 4: (0.5, -0.5)}
# Population SDs moved per unit of dominance (see module docstring for the sources).
DOMINANCE_SD = {"velocity_mean": 0.6, "pitch_mean": -0.5, "note_density": 0.3, "polyphony": 0.4}
# onset_regularity prior: quantised, mostly on-grid playing, steadier with dominance.
REGULARITY_BASE, REGULARITY_PER_D = 0.75, 0.15
# Fallback onsets per beat and onset rate (per second) when POP909 is absent at fit time (their medians over
# songs 001-300).
ONSETS_PER_BEAT_DEFAULT = 2.58
ONSET_RATE_DEFAULT = 3.38
# Share of a clip's onset-rate difference from POP909's median that goes to subdivision (onsets per beat);
# the rest goes to tempo. Across POP909's songs the split is 0.72 (log-log slope); tempo is the stronger
# arousal cue in listening studies, so it keeps half. 0 would put every difference in tempo (the 1.x mapper:
# 150 BPM at 2.3 onsets per beat for high arousal; POP909 plays 1.9-3.6 onsets per beat at 60-116 BPM).
ONSET_SHARE = 0.5
KEEP_GRID = (0.3, 0.4, 0.5, 0.6, 0.8, 1.0)
C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
# EmoGen jSymbolic features with a counterpart here: (feature name, our attribute, sign).
EMOGEN_PAIRS = (
    ("Mean Pitch", "pitch_mean", 1),
    ("Range", "pitch_range", 1),
    ("Average Number of Simultaneous Pitches", "polyphony", 1),
    ("Note Density per Quarter Note", "note_density", 1),
    ("Variation of Dynamics", "velocity_std", 1),
    ("Minor Major Triad Ratio", "chord_valence", -1),
)


# --- data -----------------------------------------------------------------------------------------
def emopia_split(split: str) -> list[tuple[Path, int]]:
    """``(midi path, quadrant)`` for the clips of an official EMOPIA split (``train``/``val``/``test``)."""
    if split not in ("train", "val", "test"):
        raise ValueError(f"split must be 'train', 'val' or 'test', got {split!r}")
    root = data_root() / "emopia"
    labels = {r["ID"]: int(r["4Q"]) for r in csv.DictReader(open(root / "label.csv"))}
    out = []
    for r in csv.DictReader(open(root / "split" / f"{split}_clip.csv")):
        name = r["clip_name"]
        out.append((root / "midis" / name, labels[name.removesuffix(".mid")]))
    return out


def features(a: MusicAttributes) -> dict[str, float]:
    """Attributes plus tempo-free rates: ``note_rate``/``onset_rate`` = density x tempo / 60 (per second)."""
    d = {k: getattr(a, k) for k in MAPPED}
    if all(d[k] is not None for k in ("tempo", "note_density", "onset_density")):
        d["note_rate"] = d["note_density"] * d["tempo"] / 60.0
        d["onset_rate"] = d["onset_density"] * d["tempo"] / 60.0
    else:
        d["note_rate"] = d["onset_rate"] = None
    return d


def clip_table(items: list[tuple[Path, int]]) -> tuple[list[dict[str, float]], np.ndarray]:
    """:func:`features` of each clip and the quadrants ``[clips]`` (unreadable clips skipped)."""
    rows, ys = [], []
    for path, q in items:
        try:
            rows.append(features(extract_attributes(path)))
        except ValueError:
            continue
        ys.append(q)
    return rows, np.asarray(ys)


def forward_matrix(rows: list[dict], pop909: tuple[float, float]) -> np.ndarray:
    """``[clips, len(MAPPED)]`` with beat-based quantities re-expressed on a rate-derived beat.

    EMOPIA transcriptions have no tempo map, and beat tracking them is unreliable, but their event
    rates in seconds are exact. A clip's onset rate is split into tempo x onsets-per-beat around
    quantised pop piano's medians (POP909 ``(onsets per beat, onsets per second)``): a clip ``k`` times
    POP909's rate plays ``k ** ONSET_SHARE`` times its onsets per beat at ``k ** (1 - ONSET_SHARE)`` times
    its tempo.
    """
    opb0, rate0 = pop909
    out = []
    for r in rows:
        opb = opb0 * (r["onset_rate"] / rate0) ** ONSET_SHARE
        tempo = 60.0 * r["onset_rate"] / opb
        d = {**r, "tempo": tempo, "onset_density": opb, "note_density": r["note_rate"] * 60.0 / tempo}
        out.append([d[k] for k in MAPPED])
    return np.asarray(out, dtype=np.float64)


def reverse_matrix(rows: list[dict]) -> np.ndarray:
    return np.asarray([[r[k] for k in REVERSE] for r in rows], dtype=np.float64)


def pop909_onset_medians(songs: int = 300) -> tuple[float, float]:
    """Median onsets per beat and onsets per second of POP909 songs 001-``songs`` (quantised, real tempo maps)."""
    root = data_root(required=False)
    folder = root / "pop909" / "POP909" if root else None
    if folder is None or not folder.is_dir():
        return ONSETS_PER_BEAT_DEFAULT, ONSET_RATE_DEFAULT
    attrs = [extract_attributes(folder / f"{i:03d}" / f"{i:03d}.mid") for i in range(1, songs + 1)]
    opb = [a.onset_density for a in attrs]
    rate = [a.onset_density * a.tempo / 60.0 for a in attrs]
    return float(np.median(opb)), float(np.median(rate))


# --- fitting --------------------------------------------------------------------------------------
def _centres(x: np.ndarray, y: np.ndarray, mean: np.ndarray, std: np.ndarray, keep: float):
    """Per-quadrant trimmed centres and spreads: ``[4, attrs]`` each (quadrant q at row q-1)."""
    z = (x - mean) / std
    cen, spr = np.zeros((4, x.shape[1])), np.zeros((4, x.shape[1]))
    for q in range(1, 5):
        zq, xq = z[y == q], x[y == q]
        d = np.linalg.norm(zq - np.median(zq, axis=0), axis=1)
        near = xq[np.argsort(d)[: max(3, int(round(keep * len(xq))))]]
        cen[q - 1], spr[q - 1] = near.mean(0), near.std(0)
    return cen, spr


def _nearest_centre_acc(x, y, cen, mean, std) -> float:
    d = np.linalg.norm(((x - mean) / std)[:, None, :] - ((cen - mean) / std)[None], axis=-1)
    return float((d.argmin(1) + 1 == y).mean())


def _fit_logistic(x: np.ndarray, t: np.ndarray, C: float) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    m = LogisticRegression(C=C, max_iter=2000).fit(x, t)
    return m.coef_[0], float(m.intercept_[0])


def _va_from(z: np.ndarray, rev: dict) -> np.ndarray:
    """``[clips, 2]`` (valence, arousal) in [-1, 1] from standardised attributes ``[clips, attrs]``."""
    out = []
    for axis in ("valence", "arousal"):
        logit = z @ np.asarray(rev[axis]["coef"]) + rev[axis]["intercept"]
        out.append(2.0 / (1.0 + np.exp(-logit)) - 1.0)
    return np.stack(out, 1)


def _accuracies(va: np.ndarray, y: np.ndarray) -> dict:
    v_true, a_true = np.isin(y, (1, 4)), np.isin(y, (1, 2))
    v_hat, a_hat = va[:, 0] >= 0, va[:, 1] >= 0
    q_hat = np.where(v_hat, np.where(a_hat, 1, 4), np.where(a_hat, 2, 3))
    return {
        "clips": len(y),
        "acc_4q": round(float((q_hat == y).mean()), 4),
        "acc_valence": round(float((v_hat == v_true).mean()), 4),
        "acc_arousal": round(float((a_hat == a_true).mean()), 4),
    }


def fit_mapper(out: str | Path | None = None) -> dict:
    """Fit the forward and reverse maps on EMOPIA train (val for selection) and write ``mapper.json``.

    Returns:
        The fitted table (also written to ``out``, default ``checkpoints/music-mapper/mapper.json``).
    """
    from studio.io import write_json_atomic

    t0 = time.time()
    rows_tr, ytr = clip_table(emopia_split("train"))
    rows_va, yva = clip_table(emopia_split("val"))
    opb, rate = pop909_onset_medians()
    xtr, xva = forward_matrix(rows_tr, (opb, rate)), forward_matrix(rows_va, (opb, rate))
    mean, std = xtr.mean(0), np.maximum(xtr.std(0), 1e-6)
    sel = {k: _nearest_centre_acc(xva, yva, _centres(xtr, ytr, mean, std, k)[0], mean, std) for k in KEEP_GRID}
    keep = max(KEEP_GRID, key=lambda k: (round(sel[k], 6), -abs(k - 0.5)))
    cen, spr = _centres(xtr, ytr, mean, std, keep)

    rtr, rva = reverse_matrix(rows_tr), reverse_matrix(rows_va)
    rmean, rstd = rtr.mean(0), np.maximum(rtr.std(0), 1e-6)
    ztr, zva = (rtr - rmean) / rstd, (rva - rmean) / rstd
    rev: dict[str, Any] = {
        "features": list(REVERSE),
        "mean": [round(float(v), 5) for v in rmean],
        "std": [round(float(v), 5) for v in rstd],
    }
    for axis, pos in (("valence", (1, 4)), ("arousal", (1, 2))):
        scores = {}
        for C in C_GRID:
            coef, b = _fit_logistic(ztr, np.isin(ytr, pos), C)
            scores[C] = round(float(((zva @ coef + b >= 0) == np.isin(yva, pos)).mean()), 4)
        C = max(C_GRID, key=lambda c: (scores[c], -abs(np.log10(c))))
        coef, b = _fit_logistic(ztr, np.isin(ytr, pos), C)
        rev[axis] = {"coef": [round(float(c), 5) for c in coef], "intercept": round(b, 5), "C": C, "val_acc": scores}

    med = np.median(xtr, 0)
    table = {
        "format": FORMAT,
        "provenance": {
            "data": "EMOPIA 1.0 (Hung et al. 2021), clip-level 4Q labels",
            "fit_split": f"train ({len(ytr)} clips)",
            "onsets_per_beat_from": "POP909 songs 001-300 (median onset_density and onset rate)",
            "selection_split": f"val ({len(yva)} clips)",
            "date": time.strftime("%Y-%m-%d"),
            "code_version": _git_rev(),
            "fit_seconds": round(time.time() - t0, 1),
        },
        "attributes": list(MAPPED),
        "onsets_per_beat": round(opb, 4),
        "onset_rate": round(rate, 4),
        "onset_share": ONSET_SHARE,
        "regularity_prior": {"base": REGULARITY_BASE, "per_dominance": REGULARITY_PER_D},
        "quadrant_va": {str(q): list(v) for q, v in QUADRANT_VA.items()},
        "keep": keep,
        "keep_val_nearest_centre_acc": {str(k): round(v, 4) for k, v in sel.items()},
        "centres": {a: {str(q): round(float(cen[q - 1, i]), 4) for q in range(1, 5)} for i, a in enumerate(MAPPED)},
        "spreads": {a: {str(q): round(float(spr[q - 1, i]), 4) for q in range(1, 5)} for i, a in enumerate(MAPPED)},
        "limits": {a: [round(float(v), 4) for v in np.percentile(xtr[:, i], [2, 98])] for i, a in enumerate(MAPPED)},
        "population": {
            a: {"mean": round(float(mean[i]), 4), "std": round(float(std[i]), 4)} for i, a in enumerate(MAPPED)
        },
        "dominance_sd": DOMINANCE_SD,
        "reverse": rev,
        "emogen_agreement": _emogen_agreement(cen, med),
    }
    table["eval"] = {"val": _accuracies(_va_from(zva, rev), yva)}
    write_json_atomic(out or checkpoint("music-mapper") / "mapper.json", table)
    _load.cache_clear()
    return table


def _emogen_agreement(cen: np.ndarray, med: np.ndarray) -> dict | None:
    """Share of (feature, quadrant) cells where EmoGen's 0/1 and ours (centre above the median) agree."""
    root = data_root(required=False)
    path = root / "emogen" / "emogen_attribute_table.csv" if root else None
    if path is None or not path.is_file():
        return None
    rows = {r["jsymbolic_feature_name"]: r for r in csv.DictReader(open(path))}
    cells, per = [], {}
    for feat, attr, sign in EMOGEN_PAIRS:
        if feat not in rows:
            continue
        i = MAPPED.index(attr)
        ours = [int((sign * (cen[q - 1, i] - med[i])) > 0) for q in range(1, 5)]
        theirs = [int(rows[feat][f"Q{q}_bin"]) for q in range(1, 5)]
        per[f"{feat} ~ {attr}"] = {"emogen": theirs, "ours": ours}
        cells += [a == b for a, b in zip(ours, theirs)]
    return {"agreement": round(float(np.mean(cells)), 4), "cells": len(cells), "features": per}


def _git_rev() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def evaluate_on_split(split: str = "test", path: str | Path | None = None) -> dict:
    """4Q / valence / arousal accuracy of :func:`estimate_emotion` on an EMOPIA split."""
    table = _load(str(path or default_path()))
    rows, y = clip_table(emopia_split(split))
    rev = table["reverse"]
    z = (reverse_matrix(rows) - np.asarray(rev["mean"])) / np.asarray(rev["std"])
    return {"split": split, **_accuracies(_va_from(z, rev), y)}


# --- using the fitted table -----------------------------------------------------------------------
def default_path() -> Path:
    return checkpoint("music-mapper") / "mapper.json"


@lru_cache(maxsize=4)
def _load(path: str) -> dict:
    import json

    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(
            f"music mapper table not found at {p}; fit it with `python -m studio.mapping.music fit`"
        )
    table = json.loads(p.read_text())
    if table.get("format") != FORMAT:
        raise ValueError(f"{p} is not a {FORMAT} table (format {table.get('format')!r})")
    return table


# How sharply a target leaves the nearest quadrant centre as it crosses an axis (in VA units), and the
# slope kept beyond the centres. EMOPIA's labels are quadrants: a point clearly inside a quadrant should
# get that cluster's centre (EmoGen's pull toward the centre), not a half-way blend with the quadrant
# across the axis -- with plain bilinear weights a word-normed "sad" (A = -0.26) got 107 BPM, half of
# it borrowed from the fast Q2 clips. The mild slope beyond the centres keeps intensity: (0.9, 0.9) is
# a little more than (0.5, 0.5).
AXIS_SHARPNESS = 0.25
OUTER_SLOPE = 0.5


def _axis_weight(x: float) -> float:
    """0 at the negative centre (-0.5), 1 at the positive one (+0.5), steep near the axis, mild beyond."""
    if abs(x) <= 0.5:
        return 0.5 + 0.5 * float(np.tanh(x / AXIS_SHARPNESS) / np.tanh(0.5 / AXIS_SHARPNESS))
    return (1.0 if x > 0 else 0.0) + OUTER_SLOPE * (x - np.sign(x) * 0.5)


def _bilinear(per_quadrant: dict, v: float, a: float) -> float:
    """Surface through the four quadrant values at (+-0.5, +-0.5), evaluated at (v, a).

    Bilinear in the axis weights of :func:`_axis_weight` (so exact at the centres, sharp across axes).
    """
    q1, q2, q3, q4 = (per_quadrant[str(q)] for q in range(1, 5))
    s, t = _axis_weight(v), _axis_weight(a)
    return (1 - s) * (1 - t) * q3 + s * (1 - t) * q4 + (1 - s) * t * q2 + s * t * q1


def music_targets(emotion: Any, path: str | Path | None = None) -> tuple[MusicAttributes, dict[str, float]]:
    """Target attributes and per-attribute tolerance (SD) for an emotion.

    Args:
        emotion: anything :meth:`Emotion.coerce` accepts.
        path: a ``mapper.json`` (default ``checkpoints/music-mapper/mapper.json``).

    Returns:
        ``(MusicAttributes, spread)``: ``key`` is left unspecified, ``instruments`` is piano (EMOPIA is
        solo piano); ``spread`` maps each mapped attribute to the SD of the nearby training clips.
    """
    e = Emotion.coerce(emotion)
    table = _load(str(path or default_path()))
    values, spread = {}, {}
    for a in MAPPED:
        x = _bilinear(table["centres"][a], e.valence, e.arousal)
        x += e.dominance * table["dominance_sd"].get(a, 0.0) * table["population"][a]["std"]
        lo, hi = table["limits"][a]
        values[a] = float(np.clip(x, lo, hi))
        spread[a] = round(
            max(
                _bilinear(
                    table["spreads"][a], float(np.clip(e.valence, -0.5, 0.5)), float(np.clip(e.arousal, -0.5, 0.5))
                ),
                1e-4,
            ),
            4,
        )
    reg = table["regularity_prior"]
    values["onset_regularity"] = reg["base"] + reg["per_dominance"] * e.dominance
    spread["onset_regularity"] = 0.1
    values = {a: ATTRIBUTES[a].clip(x) for a, x in values.items()}
    return MusicAttributes(**values, instruments=(0,)), spread


def music_attributes_for(emotion: Any, path: str | Path | None = None) -> MusicAttributes:
    """The target :class:`MusicAttributes` for an emotion (see :func:`music_targets`)."""
    return music_targets(emotion, path)[0]


def estimate_emotion(attrs: MusicAttributes | dict, path: str | Path | None = None) -> tuple[float, float]:
    """Reverse map: ``(valence, arousal)`` in [-1, 1] from measured attributes.

    Args:
        attrs: :class:`MusicAttributes` or a dict of them; unspecified attributes count as the
            training mean (they then carry no evidence).

    Returns:
        ``(2 P(valence > 0) - 1, 2 P(arousal > 0) - 1)`` from the logistic models.
    """
    a = MusicAttributes.from_dict(attrs) if isinstance(attrs, dict) else attrs
    if not isinstance(a, MusicAttributes):
        raise TypeError(f"estimate_emotion takes MusicAttributes or a dict, got {type(attrs).__name__}")
    table = _load(str(path or default_path()))
    rev = table["reverse"]
    f = features(a)
    mean, std = np.asarray(rev["mean"]), np.asarray(rev["std"])
    x = np.array([mean[i] if f[k] is None else float(f[k]) for i, k in enumerate(REVERSE)])
    v, ar = _va_from(((x - mean) / std)[None], rev)[0]
    return float(v), float(ar)


def _main(argv: list[str] | None = None) -> int:
    import argparse
    import json

    ap = argparse.ArgumentParser(prog="python -m studio.mapping.music", description="fit/evaluate the music mapper")
    ap.add_argument("action", choices=["fit", "eval"])
    ap.add_argument("--split", default="val", choices=["train", "val", "test"])
    args = ap.parse_args(argv)
    if args.action == "fit":
        t = fit_mapper()
        print(
            json.dumps(
                {k: t[k] for k in ("provenance", "keep", "keep_val_nearest_centre_acc", "emogen_agreement", "eval")},
                indent=1,
            )
        )
    else:
        print(json.dumps(evaluate_on_split(args.split)))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
