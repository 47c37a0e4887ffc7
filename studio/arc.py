"""Emotion arcs: a piece that moves through the circumplex phrase by phrase.

An arc is given as

* a string with arrows, ``"calm -> furious"`` (or ``→``) or ``"0.5,-0.5 -> tender -> -0.6,0.7"``;
* a list of two or more emotions, ``["calm", "furious"]`` (spread evenly over the piece);
* a list of ``(bar, emotion)`` points, ``[(1, "calm"), (9, "tender"), (17, "furious")]`` (1-based bars).

Each 4-bar phrase gets the emotion of the path at its first bar (linear in valence-arousal-dominance
between points). :func:`compose_arc` asks the structure-first generator for one attribute request per
phrase and keeps, of ``candidates`` pieces, the one whose phrases' measured attributes follow the path best.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from studio.emotion import Emotion, parse_emotion_arg

ARROW = "->"
ARROWS = (ARROW, "\u2192")  # "calm -> furious" or "calm → furious"
PHRASE_BARS = 4
ACCEPTED_ARCS = (
    "an arc: 'calm -> furious' (emotions joined by '->'), a list of two or more emotions, "
    "or a list of (bar, emotion) points such as [(1, 'calm'), (17, 'furious')]"
)


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float, np.number)) and not isinstance(x, bool)


def _is_point(x: Any) -> bool:
    return (
        isinstance(x, (tuple, list))
        and len(x) == 2
        and isinstance(x[0], (int, np.integer))
        and not isinstance(x[0], bool)
        and not _is_number(x[1])
    )


def is_arc(x: Any) -> bool:
    """True for the arc forms above (a plain emotion, including a ``(v, a[, d])`` tuple, is not one)."""
    if isinstance(x, str):
        return any(a in x for a in ARROWS)
    if isinstance(x, (list, tuple)) and len(x) >= 2:
        return not all(_is_number(v) for v in x)
    return False


def arc_parts(text: str) -> list[str]:
    """The emotions of an arc string, as typed: ``"calm -> furious"`` -> ``["calm", "furious"]``.

    Raises:
        ValueError: fewer than two emotions, or an empty one between arrows.
    """
    joined = text
    for a in ARROWS[1:]:
        joined = joined.replace(a, ARROW)
    parts = [p.strip() for p in joined.split(ARROW)]
    if len(parts) < 2 or any(not p for p in parts):
        raise ValueError(f"an arc string joins two or more emotions with '{ARROW}', got {text!r}")
    return parts


def parse_arc(x: Any) -> list[tuple[float | None, Emotion]]:
    """``[(bar or None, Emotion), ...]``; bars are None when the arc gives emotions only.

    Raises:
        ValueError: fewer than two points, a bad bar number, or an emotion ``Emotion.coerce`` refuses.
    """
    if isinstance(x, str):
        return [(None, Emotion.coerce(parse_emotion_arg(p))) for p in arc_parts(x)]
    if not is_arc(x):
        raise ValueError(f"not an arc; give {ACCEPTED_ARCS}")
    points = [_is_point(v) for v in x]
    if any(points) and not all(points):
        raise ValueError(f"an arc is all emotions or all (bar, emotion) points, not a mix; give {ACCEPTED_ARCS}")
    if not all(points):
        return [(None, Emotion.coerce(v)) for v in x]
    out = []
    for bar, emo in x:
        if bar < 1:
            raise ValueError(f"arc bars are 1-based bar numbers, got {bar}")
        out.append((float(bar), Emotion.coerce(emo)))
    bars = [b for b, _ in out]
    if bars != sorted(bars) or len(set(bars)) != len(bars):
        raise ValueError(f"arc points must have increasing bar numbers, got {bars}")
    return out


def phrase_emotions(points: list[tuple[float | None, Emotion]], bars: int) -> list[Emotion]:
    """The emotion of each 4-bar phrase: the path (linear in VAD) at the phrase's first bar."""
    n = math.ceil(bars / PHRASE_BARS)
    if points[0][0] is None:  # spread evenly: first point at the first phrase, last at the last
        pos = np.linspace(1, (n - 1) * PHRASE_BARS + 1, len(points)) if n > 1 else np.ones(len(points))
        points = [(float(p), e) for p, (_, e) in zip(pos, points)]
    xs = np.array([b for b, _ in points])
    vad = np.array([e.vad for _, e in points])
    out = []
    for p in range(n):
        first = p * PHRASE_BARS + 1
        v = [float(np.interp(first, xs, vad[:, i])) for i in range(3)]
        label = next((e.label for b, e in points if b == first), None)
        out.append(Emotion(*v, label=label))
    return out


def compose_arc(
    emotion: Any,
    bars: int = 16,
    seed: int | None = None,
    candidates: int = 4,
    progress: bool | Callable | None = False,
    pipeline: Any = None,
    critic: Callable | None = None,
    temperature: float | None = None,
    **attribute_overrides: Any,
):
    """Compose a piece whose phrases follow an emotion arc.

    Args:
        emotion: an arc (see module docstring).
        bars: 1-64; at least two phrases (5 bars) make an arc audible.
        seed: base seed (drawn and recorded when None).
        candidates: pieces drawn (1-16); the one whose phrases follow the path best is kept.
        progress: ``callable(fraction, message)`` or a bool.
        pipeline: a generator that takes one attribute request per phrase (default: the lead-sheet one).
        critic: ``score -> Reading`` for the record (default: the released music critic).
        temperature: the generator's sampling temperature (None: its default).
        **attribute_overrides: attributes fixed in every phrase (``tempo=90``).

    Returns:
        ``MusicResult`` (emotion = the arc's first point) with ``extra["arc"]``: the points, and per phrase
        its bars, target and the valence/arousal its measured attributes point to.
    """
    from studio.attributes.music import extract_attributes
    from studio.mapping import attributes_for
    from studio.music.request import check_bars, check_num_pieces
    from studio.music.result import MusicResult
    from studio.seeding import resolve_seed

    points = parse_arc(emotion)
    bars = check_bars(bars)
    candidates = check_num_pieces(candidates)
    seed = resolve_seed(seed)
    targets = phrase_emotions(points, bars)
    requests = [attributes_for(t, music=attribute_overrides).music for t in targets]
    if pipeline is None:
        from studio.music.generators import default_pipeline

        pipeline = default_pipeline()
    if not hasattr(pipeline, "tables"):
        raise ValueError(
            f"emotion arcs need the lead-sheet generator (one request per phrase); {pipeline.model_id} takes one"
        )
    t0 = time.perf_counter()
    sampling = {} if temperature is None else {"temperature": float(temperature)}
    pieces = pipeline(attributes=requests, bars=bars, seed=seed, num_pieces=candidates, **sampling)
    dist, best, follow = _closest_follower(pieces, targets, bars)
    if callable(progress):
        progress(1.0, f"arc: mean phrase distance {dist:.2f}")
    notes = list(best.notes)
    reading = _reading(critic, best.score, notes)
    phrases = _phrase_records(targets, follow, bars)
    return MusicResult(
        score=best.score,
        emotion=points[0][1],
        attributes_requested=requests[0],
        attributes_measured=extract_attributes(best.score),
        seed=seed,
        bars=bars,
        model=pipeline.model_id,
        notes=notes,
        reading=reading,
        extra={
            "arc": {
                "points": [{"bar": b, "emotion": list(e.vad), "label": e.label} for b, e in points],
                "phrases": phrases,
                "candidates": candidates,
                "mean_phrase_distance": round(dist, 4),
                "seconds": round(time.perf_counter() - t0, 2),
            }
        },
        lead_sheet=best.lead_sheet,
    )


def _closest_follower(pieces: list, targets: list, bars: int):
    """``(mean phrase distance, piece, per-phrase (v, a))`` of the piece whose phrases follow the targets best."""
    from studio.attributes.music import extract_attributes
    from studio.mapping.music import estimate_emotion

    scored = []
    for piece in pieces:
        follow = [_phrase_va(piece.score, p, bars, extract_attributes, estimate_emotion) for p in range(len(targets))]
        dist = [math.dist(f, t.va) for f, t in zip(follow, targets) if f is not None]
        scored.append((float(np.mean(dist)) if dist else float("inf"), piece, follow))
    return min(scored, key=lambda s: s[0])


def _reading(critic: Callable | None, score: Any, notes: list[str]):
    """The critic's reading for the record (the released music critic by default); a failure is a note."""
    try:
        if critic is None:
            from studio.critics.music import judge_music as critic
        return critic(score)
    except Exception as e:  # the record is a report; the piece stands without it
        notes.append(f"critic: {type(e).__name__}: {e}")
        return None


def _phrase_records(targets: list, follow: list, bars: int) -> list[dict]:
    return [
        {
            "bars": [p * PHRASE_BARS + 1, min((p + 1) * PHRASE_BARS, bars)],
            "target": {
                "valence": round(t.valence, 4),
                "arousal": round(t.arousal, 4),
                "dominance": round(t.dominance, 4),
            },
            "attribute_va": None if f is None else [round(v, 4) for v in f],
        }
        for p, (t, f) in enumerate(zip(targets, follow))
    ]


def phrase_score(score, p: int, bars: int):
    """Phrase ``p`` (4 bars of 4/4, cut at ``bars``) of a tick ``symusic.Score`` as a score of its own, from 0,
    notes cut at its end, at the tempo in force where it starts."""
    import symusic

    tpb = score.ticks_per_quarter * 4
    lo, hi = p * PHRASE_BARS * tpb, min((p + 1) * PHRASE_BARS, bars) * tpb
    sub = symusic.Score(score.ticks_per_quarter)
    for t in score.tracks:
        tr = symusic.Track(t.name, t.program, t.is_drum)
        for n in t.notes:
            if lo <= n.time < hi:
                tr.notes.append(symusic.Note(n.time - lo, min(n.duration, hi - n.time), n.pitch, n.velocity))
        sub.tracks.append(tr)
    tempo = [tm for tm in score.tempos if tm.time <= lo]
    sub.tempos.append(symusic.Tempo(0, float(tempo[-1].qpm) if tempo else 120.0))
    return sub


def _phrase_va(score, p: int, bars: int, extract, estimate) -> tuple[float, float] | None:
    """Valence/arousal that phrase ``p``'s measured attributes point to (None if it is silent)."""
    try:
        return tuple(float(v) for v in estimate(extract(phrase_score(score, p, bars))))
    except ValueError:
        return None
