"""studio paint: paint an emotion (optionally from a photo) and save PNG + JSON sidecar."""

from __future__ import annotations

import argparse

from studio.emotion import parse_emotion_arg
from studio.limits import MAX_ART_CANDIDATES, MAX_SIZE, MIN_SIZE

HELP = "paint an emotion with the CPU painter (or diffusers weights); writes PNG + JSON (--grid: a contact sheet)"
GRID_SIZE = 256  # --grid paints 12 pictures; each at this long side unless --size is given


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--emotion", "-e", default=None, help="label ('serene'), 'v,a[,d]' numbers, or free text")
    p.add_argument(
        "--grid",
        action="store_true",
        help="paint the circumplex's 12-point grid instead of one emotion; writes one contact-sheet PNG "
        f"(STEM_grid.png) with target and reading under each, + JSON (size {GRID_SIZE} unless --size)",
    )
    p.add_argument("--seed", type=int, default=None, help="integer seed (drawn and recorded when omitted)")
    p.add_argument(
        "--size",
        type=int,
        default=None,
        help=f"long side in pixels, {MIN_SIZE}-{MAX_SIZE} (default 512; {GRID_SIZE} with --grid)",
    )
    p.add_argument("--photo", default=None, help="paint this photo in the emotion (PNG/JPEG/WebP/BMP/TIFF/GIF)")
    p.add_argument(
        "--style", default=None, help="impressionist, expressionist, pointillist, colourist (wash); default: auto"
    )
    p.add_argument(
        "--candidates", type=int, default=1, help=f"paint N and keep the one read closest (1-{MAX_ART_CANDIDATES})"
    )
    p.add_argument("--backend", default="painter", choices=["painter", "diffusers"])
    p.add_argument("--weights", default=None, help="diffusion weights folder (backend diffusers)")
    p.add_argument("--strength", type=float, default=0.6, help="how far a photo moves toward the palette (0-1)")
    p.add_argument("-o", "--out", default="out", help="output folder (default ./out)")
    p.add_argument("--stem", default="painting", help="file name stem (default 'painting')")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


_emotion_arg = parse_emotion_arg  # the one parser of typed 'v,a[,d]' (studio.emotion)


def run(args: argparse.Namespace) -> int:
    from studio.art import paint
    from studio.io import check_output_dir

    check_output_dir(args.out, create=False)  # an existing file there: say so before the work, not after
    if args.grid:
        return _run_grid(args)
    if args.emotion is None:
        raise ValueError("give --emotion (a label, 'v,a[,d]' or text) or --grid for the circumplex contact sheet")
    result = paint(
        _emotion_arg(args.emotion),
        seed=args.seed,
        size=512 if args.size is None else args.size,
        photo=args.photo,
        style=args.style,
        backend=args.backend,
        weights=args.weights,
        candidates=args.candidates,
        progress=not args.quiet,
        strength=args.strength,
    )
    paths = result.save(args.out, stem=args.stem)
    print(result)
    for note in result.notes:
        print(f"  note: {note}")
    print(f"wrote {paths['png']} and {paths['json']}")
    return 0


def _run_grid(args: argparse.Namespace) -> int:
    import statistics
    from pathlib import Path

    from studio.art.sheet import CIRCUMPLEX_GRID, contact_sheet, paint_grid
    from studio.io import write_json_atomic

    if args.emotion is not None:
        raise ValueError("--grid paints the fixed circumplex grid; leave out --emotion")
    if args.photo is not None:
        raise ValueError("--grid paints without a photo; leave out --photo")
    if not args.stem or any(c in args.stem for c in "/\\\0") or args.stem in (".", ".."):
        raise ValueError(f"--stem must be a plain file name without slashes, got {args.stem!r}")

    def progress(fraction: float, message: str) -> None:
        if not args.quiet:
            print(f"  {message}", flush=True)

    results = paint_grid(
        seed=args.seed,
        size=GRID_SIZE if args.size is None else args.size,
        candidates=args.candidates,
        progress=progress,
        style=args.style,
        backend=args.backend,
        weights=args.weights,
    )
    out = Path(args.out)
    png = contact_sheet(results, out / f"{args.stem}_grid.png")
    js = out / f"{args.stem}_grid.json"
    write_json_atomic(
        js,
        {
            "grid": [list(v) for v in CIRCUMPLEX_GRID],
            "seed": results[0].seed,
            "candidates": args.candidates,
            "paintings": [r.to_dict() for r in results],
        },
    )
    dists = [r.reading.distance(r.emotion) for r in results if r.reading is not None]
    if dists:
        print(f"median critic distance to target over {len(dists)} paintings: {statistics.median(dists):.2f}")
    print(f"wrote {png} and {js}")
    return 0
