"""Loading user images safely: one helper for the painter, the diffusers img2img path and the image critic.

``load_image(path_or_pil) -> PIL.Image`` (RGB) refuses what would hurt or mislead (decompression
bombs, images too small to read, files that are not images or are cut short) with a ``ValueError``
that says what was wrong and what is accepted, and normalises the rest (greyscale, CMYK, palette,
alpha, 16-bit, EXIF rotation, animations: first frame).
"""

from __future__ import annotations

import os
import struct
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = "PNG, JPEG, WebP, BMP, TIFF or GIF (first frame)"
# 40 megapixels: ample for a painting source, far below what would exhaust memory when decoded.
MAX_PIXELS = 40_000_000
MIN_SIDE = 16


def _too_big(w: int, h: int, max_pixels: int) -> ValueError:
    return ValueError(
        f"image is {w}x{h} = {w * h / 1e6:.1f} megapixels; at most {max_pixels / 1e6:.0f} megapixels are accepted "
        "(resize it first)"
    )


def load_image(
    source: Any, *, max_pixels: int = MAX_PIXELS, min_side: int = MIN_SIDE, notes: list[str] | None = None
) -> Image.Image:
    """Open an image from a path, bytes-like file object, PIL image or ``[h, w, 3]`` uint8 array as RGB.

    Args:
        source: ``str``/``Path`` to a file, an open binary file, a ``PIL.Image.Image`` or a numpy array.
        max_pixels: refuse images with more pixels than this (checked from the header, before decoding).
        min_side: refuse images narrower or shorter than this.
        notes: if given, conversions made (first frame taken, alpha flattened, CMYK converted) are appended.

    Returns:
        A fully loaded ``PIL.Image.Image`` in mode ``"RGB"``.

    Raises:
        FileNotFoundError: the path does not exist.
        ValueError: not an image, truncated, too large or too small (message names accepted formats).
        TypeError: ``source`` is of an unsupported type.
    """
    notes = notes if notes is not None else []
    if isinstance(source, np.ndarray):
        arr = source
        if arr.ndim == 2:
            arr = np.stack([arr] * 3, -1)
        if arr.ndim != 3 or arr.shape[-1] not in (3, 4):
            raise ValueError(f"an image array must be [h, w, 3] (or [h, w] grey), got shape {arr.shape}")
        if arr.dtype != np.uint8:
            arr = (np.clip(arr.astype(np.float32), 0, 1) * 255 + 0.5).astype(np.uint8)
        source = Image.fromarray(np.ascontiguousarray(arr[..., :3]))
    if isinstance(source, Image.Image):
        return _normalise(source, max_pixels, min_side, notes, name="image")
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"image not found: {path}")
        if path.is_dir():
            raise ValueError(f"{path} is a folder; give an image file ({ACCEPTED_FORMATS})")
        name = str(path)
    elif hasattr(source, "read"):
        name = getattr(source, "name", "image stream")
    else:
        raise TypeError(f"cannot load an image from {type(source).__name__}; give a path, file, PIL image or array")
    try:
        with warnings.catch_warnings():
            # Our own limit (checked from the header below) is stricter than PIL's warning threshold.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(source)  # lazy: reads the header only
    except Image.DecompressionBombError as e:
        raise ValueError(
            f"{name} is too large to decode safely (over {2 * Image.MAX_IMAGE_PIXELS / 1e6:.0f} megapixels); "
            f"at most {max_pixels / 1e6:.0f} megapixels are accepted"
        ) from e
    except (UnidentifiedImageError, OSError, SyntaxError, AttributeError, ValueError, struct.error) as e:
        # PIL signals broken headers with a zoo of exceptions; all mean the same thing to the user.
        raise ValueError(f"{name} is not a readable image; accepted formats: {ACCEPTED_FORMATS}") from e
    with img:
        return _normalise(img, max_pixels, min_side, notes, name=name)


def _normalise(img: Image.Image, max_pixels: int, min_side: int, notes: list[str], name: str) -> Image.Image:
    w, h = img.size
    if w * h > max_pixels:
        raise _too_big(w, h, max_pixels)
    if min(w, h) < min_side:
        raise ValueError(f"{name} is {w}x{h}; images need at least {min_side} px on each side")
    if getattr(img, "is_animated", False) and getattr(img, "n_frames", 1) > 1:
        notes.append(f"{name} is animated ({img.n_frames} frames); the first frame was used")
        img.seek(0)
    try:
        img.load()
    except (OSError, SyntaxError, AttributeError, ValueError, struct.error) as e:
        raise ValueError(
            f"{name} could not be decoded ({e}); is it truncated? accepted formats: {ACCEPTED_FORMATS}"
        ) from e
    img = ImageOps.exif_transpose(img) or img
    mode = img.mode
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in img.info):
        notes.append(f"{name} has transparency; flattened onto white")
        rgba = img.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(bg, rgba).convert("RGB")
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        notes.append(f"{name} is {mode} (high bit depth greyscale); rescaled to 8 bits")
        arr = np.asarray(img, dtype=np.float32)
        lo, hi = float(arr.min()), float(arr.max())
        arr = (arr - lo) / max(hi - lo, 1e-6) * 255.0
        return Image.fromarray(arr.astype(np.uint8)).convert("RGB")
    if mode == "CMYK":
        notes.append(f"{name} is CMYK; converted to RGB")
    elif mode in ("L", "1"):
        notes.append(f"{name} is greyscale; the palette shift will tint it")
    return img.convert("RGB") if mode != "RGB" else img.copy()


def fit_size(image: Image.Image, long_side: int, multiple: int = 8) -> Image.Image:
    """Resize so the long side is ``long_side`` (aspect kept, both sides a multiple of ``multiple``)."""
    w, h = image.size
    scale = long_side / max(w, h)
    nw = max(multiple, int(round(w * scale / multiple)) * multiple)
    nh = max(multiple, int(round(h * scale / multiple)) * multiple)
    return image.resize((nw, nh), Image.Resampling.LANCZOS)
