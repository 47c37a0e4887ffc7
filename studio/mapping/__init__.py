"""Emotion -> attributes: the targets every generator is asked to hit.

``attributes_for(emotion)`` gives an :class:`AttributeTargets` with the music targets (fitted on
EMOPIA train, :mod:`studio.mapping.music`), their tolerances, and the visual targets
(colour psychology, :mod:`studio.mapping.visual`).

Example::

    >>> t = attributes_for("tender", tempo=72)
    >>> t.music.tempo, t.music.mode_name, t.spread["tempo"]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from studio.attributes.music import ATTRIBUTES as MUSIC_ATTRIBUTES
from studio.attributes.music import MusicAttributes
from studio.emotion import Emotion
from studio.errors import user_errors

__all__ = ["AttributeTargets", "attributes_for", "estimate_emotion"]


@dataclass
class AttributeTargets:
    """What a piece (and a painting) for an emotion should measure.

    Args:
        emotion: the target emotion.
        music: target :class:`MusicAttributes` (``key`` unspecified; overrides applied).
        visual: target ``VisualAttributes``, or ``None`` when the visual mapper is unavailable.
        spread: per music attribute, the SD of the training clips near this emotion: how far a
            measured value may stray before it no longer reads as this emotion.
        overrides: the attributes the caller fixed (``{"music": {...}, "visual": {...}}``).
    """

    emotion: Emotion
    music: MusicAttributes
    visual: Any = None
    spread: dict[str, float] = field(default_factory=dict)
    overrides: dict[str, dict] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "emotion": self.emotion.to_dict(),
            "music": self.music.to_dict(),
            "visual": self.visual.to_dict() if self.visual is not None else None,
            "spread": dict(self.spread),
            "overrides": self.overrides,
        }


def _visual_for(emotion: Emotion, overrides: dict) -> Any:
    from studio.mapping.visual import visual_attributes_for

    return visual_attributes_for(emotion, **overrides)


def _visual_names() -> set[str]:
    from studio.attributes.visual import ATTRIBUTES as VISUAL_ATTRIBUTES

    return set(VISUAL_ATTRIBUTES)


@user_errors
def attributes_for(
    emotion: Any, music: dict | None = None, visual: dict | None = None, **overrides: Any
) -> AttributeTargets:
    """Targets for an emotion, with optional fixed attributes.

    Args:
        emotion: anything :meth:`Emotion.coerce` accepts (``"tender"``, ``(v, a[, d])``, dict, text).
        music: music attributes to fix, e.g. ``{"tempo": 90}``.
        visual: visual attributes to fix, e.g. ``{"brightness": 0.3}``.
        **overrides: flat names; a music attribute name goes to music, otherwise a visual one to
            visual (``key`` is the music key; pass ``visual={"key": ...}`` for the visual one).

    Returns:
        :class:`AttributeTargets`.

    Raises:
        ValueError: an unknown attribute name (the known ones are listed) or a value out of range.
    """
    e = Emotion.coerce(emotion)
    m_over, v_over = dict(music or {}), dict(visual or {})
    vis_names = _visual_names()
    for k, v in overrides.items():
        if k in MUSIC_ATTRIBUTES:
            m_over[k] = v
        elif k in vis_names:
            v_over[k] = v
        else:
            raise ValueError(
                f"unknown attribute {k!r}; music: {list(MUSIC_ATTRIBUTES)}; visual: {sorted(vis_names) or 'unavailable'}"
            )
    unknown = set(m_over) - set(MUSIC_ATTRIBUTES)
    if unknown:
        raise ValueError(f"unknown music attributes {sorted(unknown)}; known: {list(MUSIC_ATTRIBUTES)}")
    from studio.mapping.music import music_targets  # lazy: `python -m studio.mapping.music` runs cleanly

    target, spread = music_targets(e)
    target = target.replace(**m_over) if m_over else target
    return AttributeTargets(
        emotion=e,
        music=target,
        visual=_visual_for(e, v_over),
        spread=spread,
        overrides={"music": target.__class__.from_dict(m_over).specified(), "visual": v_over},
    )


def __getattr__(name: str) -> Any:
    if name == "estimate_emotion":
        from studio.mapping.music import estimate_emotion

        return estimate_emotion
    raise AttributeError(f"module 'studio.mapping' has no attribute {name!r}")
