"""The CPU painter: visual attributes (and optionally a photo) -> a painting, numpy only.

Two stages:

1. :mod:`studio.art.source` builds a source image from the attributes (or recolours the user's
   photo toward them: the CPU counterpart of img2img) and a flow field.
2. Layered curved brush strokes after Hertzmann (1998), "Painterly rendering with curved brush
   strokes of multiple sizes": one layer per brush radius, large to small; each layer copies the
   source blurred at its radius, places strokes only where the canvas still differs from it, and
   strokes run along the isophotes. Stroke length, curvature, jitter, opacity and size come from
   the attributes' brushwork; a style preset scales them.

512 x 512 paints in well under 2 s on one CPU core (``bench/bench_painter.py``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import ndimage

from studio.art.brush import render_strokes, trace_strokes
from studio.art.source import build_source, flow_field, match_statistics, recolour_photo, smooth_noise
from studio.attributes.visual import VisualAttributes, hsv_to_rgb, luminance, rgb_to_hsv
from studio.progress import ProgressFn


@dataclass(frozen=True)
class StylePreset:
    """Multipliers and settings a style applies on top of the attributes' brushwork.

    Args:
        size: brush radius multiplier. length: stroke length multiplier. jitter: colour jitter multiplier.
        opacity: opacity multiplier. curvature: added to the curvature filter (clipped to [0, 1]).
        layers: number of brush sizes. bristle: ridge strength. softness: edge fade share.
        kink: multiplier on sharp turns. hue_jitter: degrees of hue scatter (broken colour).
        coverage: strokes per area multiplier. final_blur: pixels of blur after painting.
    """

    size: float = 1.0
    length: float = 1.0
    jitter: float = 1.0
    opacity: float = 1.0
    curvature: float = 0.0
    layers: int = 4
    bristle: float = 0.8
    softness: float = 0.35
    kink: float = 1.0
    hue_jitter: float = 6.0
    coverage: float = 1.0
    final_blur: float = 0.0


STYLES: dict[str, StylePreset] = {
    # brushwork straight from the attributes
    "auto": StylePreset(),
    # short, broken-colour strokes of many sizes (Monet, Pissarro)
    "impressionist": StylePreset(size=0.8, length=0.55, jitter=1.4, layers=4, hue_jitter=14.0, coverage=1.2),
    # long, thick, agitated strokes with sharp turns (Munch, Kirchner)
    "expressionist": StylePreset(
        size=1.3, length=1.3, jitter=1.6, opacity=1.1, curvature=-0.1, layers=3, bristle=1.2, kink=2.0
    ),
    # single dots of scattered colour (Seurat, Signac)
    "pointillist": StylePreset(
        size=0.3, length=0.0, jitter=2.2, layers=2, bristle=0.0, softness=0.2, hue_jitter=28.0, coverage=1.6
    ),
    # large soft translucent washes (Rothko, Frankenthaler)
    "colourist": StylePreset(
        size=1.8,
        length=1.5,
        jitter=0.6,
        opacity=0.45,
        curvature=0.2,
        layers=3,
        bristle=0.4,
        softness=0.7,
        kink=0.0,
        hue_jitter=4.0,
        coverage=1.3,
        final_blur=0.6,
    ),
}
STYLE_ALIASES = {
    "colorist": "colourist",
    "wash": "colourist",
    "colourist wash": "colourist",
    "colorist wash": "colourist",
}


def resolve_style(style: str | None) -> str:
    """Canonical style name; ``None`` -> ``"auto"``. Raises ``ValueError`` naming the accepted styles."""
    if style is None:
        return "auto"
    if not isinstance(style, str):
        raise TypeError(f"style must be a string or None, got {type(style).__name__}")
    key = STYLE_ALIASES.get(style.strip().lower(), style.strip().lower())
    if key not in STYLES:
        raise ValueError(f"unknown style {style!r}; accepted: {', '.join(STYLES)} (or 'wash'/'colorist')")
    return key


@dataclass
class LayerPlan:
    """One brush layer: radius (px), strokes' max/min length (control points), grid step (px)."""

    radius: float
    max_len: int
    min_len: int
    step: float


def plan_layers(attrs: VisualAttributes, style: StylePreset, width: int) -> list[LayerPlan]:
    """Brush sizes large to small (halving), with lengths and stroke spacing for about 2.5x coverage."""
    r0 = max(2.0, attrs.stroke_size * width * style.size)
    length = max(0, int(round(attrs.stroke_length * style.length)))
    plans = []
    for i in range(style.layers):
        r = max(1.5, r0 / (2**i))
        max_len = length if r > 2.0 else max(0, length // 2)
        # Long strokes cover more area, so space them further apart to keep coverage constant.
        step = r * math.sqrt(max(2.0 * (max_len + 1) / 2.5, 1.0)) / math.sqrt(style.coverage)
        plans.append(LayerPlan(radius=r, max_len=max_len, min_len=min(2, max_len), step=max(step, 1.0)))
        if r <= 1.5:
            break
    return plans


class CPUPainter:
    """Paints :class:`VisualAttributes` with numpy brush strokes.

    ``painter(attributes, seed=..., size=(w, h), photo=None, style=None) -> [h, w, 3] uint8``.
    """

    name = "cpu-painter"
    version = "1.0"

    def __call__(
        self,
        attributes: VisualAttributes,
        seed: int,
        size: tuple[int, int] = (512, 512),
        photo: np.ndarray | None = None,
        style: str | None = None,
        strength: float = 0.6,
        progress: ProgressFn | None = None,
    ) -> np.ndarray:
        """Paint one image.

        Args:
            attributes: target :class:`VisualAttributes`.
            seed: integer seed; the same seed and inputs give the same image.
            size: ``(width, height)``.
            photo: optional ``[h, w, 3]`` float photo already at ``size``; it becomes the source.
            style: a key of :data:`STYLES` (or alias) or ``None`` for ``"auto"``.
            strength: how far the photo's colours move toward the palette (0-1).
            progress: called as ``progress(fraction, message)`` after each layer.

        Returns:
            ``[h, w, 3]`` uint8 RGB.
        """
        preset = STYLES[resolve_style(style)]
        rng = np.random.default_rng(seed)
        w, h = size
        if photo is not None:
            if photo.shape[:2] != (h, w):
                raise ValueError(f"photo must already be {w}x{h}, got {photo.shape[1]}x{photo.shape[0]}")
            source = recolour_photo(photo, attributes, strength=strength)
        else:
            source = build_source(attributes, (w, h), rng)
        theta = flow_field(source, attributes, rng)
        plans = plan_layers(attributes, preset, max(w, h))

        # Underpainting: the source blurred at the largest brush, showing through gaps as on a real canvas.
        canvas = ndimage.gaussian_filter(source, (plans[0].radius * 1.5, plans[0].radius * 1.5, 0)).astype(np.float32)
        curv = float(np.clip(0.15 + 0.85 * attributes.curvature + preset.curvature, 0.0, 1.0))
        kink = float(np.clip(0.25 * max(attributes.angularity - 0.4, 0.0) * preset.kink, 0.0, 0.5))
        opacity = float(np.clip(attributes.opacity * preset.opacity, 0.1, 1.0))
        jit = attributes.jitter * preset.jitter
        for li, plan in enumerate(plans):
            reference = ndimage.gaussian_filter(source, (plan.radius * 0.5, plan.radius * 0.5, 0))
            starts = self._place(reference, canvas, plan, first=li == 0, density=attributes.density, rng=rng)
            if len(starts) == 0:
                continue
            rng.shuffle(starts)
            colours = self._colours(reference, starts, jit, preset.hue_jitter, rng)
            pts, valid = trace_strokes(
                starts,
                colours,
                reference,
                canvas,
                theta,
                plan.radius,
                plan.max_len,
                plan.min_len,
                curv,
                kink,
                tolerance=0.06 + 0.1 * jit,
                rng=rng,
            )
            render_strokes(canvas, pts, valid, colours, plan.radius, opacity, preset.bristle, preset.softness, rng)
            if progress is not None:
                progress((li + 1) / len(plans), f"layer {li + 1} of {len(plans)}")
        canvas = self._quiet(canvas, source, attributes.empty_space, plans[0].radius)
        if preset.final_blur > 0:
            canvas = ndimage.gaussian_filter(canvas, (preset.final_blur, preset.final_blur, 0))
        # Strokes and blur soften the source's statistics; one global tone/chroma correction (an affine
        # map per pixel, so the brushwork is untouched) brings brightness, saturation and contrast back.
        canvas = match_statistics(canvas, attributes)
        # Canvas grain: a faint fine texture so flat areas read as paint on cloth.
        grain = smooth_noise(rng, (h, w), max(w, h) // 3) * 0.015
        canvas = np.clip(canvas * (1.0 + grain[..., None]), 0.0, 1.0)
        return (canvas * 255.0 + 0.5).astype(np.uint8)

    @staticmethod
    def _quiet(canvas: np.ndarray, source: np.ndarray, share: float, radius: float) -> np.ndarray:
        """Leave the quietest ``share`` of the picture as smooth wash (negative space).

        The least detailed areas of the source (by smoothed gradient) are blended toward a blurred
        canvas, so calm pictures get restful empty areas and busy ones stay textured everywhere.
        """
        if share <= 0.02:
            return canvas
        lum = luminance(source)
        detail = ndimage.gaussian_filter(np.hypot(ndimage.sobel(lum, 0), ndimage.sobel(lum, 1)), radius)
        mask = (detail <= np.quantile(detail, share)).astype(np.float32)
        mask = ndimage.gaussian_filter(mask, radius * 0.5)[..., None] * 0.9
        soft = ndimage.gaussian_filter(canvas, (radius * 0.6, radius * 0.6, 0))
        return canvas * (1.0 - mask) + soft * mask

    @staticmethod
    def _place(reference, canvas, plan: LayerPlan, first: bool, density: float, rng) -> np.ndarray:
        """Stroke starts ``[n, 2]``: a jittered grid, kept where the canvas still differs from the reference.

        The first layer covers everything; later ones add detail only where needed (Hertzmann's
        error threshold), more of it as ``density`` rises.
        """
        h, w = canvas.shape[:2]
        s = plan.step
        gy, gx = np.mgrid[s / 2 : h : s, s / 2 : w : s]
        starts = np.stack([gy.ravel(), gx.ravel()], -1) + rng.uniform(-s / 2, s / 2, (gy.size, 2))
        starts = np.clip(starts, 0, [h - 1, w - 1]).astype(np.float32)
        if first:
            return starts
        err = np.abs(reference - canvas).mean(-1)
        err = ndimage.uniform_filter(err, size=max(3, int(s)))
        e = err[starts[:, 0].astype(int), starts[:, 1].astype(int)]
        threshold = np.quantile(e, float(np.clip(0.75 - 0.5 * density, 0.1, 0.9)))
        return starts[e > max(threshold, 0.05 * (1.3 - density))]

    @staticmethod
    def _colours(reference, starts, jitter: float, hue_jitter: float, rng) -> np.ndarray:
        """Stroke colours ``[n, 3]``: the reference at the start, scattered in hue and value."""
        c = reference[starts[:, 0].astype(int), starts[:, 1].astype(int)]
        hsv = rgb_to_hsv(c)
        n = len(c)
        hsv[:, 0] += rng.normal(0, hue_jitter * (0.5 + jitter), n)
        hsv[:, 1] *= 1.0 + rng.normal(0, 0.08 * jitter, n)
        hsv[:, 2] *= 1.0 + rng.normal(0, 0.07 * jitter, n)
        return hsv_to_rgb(hsv)

    def config(self) -> dict:
        return {"name": self.name, "version": self.version, "styles": {k: asdict(v) for k, v in STYLES.items()}}
