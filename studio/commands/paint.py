"""studio paint: paint an emotion (optionally from a photo) and save PNG + JSON sidecar."""

from __future__ import annotations

import argparse

from studio.emotion import parse_emotion_arg
from studio.limits import MAX_ART_CANDIDATES, MAX_SIZE, MIN_SIZE

HELP = "paint an emotion with the CPU painter (or diffusers weights); writes PNG + JSON"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--emotion", "-e", required=True, help="label ('serene'), 'v,a[,d]' numbers, or free text")
    p.add_argument("--seed", type=int, default=None, help="integer seed (drawn and recorded when omitted)")
    p.add_argument("--size", type=int, default=512, help=f"long side in pixels, {MIN_SIZE}-{MAX_SIZE} (default 512)")
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
    result = paint(
        _emotion_arg(args.emotion),
        seed=args.seed,
        size=args.size,
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
