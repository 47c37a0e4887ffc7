"""Contact sheet: paintings over the circumplex in one PNG, with the target and the reading under each.

>>> from studio.art.sheet import paint_grid, contact_sheet
>>> results = paint_grid(seed=0, size=256, candidates=4)       # 12 PaintResults, one per grid point
>>> contact_sheet(results, "out/grid.png")

So anyone can see at a glance whether "furious" looks furious. The grid (:data:`CIRCUMPLEX_GRID`) is
the one ``bench/bench_paint_loop.py`` scores.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from studio.emotion import Emotion
from studio.progress import Progress, ProgressFn

GRID_RADIUS = 0.75
# 12 targets on the circumplex, every 30 degrees from +valence, counter-clockwise (valence, arousal).
CIRCUMPLEX_GRID: tuple[tuple[float, float], ...] = tuple(
    (round(GRID_RADIUS * math.cos(math.radians(d)), 3), round(GRID_RADIUS * math.sin(math.radians(d)), 3))
    for d in range(0, 360, 30)
)
THUMB = 200
CAPTION_LINES = 3


def grid_label(va: tuple[float, float]) -> str:
    """Nearest named emotion of a grid point (for captions)."""
    return Emotion(va[0], va[1]).nearest(1)[0][0]


def paint_grid(
    seed: int | None = 0,
    size: int = 256,
    candidates: int = 4,
    grid: Sequence[tuple[float, float]] = CIRCUMPLEX_GRID,
    progress: bool | ProgressFn | None = None,
    **paint_kwargs: Any,
) -> list:
    """One :func:`studio.paint` per grid point, all with the same seed.

    Args:
        seed: base seed (``None`` draws one, shared by every point and recorded in each result).
        size: long side of each painting (64-2048).
        candidates: candidates per painting (1-16), chosen by the image critic.
        grid: ``(valence, arousal)`` targets; default :data:`CIRCUMPLEX_GRID`.
        progress: ``progress(fraction, message)`` after each painting, a tqdm bar (``True``) or nothing.
        **paint_kwargs: passed to :func:`studio.paint` (``style``, ``reaim``, ...).

    Returns:
        list of ``PaintResult``, in grid order.
    """
    from studio.art import paint
    from studio.seeding import resolve_seed

    seed = resolve_seed(seed)
    out = []
    with Progress(progress, len(grid), desc="contact sheet", unit="painting") as bar:
        for i, va in enumerate(grid):
            out.append(paint(va, seed=seed, size=size, candidates=candidates, progress=False, **paint_kwargs))
            bar.update(i + 1, f"painting {i + 1} of {len(grid)}")
    return out


def _font(px: int):
    try:
        return ImageFont.load_default(size=px)
    except TypeError:  # Pillow < 10.1: the bitmap font has one size
        return ImageFont.load_default()


def contact_sheet(results: Sequence[Any], path: str | os.PathLike, cols: int = 4, thumb: int = THUMB) -> Path:
    """Write one PNG: each painting as a thumbnail with its target and critic reading below.

    Args:
        results: ``PaintResult``s (anything with ``.image``, ``.emotion`` and ``.reading``).
        path: ``.png`` to write (atomically).
        cols: thumbnails per row.
        thumb: thumbnail side in pixels.

    Returns:
        the path written.
    """
    from studio.io import atomic_path

    if not results:
        raise ValueError("contact_sheet needs at least one painting")
    font = _font(13)
    line_h, pad = 16, 8
    cell_w, cell_h = thumb + 2 * pad, thumb + 2 * pad + CAPTION_LINES * line_h
    rows = math.ceil(len(results) / cols)
    sheet = Image.new("RGB", (cols * cell_w, rows * cell_h), (250, 250, 247))
    draw = ImageDraw.Draw(sheet)
    for i, r in enumerate(results):
        x0, y0 = (i % cols) * cell_w + pad, (i // cols) * cell_h + pad
        im = r.image.copy()
        im.thumbnail((thumb, thumb))
        sheet.paste(im, (x0 + (thumb - im.width) // 2, y0 + (thumb - im.height) // 2))
        t = r.emotion
        label = t.label or grid_label(t.va)
        lines = [f"{label}: target V {t.valence:+.2f} A {t.arousal:+.2f}"]
        rd = r.reading
        if rd is None:
            lines.append("no critic reading")
        elif rd.details.get("abstain"):
            lines.append("critic abstains (unusual image)")
        else:
            lines.append(f"read V {rd.valence:+.2f} A {rd.arousal:+.2f}  d {rd.distance(t):.2f}")
            lines.append(f"{rd.critic}, conf {rd.confidence:.2f}")
        for k, text in enumerate(lines[:CAPTION_LINES]):
            draw.text((x0, y0 + thumb + 4 + k * line_h), text, fill=(20, 20, 20), font=font)
    with atomic_path(path) as tmp:
        sheet.save(tmp, format="PNG", optimize=True)
    return Path(path)


__all__ = ["CIRCUMPLEX_GRID", "contact_sheet", "grid_label", "paint_grid"]
