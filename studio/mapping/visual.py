"""Emotion (valence, arousal, dominance) -> :class:`VisualAttributes`, from published colour and line studies.

No fitting: each channel is a documented prior (sources in ``models/cpu-painter/README.md``).

* Brightness and saturation: Valdez & Mehrabian (1994) regressions on standardised B and S,
  ``P = .69 B + .22 S`` and ``A = -.31 B + .60 S``, solved for (B, S) given (P, A); the same
  equations read an image back (:func:`estimate_emotion`, as in Machajdik & Hanbury 2010).
* Hue: anchor hues in the valence-arousal plane blended on the colour circle: pleasant hues blue,
  blue-green, green (Valdez & Mehrabian 1994), warm hues for activity and heat (Ou et al. 2004),
  red for anger and threat; palette spread widens and gains a complementary accent with arousal
  (Ou et al. 2004 colour activity).
* Line: angular and diagonal forms for threat and high arousal, curves for calm and pleasant
  (Aronoff et al. 1988, 1992; Bar & Neta 2006; Larson et al. 2009).
* Dominance: B and S alone tie D to P and A (Valdez: ``D = -.76 B + .32 S``), so it gets its own
  channels: scale of forms and strokes, value contrast, visual weight low in the frame.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from studio.attributes.visual import VisualAttributes, hue_warmth
from studio.emotion import Emotion

# Valdez & Mehrabian (1994), standardised regressions of pleasure/arousal on brightness/saturation.
VALDEZ_P = (0.69, 0.22)
VALDEZ_A = (-0.31, 0.60)
VALDEZ_D = (-0.76, 0.32)
# Reference statistics (mean, sd) of mean HSV value/saturation over paintings and photos: the
# z-scores of the equations are taken against these. Chosen so that z = +-2 stays inside [0, 1].
B_REF = (0.55, 0.17)
S_REF = (0.42, 0.17)
# How far (in z units) a full-scale emotion moves B and S: the equations give |z| up to ~1.5.
Z_GAIN = 1.1

# (valence, arousal, hue in degrees): anchor hues in the VA plane (see module docstring).
HUE_ANCHORS = (
    (0.80, 0.45, 42.0),  # joy, delight: golden orange (warm, active: Ou et al. 2004)
    (0.35, 0.90, 22.0),  # excitement: orange
    (0.55, -0.15, 200.0),  # serenity: sky blue (pleasant, low arousal: Valdez & Mehrabian 1994)
    (0.70, -0.50, 165.0),  # relaxation: blue-green
    (-0.70, -0.35, 220.0),  # sadness: blue
    (-0.45, -0.70, 235.0),  # boredom, fatigue: slate
    (-0.75, 0.40, 2.0),  # anger: red
    (-0.45, 0.75, 12.0),  # alarm: red-orange
    (-0.35, -0.25, 268.0),  # unease, tension: violet
)
HUE_KERNEL = 0.3


def _solve_bs(valence: float, arousal: float) -> tuple[float, float]:
    """Invert the 2x2 Valdez system: z-scores (B, S) that give pleasure=valence, arousal=arousal."""
    (pb, ps), (ab, as_) = VALDEZ_P, VALDEZ_A
    det = pb * as_ - ps * ab
    zb = (as_ * valence - ps * arousal) / det
    zs = (-ab * valence + pb * arousal) / det
    return zb, zs


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _blend_hue(valence: float, arousal: float) -> float:
    """Gaussian-kernel weighted circular mean of the anchor hues."""
    x = y = 0.0
    for v, a, h in HUE_ANCHORS:
        w = math.exp(-((valence - v) ** 2 + (arousal - a) ** 2) / (2 * HUE_KERNEL**2))
        x += w * math.cos(math.radians(h))
        y += w * math.sin(math.radians(h))
    return math.degrees(math.atan2(y, x)) % 360.0


def palette_for(emotion: Any) -> tuple[float, ...]:
    """Palette hues (degrees), main hue first: analogous when calm, wide + complementary accent when aroused."""
    e = Emotion.coerce(emotion)
    v, a = e.valence, e.arousal
    h0 = _blend_hue(v, a)
    spread = 18.0 + 22.0 * (a + 1) / 2 + 8.0 * max(v, 0)
    hues = [h0, h0 - spread, h0 + spread]
    if a > 0.2:  # activity: a complementary accent (Ou et al. 2004 colour activity / harmony)
        hues.append(h0 + 180.0)
    if v > 0:  # yellow and green-yellow are the least pleasant hues (Valdez & Mehrabian 1994): step around them
        hues = [h if not 62.0 <= h % 360.0 <= 105.0 else (50.0 if h % 360.0 < 80.0 else 130.0) for h in hues]
    if v < -0.3:  # unpleasant: narrow toward monochrome
        hues = [h0, h0 - 0.3 * spread, h0 + 0.3 * spread] + hues[3:]
    return tuple(round(h % 360.0, 1) for h in hues)


def visual_attributes_for(emotion: Any, **overrides: Any) -> VisualAttributes:
    """The visual attributes that carry an emotion.

    Args:
        emotion: anything :meth:`Emotion.coerce` accepts (label, ``(v, a[, d])``, dict, text, Emotion).
        **overrides: attribute fields to set directly (validated).

    Returns:
        :class:`VisualAttributes` with every field set.
    """
    e = Emotion.coerce(emotion)
    v, a, d = e.valence, e.arousal, e.dominance
    zb, zs = _solve_bs(v, a)
    brightness = float(np.clip(B_REF[0] + Z_GAIN * B_REF[1] * zb, 0.08, 0.95))
    saturation = float(np.clip(S_REF[0] + Z_GAIN * S_REF[1] * zs, 0.04, 0.95))
    hues = palette_for(e)
    sat_w = np.array([1.0, 0.6, 0.6] + [0.3] * (len(hues) - 3))
    warmth = float(np.clip((hue_warmth(np.array(hues)) * sat_w).sum() / sat_w.sum(), -1, 1))

    # Threat = unpleasant and activated: angular, diagonal lines (Aronoff 1988; Bar & Neta 2006).
    threat = (-v) * (a + 1) / 2
    angularity = _sigmoid(4.0 * (threat + 0.5 * a - 0.15))
    diagonal = float(np.clip(0.35 + 0.4 * a + 0.2 * threat, 0.05, 0.95))

    # Light: arousal and dominance raise value contrast; key follows brightness (low key for sadness).
    contrast = float(np.clip(0.45 + 0.25 * a + 0.15 * d + 0.1 * max(-v, 0) * max(a, 0), 0.1, 0.95))
    key = float(np.clip(1.6 * (brightness - 0.5), -1, 1))

    # Brushwork: dominance -> scale of forms; arousal -> agitation, density, shorter choppier strokes.
    stroke_size = float(np.clip(0.03 + 0.012 * d - 0.006 * a, 0.01, 0.08))
    stroke_length = float(np.clip(8.0 - 3.0 * a + 1.0 * v * (a < 0), 2.0, 14.0))
    curvature = float(np.clip(0.85 * (1.0 - angularity), 0.0, 1.0))
    jitter = float(np.clip(0.2 + 0.35 * (a + 1) / 2 + 0.15 * max(-v, 0) * max(a, 0), 0, 1))
    opacity = float(np.clip(0.7 + 0.15 * a + 0.1 * d, 0.3, 1.0))
    density = float(np.clip(0.45 + 0.3 * a, 0.1, 0.95))

    # Composition: calm -> balanced, symmetric, empty space; dominance -> weight low and large.
    balance = float(np.clip(0.85 - 0.3 * (a + 1) / 2 + 0.1 * v, 0.3, 1.0))
    symmetry = float(np.clip(0.45 - 0.25 * a + 0.1 * v, 0.05, 0.9))
    cx = 0.5 + 0.5 * (1.0 - balance)
    cy = float(np.clip(0.55 + 0.12 * d, 0.3, 0.8))
    horizon = float(np.clip(0.6 - 0.08 * v + 0.06 * d, 0.3, 0.8))
    empty = float(np.clip(0.45 - 0.3 * a + 0.05 * v, 0.05, 0.8))

    attrs = VisualAttributes(
        palette_hues=hues,
        brightness=brightness,
        saturation=saturation,
        warmth=warmth,
        value_contrast=contrast,
        key=key,
        stroke_size=stroke_size,
        stroke_length=stroke_length,
        curvature=curvature,
        jitter=jitter,
        opacity=opacity,
        density=density,
        angularity=angularity,
        diagonal_share=diagonal,
        balance=balance,
        symmetry=symmetry,
        center_of_mass=(cx, cy),
        horizon=horizon,
        empty_space=empty,
    )
    return attrs.replace(**overrides) if overrides else attrs


def estimate_emotion(attributes: VisualAttributes | dict) -> tuple[float, float]:
    """The reverse direction: (valence, arousal) from brightness and saturation by the Valdez equations.

    Args:
        attributes: measured or requested :class:`VisualAttributes` (or its dict).

    Returns:
        ``(valence, arousal)`` clipped to [-1, 1] (the same z-scaling as the forward mapping, so
        forward-then-reverse is the identity inside the clip range).
    """
    attrs = attributes if isinstance(attributes, VisualAttributes) else VisualAttributes.from_dict(attributes)
    zb = (attrs.brightness - B_REF[0]) / (Z_GAIN * B_REF[1])
    zs = (attrs.saturation - S_REF[0]) / (Z_GAIN * S_REF[1])
    v = VALDEZ_P[0] * zb + VALDEZ_P[1] * zs
    a = VALDEZ_A[0] * zb + VALDEZ_A[1] * zs
    return float(np.clip(v, -1, 1)), float(np.clip(a, -1, 1))
