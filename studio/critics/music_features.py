"""Symbolic features for the music-emotion critic: what a piece *is*, not how its file was made.

EMOPIA's clips carry traces of their making (expressive transcription velocities, a fixed 30 s
length, unquantised onsets on a nominal 120 BPM grid); hand-entered or generated MIDI has flat or
differently scaled velocities, whole-piece lengths and a grid. A critic that reads those traces
fails on the second kind of file, so every feature here is chosen to survive the difference:

* **no length**: nothing depends on how long the clip is (rates, shares and means only);
* **time in seconds**: rates come from the shared attributes (notes per beat x tempo / 60), which
  are the same whether a file writes its tempo into the map or plays a 120 BPM grid rubato;
* **quantisation**: onsets within 40 ms are one onset, so a 16th grid and a transcription agree;
  no grid-regularity feature;
* **velocity only relative to the piece** (coefficient of variation, accents, the correlation of
  loudness with pitch); when every velocity is equal these are exactly 0 and ``velocity_flat`` is 1;
* **transposition**: pitch classes are read as scale degrees of the estimated tonic; intervals and
  chord qualities are transposition-free; register is kept (it carries emotion) but the critic is
  trained on transposed copies.

Where a feature is one of the music attributes (tempo-derived rates, mode, register, velocity
statistics, articulation, polyphony, chord valence) it is *computed by* :mod:`studio.attributes.music`,
the one definition the generator is conditioned on and the loop measures with.

The vector has :data:`NUM_FEATURES` entries named by :data:`FEATURE_NAMES`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from studio.attributes.music import CHORD_QUALITIES, key_correlations, match_chords

ONSET_MERGE_S = 0.04  # notes starting within 40 ms are one onset (transcription jitter vs a grid)
CHORD_WINDOW_S = 1.0
LOCAL_WINDOW_S = 4.0
_QUALITIES = tuple(CHORD_QUALITIES)  # the shared chord table's qualities, in its template order

_SCALAR = (
    "log_notes_per_s",  # attributes: note_density * tempo / 60
    "articulation",  # attributes
    "log_polyphony",  # attributes
    "pitch_mean",  # attributes (register)
    "pitch_range",  # attributes
    "mode",  # attributes: P(major)
    "chord_valence",  # attributes
    "velocity_cv",  # attributes: velocity_std / velocity_mean (0 when flat)
    "velocity_flat",  # 1 when every velocity is equal (hand-entered / generated)
    "velocity_accent_share",
    "velocity_pitch_corr",
    "bass_mean",
    "treble_mean",
    "logioi_mean",
    "logioi_std",
    "logdur_mean",
    "logdur_std",
    "notes_per_onset",
    "key_strength",
    "mode_margin",
    "pc_entropy",
    "step_share",
    "leap_share",
    "repeat_share",
    "top_ascending_share",
    "chord_change_rate",
    "no_chord_share",
    "local_mode_mean",
    "local_mode_std",
    "local_major_share",
)
FEATURE_NAMES = (
    *_SCALAR,
    *(f"degree_{i}" for i in range(12)),
    *(f"chord_{q}" for q in _QUALITIES),
    *(f"interval_{i}" for i in range(13)),
    *(f"vertical_ic_{i}" for i in range(1, 7)),
    *(f"bass_degree_{i}" for i in range(12)),
)
NUM_FEATURES = len(FEATURE_NAMES)


def _onset_groups(on: np.ndarray) -> np.ndarray:
    """Group index ``[N]`` of each (sorted) onset: a new group starts more than 40 ms after the last."""
    new = np.r_[True, np.diff(on) > ONSET_MERGE_S]
    return np.cumsum(new) - 1


def _best_key(pc: np.ndarray) -> tuple[int, float, float]:
    """Tonic, best major r and best minor r of a pitch-class histogram (shared KK correlations)."""
    r = key_correlations(pc / max(pc.sum(), 1e-9))  # [2, 12]
    if not np.any(r):
        return 0, 0.0, 0.0
    _, tonic = np.unravel_index(int(np.argmax(r)), r.shape)
    return int(tonic), float(r[0].max()), float(r[1].max())


def note_features(notes: np.ndarray, attrs: Any) -> np.ndarray:
    """Feature vector of one piece.

    Args:
        notes: ``[N, 4]`` pitched notes ``(onset_s, duration_s, pitch, velocity)``; N >= 1.
        attrs: the piece's ``MusicAttributes`` (``studio.attributes.music.extract_attributes``).

    Returns:
        ``[NUM_FEATURES]`` float32 vector in :data:`FEATURE_NAMES` order.
    """
    notes = notes[np.lexsort((notes[:, 2], notes[:, 0]))]
    on, dur, pitch, vel = notes[:, 0], np.clip(notes[:, 1], 1e-2, 8.0), notes[:, 2], notes[:, 3]
    n = len(on)
    t_start, t_end = float(on.min()), float(np.max(on + dur))
    span = max(t_end - t_start, 1.0)

    g, first, bass, top, ioi = _onsets(on, pitch)
    n_on = len(bass)
    cv, flat, accents, vp_corr = _velocity(vel, pitch, attrs)

    # tonality: scale degrees of the estimated tonic
    pc = np.bincount(pitch.astype(int) % 12, weights=dur, minlength=12)
    tonic, rmaj, rmin = _best_key(pc)
    degrees = np.roll(pc, -tonic) / max(pc.sum(), 1e-9)
    pcn = pc / max(pc.sum(), 1e-9)
    entropy = float(-(pcn[pcn > 0] * np.log2(pcn[pcn > 0])).sum())

    chroma = _window_chroma(on, dur, pitch, t_start, span)
    chords, no_chord, changes = _chords(chroma, span)
    margins = _local_key_margins(chroma)
    vic = _vertical_intervals(pitch, first, n_on, n)
    bass_deg = np.bincount((bass.astype(int) - tonic) % 12, minlength=12).astype(float)
    bass_deg /= max(bass_deg.sum(), 1.0)

    # top voice melody
    d_top = np.diff(top) if n_on > 1 else np.zeros(1)
    iv = np.abs(d_top)
    ivh = np.bincount(np.minimum(iv.astype(int), 12), minlength=13).astype(float)
    ivh /= max(ivh.sum(), 1.0)

    bpm = float(attrs.tempo or 120.0)
    scalar = [
        np.log(max(float(attrs.note_density) * bpm / 60.0, 1e-2)),
        min(float(attrs.articulation), 4.0),
        np.log(max(float(attrs.polyphony), 1.0)),
        float(attrs.pitch_mean),
        float(attrs.pitch_range),
        float(attrs.mode),
        float(attrs.chord_valence),
        cv,
        flat,
        accents,
        vp_corr,
        float(bass.mean()),
        float(top.mean()),
        float(np.log(ioi).mean()),
        float(np.log(ioi).std()),
        float(np.log(dur).mean()),
        float(np.log(dur).std()),
        n / n_on,
        max(rmaj, rmin),
        rmaj - rmin,
        entropy,
        float(((iv >= 1) & (iv <= 2)).mean()),
        float((iv >= 5).mean()),
        float((iv == 0).mean()),
        float((d_top > 0).mean()),
        changes,
        no_chord,
        float(margins.mean()),
        float(margins.std()),
        float((margins > 0).mean()),
    ]
    out = np.concatenate([np.asarray(scalar, dtype=np.float64), degrees, chords, ivh, vic, bass_deg])
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)


def _onsets(on: np.ndarray, pitch: np.ndarray):
    """Onsets merged within 40 ms: ``(group of each note [N], first note of a group [N] bool, bass [G],
    top [G], inter-onset intervals in s)``; bass is the lowest pitch of each onset, top the highest."""
    g = _onset_groups(on)
    n_on = int(g[-1]) + 1
    first = np.r_[True, np.diff(g) > 0]
    onset_t = on[first]
    bass = np.full(n_on, 200.0)
    np.minimum.at(bass, g, pitch)
    top = np.full(n_on, -1.0)
    np.maximum.at(top, g, pitch)
    ioi = np.clip(np.diff(onset_t), 0.04, 4.0) if n_on > 1 else np.array([0.5])
    return g, first, bass, top, ioi


def _velocity(vel: np.ndarray, pitch: np.ndarray, attrs: Any) -> tuple[float, float, float, float]:
    """Velocity relative to the piece only: ``(coefficient of variation, flat, accent share, corr with pitch)``."""
    v_mean, v_std = float(attrs.velocity_mean or 0.0), float(attrs.velocity_std or 0.0)
    flat = float(np.ptp(vel) == 0)
    cv = 0.0 if flat else v_std / max(v_mean, 1.0)
    accents = 0.0 if flat else float((vel > 1.15 * np.median(vel)).mean())
    vp_corr = 0.0 if flat or pitch.std() == 0 else float(np.corrcoef(vel, pitch)[0, 1])
    return cv, flat, accents, vp_corr


def _window_chroma(on: np.ndarray, dur: np.ndarray, pitch: np.ndarray, t_start: float, span: float) -> np.ndarray:
    """``[W, 12]`` seconds each pitch class sounds in each 1 s window (at most 2000 windows)."""
    n_win = int(min(np.ceil(span / CHORD_WINDOW_S), 2000))
    w0 = np.floor((on - t_start) / CHORD_WINDOW_S).astype(int)
    w1 = np.minimum(np.floor((on + dur - t_start - 1e-6) / CHORD_WINDOW_S).astype(int), w0 + 8)
    chroma = np.zeros((n_win, 12))
    for k in range(9):  # a note sounds in up to 9 windows
        m = w1 >= w0 + k
        idx = np.minimum(w0[m] + k, n_win - 1)
        lo = np.maximum(on[m], t_start + idx * CHORD_WINDOW_S)
        hi = np.minimum(on[m] + dur[m], t_start + (idx + 1) * CHORD_WINDOW_S)
        np.add.at(chroma, (idx, pitch[m].astype(int) % 12), np.clip(hi - lo, 0, None))
    return chroma


def _chords(chroma: np.ndarray, span: float) -> tuple[np.ndarray, float, float]:
    """Windows matched against the shared chord table, qualities only (transposition-free):
    ``(share of each quality, share of windows with no chord, chord changes per second)``."""
    heard = chroma.sum(1) > 0
    cidx, _, _ = match_chords(chroma[heard]) if heard.any() else (np.zeros(0, int), None, None)
    found = cidx[cidx >= 0]
    chords = np.bincount(found // 12, minlength=len(_QUALITIES)).astype(float) / max(len(found), 1)
    no_chord = float((cidx < 0).mean()) if len(cidx) else 1.0
    changes = float((np.diff(cidx) != 0).sum()) / span if len(cidx) > 1 else 0.0
    return chords, no_chord, changes


def _local_key_margins(chroma: np.ndarray) -> np.ndarray:
    """Major-minus-minor key correlation over 4 s windows (modal mixture and modulation)."""
    margins = []
    lw = LOCAL_WINDOW_S / CHORD_WINDOW_S
    for s in range(0, len(chroma), int(lw)):
        h = chroma[s : s + int(lw)].sum(0)
        if (h > 0).sum() >= 3:
            _, a, b = _best_key(h)
            margins.append(a - b)
    return np.array(margins or [0.0])


def _vertical_intervals(pitch: np.ndarray, first: np.ndarray, n_on: int, n: int) -> np.ndarray:
    """``[6]`` share of each interval class between pitch classes sounding together at an onset (<= 300 sampled)."""
    vic = np.zeros(6)
    step = max(1, n_on // 300)
    starts = np.r_[np.flatnonzero(first), n]
    for k in range(0, n_on, step):
        pcs = np.unique(pitch[starts[k] : starts[k + 1]].astype(int) % 12)
        if len(pcs) > 1:
            d = np.abs(pcs[:, None] - pcs[None, :])[np.triu_indices(len(pcs), 1)]
            vic += np.bincount(np.minimum(d, 12 - d), minlength=7)[1:7]
    vic /= max(vic.sum(), 1.0)
    return vic
