"""Dynamics: how loud each note is played. One definition for the lead-sheet generator and MIDI re-aiming.

A velocity is built as a *shape* (a metric accent on the 16th grid, plus whatever the caller adds: a melody
lift, a phrase's arch, a player's own dynamics) and then placed: centred on the asked ``velocity_mean`` and
scaled to the asked ``velocity_std``, both as :mod:`studio.attributes.music` measures them.
"""

from __future__ import annotations

import numpy as np

STEPS_PER_BAR = 16


def metric_accent(step: int) -> float:
    """Velocity offset of a note starting at 16th ``step``: downbeat, beat 3, other beats, off-beats."""
    s = int(step) % STEPS_PER_BAR
    return 6.0 if s == 0 else 3.0 if s == 8 else 0.0 if s % 4 == 0 else -3.0


def place(shape: np.ndarray, mean: float, spread: float) -> np.ndarray:
    """MIDI velocities (ints in 1-127) with ``shape``'s pattern, centred on ``mean`` and scaled to ``spread``
    (a flat shape stays flat at ``mean``)."""
    shape = np.asarray(shape, dtype=float)
    dev = shape - shape.mean() if len(shape) else shape
    sd = float(dev.std()) if len(dev) else 0.0
    vel = mean + (dev * (float(spread) / sd) if sd > 0 else dev)
    return np.clip(np.round(vel), 1, 127).astype(int)
