"""Condition tokens for the MIDI generator: what a piece is measured to be, as binned tokens.

The generator is conditioned on the same quantities ``studio.attributes.music`` extracts (tempo,
mode, note density, register, velocity, articulation, polyphony, chord valence). Training is
self-supervised: every training piece is measured here and the bins become its prefix tokens.
Bin edges are fitted on the training data (quantiles, so every bin is populated) and saved with the
checkpoint, so a request maps to the same bins the model saw.

Every condition has an ``NA`` value ("unspecified"); training drops each condition with some
probability so users can set one fader and leave the rest.

The measurements are ``studio.attributes.music``'s (the one definition of every attribute; a few
milliseconds a piece). The released 0.3.0 transformer was trained before that and its bins came from an
older, separate measurer; retraining (``studio train music``) fits new bins on these measurements.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

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
    "velocity_std": (0.0, 40.0),
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


def measure(score) -> dict[str, float]:
    """Piece-level measurements used as conditions: ``studio.attributes.music``'s, the one definition.

    Args:
        score: ``symusic.Score`` in ticks.

    Returns:
        dict with ``tempo``, ``key`` (int), ``mode`` (P(major)), ``note_density``, ``pitch_mean``,
        ``velocity_mean``, ``articulation``, ``polyphony``, ``chord_valence``.
    """
    from studio.attributes.music import extract_attributes

    names = ("tempo", "key", "mode", *CONTINUOUS[1:])
    try:
        m = extract_attributes(score).to_dict()
    except ValueError:  # no pitched notes: the neutral values
        tempo = float(score.tempos[0].qpm) if len(score.tempos) else 120.0
        m = {"tempo": tempo, "key": 0, "mode": 0.5, "note_density": 0.0, "pitch_mean": 60.0, "velocity_mean": 64.0}
        m |= {"articulation": 1.0, "polyphony": 1.0, "chord_valence": 0.0}
    return {k: m[k] for k in names}


def bar_densities(score, n_bars: int) -> np.ndarray:
    """Notes per beat in each 4/4 bar, ``[n_bars]``."""
    tpq = score.ticks_per_quarter
    notes = _notes_array(score)
    counts = np.bincount((notes[:, 0] // (4 * tpq)).astype(np.int64), minlength=n_bars)[:n_bars]
    return counts / 4.0
