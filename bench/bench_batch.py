"""Batch throughput: items per minute for N jobs with 1 vs 2 worker processes.

    python bench/bench_batch.py                 # 100 jobs, what=both, 4 bars, 256 px
    python bench/bench_batch.py --jobs 10       # shrink it
    python bench/bench_batch.py --dry           # the batch machinery alone (no models)

Prints a table and writes bench/results/batch.json. Emotions cycle over the four quadrants.
Worker start-up (spawn + model load) is included in the wall time: it is what a user waits for.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EMOTIONS = ["tender", "furious", [0.6, -0.5], "sad", "excited", "calm", [-0.4, 0.7], "gloomy"]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--jobs", type=int, default=100)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--what", choices=["both", "music", "art"], default="both")
    p.add_argument("--bars", type=int, default=4)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--candidates", type=int, default=1)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--dry", action="store_true", help="model-free job (0.05 s sleep): the machinery's own cost")
    p.add_argument("--backend", choices=["local", "ray"], default="local")
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "batch.json"))
    args = p.parse_args()

    from studio.batch import DEFAULT_JOB_FN, Job, run_batch

    if args.dry:
        os.environ["STUDIO_DRY_JOB_SECONDS"] = "0.05"
    job_fn = "studio.batch:dry_job" if args.dry else DEFAULT_JOB_FN
    jobs = [
        Job(
            line=i + 1,
            name=f"item{i:04d}",
            emotion=EMOTIONS[i % len(EMOTIONS)],
            what=args.what,
            bars=args.bars,
            seed=i,
            size=args.size,
            candidates=args.candidates,
            rounds=args.rounds,
        )
        for i in range(args.jobs)
    ]
    runs = []
    for w in args.workers:
        load_before = round(os.getloadavg()[0], 2)
        with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
            t0 = time.perf_counter()
            s = run_batch(jobs, tmp, workers=w, job_fn=job_fn, backend=args.backend, progress=False)
            wall = time.perf_counter() - t0
            item_s = [json.loads(ln)["seconds"] for ln in (Path(tmp) / "manifest.jsonl").read_text().splitlines()]
        runs.append(
            {
                "workers": w,
                "jobs": args.jobs,
                "ok": s["ok"],
                "failed": s["failed"],
                "wall_seconds": round(wall, 2),
                "items_per_minute": round(s["ok"] / wall * 60, 2),
                "mean_item_seconds": round(sum(item_s) / max(len(item_s), 1), 3),
                "errors": s["errors"][:3],
                "load_avg_1min_before": load_before,
            }
        )
        r = runs[-1]
        print(
            f"workers {w}: {r['ok']}/{args.jobs} ok in {r['wall_seconds']:.1f} s -> {r['items_per_minute']:.1f} items/min "
            f"(mean {r['mean_item_seconds']:.2f} s per item inside a worker; load {load_before} before)"
        )
    if len(runs) > 1 and runs[0]["items_per_minute"]:
        print(
            f"speed-up {runs[-1]['workers']} vs {runs[0]['workers']} workers: "
            f"{runs[-1]['items_per_minute'] / runs[0]['items_per_minute']:.2f}x"
        )
    result = {
        "bench": "batch",
        "settings": {k: v for k, v in vars(args).items() if k != "out"},
        "job_fn": job_fn,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "runs": runs,
        "note": "wall time includes worker spawn and model loading; the host's CPUs may be shared with other work",
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    from studio.io import write_json_atomic

    write_json_atomic(args.out, result)
    print(f"wrote {args.out}")
    return 0 if all(r["failed"] == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
