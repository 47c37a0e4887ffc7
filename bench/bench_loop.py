"""Benchmark of the closed loop: emotion control with the loop vs without.

For every target on a grid over the valence-arousal plane (two per quadrant, or one per quadrant
with ``--quick``), compose once open-loop (``candidates=1, rounds=1``) and once closed-loop
(``--candidates`` x ``--rounds``) with the same seed, then judge the chosen piece two ways:

* **critic**: the EMOPIA-trained music critic's reading;
* **attributes**: ``estimate_emotion(extract_attributes(piece))``, the mapper's reverse direction.

Reported per judge: quadrant accuracy (reading's quadrant == target's) and mean VA distance, for
both settings, and the gain. The loop itself chooses with a confidence-weighted mix of both judges,
so both numbers are "in-the-loop" judges, not independent listeners; say so when quoting them.

Run: ``.venv/bin/python bench/bench_loop.py [--quick]``; writes ``bench/results/loop.json``.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from studio.emotion import Emotion
from studio.io import write_json_atomic
from studio.paths import PROJECT_ROOT

GRID = [(0.6, 0.6), (0.3, 0.8), (-0.6, 0.6), (-0.3, 0.8), (-0.6, -0.6), (-0.3, -0.8), (0.6, -0.6), (0.3, -0.8)]
QUICK = [(0.6, 0.6), (-0.6, 0.6), (-0.6, -0.6), (0.6, -0.6)]


def _quadrant(v: float, a: float) -> int:
    return Emotion(max(-1, min(1, v)), max(-1, min(1, a))).quadrant


def judge_both(result) -> dict:
    from studio.attributes.music import extract_attributes
    from studio.critics.music import judge_music
    from studio.mapping.music import estimate_emotion

    r = result.reading if result.reading is not None else judge_music(result.score)
    va = estimate_emotion(extract_attributes(result.score))
    return {"critic": (r.valence, r.arousal), "attributes": (float(va[0]), float(va[1]))}


def summarise(rows: list[dict], setting: str, judge: str) -> dict:
    hits = [_quadrant(*r[setting][judge]) == Emotion(*r["target"]).quadrant for r in rows]
    dists = [math.dist(r[setting][judge], r["target"]) for r in rows]
    return {"quadrant_acc": round(float(np.mean(hits)), 4), "va_distance": round(float(np.mean(dists)), 4)}


def report(rows, args, bars, cands, rounds, grid, t0, final):
    out = {
        "settings": {
            "bars": bars,
            "candidates": cands,
            "rounds": rounds,
            "targets": len(grid),
            "seeds": args.seeds,
            "tolerance": 0.25,
        },
        "seconds": round(time.perf_counter() - t0, 1),
    }
    for judge in ("critic", "attributes"):
        o, lp = summarise(rows, "open", judge), summarise(rows, "loop", judge)
        out[judge] = {
            "open_loop": o,
            "closed_loop": lp,
            "gain_quadrant_acc": round(lp["quadrant_acc"] - o["quadrant_acc"], 4),
            "gain_va_distance": round(o["va_distance"] - lp["va_distance"], 4),
        }
        print(
            f"{judge:10s}: quadrant acc {o['quadrant_acc']:.2f} -> {lp['quadrant_acc']:.2f}, "
            f"VA distance {o['va_distance']:.3f} -> {lp['va_distance']:.3f}"
        )
    out["complete"] = final
    out["rows"] = rows
    write_json_atomic(args.out, out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="4 targets, 4 bars, 2 candidates x 2 rounds")
    ap.add_argument("--bars", type=int, default=None)
    ap.add_argument("--candidates", type=int, default=None)
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--seeds", type=int, default=1, help="seeds per target")
    ap.add_argument("--out", default=str(PROJECT_ROOT / "bench" / "results" / "loop.json"))
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    from studio.loop import compose
    from studio.music.pipeline import MusicPipeline

    bars = args.bars or (4 if args.quick else 16)
    cands = args.candidates or (2 if args.quick else 4)
    rounds = args.rounds or (2 if args.quick else 3)
    grid = QUICK if args.quick else GRID
    pipe = MusicPipeline.from_pretrained()
    rows, t0 = [], time.perf_counter()
    for seed in range(args.seeds):  # seed-major: a partial run still covers the whole grid
        for target in grid:
            row = {"target": target, "seed": seed}
            for setting, (c, r) in {"open": (1, 1), "loop": (cands, rounds)}.items():
                t = time.perf_counter()
                res = compose(target, bars=bars, seed=seed, candidates=c, rounds=r, progress=False, pipeline=pipe)
                row[setting] = judge_both(res) | {
                    "seconds": round(time.perf_counter() - t, 2),
                    "rounds": len(res.rounds),
                }
            rows.append(row)
            report(rows, args, bars, cands, rounds, grid, t0, final=False)  # partial results survive a kill
            print(
                f"target {target} seed {seed}: open critic {np.round(row['open']['critic'], 2)} "
                f"loop critic {np.round(row['loop']['critic'], 2)} ({row['loop']['seconds']} s)",
                flush=True,
            )
    report(rows, args, bars, cands, rounds, grid, t0, final=True)
    print("->", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
