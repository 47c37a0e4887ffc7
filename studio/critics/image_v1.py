"""Image critic v1 (the feature critic): valence and arousal read from colour, texture, line and composition.

Kept as a named alternative to the released v2 (``judge_image(x, critic="v1")``) and as a reading
the painter's search does not optimise. Fitted on OASIS (Kurdi et al. 2017) by
``tools/fit_image_critic.py --critic v1``: hand-made features (:mod:`studio.critics.image_features`),
standardised, then per target a ridge regression, a small MLP or their average, whichever won a
family-grouped cross-validation. Dominance is not in OASIS: it comes from the Valdez & Mehrabian
(1994) equation ``D = -.76 B + .32 S`` on standardised brightness and saturation, a prior, not a
fit (``details["dominance_source"]`` says so).

Weights: ``checkpoints/image-critic-v1/config.json`` + ``model.safetensors`` (numpy at inference, no
torch, no pickles).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from studio.critics.base import Reading
from studio.critics.image_features import FEATURE_NAMES, extract_features

BASE_CONFIDENCE = 0.75  # v1's held-out accuracy is moderate, so never claim certainty


@dataclass
class FeatureCritic:
    """Feature standardiser + per-target heads, loaded from a checkpoint folder.

    Attributes:
        config: the checkpoint's ``config.json`` (feature names, chosen models, CV figures, split).
        tensors: name -> array from ``model.safetensors``.
    """

    config: dict
    tensors: dict[str, np.ndarray] = field(repr=False)

    @classmethod
    def from_pretrained(cls, path: str | Path | None = None) -> FeatureCritic:
        """Load ``checkpoints/image-critic-v1`` (or ``path``).

        Raises:
            FileNotFoundError: the folder or one of its two files is missing.
            ValueError: the checkpoint was fitted on different features than this code computes.
        """
        from studio.critics.image import load_head
        from studio.paths import checkpoint

        folder = Path(path) if path is not None else checkpoint("image-critic-v1")
        return cls(*load_head(folder, "feature_names", "tools/fit_image_critic.py --critic v1"))

    def save_pretrained(self, path: str | Path) -> Path:
        """Write ``config.json`` + ``model.safetensors`` to ``path``."""
        from studio.critics.image import save_head

        return save_head(Path(path), self.config, self.tensors)

    @property
    def name(self) -> str:
        return f"{self.config.get('name', 'image-critic')} {self.config.get('version', '?')}"

    # --- prediction -------------------------------------------------------------------------------
    def standardise(self, X: np.ndarray) -> np.ndarray:
        """``[n, F]`` raw features -> z-scores against the training set."""
        return (np.atleast_2d(X) - self.tensors["feature_mean"]) / self.tensors["feature_scale"]

    def _head(self, target: str, Z: np.ndarray) -> np.ndarray:
        t = self.tensors
        ridge = Z @ t[f"{target}.ridge.coef"] + t[f"{target}.ridge.intercept"][0]
        kind = self.config["targets"][target]["kind"]
        if kind == "ridge":
            return ridge
        h, i = Z, 0
        while f"{target}.mlp.{i}.weight" in t:
            h = h @ t[f"{target}.mlp.{i}.weight"] + t[f"{target}.mlp.{i}.bias"]
            i += 1
            if f"{target}.mlp.{i}.weight" in t:
                h = np.maximum(h, 0.0)  # relu between layers, identity output (sklearn's MLPRegressor)
        mlp = h[:, 0]
        return mlp if kind == "mlp" else 0.5 * (ridge + mlp)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """``[n, F]`` features -> ``[n, 2]`` (valence, arousal), clipped to [-1, 1]."""
        Z = np.clip(self.standardise(X), -4.0, 4.0)  # a freak feature must not swing a linear head
        return np.clip(np.stack([self._head("valence", Z), self._head("arousal", Z)], -1), -1.0, 1.0)

    def valdez(self, X: np.ndarray) -> np.ndarray:
        """The bare Valdez & Mehrabian (1994) PAD equations on standardised mean B and S: ``[n, 3]`` in [-1, 1]."""
        v = self.config["valdez"]
        X = np.atleast_2d(X)
        zb = (X[:, FEATURE_NAMES.index("brightness_mean")] - v["brightness_mean"]) / v["brightness_sd"]
        zs = (X[:, FEATURE_NAMES.index("saturation_mean")] - v["saturation_mean"]) / v["saturation_sd"]
        pad = [v[k][0] * zb + v[k][1] * zs for k in ("pleasure", "arousal", "dominance")]
        return np.tanh(np.stack(pad, -1))

    def confidence(self, x: np.ndarray, size: tuple[int, int]) -> tuple[float, list[str]]:
        """How much to trust a reading of one image, with the reasons it was lowered."""
        why: list[str] = []
        z = np.minimum(np.abs(self.standardise(x)[0]), 10.0)
        ood = float(np.clip(z - 3.0, 0.0, None).mean())
        c = BASE_CONFIDENCE * math.exp(-3.0 * ood)
        if ood > 0.05:
            why.append(f"unusual image for the critic (features beyond 3 sd: {int((z > 3).sum())})")
        f = dict(zip(FEATURE_NAMES, x))
        spread = f["lightness_p95"] - f["lightness_p05"]
        if spread < 0.1 or f["gradient_mean"] < 0.003:
            c *= max(spread / 0.1, 0.05) * 0.3
            why.append("near-uniform image: little colour or detail to read")
        from studio.critics.image import SMALL_SIDE

        side = min(size)
        if side < SMALL_SIDE:
            c *= side / SMALL_SIDE
            why.append(f"small image ({size[0]}x{size[1]}); readings need >= {SMALL_SIDE} px a side")
        return float(np.clip(c, 0.0, 1.0)), why

    def __call__(self, image: Any) -> Reading:
        """Read the emotion an image conveys.

        Args:
            image: a path, PIL image, ``[h, w, 3]`` array or ``PaintResult`` (see :func:`read_image`).

        Returns:
            a :class:`Reading` with ``kind="image"``; dominance is the Valdez prior.
        """
        from studio.critics.image import quadrant_probs, read_image

        img, notes = read_image(image)
        x = extract_features(img)
        v, a = (float(t) for t in self.predict(x[None])[0])
        _, _, d = (float(t) for t in self.valdez(x[None])[0])
        conf, why = self.confidence(x, img.size)
        sv = self.config["targets"]["valence"]["cv_residual_sd"]
        sa = self.config["targets"]["arousal"]["cv_residual_sd"]
        probs = quadrant_probs(v, a, sv, sa)
        return Reading(
            valence=v,
            arousal=a,
            dominance=d,
            confidence=conf,
            quadrant_probs=probs,
            kind="image",
            critic=self.name,
            details={
                "dominance_source": "Valdez & Mehrabian (1994) prior on brightness/saturation (OASIS has no D)",
                "size": list(img.size),
                "notes": notes + why,
                "features": {n: round(float(t), 4) for n, t in zip(FEATURE_NAMES, x)},
            },
        )


__all__ = ["FeatureCritic"]
