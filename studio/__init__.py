"""Emotion Studio: one emotion in, music and a painting that carry it out.

Public API (imported lazily so ``import studio`` stays fast)::

    studio.Emotion, studio.analyze(text)            # the emotion space, text -> VAD
    studio.attributes_for(emotion)                   # emotion -> music/visual attributes
    studio.extract_attributes(midi_path)             # attributes measured from a MIDI file
    studio.compose(emotion=..., bars=..., seed=...)  # MIDI + audio, judged by the critic
    studio.transform(midi, emotion=...)              # re-aim a user's MIDI toward an emotion
    studio.paint(emotion=..., seed=...)              # a painting
    studio.create(emotion=..., seed=...)             # music and painting together
    studio.judge(path_or_result)                     # critic's reading of a piece or image
    studio.StudioError                               # what all of them raise for unusable input
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "Emotion": "studio.emotion",
    "named_emotions": "studio.emotion",
    "analyze": "studio.text",
    "attributes_for": "studio.mapping",
    "extract_attributes": "studio.attributes",
    "compose": "studio.loop",
    "transform": "studio.music.transform",
    "paint": "studio.art.painting",
    "create": "studio.api",
    "judge": "studio.critics",
    "render_audio": "studio.render",
    "StudioError": "studio.errors",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'studio' has no attribute {name!r}")
    value = getattr(importlib.import_module(mod), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
