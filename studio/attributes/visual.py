"""Visual attributes: EmoArt's five attributes (colour, light, brushwork, line, composition) made
concrete and measurable.

Every attribute is both a *condition* (the painter and the diffusion prompt read it) and a
*measurement* (:func:`extract_visual_attributes` reads it back from any image), so the loop can
compare what was asked with what came out.

Colour statistics follow Machajdik & Hanbury (2010), who fed mean HSV saturation and brightness
into the Valdez & Mehrabian (1994) pleasure/arousal/dominance equations; the rest are simple image
statistics documented per field below.

Axis legend for arrays: h - height, w - width, c - channel (RGB, floats in [0, 1]).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from scipy import ndimage

# Largest side the extractor works at: statistics are stable by then and it keeps extraction ~50 ms.
ANALYSIS_SIDE = 256


# --- colour helpers (shared with the painter) ---------------------------------------------------
def rgb_to_hsv(rgb: np.ndarray) -> np.ndarray:
    """RGB -> HSV, vectorised.

    Args:
        rgb: ``[..., 3]`` floats in [0, 1].

    Returns:
        ``[..., 3]``: hue in degrees [0, 360), saturation and value in [0, 1].
    """
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    mx = rgb.max(-1)
    mn = rgb.min(-1)
    d = mx - mn
    safe = np.where(d > 1e-8, d, 1.0)
    h = np.where(mx == r, (g - b) / safe % 6.0, np.where(mx == g, (b - r) / safe + 2.0, (r - g) / safe + 4.0))
    h = np.where(d > 1e-8, h * 60.0, 0.0) % 360.0
    s = np.where(mx > 1e-8, d / np.where(mx > 1e-8, mx, 1.0), 0.0)
    return np.stack([h, s, mx], -1).astype(np.float32)


def hsv_to_rgb(hsv: np.ndarray) -> np.ndarray:
    """HSV -> RGB, vectorised. ``hsv``: ``[..., 3]`` (hue in degrees); returns ``[..., 3]`` in [0, 1]."""
    h = (hsv[..., 0] % 360.0) / 60.0
    s = np.clip(hsv[..., 1], 0.0, 1.0)
    v = np.clip(hsv[..., 2], 0.0, 1.0)
    k = np.stack([(5.0 + h) % 6.0, (3.0 + h) % 6.0, (1.0 + h) % 6.0], -1)
    f = np.clip(np.minimum(k, 4.0 - k), 0.0, 1.0)
    return (v[..., None] - (v * s)[..., None] * f).astype(np.float32)


def luminance(rgb: np.ndarray) -> np.ndarray:
    """Perceptual lightness in [0, 1] (CIE L*/100 from sRGB), ``[..., 3] -> [...]``."""
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    y = lin @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)
    lab_l = np.where(y > 0.008856, 116.0 * np.cbrt(y) - 16.0, 903.3 * y)
    return (lab_l / 100.0).astype(np.float32)


def hue_warmth(hue_deg: np.ndarray | float) -> np.ndarray | float:
    """Warm-cool of a hue in [-1, 1]: +1 at orange (~40 deg), -1 at blue (~220 deg); after Ou et al. (2004)."""
    return np.cos(np.deg2rad(np.asarray(hue_deg) - 40.0))


def as_float_image(image: Any, max_side: int | None = ANALYSIS_SIDE) -> np.ndarray:
    """A PIL image or ``[h, w, 3]`` array (uint8 or float in [0, 1]) as float32 ``[h, w, 3]``, downsized."""
    from PIL import Image

    if isinstance(image, Image.Image):
        img = image.convert("RGB")
        if max_side and max(img.size) > max_side:
            img = img.copy()
            img.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
        return np.asarray(img, dtype=np.float32) / 255.0
    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[-1] != 3:
        raise ValueError(f"expected an RGB image as a PIL image or an [h, w, 3] array, got shape {arr.shape}")
    arr = arr.astype(np.float32) / 255.0 if arr.dtype == np.uint8 else arr.astype(np.float32)
    if max_side and max(arr.shape[:2]) > max_side:
        return as_float_image(Image.fromarray((np.clip(arr, 0, 1) * 255).astype(np.uint8)), max_side)
    return np.clip(arr, 0.0, 1.0)


# --- the dataclass -------------------------------------------------------------------------------
@dataclass
class VisualAttributes:
    """What a painting should look like, in measurable terms. All floats in [0, 1] unless noted.

    Colour:
        palette_hues: dominant hues in degrees [0, 360), most important first (1-6 of them).
        brightness: mean HSV value. saturation: mean HSV saturation.
        warmth: [-1, 1], saturation-weighted warm-cool of the hues (orange +1, blue -1).
    Light:
        value_contrast: 5-95 percentile spread of lightness (L*/100).
        key: [-1, 1], share of light tones minus share of dark tones (high key +, low key -).
    Brushwork:
        stroke_size: largest brush radius as a share of the image width (0.005-0.1).
        stroke_length: typical stroke length in brush radii (1-16).
        curvature: how much strokes bend (0 straight .. 1 curling).
        jitter: colour and position noise of strokes. opacity: stroke opacity.
        density: share of the canvas carrying detail (strokes, edges).
    Line:
        angularity: 0 curved .. 1 angular. diagonal_share: share of edge energy on diagonals.
    Composition:
        balance: 1 = left/right visual weight equal. symmetry: mirror similarity.
        center_of_mass: ``(x, y)`` of visual weight, 0-1 from the top-left.
        horizon: height of the horizon from the top. empty_space: share of low-detail area.
    """

    palette_hues: tuple[float, ...] = (200.0, 170.0, 30.0)
    brightness: float = 0.6
    saturation: float = 0.45
    warmth: float = 0.0
    value_contrast: float = 0.5
    key: float = 0.0
    stroke_size: float = 0.03
    stroke_length: float = 6.0
    curvature: float = 0.5
    jitter: float = 0.3
    opacity: float = 0.8
    density: float = 0.5
    angularity: float = 0.4
    diagonal_share: float = 0.4
    balance: float = 0.8
    symmetry: float = 0.4
    center_of_mass: tuple[float, float] = (0.5, 0.55)
    horizon: float = 0.55
    empty_space: float = 0.4
    notes: list[str] = field(default_factory=list, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> VisualAttributes:
        """Check types and ranges; raises ``ValueError``/``TypeError`` naming the field and its range."""
        hues = self.palette_hues
        if isinstance(hues, (int, float)):
            hues = (hues,)
        if not isinstance(hues, (tuple, list, np.ndarray)) or not 1 <= len(hues) <= 6:
            raise ValueError(f"palette_hues must be 1-6 hues in degrees, got {self.palette_hues!r}")
        self.palette_hues = tuple(float(_num("palette_hues", h)) % 360.0 for h in hues)
        com = self.center_of_mass
        if not isinstance(com, (tuple, list, np.ndarray)) or len(com) != 2:
            raise ValueError(f"center_of_mass must be an (x, y) pair in [0, 1], got {com!r}")
        self.center_of_mass = tuple(_in_range("center_of_mass", c, 0.0, 1.0) for c in com)
        for name, attr in ATTRIBUTES.items():
            if name in ("palette_hues", "center_of_mass"):
                continue
            setattr(self, name, _in_range(name, getattr(self, name), *attr.range))
        return self

    def to_dict(self) -> dict:
        """Flat JSON-ready dict (rounded); ``from_dict`` reads it back."""
        d: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name == "notes":
                continue
            d[f.name] = [round(x, 4) for x in v] if isinstance(v, tuple) else round(float(v), 4)
        return d

    def grouped(self) -> dict[str, dict]:
        """The five EmoArt groups: ``{"colour": {...}, "light": {...}, ...}``."""
        d = self.to_dict()
        return {g: {n: d[n] for n, a in ATTRIBUTES.items() if a.group == g} for g in GROUPS}

    @classmethod
    def from_dict(cls, d: dict | VisualAttributes, **overrides: Any) -> VisualAttributes:
        """Build from a flat or grouped dict; unknown keys raise ``ValueError`` listing the known ones."""
        if isinstance(d, VisualAttributes):
            d = d.to_dict()
        if not isinstance(d, dict):
            raise TypeError(f"visual attributes must be a dict or VisualAttributes, got {type(d).__name__}")
        flat: dict[str, Any] = {}
        for k, v in {**d, **overrides}.items():
            if k in GROUPS and isinstance(v, dict):
                flat.update(v)
            else:
                flat[k] = v
        unknown = set(flat) - set(ATTRIBUTES)
        if unknown:
            raise ValueError(f"unknown visual attributes {sorted(unknown)}; known: {sorted(ATTRIBUTES)}")
        return cls(**flat)

    def replace(self, **changes: Any) -> VisualAttributes:
        return VisualAttributes.from_dict(self.to_dict(), **changes)


def _num(name: str, x: Any) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name} must be a number, got {type(x).__name__} {x!r}")
    v = float(x)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    return v


def _in_range(name: str, x: Any, lo: float, hi: float) -> float:
    v = _num(name, x)
    if not lo - 1e-6 <= v <= hi + 1e-6:
        raise ValueError(f"{name} must be in [{lo:g}, {hi:g}], got {v:g}")
    return min(max(v, lo), hi)


# --- measurement ---------------------------------------------------------------------------------
class _Features:
    """Intermediate maps shared by the extractors, computed once per image.

    Args:
        rgb: ``[h, w, 3]`` float image in [0, 1].
    """

    def __init__(self, rgb: np.ndarray):
        self.rgb = rgb
        self.hsv = rgb_to_hsv(rgb)
        self.lum = luminance(rgb)
        g = ndimage.gaussian_filter(self.lum, 1.0)
        self.gx = ndimage.sobel(g, axis=1)
        self.gy = ndimage.sobel(g, axis=0)
        self.mag = np.hypot(self.gx, self.gy)
        # Gradient orientation modulo 180 (an edge's direction is this + 90, diagonals are symmetric).
        self.theta = np.arctan2(self.gy, self.gx) % np.pi
        thr = max(0.08, float(np.percentile(self.mag, 80)))
        self.edges = self.mag > thr
        h, w = self.lum.shape
        self.h, self.w = h, w


def _palette_hues(f: _Features, k: int = 3) -> tuple[float, ...]:
    hue, s, v = f.hsv[..., 0].ravel(), f.hsv[..., 1].ravel(), f.hsv[..., 2].ravel()
    hist, _ = np.histogram(hue, bins=36, range=(0, 360), weights=s * v + 1e-6)
    hist = ndimage.gaussian_filter1d(hist, 1.0, mode="wrap")
    peaks = [i for i in range(36) if hist[i] >= hist[i - 1] and hist[i] >= hist[(i + 1) % 36]]
    if float((s * v).mean()) < 0.01:  # greyscale: hue is meaningless, report one neutral hue
        return (0.0,)
    peaks = sorted(peaks, key=lambda i: -hist[i])[:k] or [0]
    out = []
    for i in peaks:  # refine each peak to the weighted circular mean of its +-15 deg neighbourhood
        idx = [(i + j) % 36 for j in (-1, 0, 1)]
        ang = np.deg2rad(np.array(idx) * 10.0 + 5.0)
        out.append(
            float(np.rad2deg(np.arctan2((hist[idx] * np.sin(ang)).sum(), (hist[idx] * np.cos(ang)).sum())) % 360)
        )
    return tuple(round(h, 1) for h in out)


def _warmth(f: _Features) -> float:
    s = f.hsv[..., 1] * f.hsv[..., 2]
    return float((hue_warmth(f.hsv[..., 0]) * s).sum() / (s.sum() + 1e-6)) if s.sum() > 1e-3 else 0.0


def _orientation_steps(f: _Features) -> np.ndarray:
    """Orientation change (radians, [0, pi/2]) from each edge pixel to the edge pixel 3 px along its tangent."""
    ys, xs = np.nonzero(f.edges)
    if len(ys) < 20:
        return np.zeros(0, dtype=np.float32)
    t = f.theta[ys, xs]
    # Step along the edge tangent (perpendicular to the gradient) and compare orientations.
    y2 = np.clip(np.round(ys + np.cos(t) * 3.0).astype(int), 0, f.h - 1)
    x2 = np.clip(np.round(xs - np.sin(t) * 3.0).astype(int), 0, f.w - 1)
    ok = f.edges[y2, x2]
    d = np.abs(t[ok] - f.theta[y2[ok], x2[ok]])
    return np.minimum(d, np.pi - d)


def _angularity(f: _Features, side: int = 128, step: float = 4.0) -> float:
    """Share of strong contour pixels at a corner: some strong edge within ``step`` px turns > 50 deg.

    Measured at ``side`` px with the strongest 10 % of edges, so brush texture and gently rough
    painted contours count less than the corners of shards, ridges and polygons (blobs have none).
    Scaled x1.5 and clipped: a drawing of triangles reads ~0.9, of circles ~0.3.
    """
    lum = f.lum
    if max(lum.shape) > side:
        lum = ndimage.zoom(lum, side / max(lum.shape), order=1)
    g = ndimage.gaussian_filter(lum, 1.5)
    gx, gy = ndimage.sobel(g, 1), ndimage.sobel(g, 0)
    mag, th = np.hypot(gx, gy), np.arctan2(gy, gx) % np.pi
    edges = mag > max(0.1, float(np.percentile(mag, 90)))
    ys, xs = np.nonzero(edges)
    if len(ys) < 20:
        return 0.5
    t = th[ys, xs]
    turn = np.zeros(len(t), dtype=np.float32)
    for a in np.linspace(0, 2 * np.pi, 16, endpoint=False):  # the ring of neighbours at distance `step`
        y2 = np.clip(np.round(ys + np.sin(a) * step).astype(int), 0, lum.shape[0] - 1)
        x2 = np.clip(np.round(xs + np.cos(a) * step).astype(int), 0, lum.shape[1] - 1)
        d = np.abs(t - th[y2, x2])
        turn = np.maximum(turn, np.where(edges[y2, x2], np.minimum(d, np.pi - d), 0.0))
    return float(np.clip(1.5 * (turn > np.deg2rad(50)).mean(), 0.0, 1.0))


def _curvature(f: _Features) -> float:
    """Share of edge steps that bend gently (4-40 deg per 3 px), i.e. curves rather than lines or corners."""
    d = _orientation_steps(f)
    if len(d) < 20:
        return 0.5
    return float(np.clip(((d >= np.deg2rad(4)) & (d < np.deg2rad(40))).mean() * 1.5, 0, 1))


def _diagonal_share(f: _Features) -> float:
    m = f.mag * f.edges
    if m.sum() < 1e-6:
        return 0.0
    diag = np.abs(((f.theta + np.pi / 8) % (np.pi / 2)) - np.pi / 8 - np.pi / 4) < np.pi / 8
    # diag: orientation within 22.5 deg of 45 or 135
    return float((m * diag).sum() / m.sum())


def _weight_map(f: _Features) -> np.ndarray:
    """Visual weight: local contrast to the mean tone + saturation + edge energy, blurred."""
    w = np.abs(f.lum - f.lum.mean()) + 0.5 * f.hsv[..., 1] * f.hsv[..., 2] + 2.0 * f.mag
    return ndimage.gaussian_filter(w, max(f.h, f.w) / 40)


def _low_detail(f: _Features, cells: int = 16) -> np.ndarray:
    """``[cells, cells]`` bool: blocks with almost no tonal variation or edges (empty space)."""
    h, w = f.h // cells * cells, f.w // cells * cells
    lum = f.lum[:h, :w].reshape(cells, h // cells, cells, w // cells)
    mag = f.mag[:h, :w].reshape(cells, h // cells, cells, w // cells)
    return (lum.std(axis=(1, 3)) < 0.035) & (mag.mean(axis=(1, 3)) < 0.06)


def _horizon(f: _Features) -> float:
    prof = np.abs(ndimage.gaussian_filter(f.lum, 2.0)[1:] - ndimage.gaussian_filter(f.lum, 2.0)[:-1]).mean(1)
    prof = ndimage.gaussian_filter1d(prof, 2.0)
    lo, hi = int(0.1 * len(prof)), int(0.9 * len(prof))
    if hi <= lo or prof[lo:hi].max() < 1e-4:
        return 0.5
    return float((lo + int(np.argmax(prof[lo:hi])) + 1) / f.h)


def _stroke_size(f: _Features) -> float:
    """Scale carrying the most band-pass (DoG) energy, as a brush-radius share of the width."""
    sigmas = [1.0, 2.0, 4.0, 8.0, 16.0]
    blurred = [f.lum] + [ndimage.gaussian_filter(f.lum, s) for s in sigmas]
    energy = np.array([np.mean((blurred[i] - blurred[i + 1]) ** 2) * sigmas[i] for i in range(len(sigmas))])
    if energy.sum() < 1e-9:
        return 0.005
    sigma = float(np.exp((energy * np.log(sigmas)).sum() / energy.sum()))
    return float(np.clip(1.5 * sigma / f.w, 0.005, 0.1))


def _stroke_length(f: _Features) -> float:
    c, s = np.cos(2 * f.theta) * f.mag, np.sin(2 * f.theta) * f.mag
    cs, ss = ndimage.gaussian_filter(c, 6), ndimage.gaussian_filter(s, 6)
    coh = np.hypot(cs, ss) / (ndimage.gaussian_filter(f.mag, 6) + 1e-6)
    return float(np.clip(1.0 + 15.0 * np.mean(coh[f.edges]) ** 2 if f.edges.any() else 1.0, 1, 16))


def _jitter(f: _Features) -> float:
    hf = np.abs(f.rgb - ndimage.gaussian_filter(f.rgb, (1.0, 1.0, 0))).mean()
    return float(np.clip(hf * 12.0, 0, 1))


def _opacity(f: _Features) -> float:
    """Crisp edges read as opaque paint, soft gradations as glazes: fine/coarse gradient ratio."""
    fine = np.hypot(ndimage.sobel(f.lum, 0), ndimage.sobel(f.lum, 1))
    return float(np.clip((fine.mean() / (f.mag.mean() + 1e-6) - 1.0) / 1.5, 0, 1))


def _symmetry(f: _Features) -> float:
    a = ndimage.gaussian_filter(f.lum, 2.0)
    b = a[:, ::-1]
    a0, b0 = a - a.mean(), b - b.mean()
    den = math.sqrt(float((a0**2).sum() * (b0**2).sum())) + 1e-9
    return float(np.clip((a0 * b0).sum() / den, 0, 1))


def _composition(f: _Features) -> dict[str, Any]:
    wmap = _weight_map(f)
    tot = wmap.sum() + 1e-9
    yy, xx = np.mgrid[0 : f.h, 0 : f.w]
    cx, cy = float((wmap * xx).sum() / tot / (f.w - 1)), float((wmap * yy).sum() / tot / (f.h - 1))
    left = wmap[:, : f.w // 2].sum()
    balance = float(1.0 - abs(left - (tot - left)) / tot)
    return {"center_of_mass": (cx, cy), "balance": balance}


def extract_visual_attributes(image: Any) -> VisualAttributes:
    """Measure :class:`VisualAttributes` from an image.

    Args:
        image: PIL image or ``[h, w, 3]`` array (uint8, or float in [0, 1]); analysed at most
            ``ANALYSIS_SIDE`` px on the long side.

    Returns:
        The measured attributes (every field filled).
    """
    f = _Features(as_float_image(image))
    vals = {name: attr.extract(f) for name, attr in ATTRIBUTES.items() if attr.extract is not None}
    vals.update(_composition(f))
    clipped = {}
    for k, v in vals.items():
        if k in ("palette_hues", "center_of_mass"):
            clipped[k] = v
        else:
            lo, hi = ATTRIBUTES[k].range
            clipped[k] = float(np.clip(v, lo, hi))
    return VisualAttributes(**clipped)


# --- attribute objects ---------------------------------------------------------------------------
GROUPS = ("colour", "light", "brushwork", "line", "composition")


@dataclass(frozen=True)
class VisualAttribute:
    """One visual attribute as an object: ``name``, ``group``, ``range``, ``validate``, ``extract``.

    ``extract`` takes the shared feature maps of one image (see :func:`extract_one` for the public
    form taking an image).
    """

    name: str
    group: str
    range: tuple[float, float]
    description: str
    extract: Any = field(default=None, repr=False, compare=False)

    def validate(self, value: Any) -> Any:
        if self.name == "palette_hues":
            return VisualAttributes(palette_hues=value).palette_hues
        if self.name == "center_of_mass":
            return VisualAttributes(center_of_mass=value).center_of_mass
        return _in_range(self.name, value, *self.range)

    def extract_from(self, image: Any) -> Any:
        """This attribute measured from an image (PIL or ``[h, w, 3]`` array)."""
        return getattr(extract_visual_attributes(image), self.name)


def _a(name, group, lo, hi, desc, fn=None):
    return name, VisualAttribute(name, group, (lo, hi), desc, fn)


ATTRIBUTES: dict[str, VisualAttribute] = dict(
    [
        _a("palette_hues", "colour", 0, 360, "dominant hues (deg), most important first", _palette_hues),
        _a("brightness", "colour", 0, 1, "mean HSV value", lambda f: float(f.hsv[..., 2].mean())),
        _a("saturation", "colour", 0, 1, "mean HSV saturation", lambda f: float(f.hsv[..., 1].mean())),
        _a("warmth", "colour", -1, 1, "saturation-weighted warm (+) / cool (-) hue", _warmth),
        _a(
            "value_contrast",
            "light",
            0,
            1,
            "5-95 percentile lightness spread",
            lambda f: float(np.percentile(f.lum, 95) - np.percentile(f.lum, 5)),
        ),
        _a(
            "key",
            "light",
            -1,
            1,
            "light-tone share minus dark-tone share",
            lambda f: float((f.lum > 0.66).mean() - (f.lum < 0.33).mean()),
        ),
        _a("stroke_size", "brushwork", 0.005, 0.1, "largest brush radius / width", _stroke_size),
        _a("stroke_length", "brushwork", 1, 16, "stroke length in brush radii", _stroke_length),
        _a("curvature", "brushwork", 0, 1, "how much strokes bend", _curvature),
        _a("jitter", "brushwork", 0, 1, "colour/position noise of strokes", _jitter),
        _a("opacity", "brushwork", 0, 1, "opaque (crisp) vs glazed (soft) paint", _opacity),
        _a("density", "brushwork", 0, 1, "share of canvas with detail", lambda f: float(f.edges.mean() * 4.0)),
        _a("angularity", "line", 0, 1, "0 curved .. 1 angular (corner share of strong contours)", _angularity),
        _a("diagonal_share", "line", 0, 1, "share of edge energy on diagonals", _diagonal_share),
        _a("balance", "composition", 0, 1, "left/right visual-weight balance"),
        _a("symmetry", "composition", 0, 1, "mirror similarity (correlation)", _symmetry),
        _a("center_of_mass", "composition", 0, 1, "(x, y) of visual weight"),
        _a("horizon", "composition", 0, 1, "horizon height from the top", _horizon),
        _a("empty_space", "composition", 0, 1, "share of low-detail area", lambda f: float(_low_detail(f).mean())),
    ]
)


def extract_one(name: str, image: Any) -> Any:
    """Measure one attribute by name from an image."""
    if name not in ATTRIBUTES:
        raise ValueError(f"unknown visual attribute {name!r}; known: {sorted(ATTRIBUTES)}")
    return ATTRIBUTES[name].extract_from(image)
