"""The closed loop: generate candidates, judge them, re-aim the attributes, keep the closest.

One round::

    aim (VA) --attributes_for--> MusicAttributes --generator--> N candidates
    each candidate --critic--> Reading          --extract_attributes + estimate_emotion--> (V, A)
    estimate = confidence-weighted mix of both  -> distance to the target -> keep the closest

If the best piece so far is still farther than ``tolerance`` from the target, the aim moves against
the error (``aim -= step * (estimate - target)``, clipped to the unit square) so the next round asks
the generator for attributes that overshoot where the last round fell short. The loop stops early
within tolerance or past ``max_seconds``. Every round is recorded in ``result.rounds``; a critic or
extractor failure on a candidate is recorded there and never stops the loop.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from studio.emotion import Emotion
from studio.music.request import MAX_BARS
from studio.music.request import MAX_PIECES as MAX_CANDIDATES  # the generators' limits, defined once
from studio.music.result import check_program, set_program
from studio.seeding import MAX_SEED, resolve_seed

ATTRIBUTE_WEIGHT = 0.5  # weight of the attribute->emotion direction against the critic (x confidence)
AIM_STEP = 0.8
MAX_ROUNDS = 10


def _check_int(name: str, x: Any, lo: int, hi: int) -> int:
    if isinstance(x, bool) or not isinstance(x, int):
        raise TypeError(f"{name} must be an integer in [{lo}, {hi}], got {x!r}")
    if not lo <= x <= hi:
        raise ValueError(f"{name} must be in [{lo}, {hi}], got {x}")
    return x


def _round_seed(seed: int, r: int) -> int:
    return (seed + 1_000_003 * r) % (MAX_SEED + 1)


def _clip(x: float) -> float:
    return max(-1.0, min(1.0, float(x)))


def _progress_fn(progress: bool | Callable | None, total: int) -> tuple[Callable[[int, str], None], Callable[[], None]]:
    """``update(done, message)`` and ``close()`` for tqdm (``True``), a callback or nothing."""
    if callable(progress):
        return (lambda done, msg: progress(done / total, msg)), (lambda: None)
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc="compose", unit="round")

        def update(done: int, msg: str) -> None:
            bar.n = done
            bar.set_postfix_str(msg)
            bar.refresh()

        return update, bar.close
    return (lambda done, msg: None), (lambda: None)


def _mapper() -> Callable:
    """``attributes_for`` (a seam: tests swap in a tiny mapper)."""
    from studio.mapping import attributes_for

    return attributes_for


def _result_cls() -> type:
    from studio.music.result import MusicResult

    return MusicResult


def _attribute_direction(score: Any) -> tuple[Any, tuple[float, float]]:
    """Measured attributes of a piece and the emotion they point to, ``(attrs, (v, a))``."""
    from studio.attributes.music import extract_attributes
    from studio.mapping.music import estimate_emotion

    measured = extract_attributes(score)
    return measured, tuple(float(v) for v in estimate_emotion(measured))


def assess(score: Any, target: Emotion, critic: Callable | None = None) -> dict:
    """Judge one candidate by the critic and by the attribute direction.

    Args:
        score: a ``symusic.Score``.
        target: the emotion asked for.
        critic: callable ``score -> Reading``; default the released music critic.

    Returns:
        dict with ``reading`` (``Reading`` or None), ``attribute_va`` (``(v, a)`` or None),
        ``estimate`` (``(v, a)``, the mix used for choosing), ``distance`` to the target and
        ``errors`` (messages of whatever failed).
    """
    errors, reading, attr_va, measured = [], None, None, None
    try:
        if critic is None:
            from studio.critics.music import judge_music as critic
        reading = critic(score)
    except Exception as e:  # a critic failure is data for the round, not a crash
        errors.append(f"critic: {type(e).__name__}: {e}")
    try:
        measured, attr_va = _attribute_direction(score)
    except Exception as e:
        errors.append(f"attributes: {type(e).__name__}: {e}")
    parts = []
    if reading is not None:
        parts.append((max(float(reading.confidence), 0.05), (reading.valence, reading.arousal)))
    if attr_va is not None:
        parts.append((ATTRIBUTE_WEIGHT, attr_va))
    if parts:
        w = sum(p[0] for p in parts)
        est = tuple(sum(p[0] * p[1][i] for p in parts) / w for i in range(2))
        dist = math.dist(est, target.va)
    else:
        est, dist = None, float("inf")
    return {
        "reading": reading,
        "attribute_va": attr_va,
        "measured": measured,
        "estimate": est,
        "distance": dist,
        "errors": errors,
    }


def compose(
    emotion: Any,
    bars: int = 16,
    seed: int | None = None,
    candidates: int = 4,
    rounds: int = 3,
    max_seconds: float | None = None,
    tolerance: float = 0.25,
    progress: bool | Callable = True,
    pipeline: Any = None,
    critic: Callable | None = None,
    temperature: float | None = None,
    program: int | None = None,
    **attribute_overrides: Any,
):
    """Compose a piece for ``emotion`` with the generate-judge-re-aim loop.

    Args:
        emotion: anything :meth:`Emotion.coerce` takes (label, ``(v, a)``, text, ...), or an arc
            (``"calm -> furious"``, a list of emotions or of ``(bar, emotion)`` points; see ``studio.arc``).
        bars: length of each candidate in 4/4 bars (1-64).
        seed: base seed (``None`` draws one); recorded. Same seed, same piece.
        candidates: pieces generated per round (1-16), batched in one pipeline call.
        rounds: maximum rounds (1-10); ``candidates=1, rounds=1`` is the open-loop baseline.
        max_seconds: wall-clock budget; no new round starts after it is spent.
        tolerance: VA distance at which the loop stops early.
        progress: ``True`` for a tqdm bar, ``False`` for none, or ``callable(fraction, message)``.
        pipeline: a generator (default: the released lead-sheet generator, ``checkpoints/music-leadsheet``).
        critic: callable ``score -> Reading`` (default: the released music critic).
        temperature: sampling temperature handed to the generator (``None``: its default).
        program: General MIDI program (0-127) every pitched track of the kept piece is set to,
            whatever generator made it (``None``: as generated).
        **attribute_overrides: fixed attributes (``tempo=90``, ``mode=0.0``) passed to
            ``attributes_for`` every round; the loop re-aims the rest.

    Returns:
        ``MusicResult`` with ``reading`` (chosen piece's critic reading) and ``rounds`` (history).
    """
    from studio.arc import compose_arc, is_arc

    if is_arc(emotion):  # one request per phrase, best of the candidates by how the phrases follow the path
        check_program(program)
        result = compose_arc(emotion, bars, seed, candidates, progress, pipeline, critic, **attribute_overrides)
        if note := set_program(result.score, program):  # the instrument asked for, as for one emotion
            result.notes.append(note)
        return result
    attributes_for = _mapper()
    target = Emotion.coerce(emotion)
    bars = _check_int("bars", bars, 1, MAX_BARS)
    candidates = _check_int("candidates", candidates, 1, MAX_CANDIDATES)
    rounds = _check_int("rounds", rounds, 1, MAX_ROUNDS)
    if max_seconds is not None and not (isinstance(max_seconds, (int, float)) and max_seconds > 0):
        raise ValueError(f"max_seconds must be a positive number or None, got {max_seconds!r}")
    if not (isinstance(tolerance, (int, float)) and 0 <= tolerance <= 2.9):
        raise ValueError(f"tolerance must be a VA distance in [0, 2.9], got {tolerance!r}")
    seed = resolve_seed(seed)
    check_program(program)
    attributes_for(target, music=attribute_overrides)  # validate overrides before any generation
    if pipeline is None:
        from studio.music.oneshot import default_pipeline

        pipeline = default_pipeline()

    update, close = _progress_fn(progress, rounds)
    t0 = time.perf_counter()
    aim = target
    history: list[dict] = []
    best: dict | None = None
    notes: list[str] = []
    try:
        for r in range(rounds):
            targets = attributes_for(aim, music=attribute_overrides)
            rseed = _round_seed(seed, r)
            sampling = {} if temperature is None else {"temperature": float(temperature)}
            pieces = pipeline(
                attributes=targets.music, bars=bars, seed=rseed, num_pieces=candidates, progress=False, **sampling
            )
            scored = []
            for i, piece in enumerate(pieces):
                a = assess(getattr(piece, "score", piece), target, critic)
                a |= {"index": i, "score": getattr(piece, "score", piece), "piece": piece, "round": r, "targets": targets}
                scored.append(a)
                notes += [f"round {r + 1} candidate {i + 1}: {e}" for e in a["errors"]]
            chosen = min(scored, key=lambda a: a["distance"])
            improved = best is None or chosen["distance"] < best["distance"]
            if improved:
                best = chosen
            within = best["distance"] <= tolerance
            out_of_time = max_seconds is not None and time.perf_counter() - t0 > max_seconds
            if within:
                why = f"best distance {best['distance']:.3f} within tolerance {tolerance}"
            elif r == rounds - 1:
                why = "round budget spent"
            elif out_of_time:
                why = f"time budget of {max_seconds} s spent"
            else:
                why = "re-aiming against the error"
            history.append(
                {
                    "round": r + 1,
                    "seed": rseed,
                    "aim": {"valence": round(aim.valence, 4), "arousal": round(aim.arousal, 4)},
                    "attributes": targets.music.to_dict()
                    if hasattr(targets.music, "to_dict")
                    else dict(vars(targets.music)),
                    "candidates": [_candidate_record(a) for a in scored],
                    "chosen": chosen["index"],
                    "chosen_distance": _r(chosen["distance"]),
                    "improved_best": improved,
                    "best_distance": _r(best["distance"]),
                    "why": why,
                    "seconds": round(time.perf_counter() - t0, 2),
                }
            )
            update(r + 1, f"round {r + 1}: distance {best['distance']:.2f}")
            if within or out_of_time or r == rounds - 1 or chosen["estimate"] is None:
                break
            err = (chosen["estimate"][0] - target.valence, chosen["estimate"][1] - target.arousal)
            aim = Emotion(
                _clip(aim.valence - AIM_STEP * err[0]), _clip(aim.arousal - AIM_STEP * err[1]), target.dominance
            )
    finally:
        close()

    result = _result(_result_cls(), best, target, seed, bars, pipeline, notes, history)
    note = set_program(result.score, program)
    if note:
        result.notes.append(note)
    if isinstance(getattr(result, "extra", None), dict):
        result.extra["loop"] = {
            "candidates": candidates,
            "rounds_max": rounds,
            "rounds_run": len(history),
            "tolerance": tolerance,
            "max_seconds": max_seconds,
            "seconds": round(time.perf_counter() - t0, 2),
            "overrides": dict(attribute_overrides),
            "temperature": temperature,
            "program": program,
        }
    return result


def _r(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), 4)


def _candidate_record(a: dict) -> dict:
    est = a["estimate"]
    return {
        "index": a["index"],
        "reading": a["reading"].to_dict() if a["reading"] is not None else None,
        "attribute_va": [round(v, 4) for v in a["attribute_va"]] if a["attribute_va"] else None,
        "estimate": [round(v, 4) for v in est] if est else None,
        "distance": _r(a["distance"]),
        "errors": a["errors"],
    }


def _result(MusicResult, best: dict, target: Emotion, seed: int, bars: int, pipeline: Any, notes: list, history: list):
    requested = best["targets"].music
    model = getattr(pipeline, "model_id", None) or type(pipeline).__name__
    return MusicResult(
        score=best["score"],
        emotion=target,
        attributes_requested=requested,
        attributes_measured=best["measured"],
        seed=seed,
        bars=bars,
        model=str(model),
        notes=notes,
        reading=best["reading"],
        rounds=history,
        lead_sheet=getattr(best["piece"], "lead_sheet", None),
    )


__all__ = ["compose", "assess"]
