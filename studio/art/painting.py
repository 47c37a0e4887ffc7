"""``paint()``: emotion -> judged painting (candidates, image critic, re-aim); re-exported as ``studio.art.paint``.

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
from studio.limits import MAX_SIZE, MAX_STEPS, MIN_SIZE, check_int
from studio.progress import Progress, ProgressFn
from studio.seeding import candidate_seed, resolve_seed

__all__ = ["paint", "PaintResult", "MIN_SIZE", "MAX_SIZE", "BACKENDS"]

BACKENDS = ("painter", "diffusers")


def _check_size(size: Any) -> tuple[int, int] | int:
    """``size`` as an int (long side) or ``(width, height)``, each in [MIN_SIZE, MAX_SIZE]."""
    vals = size if isinstance(size, (tuple, list)) else [size]
    if len(vals) not in (1, 2):
        raise ValueError(f"size must be an int or a (width, height) pair, got {size!r}")
    vals = [check_int("size", v, MIN_SIZE, MAX_SIZE, " pixels") for v in vals]
    return vals[0] if len(vals) == 1 else (vals[0], vals[1])


def _critic() -> Callable:
    from studio.critics.image import judge_image  # imported late: tests swap the module for a stub critic

    return judge_image


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
    progress: bool | ProgressFn = True,
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
            Candidate ``i`` uses ``studio.seeding.candidate_seed(seed, "painting", i)`` (candidate 0:
            ``seed``); with ``reaim`` each next candidate is aimed against the critic's last error
            (:mod:`studio.art.search`): palette hues, line and composition follow an aim moved against it
            (``rounds[i]["aim"]``), and saturation, brightness, contrast, angularity and brushwork move by
            the critic's measured response; ``result.attributes`` are the chosen candidate's.
        progress: show a tqdm bar (``True``), nothing (``False``), or call ``progress(fraction, message)``
            after each candidate (see :mod:`studio.progress`).
        attributes: visual attributes to use instead of (or, as a dict, on top of) the mapping's.
        strength: how far a photo's colours move toward the emotion's palette (0-1); for diffusers, the
            img2img strength (how far the result departs from the photo or the painter's canvas).
        steps: diffusion sampling steps (``backend="diffusers"`` only; img2img runs ``steps * strength``).
        reaim: re-aim between candidates as above (ignored when ``attributes`` are given: those are
            painted as asked).

    Returns:
        :class:`PaintResult` with the chosen image, attributes, seed, critic reading and rounds.
    """
    # 1. the request: target, seed, size, candidates, backend, style, attributes, photo
    target = Emotion.coerce(emotion)
    seed = resolve_seed(seed)
    size = _check_size(size)
    _check_options(candidates, backend, strength)
    from studio.art.painter import resolve_style

    style_name = resolve_style(style)
    attrs = _base_attributes(target, attributes)
    notes: list[str] = []
    photo_img, photo_name, wh = _canvas(photo, size, backend, notes)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 1 <= int(steps) <= MAX_STEPS:
        raise ValueError(f"steps must be an integer in [1, {MAX_STEPS}], got {steps!r}")

    def renderer(a: VisualAttributes) -> Callable[[int], Any]:
        return _renderer(backend, weights, target, a, style_name, wh, photo_img, strength, int(steps))

    # 2. paint the candidates, judge each, re-aim the next against the critic's error
    reaim = bool(reaim) and attributes is None and backend == "painter"  # diffusers: one pipeline, no re-aim
    rounds, best = _paint_candidates(renderer, target, attrs, seed, int(candidates), reaim, progress, notes)

    # 3. the result: the closest candidate, with every candidate's record
    _, chosen, image, measured, reading, chosen_attrs = best
    rounds[chosen]["chosen"] = True
    if candidates > 1:
        notes.append(_choice_note(rounds[chosen], candidates, reaim))
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


def _check_options(candidates: Any, backend: str, strength: float) -> None:
    if isinstance(candidates, bool) or not isinstance(candidates, (int, np.integer)):
        raise TypeError(f"candidates must be an integer in [1, {MAX_CANDIDATES}], got {candidates!r}")
    if not 1 <= int(candidates) <= MAX_CANDIDATES:
        raise ValueError(f"candidates must be in [1, {MAX_CANDIDATES}], got {candidates}")
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; accepted: {', '.join(BACKENDS)}")
    if not 0.0 <= float(strength) <= 1.0:
        raise ValueError(f"strength must be in [0, 1], got {strength}")


def _base_attributes(target: Emotion, attributes: VisualAttributes | dict | None) -> VisualAttributes:
    """The mapping's attributes for ``target``; given attributes instead, or a dict of them on top."""
    from studio.mapping.visual import visual_attributes_for

    if attributes is None:
        return visual_attributes_for(target)
    if isinstance(attributes, VisualAttributes):
        return attributes.validate()
    return visual_attributes_for(target).replace(**attributes)


def _canvas(photo: Any, size: int | tuple[int, int], backend: str, notes: list[str]):
    """``(photo image or None, photo name or None, (width, height))`` of the painting to make."""
    if photo is None:
        wh = (size, size) if isinstance(size, int) else size
        if backend == "diffusers":  # latent diffusion needs sides divisible by 8
            wh = tuple(max(64, int(x) // 8 * 8) for x in wh)
        return None, None, wh
    from studio.art.imageio import fit_size, load_image

    photo_name = str(photo) if isinstance(photo, (str,)) or hasattr(photo, "__fspath__") else None
    long_side = size if isinstance(size, int) else max(size)
    loaded = load_image(photo, notes=notes)
    multiple = 8 if backend == "diffusers" else 1  # latent diffusion needs sides divisible by 8
    photo_img = loaded.resize(size, 1) if isinstance(size, tuple) else fit_size(loaded, long_side, multiple)
    return photo_img, photo_name, photo_img.size


def _paint_candidates(
    renderer,
    target: Emotion,
    attrs: VisualAttributes,
    seed: int,
    candidates: int,
    reaim: bool,
    progress,
    notes: list[str],
):
    """Paint ``candidates`` images; returns ``(rounds, best)`` with ``best = (distance, index, image,
    measured, reading, attributes)`` of the candidate read closest to ``target``."""
    from studio.art.search import Search

    render = renderer(attrs)
    search, aim, cand_attrs = Search(target, attrs), target, attrs
    judge = _critic()  # set to None below if it fails (no weights): then the Valdez estimate ranks
    bar = Progress(progress, candidates, desc="painting", unit="candidate")
    rounds, best = [], None
    try:
        for i in range(candidates):
            cseed = candidate_seed(seed, "painting", i)
            image = render(cseed)
            painted_with, painted_aim = cand_attrs, aim
            measured, reading, dist, judge = _judge_candidate(image, target, judge, notes)
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
            if reaim and reading is not None and reading.confidence > 0 and i + 1 < candidates:
                cand_attrs = search.step((reading.valence, reading.arousal))  # see studio.art.search
                aim = search.aim
                render = renderer(cand_attrs)
            bar.update(i + 1, f"candidate {i + 1} of {candidates}: distance {dist:.2f}")
    finally:
        bar.close()
    return rounds, best


def _judge_candidate(image: Any, target: Emotion, judge: Callable | None, notes: list[str]):
    """``(measured attributes, reading or None, distance to target, judge)``; the judge is None from the first
    failure on, and the distance then comes from the Valdez estimate of the measured colours."""
    from studio.attributes.visual import extract_visual_attributes
    from studio.mapping.visual import estimate_emotion

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
    return measured, reading, dist, judge


def _choice_note(chosen: dict, candidates: int, reaim: bool) -> str:
    aimed = chosen["aim"]
    how = f", palette/brushwork aimed at V {aimed['valence']:+.2f} A {aimed['arousal']:+.2f}" if reaim else ""
    return f"kept candidate {chosen['candidate']} (seed {chosen['seed']}{how}) of {candidates}"


def _renderer(backend, weights, target, attrs, style_name, wh, photo_img, strength, steps=30) -> Callable[[int], Any]:
    """A function ``seed -> PIL image`` for the chosen backend."""
    from PIL import Image

    if backend == "painter":
        from studio.art.painter import CPUPainter

        painter = CPUPainter()
        arr = None if photo_img is None else np.asarray(photo_img, dtype=np.float32) / 255.0

        def render(s: int) -> Image.Image:
            return Image.fromarray(painter(attrs, seed=s, size=wh, photo=arr, style=style_name, strength=strength))

        return render

    import os
    from pathlib import Path

    from studio.art.diffusion import WEIGHTS_ENV, DiffusionPainter  # diffusers itself loads in from_pretrained

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
            photo=init,
            strength=strength,
            seed=s,
            steps=steps,
            width=wh[0],
            height=wh[1],
        )
        out = getattr(out, "images", out)
        out = out[0] if isinstance(out, (list, tuple)) else out
        return out if isinstance(out, Image.Image) else Image.fromarray(np.asarray(out))

    return render
