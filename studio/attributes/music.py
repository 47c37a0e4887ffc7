"""Music attributes: what a piece *is*, measured from MIDI, and what a generator is asked for.

:class:`MusicAttributes` holds the piece-level quantities of the contract in ``docs/ARCHITECTURE.md``;
:func:`extract_attributes` measures them from a MIDI file, raw bytes, a ``symusic.Score`` or a
``pretty_midi.PrettyMIDI``; :func:`extract_bar_attributes` gives a per-bar view. Every attribute is also
an object (:class:`MusicAttribute`, note-seq style) with ``name``, ``range``, ``bins``, ``validate`` and
``extract`` so the same definition serves as a measurement and as a condition.

Parsing is symusic (C++); all measurements are numpy over its note arrays, so a 3-minute piano piece
takes a few milliseconds. Drum tracks count for ``instruments`` only.

Axis legend: ``n`` notes, ``u`` distinct onsets, ``w`` chord windows, ``c`` 12 pitch classes,
``t`` chord templates (12 roots x 8 qualities).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from studio.errors import user_errors

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_NOTES = 200_000

# Krumhansl & Kessler (1982) probe-tone profiles, tonic first.
KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
# Temperature of the major/minor softmax over (best major r - best minor r); fitted by maximum
# likelihood on POP909 key annotations (songs 001-600; see bench/bench_attributes.py --calibrate).
MODE_TEMPERATURE = 0.07

PITCH_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")

# Chord qualities: intervals above the root and the valence of the quality. Major, maj7, dom7, minor
# and dim values are from a lead-sheet chord valence study (listener ratings of chord qualities in
# lead-sheet context, rescaled to [-1, 1]); aug, min7 and sus are not in that table and are set
# between their neighbours: aug (tense, unresolved) slightly negative, min7 (softened minor) between
# minor and dom7, sus (open, ambiguous) mildly positive.
CHORD_QUALITIES: dict[str, tuple[tuple[int, ...], float]] = {
    "maj": ((0, 4, 7), 0.87),
    "min": ((0, 3, 7), -0.81),
    "dim": ((0, 3, 6), -0.43),
    "aug": ((0, 4, 8), -0.20),
    "7": ((0, 4, 7, 10), -0.02),
    "maj7": ((0, 4, 7, 11), 0.83),
    "min7": ((0, 3, 7, 10), -0.45),
    "sus4": ((0, 5, 7), 0.20),
}
CHORD_WINDOW_BEATS = 2.0  # half a 4/4 bar: long enough to wash out passing notes
MIN_CHORD_SCORE = 0.6
# Onset tempo estimator: log-normal prior centre and weight of the autocorrelation at twice the lag;
# tuned on POP909 songs 001-300 against beat_midi.txt (bench/bench_attributes.py reports all songs).
TEMPO_PRIOR_BPM = 90.0
TEMPO_DOUBLE_WEIGHT = 0.5
TEMPO_WINDOW_SECONDS = 600.0  # tempo is read from the first 10 minutes: the envelope stays <= 60k samples
UNQUANTISED_REGULARITY = 0.45  # below this a default-120 tempo map is treated as meaningless  # cosine similarity below this is "N" (no chord)


def _templates() -> tuple[np.ndarray, list[str], np.ndarray]:
    """Unit-norm chord templates ``[t, c]``, their labels and valences ``[t]``."""
    mats, labels, vals = [], [], []
    for q, (ivs, val) in CHORD_QUALITIES.items():
        base = np.zeros(12)
        base[list(ivs)] = 1.0
        base /= np.linalg.norm(base)
        for root in range(12):
            mats.append(np.roll(base, root))
            labels.append(f"{PITCH_NAMES[root]}:{q}")
            vals.append(val)
    return np.stack(mats), labels, np.array(vals)


_TEMPLATES, _TEMPLATE_LABELS, _TEMPLATE_VALENCE = _templates()


# --- the dataclass -------------------------------------------------------------------------------
@dataclass
class MusicAttributes:
    """Piece-level music attributes (contract in ``docs/ARCHITECTURE.md``). ``None`` = unspecified.

    Args:
        tempo: BPM (quarter notes per minute), duration-weighted over the tempo map.
        key: tonic pitch class 0-11 (C=0).
        mode: probability of major in [0, 1].
        note_density: notes per beat (beat = quarter note).
        onset_density: distinct onsets per beat.
        onset_regularity: 0-1, onsets on the 16th grid, weighted toward strong positions.
        pitch_mean: mean MIDI pitch. pitch_range: semitones between 5th and 95th percentile.
        velocity_mean, velocity_std: MIDI velocity statistics.
        articulation: mean of duration / time to the next onset (legato > 1, staccato < 0.5).
        polyphony: mean number of sounding notes where anything sounds.
        chord_valence: mean lead-sheet valence of the chords heard, in [-1, 1].
        instruments: GM programs present (-1 = drums).
    """

    tempo: float | None = None
    key: int | None = None
    mode: float | None = None
    note_density: float | None = None
    onset_density: float | None = None
    onset_regularity: float | None = None
    pitch_mean: float | None = None
    pitch_range: float | None = None
    velocity_mean: float | None = None
    velocity_std: float | None = None
    articulation: float | None = None
    polyphony: float | None = None
    chord_valence: float | None = None
    instruments: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if v is not None:
                setattr(self, f.name, ATTRIBUTES[f.name].validate(v))

    @property
    def mode_name(self) -> str | None:
        """``"major"`` when P(major) >= 0.5, ``"minor"`` otherwise (``None`` if unspecified)."""
        return None if self.mode is None else ("major" if self.mode >= 0.5 else "minor")

    @property
    def key_name(self) -> str | None:
        """E.g. ``"Eb minor"``."""
        if self.key is None:
            return None
        return f"{PITCH_NAMES[self.key]} {self.mode_name or ''}".strip()

    def specified(self) -> dict[str, Any]:
        """Only the attributes that are set."""
        return {k: v for k, v in self.to_dict().items() if v is not None}

    def to_dict(self) -> dict[str, Any]:
        """Flat JSON-ready dict (floats rounded to 4 places); :meth:`from_dict` reads it back."""
        d: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if v is None or f.name == "key":
                d[f.name] = v
            elif f.name == "instruments":
                d[f.name] = list(v)
            else:
                d[f.name] = round(float(v), 4)
        return d

    @classmethod
    def from_dict(cls, d: dict | MusicAttributes, **overrides: Any) -> MusicAttributes:
        """Build from a (partial) dict; unknown names raise ``ValueError`` listing the known ones.

        Extra keys ``mode_name``/``key_name`` written by some tools are accepted and ignored.
        """
        if isinstance(d, MusicAttributes):
            d = d.to_dict()
        if not isinstance(d, dict):
            raise TypeError(f"music attributes must be a dict or MusicAttributes, got {type(d).__name__}")
        merged = {k: v for k, v in {**d, **overrides}.items() if k not in ("mode_name", "key_name")}
        unknown = set(merged) - set(ATTRIBUTES)
        if unknown:
            raise ValueError(f"unknown music attributes {sorted(unknown)}; known: {list(ATTRIBUTES)}")
        return cls(**merged)

    def replace(self, **changes: Any) -> MusicAttributes:
        """A copy with some attributes changed (validated)."""
        return MusicAttributes.from_dict(self.to_dict(), **changes)


# --- loading ------------------------------------------------------------------------------------
def load_score(midi: Any):
    """Parse ``midi`` into a ``symusic.Score`` (tick time).

    Args:
        midi: a path (str/PathLike), raw MIDI bytes, a ``symusic.Score`` or a ``pretty_midi.PrettyMIDI``.

    Raises:
        FileNotFoundError: no such file. ValueError: not a readable MIDI, over the size cap, or too many notes.
        TypeError: an unsupported type.
    """
    import symusic

    if isinstance(midi, symusic.Score):
        score = midi if midi.ttype == "Tick" or str(midi.ttype) == "Tick" else midi.to("tick")
    elif isinstance(midi, (bytes, bytearray, memoryview)):
        score = _parse_bytes(bytes(midi), "MIDI bytes")
    elif isinstance(midi, (str, os.PathLike)):
        p = Path(midi)
        if not p.is_file():
            raise FileNotFoundError(f"no MIDI file at {p}")
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ValueError(
                f"{p.name} is {size / 2**20:.1f} MB; MIDI files up to {MAX_FILE_BYTES // 2**20} MB are accepted"
            )
        score = _parse_bytes(p.read_bytes(), str(p))
    elif type(midi).__name__ == "PrettyMIDI":
        import io

        buf = io.BytesIO()
        midi.write(buf)
        score = _parse_bytes(buf.getvalue(), "PrettyMIDI object")
    else:
        raise TypeError(
            f"cannot read music from {type(midi).__name__}; give a .mid path, MIDI bytes, a symusic.Score "
            "or a pretty_midi.PrettyMIDI"
        )
    check_score(score)
    n = sum(len(t.notes) for t in score.tracks)
    if n > MAX_NOTES:
        raise ValueError(f"the MIDI has {n} notes; at most {MAX_NOTES} are accepted")
    return score


def check_score(score, what: str = "the MIDI"):
    """The checks every loaded piece passes, whoever loaded it (attributes, critic, renderer, transform).

    Raises:
        StudioError: a degenerate header, e.g. 0 ticks per quarter note, which makes every time
            conversion divide by zero.
    """
    from studio.errors import StudioError

    tpq = int(score.ticks_per_quarter)
    if tpq <= 0:
        raise StudioError(f"{what} has {tpq} ticks per quarter note in its header; a standard MIDI file has 1-32767")
    return score


def _parse_bytes(data: bytes, what: str):
    import symusic

    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"{what} is {len(data) / 2**20:.1f} MB; MIDI up to {MAX_FILE_BYTES // 2**20} MB is accepted")
    if len(data) < 14 or not data.startswith(b"MThd"):
        raise ValueError(f"{what} is not a standard MIDI file (no 'MThd' header); give a .mid/.midi file")
    try:
        score = symusic.Score.from_midi(data)
    except Exception as e:  # symusic raises RuntimeError for any malformed file
        raise ValueError(f"{what} is not a readable MIDI file: {e}") from None
    return check_score(score, what)


@dataclass
class _Notes:
    """Pitched notes of a score in beats (quarter notes), sorted by onset; shapes ``[n]``."""

    start: np.ndarray
    dur: np.ndarray
    pitch: np.ndarray
    velocity: np.ndarray
    tpq: int
    score: Any

    @property
    def end(self) -> np.ndarray:
        return self.start + self.dur

    @property
    def span(self) -> float:
        """Length in beats from the first onset to the last release (at least one beat)."""
        return max(float(self.end.max() - self.start.min()), 1.0)


def _pitched_notes(score) -> _Notes:
    parts = [t.notes.numpy() for t in score.tracks if not t.is_drum and len(t.notes)]
    if not parts:
        has_drums = any(t.is_drum and len(t.notes) for t in score.tracks)
        raise ValueError("the MIDI has no pitched notes" + (" (drums only)" if has_drums else " (it is empty)"))
    cat = {k: np.concatenate([p[k] for p in parts]) for k in ("time", "duration", "pitch", "velocity")}
    order = np.argsort(cat["time"], kind="stable")
    tpq = max(int(score.ticks_per_quarter), 1)
    start = cat["time"][order].astype(np.float64) / tpq
    dur = np.maximum(cat["duration"][order].astype(np.float64) / tpq, 1.0 / 64)
    notes = _Notes(
        start, dur, cat["pitch"][order].astype(np.int64), cat["velocity"][order].astype(np.float64), tpq, score
    )
    if notes.end.max() - notes.start.min() <= 0:
        raise ValueError("the MIDI has zero length")
    return notes


# --- measurements -------------------------------------------------------------------------------
def _tempo(n: _Notes) -> float:
    """Duration-weighted mean BPM over the tempo map (120 when the file has none, per the MIDI spec)."""
    tm = n.score.tempos.numpy()
    if len(tm["time"]) == 0:
        return 120.0
    t = tm["time"].astype(np.float64) / n.tpq
    qpm = 6e7 / np.maximum(tm["mspq"].astype(np.float64), 1.0)
    end = float(n.end.max())
    seg_end = np.append(t[1:], max(end, t[-1]))
    w = np.clip(seg_end, 0, end) - np.clip(t, 0, end)
    if w.sum() <= 0:
        return float(qpm[-1])
    return float((qpm * w).sum() / w.sum())


def tempo_from_onsets(
    onset_seconds: np.ndarray,
    weights: np.ndarray | None = None,
    prior_bpm: float = TEMPO_PRIOR_BPM,
    double_weight: float = TEMPO_DOUBLE_WEIGHT,
) -> float:
    """Beat-period estimate from onset times alone (for performance MIDI with no real tempo map).

    Autocorrelation of a 10 ms onset envelope (first ``TEMPO_WINDOW_SECONDS``) over lags of 40-240 BPM, times a log-normal prior
    centred on 120 BPM (one octave s.d., as in common audio tempo estimators), plus half the
    autocorrelation at twice the lag so the beat level beats its subdivisions.

    Args:
        onset_seconds: ``[u]`` distinct onset times in seconds.
        weights: ``[u]`` onset strengths (e.g. notes per onset); ones when omitted.

    Returns:
        BPM (120 when there are too few onsets to tell).
    """
    if len(onset_seconds) < 8:
        return 120.0
    hop = 0.01
    w = np.ones(len(onset_seconds)) if weights is None else np.asarray(weights, dtype=np.float64)
    t = onset_seconds - onset_seconds.min()
    keep = t <= TEMPO_WINDOW_SECONDS  # a sparse hours-long file would need an envelope of billions of samples
    if keep.sum() < 8:
        return 120.0
    env = np.bincount(np.round(t[keep] / hop).astype(np.int64), weights=w[keep])
    env = np.convolve(env, np.exp(-0.5 * (np.arange(-6, 7) / 2.0) ** 2), mode="same")
    env = env - env.mean()
    nfft = 1 << int(np.ceil(np.log2(2 * len(env))))
    spec = np.fft.rfft(env, nfft)
    ac = np.fft.irfft(spec * np.conj(spec), nfft)[: len(env)]
    lags = np.arange(25, 151)  # 0.25 s .. 1.5 s
    lags = lags[2 * lags < len(ac)]
    if len(lags) == 0:
        return 120.0
    bpm = 60.0 / (lags * hop)
    score = (ac[lags] + double_weight * ac[2 * lags]) * np.exp(-0.5 * np.log2(bpm / prior_bpm) ** 2)
    return float(bpm[int(np.argmax(score))])


def pitch_class_histogram(n: _Notes) -> np.ndarray:
    """Duration-weighted pitch-class histogram ``[c]`` summing to 1."""
    h = np.bincount(n.pitch % 12, weights=n.dur, minlength=12)
    return h / max(h.sum(), 1e-9)


@lru_cache(maxsize=1)
def _profiles_z() -> np.ndarray:
    """The 24 rotated KK profiles, standardised: ``[2, 12 tonic, c]`` (built once; read-only)."""
    profiles = np.stack([[np.roll(p, k) for k in range(12)] for p in (KK_MAJOR, KK_MINOR)])
    pz = (profiles - profiles.mean(-1, keepdims=True)) / profiles.std(-1, keepdims=True)
    pz.setflags(write=False)
    return pz


def key_correlations(hist: np.ndarray) -> np.ndarray:
    """Pearson r of a pitch-class histogram with the 24 rotated KK profiles: ``[2, 12]`` (major, minor) x tonic."""
    pz = _profiles_z()
    sd = hist.std()
    if sd == 0:
        return np.zeros((2, 12))
    hz = (hist - hist.mean()) / sd
    return pz @ hz / 12.0


def estimate_key(n: _Notes, temperature: float = MODE_TEMPERATURE) -> tuple[int, float]:
    """Krumhansl-Schmuckler key finding: ``(tonic, P(major))``.

    The tonic is that of the best-correlating profile; P(major) is a two-way softmax over the best
    major and best minor correlation.
    """
    return key_from_histogram(pitch_class_histogram(n), temperature)


def key_from_histogram(hist: np.ndarray, temperature: float = MODE_TEMPERATURE) -> tuple[int, float]:
    """:func:`estimate_key` on a pitch-class histogram ``[c]`` (any non-negative weights)."""
    r = key_correlations(np.asarray(hist, dtype=np.float64))
    mode_idx, tonic = np.unravel_index(int(np.argmax(r)), r.shape)
    p_major = 1.0 / (1.0 + math.exp(-(r[0].max() - r[1].max()) / temperature))
    return int(tonic), float(p_major)


def _onsets(n: _Notes) -> np.ndarray:
    """Distinct onsets ``[u]`` in beats (notes within 1/32 beat count as one onset)."""
    q = np.round(n.start * 32) / 32
    return np.unique(q)


def _onset_regularity(onsets: np.ndarray) -> float:
    """Metrical weight of onsets: beat 1.0, 8th 0.75, 16th 0.5, off the 16th grid 0.

    Tolerance is a 64th note, so performance-timed MIDI scores low and quantised MIDI high.
    """
    # Remove a constant grid offset (files whose first downbeat is not at tick 0, e.g. POP909): the
    # circular mean phase of the onsets on the 16th grid.
    ang = (onsets % 0.25) / 0.25 * 2 * np.pi
    phase = float(np.angle(np.exp(1j * ang).mean())) / (2 * np.pi) * 0.25
    frac = (onsets - phase) % 1.0
    tol = 1.0 / 16

    def near(step: float) -> np.ndarray:
        d = frac % step
        return np.minimum(d, step - d) < tol / 2

    w = np.where(near(1.0), 1.0, np.where(near(0.5), 0.75, np.where(near(0.25), 0.5, 0.0)))
    return float(w.mean())


def _articulation(n: _Notes, onsets: np.ndarray) -> float:
    """Mean of duration / gap to the next distinct onset (each ratio clipped to 8; last onset skipped)."""
    nxt_idx = np.searchsorted(onsets, n.start + 1.0 / 64, side="left")
    ok = nxt_idx < len(onsets)
    if not ok.any():
        return 1.0
    gap = onsets[nxt_idx[ok]] - n.start[ok]
    return float(np.clip(n.dur[ok] / np.maximum(gap, 1.0 / 64), 0.0, 8.0).mean())


def _polyphony(n: _Notes) -> float:
    """Mean number of sounding notes over the time where at least one sounds."""
    t = np.concatenate([n.start, n.end])
    step = np.concatenate([np.ones_like(n.start), -np.ones_like(n.start)])
    order = np.lexsort((step, t))  # releases before attacks at equal times
    t, count = t[order], np.cumsum(step[order])
    seg = np.diff(t)
    c = count[:-1]
    m = c > 0
    return float((c[m] * seg[m]).sum() / max(seg[m].sum(), 1e-9)) if m.any() else 1.0


def _chroma_windows(n: _Notes, window: float, t0: float = 0.0) -> np.ndarray:
    """Duration-weighted chroma per window of ``window`` beats from ``t0``: ``[w, c]``."""
    s, e = (n.start - t0) / window, (n.end - t0) / window
    first, last = (
        np.floor(s).astype(np.int64),
        np.maximum(np.ceil(e).astype(np.int64) - 1, np.floor(s).astype(np.int64)),
    )
    span = np.minimum(last - first + 1, 64)  # a note held for > 64 windows counts in its first 64
    idx = np.repeat(np.arange(len(s)), span)
    win = first[idx] + (np.arange(len(idx)) - np.repeat(np.cumsum(span) - span, span))
    overlap = np.minimum(e[idx], win + 1) - np.maximum(s[idx], win)
    num = int(win.max()) + 1
    chroma = np.zeros((num, 12))
    np.add.at(chroma, (win, n.pitch[idx] % 12), np.clip(overlap, 0, None))
    return chroma


def match_chords(chroma: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Template matching of chroma windows ``[w, c]``.

    Returns:
        template index ``[w]`` (-1 = no chord), cosine score ``[w]``, valence ``[w]`` (nan = no chord).
    """
    norm = np.linalg.norm(chroma, axis=1, keepdims=True)
    cos = (chroma / np.maximum(norm, 1e-9)) @ _TEMPLATES.T  # [w, t]
    best = cos.argmax(1)
    score = cos[np.arange(len(cos)), best]
    ok = (norm[:, 0] > 0) & (score >= MIN_CHORD_SCORE)
    idx = np.where(ok, best, -1)
    return idx, score, np.where(ok, _TEMPLATE_VALENCE[best], np.nan)


def chord_label(idx: int) -> str:
    return "N" if idx < 0 else _TEMPLATE_LABELS[idx]


def chord_pitch_classes(idx: int) -> frozenset[int]:
    """Pitch classes of the chord template ``idx`` from :func:`match_chords` (empty for -1, no chord)."""
    return frozenset() if idx < 0 else frozenset(int(c) for c in np.flatnonzero(_TEMPLATES[idx] > 0))


def _chord_valence(n: _Notes) -> float:
    """Mean valence of the chords found in half-bar windows, weighted by how much sounds in each."""
    chroma = _chroma_windows(n, CHORD_WINDOW_BEATS)
    _, _, val = match_chords(chroma)
    w = chroma.sum(1)
    m = ~np.isnan(val)
    return float((val[m] * w[m]).sum() / w[m].sum()) if m.any() else 0.0


def _instruments(score) -> tuple[int, ...]:
    progs = []
    for t in score.tracks:
        if len(t.notes):
            p = -1 if t.is_drum else int(t.program)
            if p not in progs:
                progs.append(p)
    return tuple(progs)


def _tempo_and_beat_scale(n: _Notes, onsets: np.ndarray, regularity: float) -> tuple[float, float]:
    """Tempo, and the factor turning per-quarter-note rates into per-beat rates at that tempo.

    A file whose only tempo is the MIDI default (none, or a single 120 BPM event) and whose onsets
    sit off the grid is a performance transcription (EMOPIA, most piano transcriptions): its tempo
    map says nothing, so the tempo comes from the onsets (:func:`tempo_from_onsets`) and densities
    are counted per estimated beat. Quantised files keep their tempo map.
    """
    map_tempo = _tempo(n)
    tm = n.score.tempos.numpy()
    default_map = len(tm["time"]) == 0 or (len(tm["time"]) == 1 and abs(map_tempo - 120.0) < 0.01)
    if not (default_map and regularity < UNQUANTISED_REGULARITY):
        return map_tempo, 1.0
    weights = np.bincount(np.searchsorted(onsets, np.round(n.start * 32) / 32), minlength=len(onsets))
    est = tempo_from_onsets(onsets * 60.0 / map_tempo, weights)
    return est, map_tempo / est


def _measure(n: _Notes) -> dict[str, Any]:
    onsets = _onsets(n)
    key, mode = estimate_key(n)
    p5, p95 = np.percentile(n.pitch, [5, 95])
    regularity = _onset_regularity(onsets)
    tempo, scale = _tempo_and_beat_scale(n, onsets, regularity)
    return {
        "tempo": tempo,
        "key": key,
        "mode": mode,
        "note_density": len(n.start) / n.span * scale,
        "onset_density": len(onsets) / n.span * scale,
        "onset_regularity": regularity,
        "pitch_mean": float(n.pitch.mean()),
        "pitch_range": float(p95 - p5),
        "velocity_mean": float(n.velocity.mean()),
        "velocity_std": float(n.velocity.std()),
        "articulation": _articulation(n, onsets),
        "polyphony": _polyphony(n),
        "chord_valence": _chord_valence(n),
        "instruments": _instruments(n.score),
    }


@user_errors
def extract_attributes(midi: Any) -> MusicAttributes:
    """Measure all :class:`MusicAttributes` of a piece.

    Args:
        midi: a ``.mid`` path, raw MIDI bytes, a ``symusic.Score`` or a ``pretty_midi.PrettyMIDI``.

    Returns:
        MusicAttributes with every field set (values clipped into each attribute's range).

    Raises:
        ValueError: unreadable/oversized MIDI, or no pitched notes (empty, drums only, zero length).
    """
    n = _pitched_notes(load_score(midi))
    return MusicAttributes(**{k: ATTRIBUTES[k].clip(v) for k, v in _measure(n).items()})


def _bar_starts(n: _Notes) -> np.ndarray:
    """Bar start times in beats from the time-signature map (4/4 when there is none)."""
    ts = n.score.time_signatures.numpy()
    end = float(n.end.max())
    if len(ts["time"]) == 0:
        return np.arange(0.0, end, 4.0)
    t = ts["time"].astype(np.float64) / n.tpq
    bar_len = ts["numerator"].astype(np.float64) * 4.0 / np.maximum(ts["denominator"].astype(np.float64), 1)
    starts = [np.arange(0.0, min(t[0], end), 4.0)] if t[0] > 0 else []
    for i in range(len(t)):
        stop = t[i + 1] if i + 1 < len(t) else end
        starts.append(np.arange(t[i], max(stop, t[i] + 1e-9), max(bar_len[i], 0.25)))
    return np.concatenate(starts)


def extract_bar_attributes(midi: Any) -> list[dict[str, Any]]:
    """Per-bar attributes of a piece.

    Args:
        midi: as for :func:`extract_attributes`.

    Returns:
        One dict per bar: ``bar`` (0-based), ``start`` (beats), ``beats``, ``note_density``,
        ``onset_density`` (per beat), ``pitch_mean`` and ``velocity_mean`` (None in an empty bar),
        ``polyphony``, ``chord`` (e.g. ``"A:min"`` or ``"N"``) and ``chord_valence`` (None for "N").
    """
    n = _pitched_notes(load_score(midi))
    starts = _bar_starts(n)
    lens = np.diff(np.append(starts, max(float(n.end.max()), starts[-1] + 1e-9)))
    bar_of = np.clip(np.searchsorted(starts, n.start, side="right") - 1, 0, len(starts) - 1)
    onsets = _onsets(n)
    onset_bar = np.clip(np.searchsorted(starts, onsets, side="right") - 1, 0, len(starts) - 1)
    count = np.bincount(bar_of, minlength=len(starts))
    on_count = np.bincount(onset_bar, minlength=len(starts))
    psum = np.bincount(bar_of, weights=n.pitch, minlength=len(starts))
    vsum = np.bincount(bar_of, weights=n.velocity, minlength=len(starts))
    # Sounding-note time inside each bar / time anything sounds there: clip each note to its bars.
    chroma, sounding = _bar_chroma(n, starts)
    chord_idx, _, chord_val = match_chords(chroma)
    out = []
    for b in range(len(starts)):
        beats = float(max(lens[b], 1e-9))
        out.append(
            {
                "bar": b,
                "start": round(float(starts[b]), 4),
                "beats": round(beats, 4),
                "note_density": round(float(count[b]) / beats, 4),
                "onset_density": round(float(on_count[b]) / beats, 4),
                "pitch_mean": round(float(psum[b] / count[b]), 3) if count[b] else None,
                "velocity_mean": round(float(vsum[b] / count[b]), 3) if count[b] else None,
                "polyphony": round(float(chroma[b].sum() / sounding[b]), 3) if sounding[b] > 0 else 0.0,
                "chord": chord_label(int(chord_idx[b])),
                "chord_valence": None if np.isnan(chord_val[b]) else round(float(chord_val[b]), 3),
            }
        )
    return out


def _split_over_bars(start: np.ndarray, end: np.ndarray, starts: np.ndarray):
    """Cut intervals ``[n]`` at bar lines: (interval index, bar, overlap in beats), each ``[pieces]``."""
    edges = np.append(starts, np.inf)
    first = np.clip(np.searchsorted(starts, start, side="right") - 1, 0, len(starts) - 1)
    last = np.clip(np.searchsorted(starts, end - 1e-9, side="right") - 1, first, len(starts) - 1)
    span = last - first + 1
    idx = np.repeat(np.arange(len(first)), span)
    bar = first[idx] + (np.arange(len(idx)) - np.repeat(np.cumsum(span) - span, span))
    overlap = np.clip(np.minimum(end[idx], edges[bar + 1]) - np.maximum(start[idx], edges[bar]), 0, None)
    return idx, bar, overlap


def _bar_chroma(n: _Notes, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Chroma ``[bars, c]`` of note time in each bar, and the time anything sounds in each bar ``[bars]``."""
    idx, bar, overlap = _split_over_bars(n.start, n.end, starts)
    chroma = np.zeros((len(starts), 12))
    np.add.at(chroma, (bar, n.pitch[idx] % 12), overlap)
    # Union of the note intervals (notes are sorted by onset): a new interval starts where an onset
    # comes after every earlier note has ended.
    e = np.maximum.accumulate(n.end)
    new = np.append(True, n.start[1:] > e[:-1])
    last_of_group = np.append(np.flatnonzero(new)[1:] - 1, len(e) - 1)
    _, ubar, uover = _split_over_bars(n.start[new], e[last_of_group], starts)
    sounding = np.bincount(ubar, weights=uover, minlength=len(starts))
    return chroma, sounding


# --- attribute objects ---------------------------------------------------------------------------
@dataclass(frozen=True)
class MusicAttribute:
    """One music attribute as an object (note-seq style).

    Args:
        name: field name in :class:`MusicAttributes`.
        range: ``(low, high)`` accepted as a condition; measurements are clipped into it.
        bins: inner bin edges used to turn a value into a condition token (``bin(v)`` in 0..len(bins)).
        description: one line for UIs and errors.
        kind: ``"float"``, ``"int"`` (key) or ``"programs"`` (instruments).
    """

    name: str
    range: tuple[float, float]
    bins: tuple[float, ...]
    description: str
    kind: str = "float"

    def validate(self, value: Any) -> Any:
        """Return ``value`` as the attribute's type; ``TypeError``/``ValueError`` naming the accepted range."""
        lo, hi = self.range
        if self.kind == "programs":
            if isinstance(value, (int, np.integer)):
                value = (value,)
            if not isinstance(value, (tuple, list, np.ndarray)):
                raise TypeError(f"instruments must be a tuple of GM programs 0-127 (-1 = drums), got {value!r}")
            out = []
            for p in value:
                if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or not -1 <= int(p) <= 127:
                    raise ValueError(f"instruments must be GM programs 0-127 or -1 for drums, got {p!r}")
                out.append(int(p))
            return tuple(out)
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"{self.name} must be a number in [{lo:g}, {hi:g}] ({self.description}), got {value!r}")
        v = float(value)
        if not math.isfinite(v) or not lo <= v <= hi:
            raise ValueError(f"{self.name} must be in [{lo:g}, {hi:g}] ({self.description}), got {v:g}")
        if self.kind == "int":
            if v != int(v):
                raise ValueError(f"{self.name} must be a whole number in [{lo:g}, {hi:g}], got {v:g}")
            return int(v)
        return v

    def clip(self, value: Any) -> Any:
        """Clip a measured value into range (measurements can stray, e.g. a 400 BPM tempo map)."""
        if self.kind != "float":
            return value
        return float(np.clip(value, *self.range))

    def bin(self, value: float) -> int:
        """Condition bin index of a value, 0..len(bins)."""
        return int(np.searchsorted(np.asarray(self.bins), float(value), side="right"))

    def extract(self, midi: Any) -> Any:
        """This attribute measured from a piece (see :func:`extract_attributes` for accepted inputs)."""
        return getattr(extract_attributes(midi), self.name)


def _a(name, lo, hi, bins, desc, kind="float"):
    return name, MusicAttribute(name, (float(lo), float(hi)), tuple(float(b) for b in bins), desc, kind)


ATTRIBUTES: dict[str, MusicAttribute] = dict(
    [
        _a("tempo", 20, 320, (66, 80, 92, 104, 116, 128, 144, 168), "BPM"),
        _a("key", 0, 11, range(1, 12), "tonic pitch class, C=0", "int"),
        _a("mode", 0, 1, (0.5,), "probability of major"),
        _a("note_density", 0, 40, (1, 2, 3, 4, 6, 8, 11, 15), "notes per beat"),
        _a("onset_density", 0, 16, (0.5, 1, 1.5, 2, 2.5, 3, 4, 5), "distinct onsets per beat"),
        _a("onset_regularity", 0, 1, (0.2, 0.4, 0.6, 0.8), "metrical weight of onsets on the 16th grid"),
        _a("pitch_mean", 0, 127, (48, 54, 58, 62, 66, 70, 76), "mean MIDI pitch"),
        _a("pitch_range", 0, 127, (12, 18, 24, 30, 36, 42, 48), "semitones, 5th to 95th percentile"),
        _a("velocity_mean", 0, 127, (40, 50, 60, 70, 80, 90, 100), "mean MIDI velocity"),
        _a("velocity_std", 0, 64, (5, 8, 11, 14, 18, 24), "MIDI velocity spread"),
        _a("articulation", 0, 8, (0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0), "duration / gap to next onset"),
        _a("polyphony", 0, 64, (1.5, 2, 2.5, 3, 3.5, 4, 5, 6), "mean sounding notes"),
        _a("chord_valence", -1, 1, (-0.5, -0.2, 0.0, 0.2, 0.5), "lead-sheet chord brightness"),
        _a("instruments", -1, 127, (), "GM programs, -1 = drums", "programs"),
    ]
)
