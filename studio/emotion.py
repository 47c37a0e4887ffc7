"""The emotion space: valence, arousal, dominance in [-1, 1].

Every public entry point takes ``emotion=`` and turns it into an :class:`Emotion` through
:meth:`Emotion.coerce`, which accepts:

* an :class:`Emotion`;
* a tuple/list ``(v, a)`` or ``(v, a, d)`` of numbers in [-1, 1];
* a dict with keys ``valence``, ``arousal`` and optionally ``dominance``;
* a named emotion (``"tender"``, ``"furious"``; see :func:`named_emotions`);
* free text (``"a rainy farewell at dusk"``), estimated by the text -> VAD model.

Quadrants follow EMOPIA: Q1 = +V+A, Q2 = -V+A, Q3 = -V-A, Q4 = +V-A.
"""

from __future__ import annotations

import csv
import difflib
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from studio.errors import StudioError, one_line, strip_control, studio_error

ACCEPTED_FORMS = (
    "an Emotion, a (valence, arousal) or (valence, arousal, dominance) tuple with each value in "
    "[-1, 1], a dict with 'valence'/'arousal'[/'dominance'], a named emotion such as 'tender' or "
    "'furious' (see `studio emotions`), or free text such as 'a rainy farewell at dusk'"
)
MAX_TEXT_CHARS = 2000
# one number as typed, including the words float() reads as non-finite (refused later with a clear error)
_NUMBER = r"[-+]?(?:\d+\.?\d*(?:e[-+]?\d+)?|\.\d+(?:e[-+]?\d+)?|nan|inf(?:inity)?)"
_NUMBERS_RE = re.compile(rf"^[(\[]?\s*{_NUMBER}(?:\s*[,;\s]\s*{_NUMBER})*\s*[)\]]?$", re.IGNORECASE)
# digits, signs, dots and separators only: meant as numbers even when malformed ("1.2.3,4", "--5,0")
_NUMBER_ISH_RE = re.compile(r"^[\s()\[\],;+\-.0-9eE]*\d[\s()\[\],;+\-.0-9eE]*$")
# One unknown word this close to a named emotion (difflib ratio) is read as that emotion misspelt:
# "furiuos" -> "furious" (0.86), "anxios" -> "anxious" (0.92); "contest", a word the text model knows, stays text.
TYPO_SIMILARITY = 0.8
_WORD_RE = re.compile(r"[a-z]{4,}")
QUADRANT_NAMES = {1: "Q1 (+V+A)", 2: "Q2 (-V+A)", 3: "Q3 (-V-A)", 4: "Q4 (+V-A)"}


def _check_unit(name: str, x: Any) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) and not hasattr(x, "__float__"):
        raise studio_error(TypeError, f"{name} must be a number in [-1, 1], got {type(x).__name__} {x!r}")
    try:
        v = float(x)
    except (TypeError, ValueError, OverflowError):
        raise studio_error(TypeError, f"{name} must be a number in [-1, 1], got {type(x).__name__}") from None
    if not math.isfinite(v):
        raise StudioError(f"{name} must be a finite number in [-1, 1], got {v}")
    if not -1.0 <= v <= 1.0:
        raise StudioError(f"{name} must be in [-1, 1], got {v:g}")
    return v


@dataclass(frozen=True)
class Emotion:
    """A point in valence-arousal-dominance space, each coordinate in [-1, 1].

    Args:
        valence: unpleasant (-1) to pleasant (+1).
        arousal: calm/sleepy (-1) to excited/activated (+1).
        dominance: submissive/controlled (-1) to dominant/in control (+1).
        label: optional name or text it came from (not part of equality).
        confidence: optional confidence in [0, 1] of an estimate (text input).
    """

    valence: float
    arousal: float
    dominance: float = 0.0
    label: str | None = field(default=None, compare=False)
    confidence: float | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "valence", _check_unit("valence", self.valence))
        object.__setattr__(self, "arousal", _check_unit("arousal", self.arousal))
        object.__setattr__(self, "dominance", _check_unit("dominance", self.dominance))
        if self.label is not None:  # labels reach terminals, file sidecars and the UI: printable, one line
            object.__setattr__(self, "label", one_line(self.label) or None)

    # --- geometry -------------------------------------------------------------
    @property
    def vad(self) -> tuple[float, float, float]:
        return (self.valence, self.arousal, self.dominance)

    @property
    def va(self) -> tuple[float, float]:
        return (self.valence, self.arousal)

    @property
    def quadrant(self) -> int:
        """EMOPIA quadrant 1-4 (ties on an axis count as positive)."""
        if self.valence >= 0:
            return 1 if self.arousal >= 0 else 4
        return 2 if self.arousal >= 0 else 3

    def distance(self, other: Any, dims: int = 3) -> float:
        """Euclidean distance to another emotion over the first ``dims`` coordinates (2 or 3)."""
        o = Emotion.coerce(other)
        return math.dist(self.vad[:dims], o.vad[:dims])

    def interpolate(self, other: Any, t: float) -> Emotion:
        """Linear interpolation: ``t=0`` gives self, ``t=1`` gives ``other``."""
        if not 0.0 <= float(t) <= 1.0:
            raise ValueError(f"t must be in [0, 1], got {t}")
        o = Emotion.coerce(other)
        return Emotion(*(a + (b - a) * float(t) for a, b in zip(self.vad, o.vad)))

    def nearest(self, k: int = 3) -> list[tuple[str, float]]:
        """The ``k`` nearest named emotions as ``(name, distance)``."""
        table = named_emotions()
        dists = sorted((math.dist(self.vad, e.vad), n) for n, e in table.items())
        return [(n, round(d, 3)) for d, n in dists[:k]]

    def to_dict(self) -> dict:
        d = {
            "valence": round(self.valence, 4),
            "arousal": round(self.arousal, 4),
            "dominance": round(self.dominance, 4),
        }
        if self.label is not None:
            d["label"] = self.label
        if self.confidence is not None:
            d["confidence"] = round(self.confidence, 3)
        d["quadrant"] = self.quadrant
        return d

    def __str__(self) -> str:
        name = f"'{self.label}' " if self.label else ""
        return f"{name}(V {self.valence:+.2f}, A {self.arousal:+.2f}, D {self.dominance:+.2f}; {QUADRANT_NAMES[self.quadrant]})"

    # --- the one coercion ----------------------------------------------------
    @classmethod
    def coerce(cls, x: Any) -> Emotion:
        """Turn any accepted form into an :class:`Emotion` (see module docstring).

        Raises:
            TypeError: ``x`` is of a type that is not accepted.
            ValueError: the value is of an accepted type but unusable (out of range, NaN,
                wrong tuple length, empty or over-long text, text with no usable words).
        """
        if isinstance(x, Emotion):
            return x
        if x is None:
            raise studio_error(TypeError, f"emotion is required; give {ACCEPTED_FORMS}")
        if isinstance(x, dict):
            missing = {"valence", "arousal"} - set(x)
            if missing:
                raise StudioError(f"emotion dict lacks {sorted(missing)}; give {ACCEPTED_FORMS}")
            label = x.get("label")
            return cls(x["valence"], x["arousal"], x.get("dominance", 0.0), label=None if label is None else str(label))
        if isinstance(x, (tuple, list)) or (hasattr(x, "shape") and hasattr(x, "tolist")):
            vals = x.tolist() if hasattr(x, "tolist") else x
            vals = list(vals) if isinstance(vals, (list, tuple)) else [vals]
            if len(vals) not in (2, 3):
                raise StudioError(
                    f"an emotion tuple has 2 or 3 values (valence, arousal[, dominance]), got {len(vals)}"
                )
            return cls(*vals)
        if isinstance(x, str):
            return _from_text(x)
        raise studio_error(TypeError, f"cannot use {type(x).__name__} as an emotion; give {ACCEPTED_FORMS}")


def parse_emotion_arg(text: Any) -> Any:
    """``"0.6,-0.5"`` / ``"(0.6, -0.5, 0.2)"`` -> a tuple of floats; anything else is returned as is.

    The one place where command lines, job files, forms and ``Emotion.coerce`` turn typed numbers
    into a VAD tuple. Text made of numbers is never read as free text: ``"nan,0"``, ``"0.1,0.2,0.3,0.4"``
    or ``"1.2.3,4"`` raise :class:`StudioError` saying what is accepted.
    """
    if not isinstance(text, str):
        return text
    s = strip_control(text).strip()
    if _NUMBERS_RE.match(s):
        vals = tuple(float(x) for x in re.split(r"[\s,;]+", s.strip("()[] \t")) if x)
        if len(vals) not in (2, 3):
            raise StudioError(
                f"{one_line(s)[:60]!r} has {len(vals)} number(s); type 2 or 3: 'valence,arousal[,dominance]', "
                "each in [-1, 1]"
            )
        bad = [x for x in vals if not math.isfinite(x)]
        if bad:
            raise StudioError(
                f"{one_line(s)[:60]!r} holds {bad[0]}; each of valence,arousal[,dominance] is a finite number in [-1, 1]"
            )
        return vals
    if _NUMBER_ISH_RE.match(s):
        raise StudioError(
            f"{one_line(s)[:60]!r} is not a list of numbers; type 'valence,arousal[,dominance]' such as '0.6,-0.5'"
        )
    return text


def _from_text(text: str) -> Emotion:
    parsed = parse_emotion_arg(text)
    if isinstance(parsed, tuple):
        return Emotion.coerce(parsed)
    s = strip_control(text).strip()
    if not s:
        raise StudioError(f"emotion text is empty; give {ACCEPTED_FORMS}")
    if len(s) > MAX_TEXT_CHARS:
        raise StudioError(f"emotion text is {len(s)} characters; at most {MAX_TEXT_CHARS} are accepted")
    name = named_match(s)
    if name is not None:
        return named_emotions()[name]
    from studio.text import estimate_vad  # text model is optional-heavy: import lazily

    try:
        return estimate_vad(s)
    except (TypeError, ValueError) as e:
        raise StudioError(str(e)) from e


def named_match(text: str) -> str | None:
    """The named emotion ``text`` names, or None: the name itself (any case), or, for one word that is neither a
    name nor a word the text model knows, the name it misspells (difflib ratio >= ``TYPO_SIMILARITY``, the
    closest). The one rule for every reader of emotion words (``Emotion.coerce``, ``studio.analyze``, the UI)."""
    key = strip_control(text).strip().lower()
    table = named_emotions()
    if key in table:
        return key
    if not _WORD_RE.fullmatch(key):
        return None
    close = difflib.get_close_matches(key, list(table), n=1, cutoff=TYPO_SIMILARITY)
    if not close:
        return None
    from studio.text.model import get_model  # lazily: the text model is only needed for unknown words

    return None if get_model().lexicon.known(key) else close[0]


@lru_cache(maxsize=1)
def named_emotions() -> dict[str, Emotion]:
    """The named-emotion table: name -> Emotion, from Glasgow-norm ratings (see assets CSV)."""
    path = resources.files("studio") / "assets" / "named_emotions.csv"
    out: dict[str, Emotion] = {}
    with path.open(encoding="utf-8") as f:
        lines = [ln for ln in f if not ln.startswith("#")]
    for r in csv.DictReader(lines):
        out[r["name"]] = Emotion(
            float(r["valence"]), float(r["arousal"]), float(r["dominance"]), label=r["name"], confidence=1.0
        )
    return out


def named_emotion_provenance() -> list[dict]:
    """Rows of the named-emotion table with the Glasgow source word and how it was chosen."""
    path = resources.files("studio") / "assets" / "named_emotions.csv"
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(ln for ln in f if not ln.startswith("#")))
