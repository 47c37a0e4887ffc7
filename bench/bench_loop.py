"""Benchmark of the composing loop against open-loop best-of-N by chance, at equal compute, by an independent judge.

For every target on a 12-point grid of the valence-arousal circle (radius 0.7, three per quadrant)
and every seed:

* **loop**: ``studio.compose(target, candidates=C, rounds=R)`` — chooses by the music critic (or the
  attribute judge where it abstains) and the quality critic, stops early when good enough; it
  generates ``n`` candidates in all (recorded);
* **open loop, best-of-n by chance**: ``n`` candidates from the same pipeline at the target's
  attributes, no judging; the figure is the expected score of picking one at random (the mean over
  the ``n``), so both sides spend the same number of generated candidates.

Both are read by :mod:`bench.independent_judge` (EMOPIA val, piano-roll features, shrinkage LDA),
which the loop never consults, and by two musicality measures the loop does not consult either
(groove consistency and pitch-class entropy, as in ``bench/bench_music_gen.py``); the quality
critic's own score is shown too, marked as in-loop. The pipeline is whatever
``studio.music.generators.default_pipeline()`` returns.

Run: ``.venv/bin/python bench/bench_loop.py [--seeds 2] [--candidates 4 --rounds 2] [--quick]``;
writes ``bench/results/loop.json``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.emotion import Emotion  # noqa: E402
from studio.io import write_json_atomic  # noqa: E402
from studio.music.musicality import groove_consistency, pitch_class_entropy  # noqa: E402
from studio.paths import PROJECT_ROOT  # noqa: E402

GRID = [
    (round(0.7 * math.cos(math.radians(a)), 3), round(0.7 * math.sin(math.radians(a)), 3)) for a in range(15, 360, 30)
]
QUICK = GRID[1::3]  # one per quadrant
GAIN_BAR = 0.05


def read(judge, quality, score, target) -> dict:
    va = judge.va(score)
    return {
        "hit": judge.quadrant(score) == Emotion(*target).quadrant,
        "va": [round(v, 4) for v in va],
        "distance": math.dist(va, target),
        "groove": groove_consistency(score),
        "pce": pitch_class_entropy(score),
        "quality_in_loop": quality(score) if quality else float("nan"),
    }


def summarise(rows: list[dict], key: str) -> dict:
    keys = ("hit", "distance", "groove", "pce", "quality_in_loop")
    return {k: round(float(np.nanmean([r[key][k] for r in rows])), 4) for k in keys}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="4 targets, 1 seed, 8 bars")
    ap.add_argument("--bars", type=int, default=None)
    ap.add_argument("--candidates", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seeds", type=int, default=2, help="seeds per target")
    ap.add_argument("--out", default=str(PROJECT_ROOT / "bench" / "results" / "loop.json"))
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    from bench.independent_judge import IndependentJudge, test_accuracy
    from studio.critics.music_quality import default_quality_critic
    from studio.loop import compose
    from studio.mapping import attributes_for
    from studio.music.generators import default_pipeline

    bars = args.bars or (8 if args.quick else 16)
    grid = QUICK if args.quick else GRID
    seeds = 1 if args.quick else args.seeds
    t0 = time.perf_counter()
    judge = IndependentJudge.fit()
    judge_test = test_accuracy(judge)
    print(f"independent judge, its own EMOPIA test accuracy: {judge_test}", flush=True)
    quality = default_quality_critic().relative
    pipe = default_pipeline()
    rows = []
    for seed in range(seeds):
        for target in grid:
            t = time.perf_counter()
            res = compose(
                target,
                bars=bars,
                seed=seed,
                candidates=args.candidates,
                rounds=args.rounds,
                progress=False,
                pipeline=pipe,
            )
            loop_s = time.perf_counter() - t
            n = sum(len(r["candidates"]) for r in res.rounds)
            t = time.perf_counter()
            music = attributes_for(target).music
            pieces = pipe(attributes=music, bars=bars, seed=10_000 + seed, num_pieces=n, progress=False)
            open_s = time.perf_counter() - t
            cands = [read(judge, quality, p.score, target) for p in pieces]
            row = {
                "target": target,
                "seed": seed,
                "generated": n,
                "rounds": len(res.rounds),
                "loop": read(judge, quality, res.score, target) | {"seconds": round(loop_s, 2)},
                "open_random": {k: float(np.nanmean([c[k] for c in cands])) for k in cands[0] if k != "va"},
                "open_single": cands[0],
                "open_seconds": round(open_s, 2),
                "loop_judges": [c["judge"] for r in res.rounds for c in r["candidates"]],
            }
            rows.append(row)
            print(
                f"target {target} seed {seed}: {n} candidates, {len(res.rounds)} round(s); judge hit loop "
                f"{row['loop']['hit']} vs open {row['open_random']['hit']:.2f} ({loop_s:.1f} s vs {open_s:.1f} s)",
                flush=True,
            )
            report(rows, args, bars, grid, seeds, pipe, judge_test, t0, final=False)  # partial results survive a kill
    report(rows, args, bars, grid, seeds, pipe, judge_test, t0, final=True)
    print("->", args.out)
    return 0


def report(rows, args, bars, grid, seeds, pipe, judge_test, t0, final: bool) -> None:
    loop, rand = summarise(rows, "loop"), summarise(rows, "open_random")
    gain = round(loop["hit"] - rand["hit"], 4)
    # paired bootstrap over runs: how far the gain could move with other targets/seeds
    diff = np.array([float(r["loop"]["hit"]) - r["open_random"]["hit"] for r in rows])
    boot = np.random.default_rng(0).choice(diff, (2000, len(diff))).mean(1)
    gain_ci = [round(float(np.quantile(boot, q)), 4) for q in (0.05, 0.95)]
    groove_diff = np.array([r["loop"]["groove"] - r["open_random"]["groove"] for r in rows])
    judges = [j for r in rows for j in r["loop_judges"]]
    out = {
        "settings": {
            "bars": bars,
            "candidates": args.candidates,
            "rounds": args.rounds,
            "targets": len(grid),
            "seeds": seeds,
            "pipeline": getattr(pipe, "model_id", type(pipe).__name__),
        },
        "independent_judge": {
            "fitted_on": "EMOPIA val + quantised/flat/transposed copies",
            "features": "10 fps piano roll",
            "model": "shrinkage LDA",
            "emopia_test": judge_test,
        },
        "loop": loop,
        "open_loop_best_of_n_by_chance": rand,
        "gain_quadrant_acc": gain,
        "gain_90ci_paired_bootstrap": gain_ci,
        "groove_gain": round(float(groove_diff.mean()), 4),
        "groove_gain_90ci": [
            round(float(np.quantile(np.random.default_rng(1).choice(groove_diff, (2000, len(rows))).mean(1), q)), 4)
            for q in (0.05, 0.95)
        ],
        "gain_bar": GAIN_BAR,
        "loop_earns_its_time": gain >= GAIN_BAR,
        "mean_candidates_generated": round(float(np.mean([r["generated"] for r in rows])), 2),
        "critic_abstained_share": round(judges.count("attributes") / max(len(judges), 1), 4),
        "loop_seconds": round(float(np.mean([r["loop"]["seconds"] for r in rows])), 2),
        "open_seconds": round(float(np.mean([r["open_seconds"] for r in rows])), 2),
        "seconds": round(time.perf_counter() - t0, 1),
        "rows": rows,
    }
    out["complete"] = final
    write_json_atomic(args.out, out)
    if not final:
        return
    print(
        f"by the independent judge ({len(rows)} runs, {bars} bars, {out['mean_candidates_generated']} candidates each):"
    )
    for name, s in (("loop", loop), ("open loop, random of n", rand)):
        print(
            f"  {name:24s} quadrant {s['hit']:.3f}  VA distance {s['distance']:.3f}  groove {s['groove']:.3f}  "
            f"PCE {s['pce']:.3f}  quality (in-loop) {s['quality_in_loop']:+.2f}"
        )
    print(
        f"  gain {gain:+.3f} (90% paired bootstrap {gain_ci[0]:+.3f}..{gain_ci[1]:+.3f}; bar +{GAIN_BAR}); "
        f"loop earns its time: {out['loop_earns_its_time']}; groove {out['groove_gain']:+.3f} "
        f"({out['groove_gain_90ci'][0]:+.3f}..{out['groove_gain_90ci'][1]:+.3f})"
    )


if __name__ == "__main__":
    raise SystemExit(main())
