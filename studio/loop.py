"""The closed loop: generate candidates, judge emotion and musical quality, stop when good enough.

One round::

    aim (VA) --attributes_for--> MusicAttributes --generator--> N candidates (Piece objects with .score)
    each candidate --music critic--> Reading       (emotion; the critic may abstain)
                   --extract_attributes + estimate_emotion--> (V, A)   (the fallback emotion judge)
                   --quality critic--> log-odds "looks like real piano music"
    cost = VA distance to the target (critic's reading, or the attribute judge's where the critic
           abstains) + QUALITY_WEIGHT x how far the candidate's quality falls below a typical one

The loop keeps the cheapest candidate and stops as soon as one is good enough (distance within
``tolerance`` and quality at least typical for the generator), when the rounds or ``max_seconds``
run out; otherwise the aim moves against the error (``aim -= step * (estimate - target)``). Every
round is recorded in ``result.rounds``; a critic or extractor failure on a candidate is recorded
there and never stops the loop. The loop works with any pipeline whose call returns objects with a
``.score`` (a ``symusic.Score``).

``candidates=1, rounds=1`` (the default) is one open-loop candidate: ``bench/bench_loop.py`` found
no gain from the loop by a judge it does not consult at equal compute, so the loop is opt-in.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from studio.emotion import Emotion
from studio.errors import user_errors
from studio.limits import MAX_BARS, MAX_CANDIDATES, MAX_ROUNDS, check_int  # one definition each, shared with help texts
from studio.music.result import check_program, set_program
from studio.progress import Progress
from studio.seeding import candidate_seed, resolve_seed

# VA distance added per interquartile range a candidate's quality falls below a typical generated piece
# (credited, up to one IQR, above it): emotion leads, quality breaks near-ties and vetoes poor pieces.
QUALITY_WEIGHT = 0.15
AIM_STEP = 0.8
DEFAULT_CANDIDATES = 1  # the loop is opt-in: see the module docstring and bench/bench_loop.py
DEFAULT_ROUNDS = 1


def _clip(x: float) -> float:
    return max(-1.0, min(1.0, float(x)))


def attribute_judge(score: Any) -> tuple[Any, tuple[float, float]]:
    """The default attribute judge: measured attributes of a piece and the emotion they point to,
    ``(attrs, (v, a))`` (``studio.attributes.music`` then the mapper's reverse map)."""
    from studio.attributes.music import extract_attributes
    from studio.mapping.music import estimate_emotion

    measured = extract_attributes(score)
    return measured, tuple(float(v) for v in estimate_emotion(measured))


def _quality_fn() -> Callable | None:
    """The released quality critic as ``score -> quality z``; None if absent."""
    try:
        from studio.critics.music_quality import default_quality_critic

        qc = default_quality_critic()
    except FileNotFoundError:
        return None
    return qc.relative


def _abstains(reading: Any) -> bool:
    return bool(getattr(reading, "details", {}).get("abstain", False))


def assess(
    score: Any,
    target: Emotion,
    critic: Callable | None = None,
    quality: Callable | None = None,
    judge: Callable | None = None,
) -> dict:
    """Judge one candidate: emotion (critic, or the attribute judge where it abstains) and quality.

    Args:
        score: a ``symusic.Score``.
        target: the emotion asked for.
        critic: callable ``score -> Reading``; default the released music critic.
        quality: callable ``score -> float``, how far the piece's quality lies above (> 0) or below
            (< 0) a typical generated piece, in interquartile ranges; ``None`` leaves quality out.
        judge: callable ``score -> (measured attributes, (v, a))`` where the critic abstains; default
            :func:`attribute_judge`.

    Returns:
        dict with ``reading`` (``Reading`` or None), ``attribute_va`` (``(v, a)`` or None),
        ``judge`` (``"critic"`` or ``"attributes"``: whose emotion estimate counts), ``estimate``
        (``(v, a)``), ``distance`` to the target, ``quality`` (float or None), ``cost`` (what the loop
        minimises) and ``errors`` (messages of whatever failed).
    """
    errors, reading, attr_va, measured, q = [], None, None, None, None
    try:
        if critic is None:
            from studio.critics.music import judge_music as critic
        reading = critic(score)
    except Exception as e:  # a critic failure is data for the round, not a crash
        errors.append(f"critic: {type(e).__name__}: {e}")
    try:
        measured, attr_va = (judge or attribute_judge)(score)
    except Exception as e:
        errors.append(f"attributes: {type(e).__name__}: {e}")
    if quality is not None:
        try:
            q = float(quality(score))
        except Exception as e:
            errors.append(f"quality: {type(e).__name__}: {e}")
    if reading is not None and not _abstains(reading):
        judge, est = "critic", (float(reading.valence), float(reading.arousal))
    elif attr_va is not None:
        judge, est = "attributes", attr_va
    elif reading is not None:  # the critic abstained and there is nothing else to go on
        judge, est = "critic", (float(reading.valence), float(reading.arousal))
    else:
        judge, est = None, None
    dist = math.dist(est, target.va) if est is not None else float("inf")
    cost = dist + (QUALITY_WEIGHT * min(max(-q, -1.0), 2.0) if q is not None else 0.0)
    return {
        "reading": reading,
        "attribute_va": attr_va,
        "measured": measured,
        "judge": judge,
        "estimate": est,
        "distance": dist,
        "quality": q,
        "cost": cost,
        "errors": errors,
    }


def good_enough(a: dict, tolerance: float) -> bool:
    """Within ``tolerance`` of the target and at least typical quality (or quality unknown)."""
    return a["distance"] <= tolerance and (a["quality"] is None or a["quality"] >= 0.0)


@user_errors
def compose(
    emotion: Any,
    bars: int = 16,
    seed: int | None = None,
    candidates: int = DEFAULT_CANDIDATES,
    rounds: int = DEFAULT_ROUNDS,
    max_seconds: float | None = None,
    tolerance: float = 0.25,
    progress: bool | Callable = True,
    pipeline: Any = None,
    critic: Callable | None = None,
    quality: Callable | bool | None = None,
    temperature: float | None = None,
    program: int | None = None,
    mapper: Callable | None = None,
    judge: Callable | None = None,
    **attribute_overrides: Any,
):
    """Compose a piece for ``emotion``; with more than one candidate, the generate-judge-re-aim loop.

    Args:
        emotion: anything :meth:`Emotion.coerce` takes (label, ``(v, a)``, text, ...), or an arc
            (``"calm -> furious"``, a list of emotions or of ``(bar, emotion)`` points; see ``studio.arc``).
        bars: length of each candidate in 4/4 bars (1-64).
        seed: base seed (``None`` draws one); recorded. Same seed, same piece.
        candidates: pieces generated per round (1-16), batched in one pipeline call.
        rounds: maximum rounds (1-10); ``candidates=1, rounds=1`` (the default) is one open-loop piece.
        max_seconds: wall-clock budget; no new round starts after it is spent.
        tolerance: VA distance at which the loop stops early (with at least typical quality).
        progress: ``True`` for a tqdm bar, ``False`` for none, or ``callable(fraction, message)``.
        pipeline: a generator (default: the released lead-sheet generator, ``checkpoints/music-leadsheet``).
        critic: callable ``score -> Reading`` (default: the released music critic).
        quality: callable ``score -> float`` (quality above a typical generated piece, in IQRs;
            default: the released ``checkpoints/music-quality`` when present), or ``False`` for none.
        temperature: sampling temperature handed to the generator (``None``: its default).
        program: General MIDI program (0-127) every pitched track of the kept piece is set to,
            whatever generator made it (``None``: as generated).
        mapper: callable ``(emotion, music=overrides) -> targets`` with ``.music`` attributes (default:
            ``studio.mapping.attributes_for``).
        judge: the attribute judge used where the critic abstains (see :func:`assess`).
        **attribute_overrides: fixed attributes (``tempo=90``, ``mode=0.0``) passed to
            ``attributes_for`` every round; the loop re-aims the rest.

    Returns:
        ``MusicResult`` with ``reading`` (chosen piece's critic reading) and ``rounds`` (history).
    """
    from studio.arc import is_arc

    if is_arc(emotion):  # one request per phrase, best of the candidates by how the phrases follow the path
        return _compose_arc(
            emotion, bars, seed, candidates, progress, pipeline, critic, temperature, program, attribute_overrides
        )
    # 1. the request
    if mapper is None:
        from studio.mapping import attributes_for as mapper
    attributes_for = mapper
    target = Emotion.coerce(emotion)
    bars, candidates, rounds = _check_request(bars, candidates, rounds, max_seconds, tolerance)
    seed = resolve_seed(seed)
    check_program(program)
    attributes_for(target, music=attribute_overrides)  # validate overrides before any generation
    if pipeline is None:
        from studio.music.generators import default_pipeline

        pipeline = default_pipeline()
    quality_fn = _quality_fn() if quality is None or quality is True else (quality or None)

    # 2. the rounds: generate, judge, keep the cheapest, stop when good enough, else re-aim
    bar = Progress(progress, rounds, desc="compose", unit="round")
    t0 = time.perf_counter()
    aim = target
    history: list[dict] = []
    best: dict | None = None
    notes: list[str] = []
    generated = 0
    try:
        for r in range(rounds):
            targets = attributes_for(aim, music=attribute_overrides)
            rseed = candidate_seed(seed, "round", r)
            scored = _generate_and_judge(
                pipeline, targets, bars, rseed, candidates, temperature, target, (critic, quality_fn, judge), r, notes
            )
            generated += len(scored)
            chosen = min(scored, key=lambda a: a["cost"])
            improved = best is None or chosen["cost"] < best["cost"]
            if improved:
                best = chosen
            within = good_enough(best, tolerance)
            out_of_time = max_seconds is not None and time.perf_counter() - t0 > max_seconds
            why = _why(best, within, r == rounds - 1, out_of_time, tolerance, max_seconds)
            history.append(_round_record(r, rseed, aim, targets, scored, chosen, improved, best, why, t0))
            bar.update(r + 1, f"round {r + 1}: distance {best['distance']:.2f}")
            if within or out_of_time or r == rounds - 1 or chosen["estimate"] is None:
                break
            aim = _reaim(aim, chosen["estimate"], target)
    finally:
        bar.close()

    # 3. the result: the best candidate, its history, the loop's settings
    result = _result(best, target, seed, bars, pipeline, notes, history)
    note = set_program(result.score, program)
    if note:
        result.notes.append(note)
    if isinstance(getattr(result, "extra", None), dict):
        result.extra["loop"] = {
            "candidates": candidates,
            "rounds_max": rounds,
            "rounds_run": len(history),
            "candidates_generated": generated,
            "quality_critic": quality_fn is not None,
            **dict(tolerance=tolerance, max_seconds=max_seconds, seconds=round(time.perf_counter() - t0, 2)),
            **dict(overrides=dict(attribute_overrides), temperature=temperature, program=program),
        }
    return result


def _compose_arc(emotion, bars, seed, candidates, progress, pipeline, critic, temperature, program, overrides):
    from studio.arc import compose_arc

    check_program(program)
    result = compose_arc(emotion, bars, seed, candidates, progress, pipeline, critic, temperature, **overrides)
    if note := set_program(result.score, program):  # the instrument asked for, as for one emotion
        result.notes.append(note)
    return result


def _check_request(bars: Any, candidates: Any, rounds: Any, max_seconds: Any, tolerance: Any) -> tuple[int, int, int]:
    bars = check_int("bars", bars, 1, MAX_BARS)
    candidates = check_int("candidates", candidates, 1, MAX_CANDIDATES)
    rounds = check_int("rounds", rounds, 1, MAX_ROUNDS)
    if max_seconds is not None and not (isinstance(max_seconds, (int, float)) and max_seconds > 0):
        raise ValueError(f"max_seconds must be a positive number or None, got {max_seconds!r}")
    if not (isinstance(tolerance, (int, float)) and 0 <= tolerance <= 2.9):
        raise ValueError(f"tolerance must be a VA distance in [0, 2.9], got {tolerance!r}")
    return bars, candidates, rounds


def _generate_and_judge(pipeline, targets, bars, rseed, candidates, temperature, target, judges, r, notes):
    """One generator call of ``candidates`` pieces, each assessed by ``judges`` (critic, quality, attribute
    judge); failures go to ``notes``."""
    sampling = {} if temperature is None else {"temperature": float(temperature)}
    pieces = pipeline(
        attributes=targets.music, bars=bars, seed=rseed, num_pieces=candidates, progress=False, **sampling
    )
    scored = []
    for i, piece in enumerate(pieces):
        a = assess(getattr(piece, "score", piece), target, *judges)
        a |= {"index": i, "score": getattr(piece, "score", piece), "piece": piece, "round": r, "targets": targets}
        scored.append(a)
        notes += [f"round {r + 1} candidate {i + 1}: {e}" for e in a["errors"]]
    return scored


def _why(best: dict, within: bool, last: bool, out_of_time: bool, tolerance: float, max_seconds: float | None) -> str:
    """Why the loop stopped after this round, or that it goes on."""
    if within:
        return f"good enough: distance {best['distance']:.3f} within tolerance {tolerance}" + (
            f", quality {best['quality']:+.2f}" if best["quality"] is not None else ""
        )
    if last:
        return "round budget spent"
    if out_of_time:
        return f"time budget of {max_seconds} s spent"
    return "re-aiming against the error"


def _round_record(r, rseed, aim, targets, scored, chosen, improved, best, why, t0) -> dict:
    return {
        "round": r + 1,
        "seed": rseed,
        "aim": {"valence": round(aim.valence, 4), "arousal": round(aim.arousal, 4)},
        "attributes": targets.music.to_dict() if hasattr(targets.music, "to_dict") else dict(vars(targets.music)),
        "candidates": [_candidate_record(a) for a in scored],
        "chosen": chosen["index"],
        "chosen_distance": _r(chosen["distance"]),
        "chosen_cost": _r(chosen["cost"]),
        "improved_best": improved,
        "best_distance": _r(best["distance"]),
        "why": why,
        "seconds": round(time.perf_counter() - t0, 2),
    }


def _reaim(aim: Emotion, estimate: tuple[float, float], target: Emotion) -> Emotion:
    """The next round's aim, moved against the chosen candidate's error: ``aim -= AIM_STEP (estimate - target)``."""
    err = (estimate[0] - target.valence, estimate[1] - target.arousal)
    return Emotion(_clip(aim.valence - AIM_STEP * err[0]), _clip(aim.arousal - AIM_STEP * err[1]), target.dominance)


def _r(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), 4)


def _candidate_record(a: dict) -> dict:
    est = a["estimate"]
    return {
        "index": a["index"],
        "reading": a["reading"].to_dict() if a["reading"] is not None else None,
        "attribute_va": [round(v, 4) for v in a["attribute_va"]] if a["attribute_va"] else None,
        "estimate": [round(v, 4) for v in est] if est else None,
        "judge": a["judge"],
        "distance": _r(a["distance"]),
        "quality": _r(a["quality"]),
        "cost": _r(a["cost"]),
        "errors": a["errors"],
    }


def _result(best: dict, target: Emotion, seed: int, bars: int, pipeline: Any, notes: list, history: list):
    from studio.music.result import MusicResult

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


__all__ = ["compose", "assess", "good_enough"]
