"""Paint an emotion with a local diffusion model (Stable Diffusion 1.x/2.x, SDXL, SD3, FLUX).

Weights are only ever read from a folder the user gives (``weights=DIR`` or the environment
variable ``STUDIO_DIFFUSION_WEIGHTS``): a diffusers folder with ``model_index.json`` and one
sub-folder per component. Nothing is downloaded (``local_files_only=True``).

    painter = DiffusionPainter.from_pretrained("/models/sd15")  # cuda + fp16 where there is a GPU
    out = painter("tender", seed=7)                               # text-to-image
    out = painter("furious", image=canvas, strength=0.6, seed=7)  # image-to-image from the CPU painter

The prompt comes from the visual attributes and the emotion (:mod:`studio.art.diffusion_prompt`),
so the diffusion path and the CPU painter read the same targets; giving the CPU painter's canvas
as ``image`` makes the two agree on palette and layout.
"""

from __future__ import annotations

import inspect
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.art.diffusion_prompt import prompt_from_attributes
from studio.emotion import Emotion
from studio.progress import ProgressFn
from studio.seeding import resolve_seed, torch_generator

WEIGHTS_ENV = "STUDIO_DIFFUSION_WEIGHTS"
# model_index.json ``_class_name`` -> (family, text-to-image class, image-to-image class)
FAMILIES: dict[str, tuple[str, str, str]] = {
    "StableDiffusionPipeline": ("sd", "StableDiffusionPipeline", "StableDiffusionImg2ImgPipeline"),
    "StableDiffusionImg2ImgPipeline": ("sd", "StableDiffusionPipeline", "StableDiffusionImg2ImgPipeline"),
    "StableDiffusionXLPipeline": ("sdxl", "StableDiffusionXLPipeline", "StableDiffusionXLImg2ImgPipeline"),
    "StableDiffusionXLImg2ImgPipeline": ("sdxl", "StableDiffusionXLPipeline", "StableDiffusionXLImg2ImgPipeline"),
    "StableDiffusion3Pipeline": ("sd3", "StableDiffusion3Pipeline", "StableDiffusion3Img2ImgPipeline"),
    "StableDiffusion3Img2ImgPipeline": ("sd3", "StableDiffusion3Pipeline", "StableDiffusion3Img2ImgPipeline"),
    "FluxPipeline": ("flux", "FluxPipeline", "FluxImg2ImgPipeline"),
    "FluxImg2ImgPipeline": ("flux", "FluxPipeline", "FluxImg2ImgPipeline"),
}
# FLUX (dev/schnell) is guidance-distilled: no negative prompt, and its guidance_scale means something else.
NO_NEGATIVE = {"flux"}


@dataclass
class DiffusionResult:
    """One painting from :class:`DiffusionPainter`.

    Attributes:
        image: the picture (PIL, or an array/tensor when ``output_type`` asks for one).
        prompt, negative_prompt: the text the model was given ("" where the family takes none).
        seed: the seed used (drawn and recorded when none was given).
        family: ``"sd"``, ``"sdxl"``, ``"sd3"`` or ``"flux"``. steps: inference steps.
        mode: ``"text2img"`` or ``"img2img"``. strength: img2img strength (None for text2img).
    """

    image: Any
    prompt: str
    negative_prompt: str
    seed: int
    family: str
    steps: int
    mode: str = "text2img"
    strength: float | None = None
    details: dict = field(default_factory=dict)

    @property
    def images(self) -> list:
        """diffusers-style list view, so code written for ``pipe(...).images[0]`` works too."""
        return [self.image]


def detect_family(folder: str | os.PathLike) -> tuple[str, dict]:
    """Read ``model_index.json`` and name the family; checks the component folders exist.

    Args:
        folder: a diffusers weights folder.

    Returns:
        ``(family, model_index)``.

    Raises:
        FileNotFoundError: the folder or its ``model_index.json`` is missing.
        ValueError: unknown ``_class_name``, or component folders named in the index are missing.
    """
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise FileNotFoundError(f"diffusion weights folder not found: {path} (give weights=DIR or set {WEIGHTS_ENV})")
    index_path = path / "model_index.json"
    if not index_path.is_file():
        raise FileNotFoundError(
            f"{path} has no model_index.json; give a diffusers-format folder (the output of save_pretrained, "
            "or a downloaded repository snapshot), not a single .safetensors/.ckpt file"
        )
    try:
        index = json.loads(index_path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{index_path} is not valid JSON: {e}") from e
    name = index.get("_class_name")
    if name not in FAMILIES:
        raise ValueError(f"unknown diffusion family {name!r} in {index_path}; supported: {sorted(set(FAMILIES))}")
    missing = [
        k
        for k, v in index.items()
        if not k.startswith("_") and isinstance(v, list) and v and v[0] is not None and not (path / k).is_dir()
    ]
    if missing:
        raise ValueError(f"{path} is missing component folders {missing} named in model_index.json")
    return FAMILIES[name][0], index


def output_size(init_size: tuple[int, int] | None, height: int | None, width: int | None) -> tuple[int, int]:
    """``(width, height)``: as given, else 512 px, or the init image's aspect with a 512 px long side.

    Raises:
        ValueError: a side that is not a positive multiple of 8 (latent diffusion needs it).
    """
    if (height is None or width is None) and init_size is not None:
        scale = 512 / max(init_size)
        w, h = (max(8, int(round(s * scale / 8)) * 8) for s in init_size)
        width, height = width or w, height or h
    width, height = int(width or 512), int(height or 512)
    if height <= 0 or width <= 0 or height % 8 or width % 8:
        raise ValueError(f"height and width must be positive multiples of 8, got {height}x{width}")
    return width, height


def _step_progress(progress: ProgressFn, steps: int):
    """diffusers' ``callback_on_step_end`` reporting ``progress(fraction, message)`` after each step."""

    def on_step_end(pipe: Any, step: int, timestep: Any, kwargs: dict) -> dict:
        progress(min((step + 1) / max(steps, 1), 1.0), f"denoising step {step + 1} of {steps}")
        return kwargs

    return on_step_end


def _call_kwargs(pipe: Any, **kwargs: Any) -> dict:
    """Keep only the arguments this pipeline's ``__call__`` names (they differ between families)."""
    params = inspect.signature(pipe.__call__).parameters
    return {k: v for k, v in kwargs.items() if k in params and v is not None}


class DiffusionPainter:
    """Text-to-image and image-to-image pipelines of one family, sharing their components.

    Args:
        text2img: a loaded diffusers text-to-image pipeline.
        family: ``"sd"``, ``"sdxl"``, ``"sd3"`` or ``"flux"``.
        img2img: the matching image-to-image pipeline (built from the same components when None).
    """

    def __init__(self, text2img: Any, family: str, img2img: Any = None, source: str | None = None):
        self.text2img = text2img
        self.family = family
        self.source = source
        if img2img is None:
            import diffusers

            cls_name = next(i2i for fam, _, i2i in FAMILIES.values() if fam == family)
            img2img = getattr(diffusers, cls_name)(**text2img.components)
        self.img2img = img2img

    @classmethod
    def from_pretrained(
        cls, weights: str | os.PathLike | None = None, device: str | None = None, dtype: Any = None
    ) -> DiffusionPainter:
        """Load a local diffusers folder; never downloads.

        Args:
            weights: the folder; ``None`` reads ``$STUDIO_DIFFUSION_WEIGHTS``.
            device: ``"cpu"``, ``"cuda"``, ...; ``None`` picks cuda when available, else cpu.
            dtype: torch dtype; ``None`` gives float32 on cpu, float16 on cuda (bfloat16 for SD3/FLUX).

        Returns:
            a :class:`DiffusionPainter`.

        Raises:
            ImportError: diffusers (the ``art`` extra) is not installed.
            FileNotFoundError, ValueError: see :func:`detect_family`.
        """
        weights = weights if weights is not None else os.environ.get(WEIGHTS_ENV)
        if not weights:
            raise ValueError(
                f"no diffusion weights given: pass weights=DIR or set {WEIGHTS_ENV} (nothing is downloaded)"
            )
        family, index = detect_family(weights)
        try:
            import diffusers
            import torch
        except ImportError as e:
            raise ImportError(f"the diffusion painter needs diffusers ({e}); pip install 'emotion-studio[art]'") from e
        if device is None:
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if dtype is None:
            half = torch.bfloat16 if family in ("sd3", "flux") else torch.float16
            dtype = half if str(device).startswith("cuda") else torch.float32
        t2i_name = FAMILIES[index["_class_name"]][1]
        pipe = getattr(diffusers, t2i_name).from_pretrained(str(weights), torch_dtype=dtype, local_files_only=True)
        pipe = pipe.to(device)
        return cls(pipe, family, source=str(weights))

    def save_pretrained(self, folder: str | os.PathLike) -> Path:
        """Write the shared components in diffusers format (``model_index.json`` + one folder each)."""
        self.text2img.save_pretrained(str(folder))
        return Path(folder)

    def to(self, device: Any) -> DiffusionPainter:
        """Move both pipelines (they share modules, so this moves them once)."""
        self.text2img.to(device)
        self.img2img.to(device)
        return self

    @property
    def device(self) -> Any:
        return self.text2img.device

    def set_progress_bar_config(self, **kwargs: Any) -> None:
        self.text2img.set_progress_bar_config(**kwargs)
        self.img2img.set_progress_bar_config(**kwargs)

    def __call__(
        self,
        emotion: Any,
        attributes: Any = None,
        photo: Any = None,
        strength: float = 0.6,
        seed: int | None = None,
        steps: int = 30,
        guidance_scale: float | None = None,
        height: int | None = None,
        width: int | None = None,
        prompt: str | None = None,
        negative_prompt: str | None = None,
        output_type: str = "pil",
        progress: ProgressFn | None = None,
    ) -> DiffusionResult:
        """Paint ``emotion``.

        Args:
            emotion: anything ``Emotion.coerce`` accepts (label, ``(v, a[, d])``, text, ``Emotion``).
            attributes: ``VisualAttributes`` or a dict of some of its fields; None maps the emotion
                with ``studio.mapping.visual.visual_attributes_for``.
            photo: init image (path, PIL, array) for image-to-image, e.g. the CPU painter's canvas.
            strength: img2img noise strength in (0, 1]; higher departs further from ``photo``.
            seed: recorded in the result; None draws one.
            steps: denoising steps (diffusers' ``num_inference_steps``).
            guidance_scale: classifier-free guidance; None uses 7.5 (3.5 for FLUX, 7.0 for SD3).
            height, width: output size, multiples of 8; None means 512, or the init image's size.
            prompt, negative_prompt: override the composed text.
            output_type: ``"pil"`` (default), ``"np"`` or ``"pt"``, as in diffusers.
            progress: called as ``progress(fraction, message)`` after each denoising step.

        Returns:
            a :class:`DiffusionResult`.
        """
        emo = Emotion.coerce(emotion)
        if attributes is None:
            from studio.mapping.visual import visual_attributes_for

            attributes = visual_attributes_for(emo)
        auto_prompt, auto_negative = prompt_from_attributes(attributes, emo)
        prompt = prompt or auto_prompt
        negative = "" if self.family in NO_NEGATIVE else (negative_prompt or auto_negative)
        seed = resolve_seed(seed)
        dev = self.device
        generator = torch_generator(seed, device="cpu" if dev.type == "mps" else str(dev))
        if guidance_scale is None:
            guidance_scale = {"flux": 3.5, "sd3": 7.0}.get(self.family, 7.5)
        init = None
        if photo is not None:
            from studio.art.imageio import load_image

            init = load_image(photo)
        width, height = output_size(init.size if init is not None else None, height, width)
        common = dict(
            prompt=prompt,
            negative_prompt=negative or None,
            num_inference_steps=int(steps),
            guidance_scale=float(guidance_scale),
            generator=generator,
            output_type=output_type,
            callback_on_step_end=None if progress is None else _step_progress(progress, int(steps)),
        )
        if init is None:
            pipe, mode = self.text2img, "text2img"
            kwargs = _call_kwargs(pipe, height=height, width=width, **common)
        else:
            if not 0.0 < float(strength) <= 1.0:
                raise ValueError(f"strength must be in (0, 1] for image-to-image, got {strength}")
            pipe, mode = self.img2img, "img2img"
            init = init.resize((width, height))
            kwargs = _call_kwargs(pipe, image=init, strength=float(strength), height=height, width=width, **common)
        out = pipe(**kwargs)
        return DiffusionResult(
            image=out.images[0],
            prompt=prompt,
            negative_prompt=negative,
            seed=seed,
            family=self.family,
            steps=int(steps),
            mode=mode,
            strength=float(strength) if init is not None else None,
            details={"guidance_scale": float(guidance_scale), "size": [width, height], "weights": self.source},
        )


__all__ = ["DiffusionPainter", "DiffusionResult", "detect_family", "output_size", "prompt_from_attributes", "FAMILIES"]
