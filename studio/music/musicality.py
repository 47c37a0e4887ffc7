"""Structural features of a piece — harmony, voice leading, rhythm, repetition — for telling composed
music from generated music (``bench/bench_musicality.py``). None of them is a generator condition.

A piece is first put on a 16th-note grid (``grid_notes``): ``[n, 3]`` rows of (onset step, duration
in steps, pitch). The top voice is the skyline: the highest pitch at each onset.

Axis legend: ``n`` notes, ``b`` bars, ``c`` 12 pitch classes.
"""

from __future__ import annotations

import numpy as np

from studio.attributes.music import CHORD_WINDOW_BEATS, chord_pitch_classes, match_chords

STEPS_PER_BAR = 16
IOI_BINS = (1, 2, 3, 4, 6, 8, 12, 16)  # inter-onset intervals of the top voice, in 16ths (last: longer)
INTERVAL_BINS = (0, 1, 2, 3, 4, 5, 7, 12)  # |melodic interval| in semitones (last: larger)
FEATURES = (
    "pc_entropy", "bar_pc_entropy", "top_step_share", "top_leap_share", "top_mean_interval",
    "notes_per_onset", "pitches_per_bar", "chord_tone_share", "pitch_range", "top_range",
    "rest_share", "top_rest_share", "bar_repetition", "rhythm_repetition", "onsets_per_bar",
    *[f"ioi_{b}" for b in IOI_BINS], *[f"interval_{b}" for b in INTERVAL_BINS],
)  # fmt: skip


def grid_notes(score, bars: int | None = None) -> np.ndarray:
    """Pitched notes of a ``symusic.Score`` (ticks) on a 16th grid: ``[n, 3]`` (onset, duration, pitch)."""
    step = max(int(score.ticks_per_quarter) // 4, 1)
    rows = []
    for t in score.tracks:
        if t.is_drum or not len(t.notes):
            continue
        a = t.notes.numpy()
        on = np.round(a["time"] / step).astype(int)
        du = np.maximum(np.round(a["duration"] / step).astype(int), 1)
        rows.append(np.stack([on, du, a["pitch"].astype(int)], 1))
    if not rows:
        return np.zeros((0, 3), dtype=int)
    g = np.concatenate(rows)
    g = g[np.lexsort((g[:, 2], g[:, 0]))]
    if bars is not None:
        g = g[g[:, 0] < bars * STEPS_PER_BAR]
    return g


def _entropy(counts: np.ndarray) -> float:
    p = counts[counts > 0] / max(counts.sum(), 1e-9)
    return float(-(p * np.log2(p)).sum())


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def features(g: np.ndarray) -> dict[str, float]:
    """The structural features of one gridded piece (see ``FEATURES``)."""
    if len(g) == 0:
        raise ValueError("the piece has no notes")
    on, du, pitch = g[:, 0], g[:, 1], g[:, 2]
    start = int(on.min()) // STEPS_PER_BAR * STEPS_PER_BAR
    on = on - start
    n_bars = max(int(on.max()) // STEPS_PER_BAR + 1, 1)
    total = n_bars * STEPS_PER_BAR
    pcs = np.bincount(pitch % 12, minlength=12).astype(float)
    bar = on // STEPS_PER_BAR
    bar_ent = [
        _entropy(np.bincount(pitch[bar == b] % 12, minlength=12).astype(float))
        for b in range(n_bars)
        if (bar == b).any()
    ]
    onsets = np.unique(on)
    top = np.array([pitch[on == o].max() for o in onsets])
    iv = np.abs(np.diff(top))
    sounding = np.zeros(total + 64, dtype=int)
    top_sounding = np.zeros(total + 64, dtype=bool)
    for o, d in zip(on, du):
        sounding[o : o + d] += 1
    nxt = np.append(onsets[1:], total)
    for o, n in zip(onsets, nxt):
        d = du[(on == o) & (pitch == pitch[on == o].max())].max()
        top_sounding[o : min(o + d, n)] = True
    # chord tones: notes whose pitch class belongs to the chord matched in their half-bar window
    window = int(CHORD_WINDOW_BEATS * 4)
    n_win = total // window + 1
    chroma = np.zeros((n_win, 12))
    np.add.at(chroma, (on // window, pitch % 12), du.astype(float))
    idx, _, _ = match_chords(chroma)
    chord_pcs = [chord_pitch_classes(int(i)) for i in idx]
    ct = np.mean([p % 12 in chord_pcs[o // window] for o, p in zip(on, pitch)])
    bar_sets = [
        {(int(o) % STEPS_PER_BAR, int(p)) for o, p in zip(on[bar == b], pitch[bar == b])} for b in range(n_bars)
    ]
    rhy_sets = [{int(o) % STEPS_PER_BAR for o in on[bar == b]} for b in range(n_bars)]
    rep = [max(_jaccard(bar_sets[b], bar_sets[c]) for c in range(b)) for b in range(1, n_bars) if bar_sets[b]]
    rrep = [max(_jaccard(rhy_sets[b], rhy_sets[c]) for c in range(b)) for b in range(1, n_bars) if rhy_sets[b]]
    ioi = np.diff(onsets)
    ioi_hist = (
        np.histogram(np.minimum(ioi, 16), bins=[*IOI_BINS, 99])[0] / max(len(ioi), 1)
        if len(ioi)
        else np.zeros(len(IOI_BINS))
    )
    iv_hist = (
        np.histogram(np.minimum(iv, 12), bins=[*INTERVAL_BINS, 99])[0] / max(len(iv), 1)
        if len(iv)
        else np.zeros(len(INTERVAL_BINS))
    )
    p5, p95 = np.percentile(pitch, [5, 95])
    t5, t95 = np.percentile(top, [5, 95])
    out = {
        "pc_entropy": _entropy(pcs),
        "bar_pc_entropy": float(np.mean(bar_ent)),
        "top_step_share": float(np.mean((iv >= 1) & (iv <= 2))) if len(iv) else 0.0,
        "top_leap_share": float(np.mean(iv > 4)) if len(iv) else 0.0,
        "top_mean_interval": float(iv.mean()) if len(iv) else 0.0,
        "notes_per_onset": len(on) / len(onsets),
        "pitches_per_bar": float(np.mean([len({p for _, p in s}) for s in bar_sets if s])),
        "chord_tone_share": float(ct),
        "pitch_range": float(p95 - p5),
        "top_range": float(t95 - t5),
        "rest_share": float(np.mean(sounding[:total] == 0)),
        "top_rest_share": float(np.mean(~top_sounding[:total])),
        "bar_repetition": float(np.mean(rep)) if rep else 0.0,
        "rhythm_repetition": float(np.mean(rrep)) if rrep else 0.0,
        "onsets_per_bar": len(onsets) / n_bars,
    }
    out |= {f"ioi_{b}": float(v) for b, v in zip(IOI_BINS, ioi_hist)}
    out |= {f"interval_{b}": float(v) for b, v in zip(INTERVAL_BINS, iv_hist)}
    return out


def pitch_class_entropy(score) -> float:
    """Entropy (bits) of a ``symusic.Score``'s pitch-class histogram (note counts); nan when empty."""
    p = np.concatenate([t.notes.numpy()["pitch"] % 12 for t in score.tracks if len(t.notes)] or [np.zeros(0, int)])
    return _entropy(np.bincount(p, minlength=12).astype(float)) if len(p) else float("nan")


def groove_consistency(score) -> float:
    """1 - mean Hamming distance of consecutive bars' 16th onset patterns (Wu & Yang 2020); nan under 2 bars."""
    s = score if str(score.ttype).lower() == "tick" else score.to("tick")
    tpq = s.ticks_per_quarter
    t = np.concatenate([tr.notes.numpy()["time"] for tr in s.tracks if len(tr.notes)] or [np.zeros(0, int)])
    if len(t) == 0:
        return float("nan")
    n_bars = int(t.max() // (4 * tpq)) + 1
    if n_bars < 2:
        return float("nan")
    grid = np.zeros((n_bars, 16), bool)
    grid[t // (4 * tpq), (t % (4 * tpq)) * 4 // tpq] = True
    return float(1 - (grid[1:] ^ grid[:-1]).mean())


def feature_matrix(pieces: list[np.ndarray]) -> np.ndarray:
    """``[pieces, len(FEATURES)]`` for gridded pieces."""
    return np.array([[features(g)[k] for k in FEATURES] for g in pieces], dtype=float)
