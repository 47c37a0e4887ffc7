"""Curved brush strokes, vectorised: tracing (Hertzmann 1998) and rasterising (a numpy z-buffer).

Tracing advances every stroke of a layer at once: each step follows the flow field (along the
isophotes of the source), bent only as far as the curvature filter allows, and a stroke stops
when the source under it no longer matches its colour.

Rasterising stamps a disc per control point. Strokes are written in a random order into a flat
id buffer with numpy fancy assignment (the last write wins), which makes a layer of thousands of
opaque strokes one vectorised operation; a second pass keeps, per pixel, the winning stroke's
nearest dab, which gives the alpha (soft edge, tapered ends) and a bristle texture value (ridges
along the stroke), so strokes look dragged, not stamped.

Axis legend: n - strokes, l - control points per stroke, d - dabs, p - pixels of one dab.
"""

from __future__ import annotations

import math

import numpy as np


def trace_strokes(
    starts: np.ndarray,
    colours: np.ndarray,
    reference: np.ndarray,
    canvas: np.ndarray,
    theta: np.ndarray,
    radius: float,
    max_len: int,
    min_len: int,
    curvature: float,
    kink_prob: float,
    tolerance: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Trace all strokes of one layer.

    Args:
        starts: ``[n, 2]`` start points ``(y, x)``.
        colours: ``[n, 3]`` stroke colours.
        reference: ``[h, w, 3]`` blurred source the layer copies.
        canvas: ``[h, w, 3]`` painting so far.
        theta: ``[h, w]`` orientation field (radians, modulo pi).
        radius: brush radius; also the step between control points.
        max_len, min_len: control points after the start, at most / at least.
        curvature: Hertzmann's filter: 0 keeps the first direction (straight), 1 follows the field.
        kink_prob: chance per step of a sharp turn (angular strokes).
        tolerance: colour difference (mean abs, RGB) a stroke accepts before it stops.
        rng: generator.

    Returns:
        ``points [n, max_len + 1, 2]`` and ``valid [n, max_len + 1]`` (a prefix of each row).
    """
    h, w = theta.shape
    n = len(starts)
    pts = np.zeros((n, max_len + 1, 2), dtype=np.float32)
    valid = np.zeros((n, max_len + 1), dtype=bool)
    p = starts.astype(np.float32).copy()
    pts[:, 0], valid[:, 0] = p, True
    alive = np.ones(n, dtype=bool)
    prev = None
    for k in range(1, max_len + 1):
        iy = np.clip(p[:, 0].astype(np.int32), 0, h - 1)
        ix = np.clip(p[:, 1].astype(np.int32), 0, w - 1)
        t = theta[iy, ix]
        cand = np.stack([np.sin(t), np.cos(t)], -1)
        if prev is None:
            prev = cand * rng.choice([-1.0, 1.0], size=(n, 1)).astype(np.float32)
        cand = np.where((cand * prev).sum(-1, keepdims=True) < 0, -cand, cand)
        d = curvature * cand + (1.0 - curvature) * prev
        if kink_prob > 0:
            kink = rng.random(n) < kink_prob
            ang = rng.uniform(0.5, 1.1, n) * rng.choice([-1.0, 1.0], n) * kink
            ca, sa = np.cos(ang), np.sin(ang)
            d = np.stack([d[:, 0] * ca + d[:, 1] * sa, d[:, 1] * ca - d[:, 0] * sa], -1)
        d = d / (np.linalg.norm(d, axis=-1, keepdims=True) + 1e-6)
        p = p + radius * d
        inside = (p[:, 0] >= 0) & (p[:, 0] < h) & (p[:, 1] >= 0) & (p[:, 1] < w)
        iy = np.clip(p[:, 0].astype(np.int32), 0, h - 1)
        ix = np.clip(p[:, 1].astype(np.int32), 0, w - 1)
        ref = reference[iy, ix]
        off_stroke = np.abs(ref - colours).mean(-1)
        off_canvas = np.abs(ref - canvas[iy, ix]).mean(-1)
        keep = inside & ((k <= min_len) | (off_stroke <= np.maximum(off_canvas, tolerance)))
        alive &= keep
        pts[:, k], valid[:, k] = p, alive
        prev = d.astype(np.float32)
        if not alive.any():
            break
    return pts, valid


def _disc(radius: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r = int(math.ceil(radius))
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
    dist = np.hypot(yy, xx)
    inside = dist <= radius + 0.5
    return yy[inside].astype(np.int32), xx[inside].astype(np.int32), dist[inside].astype(np.float32)


def render_strokes(
    canvas: np.ndarray,
    points: np.ndarray,
    valid: np.ndarray,
    colours: np.ndarray,
    radius: float,
    opacity: float,
    bristle: float,
    softness: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Paint one layer of strokes onto the canvas (in place) and return it.

    Args:
        canvas: ``[h, w, 3]`` float32, modified in place.
        points, valid: from :func:`trace_strokes`, ``[n, l, 2]`` / ``[n, l]``; row order = paint order.
        colours: ``[n, 3]``.
        radius: brush radius in pixels.
        opacity: stroke opacity in [0, 1].
        bristle: strength of the bristle ridges (0 = flat paint).
        softness: share of the radius over which the edge fades (0 = hard edge).
        rng: generator (bristle phase and count per stroke).

    Returns:
        The canvas.
    """
    h, w = canvas.shape[:2]
    n, length = valid.shape
    # Per-control-point direction (for bristles across the stroke) and position along the stroke.
    nxt = np.concatenate([points[:, 1:], points[:, -1:]], 1)
    dirs = nxt - points
    dirs[:, -1] = dirs[:, -2] if length > 1 else (1.0, 0.0)
    counts = valid.sum(1)
    last_ok = np.clip(counts - 1, 0, length - 1)
    ends = np.arange(length)[None, :] == last_ok[:, None]
    dirs = np.where(ends[..., None] & (counts[:, None, None] > 1), np.roll(dirs, 1, axis=1), dirs)
    dirs /= np.linalg.norm(dirs, axis=-1, keepdims=True) + 1e-6
    pos = np.arange(length)[None, :] / np.maximum(counts[:, None] - 1, 1)
    taper = np.clip(np.minimum(pos, 1.0 - pos) * 3.0 + 0.55, 0.0, 1.0)

    sel = np.nonzero(valid.ravel())[0]  # dabs in paint order: stroke-major, then along the stroke
    sid = (sel // length).astype(np.int32)
    c = points.reshape(-1, 2)[sel]
    dr = dirs.reshape(-1, 2)[sel]
    tp = taper.ravel()[sel]

    oy, ox, dist = _disc(radius)
    py = np.round(c[:, 0:1]).astype(np.int32) + oy[None]  # [d, p]
    px = np.round(c[:, 1:2]).astype(np.int32) + ox[None]
    ok = (py >= 0) & (py < h) & (px >= 0) & (px < w)
    across = (oy[None] * dr[:, 1:2] - ox[None] * dr[:, 0:1]) / max(radius, 1.0)  # [-1, 1] across the stroke
    # 2-5 ridges per stroke, but none narrower than ~4 px (finer ones alias into hatching).
    n_bristle = np.minimum(rng.uniform(2.0, 5.0, n), max(1.0, radius / 3.0)).astype(np.float32)
    phase = rng.uniform(0, 2 * math.pi, n).astype(np.float32)
    tex = np.sin(across * math.pi * n_bristle[sid][:, None] + phase[sid][:, None])

    flat = (py * w + px)[ok]
    id_buf = np.full(h * w, -1, dtype=np.int32)
    sid_w = np.broadcast_to(sid[:, None], ok.shape)[ok]
    id_buf[flat] = sid_w
    # Within the winning stroke, each pixel takes its nearest dab's edge distance, taper and bristle
    # value (packed into one int64 so a single maximum.at picks them together). Taking the last dab
    # instead would print every dab's rim and bristle phase as arcs ("rungs") inside the stroke.
    mine = id_buf[flat] == sid_w
    dist_q = np.round(np.broadcast_to(dist[None], ok.shape)[ok][mine] / max(radius + 0.5, 1.0) * 1023).astype(np.int64)
    taper_q = np.round(np.broadcast_to(tp[:, None], ok.shape)[ok][mine] * 255).astype(np.int64)
    tex_q = np.round((tex[ok][mine] + 1.0) * 511.5).astype(np.int64)
    key = ((1023 - np.clip(dist_q, 0, 1023)) << 18) | (taper_q << 10) | tex_q
    k_buf = np.full(h * w, -1, dtype=np.int64)
    np.maximum.at(k_buf, flat[mine], key)

    painted = id_buf >= 0
    idx = id_buf[painted]
    k = k_buf[painted]
    near = (1023 - (k >> 18)).astype(np.float32) / 1023 * (radius + 0.5)
    taper_px = ((k >> 10) & 255).astype(np.float32) / 255
    tex_px = (k & 1023).astype(np.float32) / 511.5 - 1.0
    edge = np.clip((radius + 0.5 - near) / max(softness * radius, 0.75), 0.0, 1.0)
    a = (opacity * edge * taper_px)[:, None]
    # Bristle ridges need a few pixels to resolve; on small brushes they would alias into moire.
    bristle = bristle * float(np.clip((radius - 2.0) / 6.0, 0.0, 1.0))
    col = colours[idx] * (1.0 + bristle * 0.12 * tex_px)[:, None]
    flat_canvas = canvas.reshape(-1, 3)
    flat_canvas[painted] = np.clip(col, 0, 1) * a + flat_canvas[painted] * (1.0 - a)
    return canvas
