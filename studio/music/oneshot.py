"""``studio.music.generate``: one emotion in, one piece out (no critic loop; see ``studio.compose``).

The generators' registry and ``default_pipeline()`` live in :mod:`studio.music.generators` (re-exported here).
"""

from __future__ import annotations

import inspect
import math
from typing import Any

from studio.errors import user_errors
from studio.seeding import resolve_seed

from .generators import (  # noqa: F401  (re-exported: they lived here before studio/music/generators.py)
    DEFAULT_GENERATOR,
    GENERATORS,
    default_pipeline,
    generator_kind,
)
from .request import MAX_BARS
from .result import MusicResult


def bars_for_seconds(seconds: float, tempo: float) -> int:
    """Whole 4/4 bars closest to ``seconds`` at ``tempo`` BPM (at least 1, at most 64)."""
    if not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"seconds must be a positive number, got {seconds!r}")
    bars = round(seconds * tempo / 60.0 / 4.0)
    if bars > MAX_BARS:
        raise ValueError(f"{seconds:g} s at {tempo:g} BPM is {bars} bars; at most {MAX_BARS} bars are generated")
    return max(1, bars)


@user_errors
def generate(
    emotion: Any,
    bars: int | None = 16,
    seed: int | None = None,
    seconds: float | None = None,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = 0.95,
    guidance: float | None = None,
    scale_bias: float | None = None,
    density_gain: float | None = None,
    pipeline: Any = None,
    progress: Any = False,
    **attribute_overrides: Any,
) -> MusicResult:
    """Generate one piece for an emotion: ``attributes_for(emotion, **overrides)`` -> a generator.

    Args:
        emotion: anything ``Emotion.coerce`` accepts ("tender", ``(v, a)``, free text, ...).
        bars: 1-64 bars of 4/4 (ignored when ``seconds`` is given).
        seed: int or None (drawn and recorded).
        seconds: length in seconds instead of bars (rounded to whole bars at the target tempo).
        temperature, top_k, top_p, guidance, scale_bias, density_gain: sampling settings (see
            the generator's ``__call__``; None keeps its defaults; guidance, scale_bias and density_gain
            exist only for the transformer).
        pipeline: a loaded generator (default: the released lead-sheet generator, cached; see
            ``default_pipeline``).
        **attribute_overrides: fix music attributes, e.g. ``tempo=90, mode=0.0, note_density=2``.

    Returns:
        ``MusicResult`` with the measured attributes filled in.
    """
    from studio.mapping import attributes_for

    targets = attributes_for(emotion, music=attribute_overrides)
    music = targets.music
    notes: list[str] = []
    if seconds is not None:
        tempo = getattr(music, "tempo", None) or 120.0
        bars = bars_for_seconds(seconds, tempo)
        notes.append(f"{seconds:g} s at {tempo:.0f} BPM -> {bars} bars")
    seed = resolve_seed(seed)
    pipe = pipeline or default_pipeline()
    settings = {
        k: v
        for k, v in (("guidance", guidance), ("scale_bias", scale_bias), ("density_gain", density_gain))
        if v is not None
    }
    accepted = inspect.signature(pipe.__call__).parameters
    unsupported = sorted(k for k in settings if k not in accepted)
    if unsupported:
        raise ValueError(
            f"{', '.join(unsupported)}: decoding settings of the transformer generator, not of {pipe.model_id}; "
            "use generator='transformer' (CLI: --generator transformer) or leave them out"
        )
    piece = pipe(
        attributes=music,
        bars=bars,
        seed=seed,
        num_pieces=1,
        temperature=temperature,
        top_k=top_k,
        top_p=top_p,
        progress=progress,
        **settings,
    )[0]
    measured = None
    try:
        from studio.attributes.music import extract_attributes

        measured = extract_attributes(piece.score)
    except Exception as e:  # measuring is a report, not part of the product
        notes.append(f"attributes not measured: {type(e).__name__}: {e}")
    return MusicResult(
        score=piece.score,
        emotion=targets.emotion,
        attributes_requested=music,
        attributes_measured=measured,
        seed=seed,
        bars=piece.bars,
        model=pipe.model_id,
        notes=notes + piece.notes,
        extra={"sampling": piece.sampling},
        lead_sheet=piece.lead_sheet,
    )
