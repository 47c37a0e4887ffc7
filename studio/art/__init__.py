"""Art: emotion -> painting. ``paint()`` is the public entry; the CPU painter needs nothing but numpy.

>>> from studio.art import paint
>>> result = paint("serene", seed=3, size=256, progress=False)
>>> result.save("out/")  # painting.png + painting.json
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from studio.art.result import PaintResult
from studio.attributes.visual import VisualAttributes
from studio.emotion import Emotion
from studio.errors import user_errors
from studio.limits import MAX_ART_CANDIDATES as MAX_CANDIDATES  # one definition each, shared with help texts
from studio.limits import MAX_SIZE, MIN_SIZE
from studio.seeding import MAX_SEED, resolve_seed

__all__ = ["paint", "PaintResult", "MIN_SIZE", "MAX_SIZE", "BACKENDS"]

BACKENDS = ("painter", "diffusers")


def _check_size(size: Any) -> tuple[int, int] | int:
    """``size`` as an int (long side) or ``(width, height)``, each in [MIN_SIZE, MAX_SIZE]."""
    vals = size if isinstance(size, (tuple, list)) else [size]
    if len(vals) not in (1, 2):
        raise ValueError(f"size must be an int or a (width, height) pair, got {size!r}")
    for v in vals:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"size must be an integer number of pixels in [{MIN_SIZE}, {MAX_SIZE}], got {v!r}")
        if not MIN_SIZE <= int(v) <= MAX_SIZE:
            raise ValueError(f"size must be in [{MIN_SIZE}, {MAX_SIZE}] pixels, got {int(v)}")
    return int(vals[0]) if len(vals) == 1 else (int(vals[0]), int(vals[1]))


def _candidate_seed(seed: int, i: int) -> int:
    # Candidate 0 is the seed itself, so candidates=1 and a re-run of the chosen seed agree.
    return (seed + 7919 * i) % (MAX_SEED + 1)


def _critic() -> Callable | None:
    try:
        from studio.critics.image import judge_image
    except ImportError:
        return None
    return judge_image


def _progress(progress: bool | Callable, total: int):
    """A ``step()`` function for either a tqdm bar or a user callback ``progress(done, total)``."""
    if callable(progress):
        state = {"done": 0}

        def step() -> None:
            state["done"] += 1
            progress(state["done"], total)

        return step, None
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc="painting", unit="candidate", disable=not progress, leave=False)
    return (lambda: bar.update(1)), bar


@user_errors
def paint(
    emotion: Any,
    seed: int | None = None,
    size: int | tuple[int, int] = 512,
    photo: Any = None,
    style: str | None = None,
    backend: str = "painter",
    weights: str | None = None,
    candidates: int = 1,
    progress: bool | Callable[[int, int], None] = True,
    attributes: VisualAttributes | dict | None = None,
    strength: float = 0.6,
    steps: int = 30,
    reaim: bool = True,
) -> PaintResult:
    """Paint an emotion.

    Args:
        emotion: a label (``"serene"``), ``(v, a)``/``(v, a, d)``, dict, free text or :class:`Emotion`.
        seed: integer seed; ``None`` draws one (recorded in the result). Same seed, same painting.
        size: long side in pixels (``int``, square without a photo) or ``(width, height)``; 64-2048.
        photo: optional path / PIL image / array to paint from (the CPU counterpart of img2img);
            its aspect ratio is kept with ``size`` as the long side.
        style: ``"impressionist"``, ``"expressionist"``, ``"pointillist"``, ``"colourist"`` (wash),
            or ``None`` for brushwork straight from the attributes.
        backend: ``"painter"`` (CPU, default) or ``"diffusers"`` (needs ``weights`` and diffusers).
        weights: folder of diffusion weights for ``backend="diffusers"`` (default ``$STUDIO_DIFFUSION_WEIGHTS``).
            Without a photo, the CPU painting of the same attributes and seed is the img2img source.
        candidates: paint this many (1-16) and keep the one the image critic reads closest to the target.
            Candidate ``i`` uses seed ``seed + 7919 i``; with ``reaim`` each next candidate is aimed
            against the critic's last error (:mod:`studio.art.search`): palette hues, line and
            composition follow an aim moved against it (``rounds[i]["aim"]``), and saturation,
            brightness, contrast, angularity and brushwork move by the critic's measured response;
            ``result.attributes`` are the chosen candidate's.
        progress: show a tqdm bar (``True``), nothing (``False``), or call ``progress(done, total)``.
        attributes: visual attributes to use instead of (or, as a dict, on top of) the mapping's.
        strength: how far a photo's colours move toward the emotion's palette (0-1); for diffusers, the
            img2img strength (how far the result departs from the photo or the painter's canvas).
        steps: diffusion sampling steps (``backend="diffusers"`` only; img2img runs ``steps * strength``).
        reaim: re-aim between candidates as above (ignored when ``attributes`` are given: those are
            painted as asked).

    Returns:
        :class:`PaintResult` with the chosen image, attributes, seed, critic reading and rounds.
    """
    from studio.mapping.visual import visual_attributes_for

    target = Emotion.coerce(emotion)
    seed = resolve_seed(seed)
    size = _check_size(size)
    if isinstance(candidates, bool) or not isinstance(candidates, (int, np.integer)):
        raise TypeError(f"candidates must be an integer in [1, {MAX_CANDIDATES}], got {candidates!r}")
    if not 1 <= int(candidates) <= MAX_CANDIDATES:
        raise ValueError(f"candidates must be in [1, {MAX_CANDIDATES}], got {candidates}")
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; accepted: {', '.join(BACKENDS)}")
    if not 0.0 <= float(strength) <= 1.0:
        raise ValueError(f"strength must be in [0, 1], got {strength}")
    from studio.art.painter import resolve_style

    style_name = resolve_style(style)

    if attributes is None:
        attrs = visual_attributes_for(target)
    elif isinstance(attributes, VisualAttributes):
        attrs = attributes.validate()
    else:
        attrs = visual_attributes_for(target).replace(**attributes)

    notes: list[str] = []
    photo_img, photo_name = None, None
    if photo is not None:
        from studio.art.imageio import fit_size, load_image

        photo_name = str(photo) if isinstance(photo, (str,)) or hasattr(photo, "__fspath__") else None
        long_side = size if isinstance(size, int) else max(size)
        loaded = load_image(photo, notes=notes)
        multiple = 8 if backend == "diffusers" else 1  # latent diffusion needs sides divisible by 8
        photo_img = loaded.resize(size, 1) if isinstance(size, tuple) else fit_size(loaded, long_side, multiple)
        wh = photo_img.size
    else:
        wh = (size, size) if isinstance(size, int) else size
        if backend == "diffusers":  # latent diffusion needs sides divisible by 8
            wh = tuple(max(64, int(x) // 8 * 8) for x in wh)

    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 1 <= int(steps) <= 200:
        raise ValueError(f"steps must be an integer in [1, 200], got {steps!r}")

    def renderer(a: VisualAttributes) -> Callable[[int], Any]:
        return _renderer(backend, weights, target, a, style_name, wh, photo_img, strength, int(steps))

    render = renderer(attrs)
    reaim = bool(reaim) and attributes is None and backend == "painter"  # diffusers: one pipeline, no re-aim
    from studio.art.search import Search

    search, aim, cand_attrs = Search(target, attrs), target, attrs
    judge = _critic()
    if judge is None:
        notes.append("image critic not available: candidates ranked by the Valdez brightness/saturation estimate")
    step, bar = _progress(progress, int(candidates))

    from studio.attributes.visual import extract_visual_attributes
    from studio.mapping.visual import estimate_emotion

    rounds, best = [], None
    try:
        for i in range(int(candidates)):
            cseed = _candidate_seed(seed, i)
            image = render(cseed)
            painted_with, painted_aim = cand_attrs, aim
            measured = extract_visual_attributes(image)
            reading = None
            if judge is not None:
                try:
                    reading = judge(image)
                except (FileNotFoundError, OSError, RuntimeError) as e:  # critic present but unusable (no weights)
                    notes.append(f"image critic failed ({e}); ranking by the Valdez estimate instead")
                    judge = None
            if reading is not None:
                dist = reading.distance(target)
            else:
                v, a = estimate_emotion(measured)
                dist = float(np.hypot(v - target.valence, a - target.arousal))
            rounds.append(
                {
                    "candidate": i,
                    "seed": cseed,
                    "distance": round(float(dist), 4),
                    "reading": reading.to_dict() if reading is not None else None,
                    "aim": {"valence": round(painted_aim.valence, 4), "arousal": round(painted_aim.arousal, 4)},
                    "chosen": False,
                }
            )
            if best is None or dist < best[0]:
                best = (dist, i, image, measured, reading, painted_with)
            if reaim and reading is not None and reading.confidence > 0 and i + 1 < int(candidates):
                cand_attrs = search.step((reading.valence, reading.arousal))  # see studio.art.search
                aim = search.aim
                render = renderer(cand_attrs)
            step()
    finally:
        if bar is not None:
            bar.close()
    _, chosen, image, measured, reading, chosen_attrs = best
    rounds[chosen]["chosen"] = True
    if candidates > 1:
        aimed = rounds[chosen]["aim"]
        how = f", palette/brushwork aimed at V {aimed['valence']:+.2f} A {aimed['arousal']:+.2f}" if reaim else ""
        notes.append(f"kept candidate {chosen} (seed {rounds[chosen]['seed']}{how}) of {candidates}")
    model = "cpu-painter 1.0" if backend == "painter" else f"diffusers ({weights})"
    return PaintResult(
        image=image,
        emotion=target,
        attributes=chosen_attrs,
        seed=seed,
        style=style_name,
        backend=backend,
        reading=reading,
        rounds=rounds,
        notes=notes,
        measured=measured,
        model=model,
        photo=photo_name,
    )


def _renderer(backend, weights, target, attrs, style_name, wh, photo_img, strength, steps=30) -> Callable[[int], Any]:
    """A function ``seed -> PIL image`` for the chosen backend."""
    from PIL import Image

    if backend == "painter":
        from studio.art.painter import CPUPainter

        painter = CPUPainter()
        arr = None if photo_img is None else np.asarray(photo_img, dtype=np.float32) / 255.0

        def render(s: int) -> Image.Image:
            return Image.fromarray(
                painter(attrs, seed=s, size=wh, photo=arr, style=style_name, photo_strength=strength)
            )

        return render

    try:
        from studio.art.diffusion import WEIGHTS_ENV, DiffusionPainter
    except ImportError as e:
        raise ValueError(
            f"backend 'diffusers' is not available ({e}); install the art extra (pip install 'emotion-studio[art]') "
            "or use backend='painter'"
        ) from e
    import os
    from pathlib import Path

    weights = weights or os.environ.get(WEIGHTS_ENV)
    if not weights:
        raise ValueError(
            f"backend 'diffusers' needs weights=DIR or ${WEIGHTS_ENV}: a local folder of diffusion weights "
            "(SD 1.x/SDXL/SD3/FLUX with model_index.json; no downloads are made)"
        )
    if not Path(weights).exists():
        raise FileNotFoundError(f"diffusion weights not found at {weights}")
    pipe = DiffusionPainter.from_pretrained(weights)
    painter_canvas = None
    if photo_img is None:
        # Without a photo, the CPU painter's canvas for the same attributes and seed seeds img2img, so
        # both backends agree on palette and composition; ``strength`` says how far diffusion departs.
        painter_canvas = _renderer("painter", None, target, attrs, style_name, wh, None, strength)

    def render(s: int) -> Image.Image:
        init = photo_img if photo_img is not None else painter_canvas(s)
        out = pipe(
            target,
            attributes=attrs,
            image=init,
            strength=strength,
            seed=s,
            num_inference_steps=steps,
            width=wh[0],
            height=wh[1],
        )
        out = getattr(out, "images", out)
        out = out[0] if isinstance(out, (list, tuple)) else out
        return out if isinstance(out, Image.Image) else Image.fromarray(np.asarray(out))

    return render
