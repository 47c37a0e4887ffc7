"""Symbolic features for the music-emotion critic: a MIDI piece -> one fixed-length vector.

EMOPIA clips are piano transcriptions of audio with a nominal 120 BPM grid, so every feature is
computed in seconds, not beats: tempo in the file means nothing there, onset rates do. Features:

* rates and sizes: notes/s, onsets/s, duration, polyphony;
* register: pitch mean/std/percentiles, bass and treble means;
* dynamics: velocity mean/std/percentiles and the velocity slope over the piece;
* articulation: log note-duration statistics, inter-onset-interval statistics;
* tonality: key strength (Krumhansl-Kessler major/minor correlations), pitch-class histogram
  rotated to the estimated tonic (so it reads as scale degrees), pitch-class entropy;
* harmony: chord-quality histogram over 0.5 s windows (major, minor, diminished, augmented,
  suspended, dominant 7th, other, single note);
* melody: interval histogram of the top voice (absolute semitones 0-12+), share of steps/leaps.

The vector has :data:`NUM_FEATURES` entries named by :data:`FEATURE_NAMES`.
"""

from __future__ import annotations

import numpy as np

# Krumhansl-Kessler key profiles (tonic first).
_KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])

# Chord templates as pitch-class sets relative to a root.
_CHORDS = {
    "major": {0, 4, 7},
    "minor": {0, 3, 7},
    "dim": {0, 3, 6},
    "aug": {0, 4, 8},
    "sus": {0, 5, 7},
    "dom7": {0, 4, 7, 10},
}
CHORD_NAMES = (*_CHORDS, "other", "single")
CHORD_WINDOW_S = 0.5

_SCALAR = (
    "log_notes_per_s",
    "log_onsets_per_s",
    "log_duration_s",
    "polyphony",
    "pitch_mean",
    "pitch_std",
    "pitch_p05",
    "pitch_p95",
    "bass_mean",
    "treble_mean",
    "velocity_mean",
    "velocity_std",
    "velocity_p10",
    "velocity_p90",
    "velocity_slope",
    "logdur_mean",
    "logdur_std",
    "logioi_mean",
    "logioi_std",
    "articulation",
    "key_major_r",
    "key_minor_r",
    "mode_margin",
    "pc_entropy",
    "step_share",
    "leap_share",
    "chord_change_rate",
    "local_mode_mean",
    "local_mode_std",
    "local_major_share",
    "local_key_strength",
)
FEATURE_NAMES = (
    *_SCALAR,
    *(f"degree_{i}" for i in range(12)),
    *(f"chord_{c}" for c in CHORD_NAMES),
    *(f"interval_{i}" for i in range(13)),
    *(f"vertical_ic_{i}" for i in range(1, 7)),
    *(f"bass_degree_{i}" for i in range(12)),
)
LOCAL_WINDOW_S = 4.0
NUM_FEATURES = len(FEATURE_NAMES)


def key_correlations(pc_hist: np.ndarray) -> tuple[int, float, float]:
    """Best tonic and its major/minor profile correlations.

    Args:
        pc_hist: ``[12]`` duration-weighted pitch-class histogram.

    Returns:
        ``(tonic, r_major, r_minor)`` for the tonic that maximises ``max(r_major, r_minor)``.
    """
    if pc_hist.sum() <= 0 or np.allclose(pc_hist, pc_hist[0]):
        return 0, 0.0, 0.0
    best = (-2.0, 0, 0.0, 0.0)
    for t in range(12):
        rot = np.roll(pc_hist, -t)
        rmaj = float(np.corrcoef(rot, _KK_MAJOR)[0, 1])
        rmin = float(np.corrcoef(rot, _KK_MINOR)[0, 1])
        if max(rmaj, rmin) > best[0]:
            best = (max(rmaj, rmin), t, rmaj, rmin)
    return best[1], best[2], best[3]


def _chord_quality(pcs: set[int]) -> str:
    if len(pcs) == 1:
        return "single"
    best, best_score = "other", 0.0
    for root in pcs:
        rel = {(p - root) % 12 for p in pcs}
        for name, tmpl in _CHORDS.items():
            # share of the template present, penalised by notes outside it
            score = len(rel & tmpl) / len(tmpl) - 0.25 * len(rel - tmpl)
            if score > best_score and len(rel & tmpl) >= min(3, len(tmpl)):
                best, best_score = name, score
    return best


def note_features(notes: np.ndarray) -> np.ndarray:
    """Feature vector of one piece.

    Args:
        notes: ``[N, 4]`` float array of pitched notes ``(onset_s, duration_s, pitch, velocity)``
            sorted by onset; N >= 1.

    Returns:
        ``[NUM_FEATURES]`` float32 vector in :data:`FEATURE_NAMES` order.
    """
    notes = notes[np.argsort(notes[:, 0], kind="stable")]
    # durations capped at 16 s: a stuck note must not make every window scan the whole piece
    on, dur, pitch, vel = notes[:, 0], np.clip(notes[:, 1], 1e-3, 16.0), notes[:, 2], notes[:, 3]
    n = len(on)
    end = float(np.max(on + dur))
    span = max(end - float(on.min()), 1.0)
    onsets = np.unique(np.round(on, 2))
    ioi = np.diff(onsets) if len(onsets) > 1 else np.array([0.5])
    ioi = np.clip(ioi, 0.01, 4.0)

    # polyphony: sounding notes sampled on a 50 ms grid, where anything sounds (sorted sweeps, O(G log N))
    grid = np.arange(float(on.min()), end, 0.05)[:20000]
    off_sorted = np.sort(on + dur)
    sounding = np.searchsorted(on, grid, side="right") - np.searchsorted(off_sorted, grid, side="right")
    poly = float(sounding[sounding > 0].mean()) if (sounding > 0).any() else 1.0
    max_dur = float(dur.max())

    def sounding_in(t0: float, t1: float) -> np.ndarray:
        """Indices of notes sounding somewhere in [t0, t1); ``on`` is sorted."""
        lo, hi = np.searchsorted(on, t0 - max_dur), np.searchsorted(on, t1)
        idx = np.arange(lo, hi)
        return idx[on[idx] + dur[idx] > t0]

    # register: bass = lowest note per onset, treble = highest
    order = np.lexsort((pitch, np.round(on, 2)))
    r_on, r_p = np.round(on[order], 2), pitch[order]
    first = np.r_[True, r_on[1:] != r_on[:-1]]
    last = np.r_[r_on[1:] != r_on[:-1], True]
    bass, top = r_p[first], r_p[last]

    t = (on - on.min()) / span
    slope = float(np.polyfit(t, vel, 1)[0]) if n > 2 and t.std() > 0 else 0.0

    pc = np.bincount((pitch.astype(int) % 12), weights=dur, minlength=12)
    tonic, rmaj, rmin = key_correlations(pc)
    degrees = np.roll(pc, -tonic) / max(pc.sum(), 1e-9)
    pcn = pc / max(pc.sum(), 1e-9)
    entropy = float(-(pcn[pcn > 0] * np.log2(pcn[pcn > 0])).sum())

    # chord qualities over fixed windows (sounding pitch classes)
    chords = np.zeros(len(CHORD_NAMES))
    prev, changes = None, 0
    n_win = int(min(np.ceil(span / CHORD_WINDOW_S), 4000))
    for w in range(n_win):
        t0 = float(on.min()) + w * CHORD_WINDOW_S
        m = sounding_in(t0, t0 + CHORD_WINDOW_S)
        if not len(m):
            continue
        pcs = frozenset(int(p) % 12 for p in pitch[m])
        chords[CHORD_NAMES.index(_chord_quality(set(pcs)))] += 1
        changes += prev is not None and pcs != prev
        prev = pcs
    chords /= max(chords.sum(), 1.0)

    # local keys over 4 s windows: modulating or modally mixed music reads differently
    margins, strengths = [], []
    for w in range(int(min(np.ceil(span / LOCAL_WINDOW_S), 600))):
        t0 = float(on.min()) + w * LOCAL_WINDOW_S
        m = sounding_in(t0, t0 + LOCAL_WINDOW_S)
        if len(m) < 4:
            continue
        _, a, b = key_correlations(np.bincount(pitch[m].astype(int) % 12, weights=dur[m], minlength=12))
        margins.append(a - b)
        strengths.append(max(a, b))
    margins = np.array(margins or [0.0])

    # vertical interval classes between notes sounding at each onset (consonance/dissonance)
    vic = np.zeros(6)
    for t_on in onsets[:: max(1, len(onsets) // 400)]:
        m = sounding_in(t_on, t_on + 1e-6)
        m = m[on[m] <= t_on]
        pcs = np.unique(pitch[m].astype(int) % 12)
        if len(pcs) > 1:
            d = np.abs(pcs[:, None] - pcs[None, :])[np.triu_indices(len(pcs), 1)]
            ic = np.minimum(d, 12 - d)
            vic += np.bincount(ic, minlength=7)[1:7]
    vic /= max(vic.sum(), 1.0)
    bass_deg = np.bincount((bass.astype(int) - tonic) % 12, minlength=12).astype(float)
    bass_deg /= max(bass_deg.sum(), 1.0)

    iv = np.abs(np.diff(top)) if len(top) > 1 else np.zeros(1)
    ivh = np.bincount(np.minimum(iv.astype(int), 12), minlength=13).astype(float)
    ivh /= max(ivh.sum(), 1.0)
    logdur = np.log(dur)
    logioi = np.log(ioi)

    scalar = [
        np.log(n / span),
        np.log(len(onsets) / span),
        np.log(span),
        poly,
        pitch.mean(),
        pitch.std(),
        np.percentile(pitch, 5),
        np.percentile(pitch, 95),
        bass.mean(),
        top.mean(),
        vel.mean(),
        vel.std(),
        np.percentile(vel, 10),
        np.percentile(vel, 90),
        slope,
        logdur.mean(),
        logdur.std(),
        logioi.mean(),
        logioi.std(),
        float(np.median(dur) / np.median(ioi)),
        rmaj,
        rmin,
        rmaj - rmin,
        entropy,
        float(((iv >= 1) & (iv <= 2)).mean()),
        float((iv >= 5).mean()),
        changes / span,
        margins.mean(),
        margins.std(),
        float((margins > 0).mean()),
        float(np.mean(strengths)) if strengths else 0.0,
    ]
    out = np.concatenate([np.asarray(scalar, dtype=np.float64), degrees, chords, ivh, vic, bass_deg]).astype(np.float32)
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)
