"""Critics: read the emotion a piece of music or a picture conveys.

``judge(x)`` dispatches on what it is given:

* a MIDI path (``.mid``/``.midi``), MIDI bytes, a ``symusic.Score`` or a ``MusicResult`` -> the
  music critic (:mod:`studio.critics.music`, EMOPIA-trained);
* an image path (``.png``/``.jpg``/...), a PIL image or a ``PaintResult`` -> the image critic
  (:mod:`studio.critics.image`).

Every critic returns a :class:`~studio.critics.base.Reading`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from studio.critics.base import Reading
from studio.errors import user_errors

MIDI_SUFFIXES = (".mid", ".midi", ".smf", ".kar")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff")
ACCEPTED = (
    "a MIDI path (.mid/.midi), MIDI bytes, a symusic.Score or a MusicResult (music), "
    "or an image path (.png/.jpg/...), a PIL image or a PaintResult (image)"
)


def _kind(x: Any) -> str:
    if isinstance(x, (str, os.PathLike)):
        p = Path(x)
        suffix = p.suffix.lower()
        if suffix in MIDI_SUFFIXES:
            return "music"
        if suffix in IMAGE_SUFFIXES:
            return "image"
        if p.is_file():  # unknown suffix: sniff the header
            head = p.open("rb").read(8)
            if head.startswith(b"MThd"):
                return "music"
            if head.startswith((b"\x89PNG", b"\xff\xd8", b"GIF8", b"RIFF", b"BM")):
                return "image"
        if not p.exists():
            raise FileNotFoundError(f"no such file: {p}")
        raise ValueError(f"cannot tell whether {p} is music or an image; give {ACCEPTED}")
    if isinstance(x, (bytes, bytearray, memoryview)):
        if bytes(x[:4]) == b"MThd":
            return "music"
        raise ValueError(f"bytes given are not a MIDI file (no 'MThd' header); give {ACCEPTED}")
    name = type(x).__name__
    mod = type(x).__module__ or ""
    if name.startswith("Score") and mod.startswith("symusic"):
        return "music"
    if mod.startswith("PIL") or hasattr(x, "image") or name == "PaintResult":
        return "image"
    if hasattr(x, "score"):
        return "music"
    raise TypeError(f"cannot judge {name}; give {ACCEPTED}")


@user_errors
def judge(x: Any) -> Reading:
    """The released critic's reading of a piece of music or an image.

    Args:
        x: see the module docstring for the accepted forms.

    Returns:
        a :class:`Reading` (``kind`` is ``"music"`` or ``"image"``).

    Raises:
        TypeError: unsupported type. FileNotFoundError: missing path.
        ValueError: unreadable, empty or oversized file.
    """
    if _kind(x) == "music":
        from studio.critics.music import judge_music

        return judge_music(x)
    from studio.critics.image import judge_image  # written alongside; imported only when needed

    return judge_image(x)


__all__ = ["Reading", "judge"]
