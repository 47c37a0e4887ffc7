"""studio batch: many items from a CSV/JSONL jobs file, in parallel, resumable."""

from __future__ import annotations

import argparse
import signal
import sys

from studio.batch import LIMITS, RESERVED_NAMES, STOP_GRACE_SECONDS

HELP = "run many items from a CSV/JSONL jobs file (parallel, resumable, manifest)"
DESCRIPTION = (
    "Run one item per row of a jobs file (.csv with a header, or .jsonl). Columns: emotion (required), "
    "bars, seed, what (music|art|both), style, size, name, candidates, rounds ("
    + ", ".join(f"{k} {lo}-{hi}" for k, (lo, hi) in LIMITS.items())
    + "). Each finished item is written whole to OUT/<name>/ and listed in OUT/manifest.jsonl; "
    f"OUT/summary.json sums up ({' and '.join(RESERVED_NAMES)} are reserved names). Bad rows are reported "
    "by line number and the rest still runs. --resume skips the items already finished. Ctrl-C or SIGTERM "
    f"starts nothing new, lets items in flight finish for up to {STOP_GRACE_SECONDS:g} s, records them and "
    "exits non-zero; --resume then does the rest."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("jobs", help="jobs file: .csv (with header) or .jsonl")
    p.add_argument("--out", "-o", required=True, help="output folder")
    p.add_argument("--workers", "-j", type=int, default=1, help="parallel worker processes (default 1)")
    p.add_argument("--resume", action="store_true", help="skip items the manifest lists as finished")
    p.add_argument("--backend", choices=["local", "ray"], default="local", help="process pool or Ray tasks")
    p.add_argument("--address", default=None, help="Ray cluster address (default: start a local one)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--dry-run", action="store_true", help="only check the jobs file (every row) and the output folder")
    p.add_argument("--job-fn", default=None, help=argparse.SUPPRESS)  # 'module:function', for tests/benchmarks


def run(args: argparse.Namespace) -> int:
    from studio.batch import DEFAULT_JOB_FN, load_jobs, run_batch
    from studio.io import check_output_dir

    check_output_dir(args.out, create=not args.dry_run)
    jobs, problems = load_jobs(args.jobs, progress=not args.no_progress)
    for pr in problems:
        print(f"{args.jobs}:{pr['line']}: {'invalid' if args.dry_run else 'skipped'}: {pr['error']}", file=sys.stderr)
    if args.dry_run:
        print(f"dry run: {len(jobs)} valid row(s), {len(problems)} invalid; nothing was generated")
        return 0 if jobs and not problems else 1
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
    stopped = (
        f"interrupted by {s['interrupted']}: {s['not_run']} not run (--resume does them); " if s["interrupted"] else ""
    )
    print(
        f"{stopped}{s['ok']} done, {s['failed']} failed, {s['skipped_finished']} already finished, "
        f"{len(problems)} invalid row(s); {s['wall_seconds']:.1f} s ({s['items_per_minute']} items/min) -> {args.out}",
        file=sys.stderr if s["interrupted"] else sys.stdout,
    )
    if s["interrupted"]:
        return 128 + int(getattr(signal, s["interrupted"]))
    return 0 if not s["failed"] and not problems else 1
