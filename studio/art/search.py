"""The painter's search: re-aim the next candidate against the image critic's error.

``paint(candidates=N)`` paints candidate 0 from the target's attributes, reads it with the image
critic and, for each next candidate, moves two things against the reading's error
``e = reading - target`` (valence, arousal):

* the *aim*: ``aim -= AIM_STEP * e``; palette hues, line, composition and brushwork are the mapping's
  attributes for the aim (as the music loop re-aims its attributes);
* the *knobs*: the attributes the critic responds to on paintings most (saturation, brightness,
  value contrast, angularity, opacity, empty space, stroke size, diagonals). Their offsets from the
  target's values move by a regularised least-squares step through :data:`RESPONSE`, the critic's
  measured change in reading per unit of each knob, so that the next reading should land on the
  target; each knob stays inside its range.

:data:`RESPONSE` was measured by painting 240 random attribute sets at 256 px (each knob drawn over its
whole range for 60 % of them) and regressing image critic 2.1's readings on the attributes (ridge;
``python tools/fit_paint_response.py`` prints these rows; 229 of 240 read, valence -0.32..+0.60,
arousal -0.27..+0.23). The critic is compressed on paintings (each knob's
full range moves a reading by 0.05-0.35), so a step asks for large moves and the clip does the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from studio.attributes.visual import VisualAttributes
from studio.emotion import Emotion

AIM_STEP = 0.6  # how far the aim (hues, line, brushwork, composition) moves against the error
KNOB_GAIN = 1.0  # share of the least-squares knob step taken
RIDGE = 0.02  # regularisation of the least-squares step (in reading units squared)

# d(reading valence, arousal) / d(attribute), image critic 2.1 on CPU-painter paintings (see module doc).
RESPONSE: dict[str, tuple[float, float]] = {
    "saturation": (0.398, 0.002),
    "brightness": (0.090, -0.152),
    "value_contrast": (-0.174, 0.231),
    "angularity": (-0.165, 0.105),
    "opacity": (0.117, 0.088),
    "empty_space": (-0.264, 0.015),
    "stroke_size": (0.888, -0.047),
    "diagonal_share": (-0.020, 0.056),
}
# Ranges the search keeps each knob in (inside VisualAttributes' own ranges; brightness and saturation
# stay off the extremes where a painting turns into a flat field the critic abstains on).
KNOB_RANGE: dict[str, tuple[float, float]] = {
    "saturation": (0.05, 0.9),
    "brightness": (0.12, 0.9),
    "value_contrast": (0.1, 0.95),
    "angularity": (0.0, 1.0),
    "opacity": (0.3, 1.0),
    "empty_space": (0.05, 0.8),
    "stroke_size": (0.01, 0.08),
    "diagonal_share": (0.05, 0.95),
}


def knob_step(error: np.ndarray, knobs: dict[str, float], gain: float | None = None) -> dict[str, float]:
    """Knob changes that should move the reading by ``-gain * error``.

    Minimum-norm ridge solution of ``J @ delta = -gain * error`` in units of each knob's range (so a
    wide-ranged knob is not favoured), with knobs at a range end not pushed further out.

    Args:
        error: ``[2]`` reading minus target (valence, arousal).
        knobs: current knob values (names of :data:`RESPONSE`).
        gain: share of the step taken (default :data:`KNOB_GAIN`).

    Returns:
        ``{knob: change}`` in attribute units.
    """
    names = list(RESPONSE)
    span = np.array([KNOB_RANGE[k][1] - KNOB_RANGE[k][0] for k in names])
    J = np.array([RESPONSE[k] for k in names]).T * span  # [2, K]: per full range
    want = -(KNOB_GAIN if gain is None else gain) * np.asarray(error, dtype=float)
    free = np.ones(len(names), dtype=bool)
    for _ in range(3):  # drop knobs pinned at the end they would be pushed past, and solve again
        Jf = J[:, free]
        delta = np.zeros(len(names))
        delta[free] = Jf.T @ np.linalg.solve(Jf @ Jf.T + RIDGE * np.eye(2), want)
        x = np.array([knobs[k] for k in names])
        lo, hi = np.array([KNOB_RANGE[k][0] for k in names]), np.array([KNOB_RANGE[k][1] for k in names])
        pinned = ((x <= lo + 1e-6) & (delta < 0)) | ((x >= hi - 1e-6) & (delta > 0))
        if not (pinned & free).any():
            break
        free &= ~pinned
    return {k: float(d * s) for k, d, s in zip(names, delta, span)}


@dataclass
class Search:
    """The re-aim state of one ``paint(candidates=N)`` call.

    Attributes:
        target: the emotion asked for. base: the target's attributes (candidate 0 paints them).
        aim: where palette, line and composition are aimed now. knobs: current knob values.
    """

    target: Emotion
    base: VisualAttributes
    aim: Emotion = field(init=False)
    knobs: dict[str, float] = field(init=False)

    def __post_init__(self) -> None:
        self.aim = self.target
        self.knobs = {k: float(np.clip(getattr(self.base, k), *KNOB_RANGE[k])) for k in RESPONSE}

    def step(self, reading_va: tuple[float, float]) -> VisualAttributes:
        """Re-aim against one reading; returns the next candidate's attributes."""
        from studio.mapping.visual import visual_attributes_for

        t = self.target
        err = np.array(reading_va, dtype=float) - np.array([t.valence, t.arousal])
        self.aim = Emotion(
            float(np.clip(self.aim.valence - AIM_STEP * err[0], -1, 1)),
            float(np.clip(self.aim.arousal - AIM_STEP * err[1], -1, 1)),
            t.dominance,
        )
        for k, d in knob_step(err, self.knobs).items():
            self.knobs[k] = float(np.clip(self.knobs[k] + d, *KNOB_RANGE[k]))
        return visual_attributes_for(self.aim).replace(**self.knobs)


__all__ = ["AIM_STEP", "KNOB_RANGE", "RESPONSE", "Search", "knob_step"]
