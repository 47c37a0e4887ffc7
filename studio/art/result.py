"""What :func:`studio.paint` returns: the painting plus everything needed to reproduce and judge it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from studio.attributes.visual import VisualAttributes
from studio.critics.base import Reading
from studio.emotion import Emotion
from studio.io import atomic_path, write_json_atomic


@dataclass
class PaintResult:
    """A painting and its provenance.

    Attributes:
        image: the painting, ``PIL.Image`` RGB.
        emotion: the emotion asked for.
        attributes: the :class:`VisualAttributes` it was painted from.
        seed: the seed given (or drawn); ``paint(emotion, seed=seed, candidates=n)`` reproduces it.
        style: painter style used (``"auto"``, ``"impressionist"``, ...).
        backend: ``"painter"`` or ``"diffusers"``.
        reading: the image critic's reading of the chosen image, or ``None`` without a critic.
        rounds: one dict per candidate: seed, reading, distance to target, chosen.
        notes: conversions, fallbacks and warnings worth showing the user.
        measured: attributes measured back from the image (what it actually shows).
        model: name and version of the painter.
        photo: path of the photo it painted from, if any.
    """

    image: Image.Image
    emotion: Emotion
    attributes: VisualAttributes
    seed: int
    style: str = "auto"
    backend: str = "painter"
    reading: Reading | None = None
    rounds: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    measured: VisualAttributes | None = None
    model: str = "cpu-painter 1.0"
    photo: str | None = None

    @property
    def size(self) -> tuple[int, int]:
        return self.image.size

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready provenance (everything except the pixels)."""
        return {
            "emotion": self.emotion.to_dict(),
            "seed": self.seed,
            "size": list(self.image.size),
            "style": self.style,
            "backend": self.backend,
            "model": self.model,
            "photo": self.photo,
            "attributes": self.attributes.to_dict(),
            "measured": self.measured.to_dict() if self.measured is not None else None,
            "reading": self.reading.to_dict() if self.reading is not None else None,
            "rounds": self.rounds,
            "notes": self.notes,
        }

    def save(self, directory: str | os.PathLike, stem: str = "painting") -> dict[str, Path]:
        """Write ``<stem>.png`` and the ``<stem>.json`` sidecar into ``directory``, each atomically.

        Returns:
            ``{"png": path, "json": path}``.
        """
        if not stem or any(c in stem for c in "/\\\0") or stem in (".", ".."):
            raise ValueError(f"stem must be a plain file name without slashes, got {stem!r}")
        out = Path(directory)
        if out.exists() and not out.is_dir():
            raise NotADirectoryError(f"{out} exists and is not a folder")
        png, js = out / f"{stem}.png", out / f"{stem}.json"
        with atomic_path(png) as tmp:
            self.image.save(tmp, format="PNG")
        write_json_atomic(js, self.to_dict())
        return {"png": png, "json": js}

    def __repr__(self) -> str:
        r = f", reading={self.reading}" if self.reading is not None else ""
        return f"PaintResult({self.emotion}, seed={self.seed}, {self.image.size[0]}x{self.image.size[1]}, style={self.style}{r})"
