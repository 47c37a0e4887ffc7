"""Can the independent judge confirm a loop gain at all? How the loop's judges and it read the same pieces.

    .venv/bin/python bench/bench_loop_judges.py [--seeds 24] [--candidates 6]

For each of ``bench_loop.GRID``'s 12 targets and each seed, ``--candidates`` pieces (16 bars) from the default
generator at the target's attributes. Every piece is read by the loop's judges (the music critic, falling back
to the attribute judge where it abstains; the attribute judge alone; the quality critic) and by
``bench.independent_judge`` (which the loop never consults). Printed and written to
``bench/results/loop_judges.json``:

* per candidate: how often each in-loop judge's quadrant agrees with the target and with the independent judge,
  and the independent judge's hit rate per target quadrant;
* per (target, seed): the independent judge's quadrant accuracy of the piece each selection rule picks
  (critic, attributes, their mean, each with the quality term), against a random pick of as many (the
  mean over the candidates) and an oracle (any candidate the judge reads right), on two halves of the seeds
  (a rule chosen on the first half is confirmed on the second).

A selection rule can only show a gain by a judge that reads the pieces the way it does; this bench says
whether this judge does.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_loop import GRID  # noqa: E402
from studio.emotion import Emotion  # noqa: E402
from studio.io import write_json_atomic  # noqa: E402
from studio.loop import QUALITY_WEIGHT  # noqa: E402

RULES = ("critic", "attributes", "mean", "critic+quality", "attributes+quality", "mean+quality")


def quadrant(va) -> int:
    return Emotion(float(np.clip(va[0], -1, 1)), float(np.clip(va[1], -1, 1))).quadrant


def read_pieces(seeds: int, candidates: int) -> list[dict]:
    from bench.independent_judge import IndependentJudge
    from studio.critics.music import judge_music
    from studio.critics.music_quality import default_quality_critic
    from studio.loop import attribute_judge
    from studio.mapping import attributes_for
    from studio.music.generators import default_pipeline

    judge, quality, pipe = IndependentJudge.fit(), default_quality_critic(), default_pipeline()
    rows, t0 = [], time.perf_counter()
    for ti, target in enumerate(GRID):
        emo = Emotion(*target)
        attrs = attributes_for(emo).music
        for s in range(seeds):
            for p in pipe(attributes=attrs, bars=16, seed=5000 + 100 * ti + s, num_pieces=candidates):
                r = judge_music(p.score)
                critic = (r.valence, r.arousal)
                attr = attribute_judge(p.score)[1]
                rows.append(
                    {
                        "target": target,
                        "seed": s,
                        "quadrant": emo.quadrant,
                        "critic": attr if r.details.get("abstain", False) else critic,
                        "attributes": attr,
                        "quality": quality.relative(p.score),
                        "judge": judge.quadrant(p.score),
                    }
                )
        print(f"target {ti + 1}/{len(GRID)} read ({time.perf_counter() - t0:.0f} s)", flush=True)
    return rows


def estimate(row: dict, rule: str) -> tuple[float, float]:
    base = rule.split("+")[0]
    if base == "mean":
        return tuple((c + a) / 2 for c, a in zip(row["critic"], row["attributes"]))
    return row[base]


def cost(row: dict, rule: str) -> float:
    d = math.dist(estimate(row, rule), row["target"])
    return d + (QUALITY_WEIGHT * min(max(-row["quality"], -1.0), 2.0) if rule.endswith("+quality") else 0.0)


def selection(rows: list[dict], seeds) -> dict:
    groups = defaultdict(list)
    for r in rows:
        if r["seed"] in seeds:
            groups[(tuple(r["target"]), r["seed"])].append(r)
    out = defaultdict(list)
    for g in groups.values():
        hits = [r["judge"] == r["quadrant"] for r in g]
        out["random"].append(np.mean(hits))
        out["oracle"].append(max(hits))
        for rule in RULES:
            pick = min(g, key=lambda r: cost(r, rule))
            out[rule].append(pick["judge"] == pick["quadrant"])
    return {"runs": len(groups)} | {k: round(float(np.mean(v)), 3) for k, v in out.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=24, help="seeds per target (split in two halves)")
    ap.add_argument("--candidates", type=int, default=6)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "loop_judges.json"))
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    rows = read_pieces(args.seeds, args.candidates)
    half = args.seeds // 2
    agree = {
        name: {
            "with_target": round(float(np.mean([quadrant(estimate(r, name)) == r["quadrant"] for r in rows])), 3),
            "with_independent_judge": round(
                float(np.mean([quadrant(estimate(r, name)) == r["judge"] for r in rows])), 3
            ),
        }
        for name in ("critic", "attributes", "mean")
    }
    judge_hits = {
        f"Q{q}": round(float(np.mean([r["judge"] == q for r in rows if r["quadrant"] == q])), 3) for q in (1, 2, 3, 4)
    }
    report = {
        "settings": {"targets": len(GRID), "seeds": args.seeds, "candidates": args.candidates, "bars": 16},
        "pieces": len(rows),
        "quadrant_agreement_per_piece": agree,
        "independent_judge_hit_by_target_quadrant": judge_hits,
        "selection_first_half": selection(rows, range(half)),
        "selection_second_half": selection(rows, range(half, args.seeds)),
    }
    print(f"{len(rows)} pieces; per piece, quadrant agreement (with the target / with the independent judge):")
    for name, a in agree.items():
        print(f"  {name:12s} {a['with_target']:.3f} / {a['with_independent_judge']:.3f}")
    print(f"independent judge's hit rate by target quadrant: {judge_hits}")
    for half_name in ("selection_first_half", "selection_second_half"):
        print(f"{half_name}: independent-judge quadrant accuracy of the pick: {report[half_name]}")
    write_json_atomic(args.out, report)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
