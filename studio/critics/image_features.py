"""Hand-made image features for the image-emotion critic: colour, texture, line and composition.

Every feature is a plain statistic of a small (<= ``ANALYSIS_SIDE`` px) copy of the image, so a
reading costs a few milliseconds and means the same thing at any input size.

* Colour: mean/spread of HSV brightness and saturation (the inputs of the Valdez & Mehrabian 1994
  PAD regressions), colourfulness (Hasler & Suesstrunk 2003), a saturation-weighted hue histogram,
  warmth (cos of the hue distance to orange, after Ou et al. 2004), CIE lightness percentiles.
* Texture: gradient energy, fine detail (residual after a blur), local contrast over blocks,
  lightness-histogram entropy.
* Line: share of edge energy on diagonals, orientation entropy, structure-tensor coherence
  (straight edges) and a corner density (angularity).
* Composition: centre of visual weight, left/right mirror similarity, balance, empty space (share
  of low-detail cells), centre-versus-border detail, top-versus-bottom lightness.

Axis legend: h - height, w - width, c - channel (RGB floats in [0, 1]).
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

ANALYSIS_SIDE = 160
HUE_BINS = 8  # 45-degree bins starting at red (0 deg)

FEATURE_NAMES: tuple[str, ...] = (
    "brightness_mean",
    "brightness_std",
    "saturation_mean",
    "saturation_std",
    "colourfulness",
    "warmth",
    *(f"hue_{i * 45:03d}" for i in range(HUE_BINS)),
    "grey_share",
    "lightness_mean",
    "lightness_p05",
    "lightness_p95",
    "dark_share",
    "light_share",
    "rg_mean",
    "yb_mean",
    "gradient_mean",
    "gradient_std",
    "fine_detail",
    "local_contrast_mean",
    "local_contrast_std",
    "edge_density",
    "lightness_entropy",
    "diagonal_share",
    "orientation_entropy",
    "coherence",
    "corner_density",
    "com_x",
    "com_y",
    "com_offset",
    "symmetry",
    "balance",
    "empty_space",
    "centre_detail",
    "top_bottom_lightness",
)


def prepare(image: Image.Image, side: int = ANALYSIS_SIDE) -> np.ndarray:
    """An RGB PIL image as float32 ``[h, w, 3]`` in [0, 1] with the long side at most ``side``."""
    img = image if image.mode == "RGB" else image.convert("RGB")
    if max(img.size) > side:
        img = img.copy()
        img.thumbnail((side, side), Image.Resampling.BILINEAR)
    return np.asarray(img, dtype=np.float32) / 255.0


def _hsv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    mx, mn = rgb.max(-1), rgb.min(-1)
    d = mx - mn
    safe = np.where(d > 1e-6, d, 1.0)
    h = np.where(mx == r, (g - b) / safe % 6.0, np.where(mx == g, (b - r) / safe + 2.0, (r - g) / safe + 4.0))
    h = np.where(d > 1e-6, h * 60.0, 0.0) % 360.0
    s = np.where(mx > 1e-6, d / np.maximum(mx, 1e-6), 0.0)
    return h, s, mx


def _lightness(rgb: np.ndarray) -> np.ndarray:
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    y = lin @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)
    return np.where(y > 0.008856, 116.0 * np.cbrt(y) - 16.0, 903.3 * y) / 100.0


def _entropy(p: np.ndarray) -> float:
    p = p[p > 0]
    return float(-(p * np.log(p)).sum() / np.log(max(len(p), 2))) if len(p) > 1 else 0.0


def extract_features(image: Image.Image | np.ndarray) -> np.ndarray:
    """The critic's feature vector.

    Args:
        image: an RGB PIL image (any size >= 8 px a side) or a float ``[h, w, 3]`` array in [0, 1].

    Returns:
        ``[len(FEATURE_NAMES)]`` float64, in the order of :data:`FEATURE_NAMES`.
    """
    rgb = prepare(image) if isinstance(image, Image.Image) else np.asarray(image, dtype=np.float32)
    hue, sat, val = _hsv(rgb)
    light = _lightness(rgb)
    gy, gx = ndimage.sobel(light, 0) / 8.0, ndimage.sobel(light, 1) / 8.0
    mag = np.hypot(gx, gy)
    block = max(4, min(light.shape) // 16)
    f = _colour(rgb, hue, sat, val, light) | _texture(light, mag, block) | _line(gx, gy, mag)
    f |= _composition(light, sat, mag, block)
    return np.array([f[n] for n in FEATURE_NAMES], dtype=np.float64)


def _colour(rgb, hue, sat, val, light) -> dict[str, float]:
    """Brightness, saturation, colourfulness, warmth, the hue histogram, greys, lightness and its extremes."""
    f: dict[str, float] = {}
    f["brightness_mean"], f["brightness_std"] = float(val.mean()), float(val.std())
    f["saturation_mean"], f["saturation_std"] = float(sat.mean()), float(sat.std())
    rg = rgb[..., 0] - rgb[..., 1]
    yb = 0.5 * (rgb[..., 0] + rgb[..., 1]) - rgb[..., 2]
    f["colourfulness"] = float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))
    wgt = sat * val
    wsum = float(wgt.sum()) + 1e-6
    f["warmth"] = float((np.cos(np.deg2rad(hue - 40.0)) * wgt).sum() / wsum)
    hist = np.bincount((hue // (360.0 / HUE_BINS)).astype(int).ravel() % HUE_BINS, wgt.ravel(), HUE_BINS)
    for i, x in enumerate(hist / wsum):
        f[f"hue_{i * 45:03d}"] = float(x)
    f["grey_share"] = float((sat < 0.12).mean())
    f["lightness_mean"] = float(light.mean())
    f["lightness_p05"], f["lightness_p95"] = (float(x) for x in np.percentile(light, [5, 95]))
    f["dark_share"], f["light_share"] = float((light < 0.25).mean()), float((light > 0.75).mean())
    f["rg_mean"], f["yb_mean"] = float(rg.mean()), float(yb.mean())
    return f


def _texture(light, mag, bs: int) -> dict[str, float]:
    """Gradient energy, fine detail, local contrast over ``bs``-pixel blocks, edges and lightness entropy."""
    h_, w_ = light.shape
    f: dict[str, float] = {}
    f["gradient_mean"], f["gradient_std"] = float(mag.mean()), float(mag.std())
    f["fine_detail"] = float(np.abs(light - ndimage.gaussian_filter(light, 1.5)).mean())
    hb, wb = h_ // bs, w_ // bs
    blocks = light[: hb * bs, : wb * bs].reshape(hb, bs, wb, bs).std(axis=(1, 3))
    f["local_contrast_mean"], f["local_contrast_std"] = float(blocks.mean()), float(blocks.std())
    f["edge_density"] = float((mag > 0.08).mean())
    f["lightness_entropy"] = _entropy(np.histogram(light, 32, (0.0, 1.0))[0] / light.size)
    return f


def _line(gx, gy, mag) -> dict[str, float]:
    """Line: orientation of edges (doubled angle so 0 and 180 coincide) weighted by energy, coherence of the
    structure tensor, and corners."""
    h_, w_ = mag.shape
    f: dict[str, float] = {}
    theta = np.mod(np.arctan2(gy, gx), np.pi)
    e = mag**2
    esum = float(e.sum()) + 1e-9
    diag = np.abs(np.sin(2 * theta))  # 1 at 45/135 deg, 0 at horizontal/vertical
    f["diagonal_share"] = float((diag * e).sum() / esum)
    ohist = np.bincount((theta / np.pi * 12).astype(int).ravel() % 12, e.ravel(), 12)
    f["orientation_entropy"] = _entropy(ohist / esum)
    jxx = ndimage.gaussian_filter(gx * gx, 2.0)
    jyy = ndimage.gaussian_filter(gy * gy, 2.0)
    jxy = ndimage.gaussian_filter(gx * gy, 2.0)
    tr = jxx + jyy
    disc = np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2)
    coh = disc / np.maximum(tr, 1e-9)
    f["coherence"] = float((coh * tr).sum() / (tr.sum() + 1e-9))
    harris = (jxx * jyy - jxy**2) - 0.05 * tr**2
    peak = ndimage.maximum_filter(harris, 5)
    thr = 0.01 * float(harris.max()) if harris.max() > 1e-10 else np.inf
    corners = (harris == peak) & (harris > thr)
    f["corner_density"] = float(corners.sum() / (h_ * w_) * 1000.0)
    return f


def _composition(light, sat, mag, bs: int) -> dict[str, float]:
    """Composition, with visual weight = edge energy + saturation: centre of mass, symmetry, balance, empty
    space, detail in the centre, light above against below."""
    h_, w_ = light.shape
    f: dict[str, float] = {}
    weight = mag / (mag.mean() + 1e-6) + sat / (sat.mean() + 1e-6)
    ys, xs = np.mgrid[0:h_, 0:w_]
    wt = float(weight.sum()) + 1e-9
    cx, cy = float((weight * xs).sum() / wt / max(w_ - 1, 1)), float((weight * ys).sum() / wt / max(h_ - 1, 1))
    f["com_x"], f["com_y"] = cx, cy
    f["com_offset"] = float(np.hypot(cx - 0.5, cy - 0.5))
    mirror = light[:, ::-1]
    a, b = light - light.mean(), mirror - mirror.mean()
    f["symmetry"] = float((a * b).sum() / (np.sqrt((a * a).sum() * (b * b).sum()) + 1e-9))
    left, right = float(weight[:, : w_ // 2].sum()), float(weight[:, w_ - w_ // 2 :].sum())
    f["balance"] = 1.0 - abs(left - right) / (left + right + 1e-9)
    cell = ndimage.uniform_filter(mag, bs)[bs // 2 :: bs, bs // 2 :: bs]
    f["empty_space"] = float((cell < 0.25 * (mag.mean() + 1e-6)).mean())
    inner = mag[h_ // 3 : 2 * h_ // 3, w_ // 3 : 2 * w_ // 3].mean()
    f["centre_detail"] = float(inner / (mag.mean() + 1e-6))
    f["top_bottom_lightness"] = float(light[: h_ // 2].mean() - light[h_ - h_ // 2 :].mean())
    return f


def spectral_slope(image: Image.Image, side: int = 128) -> float:
    """Slope of log power against log spatial frequency of the grey image (not one of ``FEATURE_NAMES``).

    Photographs and paintings fall off roughly as 1/f^2 to 1/f^4 (slopes about -2 to -4.5 on OASIS and
    the CPU painter's output); white noise is flat (about -0.7) and a bare gradient has almost no
    spectrum at all. The image critic uses it to tell pictures from noise before reading them.
    """
    g = np.asarray(image.convert("L").resize((side, side), Image.Resampling.BILINEAR), np.float64) / 255.0
    g = (g - g.mean()) * np.outer(np.hanning(side), np.hanning(side))
    power = np.abs(np.fft.fftshift(np.fft.fft2(g))) ** 2
    yy, xx = np.indices(power.shape) - side // 2
    r = np.hypot(yy, xx)
    sel = (r >= 2) & (r <= side // 2 - 2)
    return float(np.polyfit(np.log(r[sel]), np.log(power[sel] + 1e-12), 1)[0])


def outlying(z: np.ndarray) -> float:
    """Mean excess of ``|z|`` beyond 3 (capped at 10): how far standardised features leave the training range."""
    return float(np.clip(np.minimum(np.abs(z), 10.0) - 3.0, 0.0, None).mean())
