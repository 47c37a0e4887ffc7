"""Stage 1 of the CPU painter: a source image (what the brushes copy) and a flow field (which way
they run), both built from :class:`VisualAttributes`, or a user's photo recoloured toward them.

The source is a simple landscape-like layout: a sky/ground split at the horizon, masses placed
around the composition's centre of mass (blobs when curved, shards when angular, larger with
dominance), tonal gradients, and low-frequency colour noise. Its global statistics are then pulled
to the requested brightness, saturation and value contrast so the painting measures what it was
asked to.

Axis legend: h - height, w - width, c - RGB channel (floats in [0, 1]).
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from studio.attributes.visual import VisualAttributes, hsv_to_rgb, luminance, rgb_to_hsv


def smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cells: int) -> np.ndarray:
    """Value noise in [-1, 1] with about ``cells`` features across the long side. Returns ``[h, w]``."""
    h, w = shape
    gh, gw = max(2, round(cells * h / max(h, w)) + 2), max(2, round(cells * w / max(h, w)) + 2)
    grid = rng.uniform(-1.0, 1.0, (gh, gw)).astype(np.float32)
    return np.asarray(Image.fromarray(grid, mode="F").resize((w, h), Image.Resampling.BICUBIC), dtype=np.float32)


def palette_rgb(attrs: VisualAttributes) -> np.ndarray:
    """``[k, 3]`` RGB colours of the palette: each hue at the requested saturation, main hue strongest."""
    hues = np.array(attrs.palette_hues, dtype=np.float32)
    sat = np.clip(attrs.saturation * np.array([1.25] + [1.0] * (len(hues) - 1)), 0.0, 1.0)
    val = np.full(len(hues), attrs.brightness, dtype=np.float32)
    return hsv_to_rgb(np.stack([hues, sat, val], -1))


def _shade(rgb: np.ndarray, dv: float) -> np.ndarray:
    hsv = rgb_to_hsv(np.asarray(rgb, dtype=np.float32)[None])[0]
    hsv[2] = np.clip(hsv[2] + dv, 0.02, 1.0)
    if dv < 0:  # deep darks lose chroma (toward black), so saturation stays in the mid and light tones
        hsv[1] = hsv[1] * float(np.clip(hsv[2] / 0.3, 0.15, 1.0))
    return hsv_to_rgb(hsv[None])[0]


def _mass_polygon(rng, cx, cy, r, angular: bool, tilt: float, elong: float) -> list[tuple[float, float]]:
    """Vertices of one mass: a wobbly ellipse (curved) or a 3-5 sided shard (angular)."""
    if angular:
        n = int(rng.integers(3, 6))
        ang = np.sort(rng.uniform(0, 2 * math.pi, n))
        rad = r * rng.uniform(0.6, 1.2, n)
    else:
        n = 40
        ang = np.linspace(0, 2 * math.pi, n, endpoint=False)
        k = rng.uniform(0, 2 * math.pi, 3)
        rad = r * (1 + 0.15 * np.sin(2 * ang + k[0]) + 0.08 * np.sin(3 * ang + k[1]))
    x, y = rad * np.cos(ang) * elong, rad * np.sin(ang) / elong
    ct, st = math.cos(tilt), math.sin(tilt)
    return [(cx + xi * ct - yi * st, cy + xi * st + yi * ct) for xi, yi in zip(x, y)]


def build_source(attrs: VisualAttributes, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Compose the source image the brushes will copy: sky and ground, the horizon's silhouette, a light,
    the masses, splinters for threatening pictures, then tonal and hue variation (in that order: the
    generator's draws follow it).

    Args:
        attrs: the target visual attributes.
        size: ``(width, height)`` in pixels.
        rng: the painting's generator (layout, shapes, noise).

    Returns:
        ``[h, w, 3]`` float32 RGB in [0, 1].
    """
    w, h = size
    # Layout is smooth, so draw it at half size and upsample.
    sw, sh = max(32, w // 2), max(32, h // 2)
    pal = palette_rgb(attrs)
    dv = 0.3 * attrs.value_contrast  # modest here; match_statistics stretches to the target contrast
    img = Image.new("RGB", (sw, sh))
    draw = ImageDraw.Draw(img)
    hz = attrs.horizon * sh
    _sky_and_ground(draw, pal, dv, hz, sw, sh)
    angular = _horizon(draw, attrs, pal, dv, hz, sw, sh, rng)
    if attrs.key > -0.1:
        _light(draw, attrs, pal, hz, sw, rng)
    _masses(draw, attrs, pal, dv, hz, sw, sh, angular, rng)
    _splinters(draw, attrs, pal, dv, hz, sw, sh, rng)
    arr = np.asarray(img.resize((w, h), Image.Resampling.BILINEAR), dtype=np.float32) / 255.0
    return match_statistics(_tonal_variation(arr, attrs, rng), attrs)


def _fill(c: np.ndarray) -> tuple[int, ...]:
    return tuple(int(255 * x) for x in np.clip(c, 0, 1))


def _sky_and_ground(draw, pal, dv: float, hz: float, sw: int, sh: int) -> None:
    """Vertical gradients: the sky from the main to the second colour, the ground from the third down."""
    main, second, third = pal[0], pal[1 % len(pal)], pal[2 % len(pal)]
    sky_top, sky_low = _shade(main, 0.25 * dv), _shade(second, 0.5 * dv)
    ground_top, ground_low = _shade(third, -0.3 * dv), _shade(main, -0.8 * dv)
    for y in range(sh):
        if y < hz:
            t = y / max(hz, 1)
            c = sky_top * (1 - t) + sky_low * t
        else:
            t = (y - hz) / max(sh - hz, 1)
            c = ground_top * (1 - t) + ground_low * t
        draw.line([(0, y), (sw, y)], fill=_fill(c))


def _horizon(draw, attrs: VisualAttributes, pal, dv: float, hz: float, sw: int, sh: int, rng) -> np.ndarray:
    """The horizon's silhouette: jagged ridges when angular, rolling hills when curved. Returns the per-mass
    angular flags (drawn first, so the masses keep their draws)."""
    angular = rng.random(64) < attrs.angularity
    xs = np.linspace(0, sw, 9 if attrs.angularity > 0.5 else 64)
    amp = sh * (0.04 + 0.1 * attrs.value_contrast)
    if attrs.angularity > 0.5:
        ys = hz - amp * rng.uniform(0.0, 1.5, len(xs))
    else:
        ys = hz - amp * (0.6 + 0.6 * smooth_noise(rng, (1, len(xs)), 3)[0])
    third = pal[2 % len(pal)]
    draw.polygon([(0, sh)] + list(zip(xs, ys)) + [(sw, sh)], fill=_fill(_shade(third, -0.45 * dv)))
    return angular


def _light(draw, attrs: VisualAttributes, pal, hz: float, sw: int, rng) -> None:
    """A light source in the sky for pleasant, high-key pictures: reads as sun or moon, lifts the key."""
    sx = sw * (1.0 - attrs.center_of_mass[0]) + rng.normal(0, 0.1 * sw)
    sy = hz * rng.uniform(0.25, 0.6)
    sr = sw * (0.04 + 0.05 * rng.random())
    glow = np.clip(_shade(pal[-1] if attrs.saturation > 0.5 else pal[0], 0.6), 0, 1) * 0.5 + 0.5
    draw.ellipse([sx - sr, sy - sr, sx + sr, sy + sr], fill=_fill(glow))


def _masses(draw, attrs: VisualAttributes, pal, dv: float, hz: float, sw: int, sh: int, angular, rng) -> None:
    """Masses around the centre of mass; dominance (via stroke_size) scales them."""
    n_mass = int(round(2 + 14 * attrs.density * (1 - 0.5 * attrs.empty_space)))
    cx, cy = attrs.center_of_mass[0] * sw, attrs.center_of_mass[1] * sh
    spread = (0.15 + 0.35 * (1 - attrs.empty_space)) * sw
    base_r = sw * (0.05 + 2.0 * attrs.stroke_size)
    for i in range(n_mass):
        px = cx + rng.normal(0, spread)
        py = cy + rng.normal(0, spread * 0.6)
        if rng.random() < attrs.symmetry and i % 2 == 1:  # mirror the previous mass
            px = sw - px
        r = base_r * rng.uniform(0.5, 1.3) * (1.0 if i > 0 else 1.6)
        diag = rng.random() < attrs.diagonal_share
        tilt = (math.pi / 4 * rng.choice([-1, 1])) if diag else rng.normal(0, 0.15)
        elong = 1.0 + 1.2 * rng.random() if diag or attrs.angularity > 0.5 else 1.0 + 0.8 * rng.random()
        # Against the sky a mass reads dark, against the ground light: contrast with the local background.
        dark = (py < hz) if rng.random() < 0.4 + 0.5 * attrs.value_contrast else rng.random() < 0.5 - 0.3 * attrs.key
        col = _shade(pal[int(rng.integers(0, len(pal)))], (-1 if dark else 1) * dv * rng.uniform(0.5, 1.2))
        col = col + (col.mean() - col) * rng.uniform(0.0, 0.4)  # vary chroma so masses are not all full-strength
        poly = _mass_polygon(rng, px, py, r, bool(angular[i % 64]), tilt, elong)
        draw.polygon(poly, fill=_fill(col))


def _splinters(draw, attrs: VisualAttributes, pal, dv: float, hz: float, sw: int, sh: int, rng) -> None:
    """Threatening pictures get splinters: thin diagonal shards across the frame (Aronoff's pointed forms)."""
    for _ in range(int(round(10 * max(attrs.angularity - 0.5, 0.0)))):
        px, py = rng.uniform(0.05, 0.95) * sw, rng.uniform(0.1, 0.95) * sh
        length, width = sw * rng.uniform(0.08, 0.2), sw * rng.uniform(0.01, 0.03)
        ang = math.pi / 4 * rng.choice([-1, 1]) + rng.normal(0, 0.25)
        dx, dy = math.cos(ang), math.sin(ang)
        tip = (px + dx * length, py + dy * length)
        base = [(px - dy * width, py + dx * width), (px + dy * width, py - dx * width)]
        col = _shade(pal[int(rng.integers(0, len(pal)))], (-1 if py < hz else 1) * dv * 1.2)
        draw.polygon([tip, *base], fill=_fill(col))


def _tonal_variation(arr: np.ndarray, attrs: VisualAttributes, rng) -> np.ndarray:
    """Low-frequency tonal and hue variation, softened: the sky is never one flat colour in a painting."""
    h, w = arr.shape[:2]
    n1 = smooth_noise(rng, (h, w), 5)
    n2 = smooth_noise(rng, (h, w), 9)
    hsv = rgb_to_hsv(arr)
    hsv[..., 0] = (hsv[..., 0] + 12.0 * (0.5 + attrs.jitter) * n2) % 360.0
    hsv[..., 2] = np.clip(hsv[..., 2] * (1.0 + 0.12 * n1), 0, 1)
    return ndimage.gaussian_filter(hsv_to_rgb(hsv), (1.5, 1.5, 0))


def _soft_clip(x: np.ndarray, knee: float = 0.1) -> np.ndarray:
    """Clip to [0, 1] with exponential toe and shoulder, so stretched darks keep their brushwork."""
    lo = knee * np.exp(np.minimum(x - knee, 0.0) / knee)
    hi = 1.0 - knee * np.exp(-np.maximum(x - (1.0 - knee), 0.0) / knee)
    return np.where(x < knee, lo, np.where(x > 1.0 - knee, hi, x)).astype(np.float32)


def match_statistics(rgb: np.ndarray, attrs: VisualAttributes, strength: float = 1.0) -> np.ndarray:
    """Pull mean HSV value/saturation and value contrast toward the attributes.

    Args:
        rgb: ``[h, w, 3]`` in [0, 1].
        attrs: targets (``brightness``, ``saturation``, ``value_contrast``).
        strength: 0 leaves the image, 1 matches the targets.

    Returns:
        ``[h, w, 3]`` float32 in [0, 1].
    """
    hsv = rgb_to_hsv(rgb)
    for _ in range(2):  # clipping moves the mean, so a second pass closes most of the gap
        v = hsv[..., 2]
        # Spread of value, not lightness: a saturated red's lightness barely moves with value, so a
        # lightness target would keep stretching and crush the darks. The extractor's L* contrast
        # therefore reads somewhat below the target for saturated palettes.
        mean, spread = float(v.mean()), max(float(np.percentile(v, 95) - np.percentile(v, 5)), 1e-3)
        target_spread = spread + strength * (attrs.value_contrast - spread)
        target_mean = mean + strength * (attrs.brightness - mean)
        ratio = float(np.clip(target_spread / spread, 0.5, 1.6))
        hsv[..., 2] = _soft_clip((v - mean) * ratio + target_mean)
        s = hsv[..., 1]
        target_s = s.mean() + strength * (attrs.saturation - s.mean())
        # Gain weighted toward the lights: in paint, chroma lives in the mid and light tones and
        # darks go toward black, so a dark picture keeps vivid lights instead of turning uniformly grey-pink.
        lift = np.clip(hsv[..., 2] / max(float(hsv[..., 2].mean()), 1e-3), 0.0, 2.5) ** 0.35
        gain = target_s / max(float((s * lift).mean()), 1e-3)
        hsv[..., 1] = np.clip(s * lift * gain, 0.0, 1.0)
    return hsv_to_rgb(hsv)


def recolour_photo(rgb: np.ndarray, attrs: VisualAttributes, strength: float = 0.6) -> np.ndarray:
    """A photo shifted toward the emotion: hues pulled to the nearest palette hue, statistics matched.

    Args:
        rgb: ``[h, w, 3]`` photo in [0, 1].
        attrs: target attributes.
        strength: 0 keeps the photo's colours, 1 moves hues fully onto the palette.

    Returns:
        ``[h, w, 3]`` float32 in [0, 1].
    """
    hsv = rgb_to_hsv(rgb)
    pal = np.array(attrs.palette_hues, dtype=np.float32)
    diff = (pal[None, None, :] - hsv[..., 0:1] + 180.0) % 360.0 - 180.0  # [h, w, k] signed hue gaps
    nearest = np.take_along_axis(diff, np.abs(diff).argmin(-1)[..., None], -1)[..., 0]
    # Pull hues only toward nearby palette hues: a skin tone 130 deg from every palette hue is tinted
    # below rather than rotated into green.
    pull = strength * np.clip(1.0 - np.abs(nearest) / 90.0, 0.0, 1.0)
    hsv[..., 0] = (hsv[..., 0] + pull * nearest) % 360.0
    out = hsv_to_rgb(hsv)
    # Colour grade: blend toward the photo's own values painted in the main hue (a glaze over it).
    tint = np.stack([np.full_like(hsv[..., 0], pal[0]), np.full_like(hsv[..., 1], attrs.saturation), hsv[..., 2]], -1)
    t = 0.4 * strength
    out = (1.0 - t) * out + t * hsv_to_rgb(tint)
    return match_statistics(out, attrs, strength=0.5 + 0.5 * strength)


def flow_field(source: np.ndarray, attrs: VisualAttributes, rng: np.random.Generator, sigma: float = 3.0) -> np.ndarray:
    """Stroke orientation per pixel: along the source's isophotes where it has edges, elsewhere the
    emotion's own field (horizontal when calm, diagonal with arousal, swirling with curvature).

    Args:
        source: ``[h, w, 3]`` source image.
        attrs: gives ``diagonal_share`` and ``curvature``.
        rng: generator for the field's noise.
        sigma: smoothing of the structure tensor, pixels.

    Returns:
        ``[h, w]`` angle in radians (orientation, defined modulo pi).
    """
    h, w = source.shape[:2]
    lum = ndimage.gaussian_filter(luminance(source), 1.5)
    gx, gy = ndimage.sobel(lum, 1), ndimage.sobel(lum, 0)
    # Structure tensor in doubled-angle form; the isophote is perpendicular to the gradient.
    jxx, jyy, jxy = (ndimage.gaussian_filter(a, sigma) for a in (gx * gx, gy * gy, gx * gy))
    c2, s2 = -(jxx - jyy), -2 * jxy  # doubled angle of the isophote (gradient angle + 90 deg)
    strength = np.hypot(c2, s2)
    strength = strength / (np.percentile(strength, 90) + 1e-6)

    swirl = smooth_noise(rng, (h, w), 3) * (0.1 + 0.5 * attrs.curvature)
    region = smooth_noise(rng, (h, w), 2)
    side = np.sign(smooth_noise(rng, (h, w), 2) + 1e-3)
    diag = region < np.quantile(region, attrs.diagonal_share)
    theta_e = np.where(diag, side * math.pi / 4, 0.0) + swirl
    theta_e = ndimage.gaussian_filter(theta_e, max(h, w) / 64)
    we = 0.6
    c = np.clip(strength, 0, 1.5) * c2 / (np.hypot(c2, s2) + 1e-9) + we * np.cos(2 * theta_e)
    s = np.clip(strength, 0, 1.5) * s2 / (np.hypot(c2, s2) + 1e-9) + we * np.sin(2 * theta_e)
    return (0.5 * np.arctan2(s, c)).astype(np.float32)
