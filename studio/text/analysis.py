"""``estimate_vad`` and ``analyze``: the public text -> emotion entry points.

``estimate_vad(text)`` is what :meth:`studio.emotion.Emotion.coerce` calls for free text.
``analyze(x)`` accepts anything ``Emotion.coerce`` does and says how it was read: the VAD point,
the nearest named emotions, the method used, a confidence and a readable explanation.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from studio.arc import arc_parts, is_arc
from studio.emotion import MAX_TEXT_CHARS, Emotion, named_emotions, named_match, parse_emotion_arg
from studio.errors import StudioError, strip_control, studio_error, user_errors

LABEL_CHARS = 80
METHODS = ("named", "embedding", "lexicon", "numeric")


def _validate(text: str) -> str:
    if not isinstance(text, str):
        raise studio_error(TypeError, f"text must be a str, got {type(text).__name__}")
    s = " ".join(strip_control(text).split())  # ANSI escapes and control characters never reach a label
    if not s:
        raise StudioError("emotion text is empty; give a few words such as 'a rainy farewell at dusk'")
    if len(s) > MAX_TEXT_CHARS:
        raise StudioError(f"emotion text is {len(s)} characters; at most {MAX_TEXT_CHARS} are accepted")
    return s


def _label(s: str) -> str:
    return s if len(s) <= LABEL_CHARS else s[: LABEL_CHARS - 1].rstrip() + "\u2026"


@lru_cache(maxsize=2048)
def _estimate_cached(s: str, mode: str):
    from studio.text.model import get_model

    return get_model().estimate(s, mode)


def estimate(text: str):
    """Validated estimate of a text: :class:`studio.text.model.Estimate` (vad, method, confidence, details).

    Args:
        text: free text (English works best), at most ``MAX_TEXT_CHARS`` characters.

    Raises:
        ValueError: empty or over-long text.
        TypeError: ``text`` is not a str.
    """
    from studio.text.model import current_mode

    return _estimate_cached(_validate(text), current_mode())


def estimate_vad(text: str) -> Emotion:
    """Estimate valence, arousal and dominance of free text.

    Args:
        text: free text, e.g. ``"a rainy farewell at dusk"``; at most ``MAX_TEXT_CHARS`` characters.

    Returns:
        an :class:`Emotion` with values in [-1, 1], ``label`` the (truncated) text and ``confidence``
        in [0, 1] (low for non-English text, unknown words or punctuation only).

    Raises:
        ValueError: empty or over-long text.
    """
    est = estimate(text)
    v, a, d = (max(-1.0, min(1.0, float(x))) for x in est.vad)
    return Emotion(v, a, d, label=_label(_validate(text)), confidence=round(est.confidence, 3))


@dataclass
class Analysis:
    """How an emotion input was read.

    Args:
        emotion: the resulting :class:`Emotion`.
        nearest: nearest named emotions as ``(name, distance)``, closest first.
        method: "named", "embedding", "lexicon" or "numeric".
        confidence: in [0, 1] (1 for named and numeric input).
        explanation: a readable summary, e.g. "closest to melancholy, wistful; low arousal, unpleasant".
        details: what the confidence is made of (text input only).
    """

    emotion: Emotion
    nearest: list[tuple[str, float]]
    method: str
    confidence: float
    explanation: str
    details: dict | None = None

    def to_dict(self) -> dict:
        d = {
            "input": self.emotion.label,
            "emotion": self.emotion.to_dict(),
            "nearest": [{"name": n, "distance": round(float(x), 3)} for n, x in self.nearest],
            "method": self.method,
            "confidence": round(self.confidence, 3),
            "explanation": self.explanation,
        }
        if self.details:
            d["details"] = self.details
        return d

    def __str__(self) -> str:
        e = self.emotion
        head = f"'{e.label}'" if e.label else "emotion"
        return (
            f"{head}: valence {e.valence:+.2f}, arousal {e.arousal:+.2f}, dominance {e.dominance:+.2f} "
            f"(Q{e.quadrant}); {self.explanation} [{self.method}, confidence {self.confidence:.2f}]"
        )


def describe(e: Emotion) -> str:
    """Words for a VAD point: arousal, valence and (when clear) dominance."""

    def level(x: float, lo: str, hi: str, mid: str) -> str:
        if x >= 0.5:
            return f"very {hi}" if hi != "high arousal" else "very high arousal"
        if x >= 0.15:
            return hi
        if x <= -0.5:
            return f"very {lo}" if lo != "low arousal" else "very low arousal"
        if x <= -0.15:
            return lo
        return mid

    parts = [level(e.arousal, "low arousal", "high arousal", "moderate arousal")]
    parts.append(level(e.valence, "unpleasant", "pleasant", "neutral valence"))
    if abs(e.dominance) >= 0.25:
        parts.append("in control" if e.dominance > 0 else "feeling controlled")
    return ", ".join(parts)


@user_errors
def analyze(text_or_word: Any, k: int = 3) -> Analysis:
    """Read an emotion input and explain it.

    Args:
        text_or_word: a named emotion ("wistful"), free text ("a rainy farewell at dusk"), or any
            other form :meth:`Emotion.coerce` accepts (tuple, dict, :class:`Emotion`).
        k: how many nearest named emotions to list.

    Returns:
        an :class:`Analysis`.

    Raises:
        ValueError / TypeError: unusable input, with the accepted forms.
    """
    details = None
    if isinstance(text_or_word, str) and isinstance(parse_emotion_arg(text_or_word), tuple):
        text_or_word = Emotion.coerce(text_or_word)  # typed numbers, read exactly as the CLI reads them
    if isinstance(text_or_word, str) and is_arc(text_or_word):
        parts = arc_parts(text_or_word)
        raise StudioError(
            f"{_label(text_or_word)!r} is an arc of {len(parts)} emotions; analyze reads one emotion: analyze each "
            f"({', '.join(repr(_label(p)) for p in parts)}), or give the arc to compose or create"
        )
    if isinstance(text_or_word, str):
        s = _validate(text_or_word)
        name = named_match(s)
        if name is not None:
            emotion, method, conf = named_emotions()[name], "named", 1.0
            if name != s.strip().lower():
                details = {"read_as": name, "typed": _label(s)}
        else:
            est = estimate(s)
            emotion = estimate_vad(s)
            method, conf, details = est.method, float(emotion.confidence), dict(est.details)
    else:
        emotion = Emotion.coerce(text_or_word)
        method, conf = "numeric", 1.0 if emotion.confidence is None else float(emotion.confidence)
    nearest = emotion.nearest(k)
    names = [n for n, _ in nearest[:2]]
    explanation = f"closest to {', '.join(names)}; {describe(emotion)}"
    if method == "named" and details:
        explanation = f"read {details['typed']!r} as {details['read_as']!r}, a named emotion; {explanation}"
    if method in ("embedding", "lexicon") and conf < 0.3:
        explanation += f"; low confidence ({(details or {}).get('note', 'little recognisable English')})"
    return Analysis(emotion, nearest, method, conf, explanation, details)
