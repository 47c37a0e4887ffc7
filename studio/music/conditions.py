"""Condition tokens for the MIDI generator: what a piece is measured to be, as binned tokens.

The generator is conditioned on the same quantities ``studio.attributes.music`` extracts (tempo,
mode, note density, register, velocity, articulation, polyphony, chord valence). Training is
self-supervised: every training piece is measured here and the bins become its prefix tokens.
Bin edges are fitted on the training data (quantiles, so every bin is populated) and saved with the
checkpoint, so a request maps to the same bins the model saw.

Every condition has an ``NA`` value ("unspecified"); training drops each condition with some
probability so users can set one fader and leave the rest.

The measurements are deliberately simple and fast (symusic, numpy) because they run on every
training piece; they follow the definitions of the contract in ``docs/ARCHITECTURE.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Krumhansl-Kessler key profiles (major, minor), tonic first.
_KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])

# Continuous piece-level conditions, in prefix order. ``mode`` is categorical and comes after tempo.
CONTINUOUS = ("tempo", "note_density", "pitch_mean", "velocity_mean", "articulation", "polyphony", "chord_valence")
PREFIX_ORDER = ("tempo", "mode", *CONTINUOUS[1:])
NUM_BINS = 8
BARS_LEFT_MAX = 4  # per-bar "ends in k bars" tokens for k = 1..BARS_LEFT_MAX, else "far"

# Tempo and velocity pile up on a few values in the corpora (EMOPIA is all 120 BPM, Nottingham all
# velocity 90), so quantiles would give empty bins: fixed edges instead.
FIXED_EDGES = {
    "tempo": [66.0, 78.0, 90.0, 102.0, 114.0, 126.0, 144.0],
    "velocity_mean": [45.0, 55.0, 63.0, 70.0, 77.0, 85.0, 95.0],
}

# Physical ranges a request is validated against (and clamped to, with a note).
RANGES = {
    "tempo": (30.0, 240.0),
    "mode": (0.0, 1.0),
    "note_density": (0.1, 16.0),
    "pitch_mean": (21.0, 108.0),
    "velocity_mean": (1.0, 127.0),
    "articulation": (0.05, 8.0),
    "polyphony": (1.0, 10.0),
    "chord_valence": (-1.0, 1.0),
}


def token_name(attr: str) -> str:
    """miditok token type used for a piece-level condition, e.g. ``tempo -> CTempo``."""
    return "C" + "".join(p.capitalize() for p in attr.split("_"))


def condition_vocab() -> list[str]:
    """All extra tokens the generator adds to the REMI vocabulary (``Type_Value`` strings)."""
    toks: list[str] = []
    for attr in PREFIX_ORDER:
        values = ["major", "minor"] if attr == "mode" else [str(i) for i in range(NUM_BINS)]
        toks += [f"{token_name(attr)}_{v}" for v in [*values, "NA"]]
    toks += [f"BarLeft_{k}" for k in range(1, BARS_LEFT_MAX + 1)] + ["BarLeft_far"]
    toks += [f"BarDens_{i}" for i in range(NUM_BINS)] + ["BarDens_NA"]
    return toks


@dataclass
class ConditionBins:
    """Quantile bin edges per continuous condition (``NUM_BINS - 1`` inner edges each)."""

    edges: dict[str, list[float]] = field(default_factory=dict)

    def bin(self, attr: str, value: float) -> int:
        return int(np.searchsorted(np.asarray(self.edges[attr]), value, side="right"))

    def centre(self, attr: str, idx: int) -> float:
        """A representative value of bin ``idx`` (midpoint of its edges; outer bins extrapolate)."""
        e = np.asarray(self.edges[attr], dtype=float)
        if idx <= 0:
            return float(e[0] - (e[1] - e[0]) / 2)
        if idx >= len(e):
            return float(e[-1] + (e[-1] - e[-2]) / 2)
        return float((e[idx - 1] + e[idx]) / 2)

    @classmethod
    def fit(cls, rows: list[dict[str, float]]) -> ConditionBins:
        qs = np.linspace(0, 1, NUM_BINS + 1)[1:-1]
        edges = {}
        for attr in CONTINUOUS:
            if attr in FIXED_EDGES:
                edges[attr] = list(FIXED_EDGES[attr])
                continue
            vals = np.array([r[attr] for r in rows if np.isfinite(r.get(attr, np.nan))])
            e = np.quantile(vals, qs)
            # Strictly increasing edges even where the data piles up on one value (e.g. EMOPIA's 120 BPM).
            for i in range(1, len(e)):
                e[i] = max(e[i], e[i - 1] + 1e-3)
            edges[attr] = [round(float(x), 4) for x in e]
        return cls(edges)

    def to_dict(self) -> dict:
        return {"num_bins": NUM_BINS, "edges": self.edges}

    @classmethod
    def from_dict(cls, d: dict) -> ConditionBins:
        return cls({k: [float(x) for x in v] for k, v in d["edges"].items()})


# ----------------------------------------------------------------------------- measurement


def _notes_array(score) -> np.ndarray:
    """All non-drum notes as ``[N, 4]`` (start, duration, pitch, velocity) in ticks."""
    parts = [t.notes.numpy() for t in score.tracks if not t.is_drum and len(t.notes)]
    if not parts:
        return np.zeros((0, 4), dtype=np.int64)
    arr = np.concatenate(
        [np.stack([p["time"], p["duration"], p["pitch"], p["velocity"]], axis=1).astype(np.int64) for p in parts]
    )
    return arr[np.argsort(arr[:, 0], kind="stable")]


def estimate_key(notes: np.ndarray) -> tuple[int, float]:
    """Krumhansl-Schmuckler key: ``(tonic pitch class, probability of major)``.

    Args:
        notes: ``[N, 4]`` (start, duration, pitch, velocity).
    """
    if len(notes) == 0:
        return 0, 0.5
    hist = np.bincount(notes[:, 2] % 12, weights=np.maximum(notes[:, 1], 1), minlength=12).astype(float)
    best = (-2.0, 0, True)
    maj_r, min_r = np.zeros(12), np.zeros(12)
    for tonic in range(12):
        h = np.roll(hist, -tonic)
        maj_r[tonic] = np.corrcoef(h, _KK_MAJOR)[0, 1] if h.std() > 0 else 0.0
        min_r[tonic] = np.corrcoef(h, _KK_MINOR)[0, 1] if h.std() > 0 else 0.0
        for r, is_major in ((maj_r[tonic], True), (min_r[tonic], False)):
            if r > best[0]:
                best = (r, tonic, is_major)
    _, tonic, is_major = best
    # Major probability from the margin between the best major and best minor reading.
    margin = maj_r.max() - min_r.max()
    p_major = float(1.0 / (1.0 + np.exp(-margin * 20.0)))
    return tonic, p_major


_TRIADS = {  # pitch-class templates relative to the root -> brightness
    (0, 4, 7): 1.0,  # major
    (0, 3, 7): -0.6,  # minor
    (0, 3, 6): -1.0,  # diminished
    (0, 4, 8): 0.0,  # augmented
}


def chord_valence(notes: np.ndarray, tpq: int) -> float:
    """Mean brightness of the triads heard beat by beat, in [-1, 1] (0 when no triad is found)."""
    if len(notes) == 0:
        return 0.0
    n_beats = int(np.ceil((notes[:, 0] + notes[:, 1]).max() / tpq)) + 1
    vals = []
    for b in range(n_beats):
        lo, hi = b * tpq, (b + 1) * tpq
        sounding = notes[(notes[:, 0] < hi) & (notes[:, 0] + notes[:, 1] > lo)]
        pcs = set((sounding[:, 2] % 12).tolist())
        if len(pcs) < 3:
            continue
        best = None
        for root in pcs:
            for tmpl, v in _TRIADS.items():
                if all((root + i) % 12 in pcs for i in tmpl):
                    best = v if best is None else max(best, v)
        if best is not None:
            vals.append(best)
    return float(np.mean(vals)) if vals else 0.0


def measure(score) -> dict[str, float]:
    """Piece-level measurements used as conditions (see module doc).

    Args:
        score: ``symusic.Score`` in ticks.

    Returns:
        dict with ``tempo``, ``key`` (int), ``mode`` (P(major)), ``note_density``, ``pitch_mean``,
        ``velocity_mean``, ``articulation``, ``polyphony``, ``chord_valence``.
    """
    tpq = score.ticks_per_quarter
    notes = _notes_array(score)
    tempo = float(score.tempos[0].qpm) if len(score.tempos) else 120.0
    out = {"tempo": tempo}
    key, p_major = estimate_key(notes)
    out.update(key=key, mode=p_major)
    if len(notes) == 0:
        out.update(note_density=0.0, pitch_mean=60.0, velocity_mean=64.0, articulation=1.0, polyphony=1.0)
        out["chord_valence"] = 0.0
        return out
    end = (notes[:, 0] + notes[:, 1]).max()
    n_beats = max(end / tpq, 1.0)
    onsets = np.unique(notes[:, 0])
    ioi = np.diff(onsets)
    mean_ioi = float(np.median(ioi)) if len(ioi) else float(tpq)
    # Polyphony on a 16th-note grid, counted where anything sounds.
    step = max(tpq // 4, 1)
    grid = np.zeros(int(end // step) + 2, dtype=np.int32)
    s = notes[:, 0] // step
    e = np.maximum((notes[:, 0] + notes[:, 1]) // step, s + 1)
    np.add.at(grid, s, 1)
    np.add.at(grid, e, -1)
    sounding = np.cumsum(grid)[:-1]
    out.update(
        note_density=float(len(notes) / n_beats),
        pitch_mean=float(notes[:, 2].mean()),
        velocity_mean=float(notes[:, 3].mean()),
        articulation=float(notes[:, 1].mean() / max(mean_ioi, 1.0)),
        polyphony=float(sounding[sounding > 0].mean()) if (sounding > 0).any() else 1.0,
        chord_valence=chord_valence(notes, tpq),
    )
    return out


def bar_densities(score, n_bars: int) -> np.ndarray:
    """Notes per beat in each 4/4 bar, ``[n_bars]``."""
    tpq = score.ticks_per_quarter
    notes = _notes_array(score)
    counts = np.bincount((notes[:, 0] // (4 * tpq)).astype(np.int64), minlength=n_bars)[:n_bars]
    return counts / 4.0
