"""The request contract shared by the music generators: limits, attribute normalisation, ``Piece``.

Both generators (the structure-first :class:`~studio.music.structured.LeadSheetPipeline` and the REMI
transformer :class:`~studio.music.pipeline.MusicPipeline`) take the same ``attributes`` / ``bars`` /
``seed`` / ``num_pieces`` and return ``Piece`` objects; the checks and limits live here once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import symusic

from studio.limits import MAX_BARS, MAX_PIECES, check_int  # one definition each, shared with help texts

from .conditions import CONTINUOUS, RANGES

MAX_NOTES_PER_SECOND = 24.0  # faster than this is not playable piano music; density is clamped
# The request's attributes: the transformer's condition tokens, and the dynamics' spread (``velocity_std``),
# which the lead-sheet generator realises and the transformer's own velocity tokens do not take.
CONDITIONED = ("tempo", "key", "mode", *CONTINUOUS[1:], "velocity_std")
TPQ = 480


@dataclass
class Piece:
    """One generated piece.

    Args:
        score: ``symusic.Score`` (one piano track, 4/4, ``bars`` bars).
        ids: generated token ids ``[T]`` (prefix included), before transposition.
        seed: the call's seed; ``index``: position in the batch.
        attributes_requested: the conditions used (``None`` = unspecified), after clamps.
        notes: clamps and warnings.
        sampling: the decoding settings (temperature, top_k, top_p, guidance, scale_bias).
        lead_sheet: form, chords and melody when the generator writes a lead sheet first, else None.
    """

    score: symusic.Score
    ids: list[int]
    seed: int
    index: int
    bars: int
    attributes_requested: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    sampling: dict[str, Any] = field(default_factory=dict)
    lead_sheet: dict[str, Any] | None = None


def check_bars(bars: Any) -> int:
    return check_int("bars", bars, 1, MAX_BARS)


def normalise_attributes(attributes: Any) -> tuple[dict[str, Any], list[str]]:
    """A request as ``{name: value or None}`` over the conditioned attributes, plus notes.

    Accepts ``None``, a dict or a ``MusicAttributes``; ``mode`` may also be ``"major"``/``"minor"``.
    Values outside the accepted ranges raise ``ValueError`` naming the range; an unplayable
    combination (more than 24 notes per second) is clamped and noted.
    """
    notes: list[str] = []
    explicit = isinstance(attributes, dict)  # a MusicAttributes from the mapper carries extra, measured-only fields
    if attributes is None:
        raw: dict[str, Any] = {}
    elif hasattr(attributes, "to_dict") and not isinstance(attributes, dict):
        raw = attributes.to_dict()
    elif isinstance(attributes, dict):
        raw = dict(attributes)
    else:
        raise TypeError(f"attributes must be a MusicAttributes, a dict or None, got {type(attributes).__name__}")
    if isinstance(raw.get("mode"), str):
        m = raw["mode"].strip().lower()
        if m not in ("major", "minor"):
            raise ValueError(f"mode must be 'major', 'minor' or a probability of major in [0, 1], got {raw['mode']!r}")
        raw["mode"] = 1.0 if m == "major" else 0.0
    raw.pop("mode_name", None), raw.pop("key_name", None)
    from studio.attributes.music import MusicAttributes  # the shared definitions validate names and ranges

    raw = MusicAttributes.from_dict(raw).to_dict()
    out: dict[str, Any] = {}
    ignored = []
    for k, v in raw.items():
        if k not in CONDITIONED:
            if v is not None:
                ignored.append(k)
            continue
        if v is None:
            out[k] = None
            continue
        if k == "key":
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= int(v) <= 11:
                raise ValueError(f"key must be a pitch class 0-11 (C=0), got {v!r}")
            out[k] = int(v)
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float, np.number)) or not math.isfinite(float(v)):
            raise ValueError(f"{k} must be a finite number in {list(RANGES[k])}, got {v!r}")
        lo, hi = RANGES[k]
        v = float(v)
        if not lo <= v <= hi:
            clipped = min(max(v, lo), hi)
            notes.append(f"{k} {v:g} is outside what this model can play [{lo:g}, {hi:g}]; clamped to {clipped:g}")
            v = clipped
        out[k] = v
    if ignored and explicit:
        notes.append(f"not conditions of this model (measured only): {', '.join(sorted(ignored))}")
    t, d = out.get("tempo"), out.get("note_density")
    if t and d and d * t / 60.0 > MAX_NOTES_PER_SECOND:
        nd = MAX_NOTES_PER_SECOND * 60.0 / t
        notes.append(f"note_density {d:g} at {t:g} BPM is {d * t / 60:.0f} notes/s; clamped to {nd:.2f} notes per beat")
        out["note_density"] = nd
    return {k: out.get(k) for k in CONDITIONED}, notes


def check_num_pieces(num_pieces: Any) -> int:
    return check_int("num_pieces", num_pieces, 1, MAX_PIECES)
