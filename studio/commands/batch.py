"""studio batch: many items from a CSV/JSONL jobs file, in parallel, resumable."""

from __future__ import annotations

import argparse
import sys

HELP = "run many items from a CSV/JSONL jobs file (parallel, resumable, manifest)"
DESCRIPTION = (
    "Run one item per row of a jobs file (.csv with a header, or .jsonl). Columns: emotion (required), "
    "bars, seed, what (music|art|both), style, size, name, candidates, rounds. Each finished item is written "
    "whole to OUT/<name>/ and listed in OUT/manifest.jsonl; OUT/summary.json sums up. Bad rows are reported "
    "by line number and the rest still runs. --resume skips the items already finished."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("jobs", help="jobs file: .csv (with header) or .jsonl")
    p.add_argument("--out", "-o", required=True, help="output folder")
    p.add_argument("--workers", "-j", type=int, default=1, help="parallel worker processes (default 1)")
    p.add_argument("--resume", action="store_true", help="skip items the manifest lists as finished")
    p.add_argument("--backend", choices=["local", "ray"], default="local", help="process pool or Ray tasks")
    p.add_argument("--address", default=None, help="Ray cluster address (default: start a local one)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--job-fn", default=None, help=argparse.SUPPRESS)  # 'module:function', for tests/benchmarks


def run(args: argparse.Namespace) -> int:
    from studio.batch import DEFAULT_JOB_FN, load_jobs, run_batch

    jobs, problems = load_jobs(args.jobs)
    for pr in problems:
        print(f"{args.jobs}:{pr['line']}: skipped: {pr['error']}", file=sys.stderr)
    if not jobs:
        print(f"studio batch: error: no valid rows in {args.jobs}", file=sys.stderr)
        return 2
    s = run_batch(
        jobs,
        args.out,
        workers=args.workers,
        resume=args.resume,
        backend=args.backend,
        address=args.address,
        job_fn=args.job_fn or DEFAULT_JOB_FN,
        problems=problems,
        progress=not args.no_progress,
    )
    print(
        f"{s['ok']} done, {s['failed']} failed, {s['skipped_finished']} already finished, "
        f"{len(problems)} invalid row(s); {s['wall_seconds']:.1f} s ({s['items_per_minute']} items/min) -> {args.out}"
    )
    return 0 if not s["failed"] and not problems else 1
