"""Visual attributes + emotion -> a text prompt and a negative prompt for a diffusion model.

The words follow the five EmoArt groups in the order a CLIP text encoder weighs them most (front
of the prompt first): mood, palette, light, brushwork, line, composition. Each attribute turns
into words only where it is clearly away from neutral, so a prompt stays inside CLIP's 77 tokens.
The negative prompt holds the opposite mood and palette plus the usual artefact words.
"""

from __future__ import annotations

from typing import Any

from studio.emotion import Emotion

# (upper bound of the hue range in degrees, colour word)
HUE_WORDS = (
    (12, "crimson red"),
    (28, "vermilion"),
    (42, "orange"),
    (55, "golden amber"),
    (70, "yellow"),
    (100, "chartreuse"),
    (145, "green"),
    (175, "teal"),
    (200, "turquoise"),
    (222, "sky blue"),
    (245, "deep blue"),
    (262, "indigo"),
    (285, "violet"),
    (315, "purple"),
    (345, "magenta rose"),
    (361, "crimson red"),
)
ARTEFACTS = "text, watermark, signature, frame, blurry, lowres, jpeg artifacts, deformed"


def hue_word(hue: float) -> str:
    """Colour name of a hue in degrees."""
    h = float(hue) % 360.0
    return next(word for bound, word in HUE_WORDS if h < bound)


def mood_words(emotion: Emotion) -> list[str]:
    """Two to four mood adjectives for a point in VAD space (valence x arousal, then dominance)."""
    v, a, d = emotion.valence, emotion.arousal, emotion.dominance
    if v >= 0.2:
        words = ["ecstatic", "joyful"] if a >= 0.3 else ["happy", "warm"] if a >= -0.2 else ["serene", "tender"]
    elif v <= -0.2:
        words = ["furious", "menacing"] if a >= 0.3 else ["uneasy", "tense"] if a >= -0.2 else ["melancholic", "lonely"]
    else:
        words = ["restless", "electric"] if a >= 0.4 else ["contemplative"] if a >= -0.4 else ["still", "quiet"]
    if d >= 0.35:
        words.append("monumental")
    elif d <= -0.35:
        words.append("fragile")
    name = emotion.label if emotion.label and len(emotion.label.split()) <= 2 else None
    if name is None:
        try:
            near, dist = emotion.nearest(1)[0]
            name = near if dist < 0.15 else None
        except Exception:  # the named-emotion table is a nicety here, never a reason to fail
            name = None
    return list(dict.fromkeys(([name.lower()] if name else []) + words))


def _as_dict(attributes: Any) -> dict:
    if attributes is None:
        return {}
    if hasattr(attributes, "to_dict"):
        attributes = attributes.to_dict()
    if not isinstance(attributes, dict):
        raise TypeError(f"visual attributes must be a VisualAttributes or a dict, got {type(attributes).__name__}")
    flat: dict = {}
    for k, v in attributes.items():  # grouped dicts ({"colour": {...}, ...}) are flattened
        flat.update(v) if isinstance(v, dict) else flat.__setitem__(k, v)
    return flat


def _palette(a: dict) -> tuple[str, str]:
    hues = a.get("palette_hues") or ()
    hues = (hues,) if isinstance(hues, (int, float)) else tuple(hues)
    names = list(dict.fromkeys(hue_word(h) for h in hues[:3]))
    b, s = a.get("brightness"), a.get("saturation")
    tone = []
    if s is not None:
        tone.append("vivid saturated" if s >= 0.6 else "muted desaturated" if s <= 0.25 else "")
    if b is not None:
        tone.append("luminous pale" if b >= 0.75 else "dark" if b <= 0.35 else "")
    tone_s = " ".join(t for t in tone if t)
    pal = f"{tone_s} palette of {', '.join(names)}" if names else (f"{tone_s} colours" if tone_s else "")
    w = a.get("warmth")
    if w is not None and abs(w) >= 0.4:
        pal += ", warm colours" if w > 0 else ", cool colours"
    opposite = []
    if s is not None and s <= 0.3:
        opposite.append("vivid saturated colours")
    if s is not None and s >= 0.6:
        opposite.append("grey dull colours")
    if b is not None and b <= 0.4:
        opposite.append("bright pastel colours")
    if b is not None and b >= 0.7:
        opposite.append("dark gloomy colours")
    return pal.strip(", "), ", ".join(opposite)


def _pick(a: dict, key: str, lo: float, hi: float, low_word: str, high_word: str) -> str:
    x = a.get(key)
    if x is None:
        return ""
    return high_word if x >= hi else low_word if x <= lo else ""


def prompt_from_attributes(visual_attributes: Any, emotion: Any) -> tuple[str, str]:
    """Compose a prompt and negative prompt.

    Args:
        visual_attributes: a ``VisualAttributes``, a flat or grouped dict of some of its fields, or None.
        emotion: anything ``Emotion.coerce`` accepts.

    Returns:
        ``(prompt, negative_prompt)``, comma-separated phrases.
    """
    emo = Emotion.coerce(emotion)
    a = _as_dict(visual_attributes)
    mood = mood_words(emo)
    palette, anti_palette = _palette(a)
    light = [
        _pick(a, "value_contrast", 0.3, 0.7, "soft diffuse light", "dramatic chiaroscuro lighting"),
        _pick(a, "key", -0.3, 0.3, "low-key shadowy", "high-key airy light"),
    ]
    brush = [
        _pick(a, "stroke_size", 0.015, 0.05, "fine delicate brushwork", "broad bold brushstrokes"),
        _pick(a, "curvature", 0.3, 0.65, "straight strokes", "swirling curved strokes"),
        _pick(a, "jitter", 0.2, 0.55, "smooth controlled strokes", "loose energetic strokes"),
    ]
    line = [
        _pick(a, "angularity", 0.3, 0.6, "soft flowing curves", "sharp angular jagged forms"),
        _pick(a, "diagonal_share", 0.3, 0.55, "calm horizontals and verticals", "dynamic diagonals"),
    ]
    comp = [
        _pick(a, "symmetry", 0.25, 0.6, "asymmetric composition", "symmetrical composition"),
        _pick(a, "empty_space", 0.25, 0.55, "dense crowded composition", "generous empty space"),
        _pick(a, "horizon", 0.4, 0.7, "high horizon", "low horizon"),
    ]
    parts = [f"an expressive {mood[0]} painting", ", ".join(mood[1:]), palette, *light, *brush, *line, *comp]
    prompt = ", ".join(p for p in parts if p)
    neutral = abs(emo.valence) < 0.2 and abs(emo.arousal) < 0.2
    anti = [] if neutral else mood_words(Emotion(-emo.valence, -emo.arousal, -emo.dominance))
    negative = ", ".join(p for p in (", ".join(anti[-3:]), anti_palette, ARTEFACTS) if p)
    return prompt, negative


__all__ = ["prompt_from_attributes", "hue_word", "mood_words"]
