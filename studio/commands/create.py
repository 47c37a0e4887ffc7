"""studio create: music and a painting for one emotion, saved to a folder."""

from __future__ import annotations

import argparse

from studio.emotion import parse_emotion_arg
from studio.limits import MAX_BARS, MAX_CANDIDATES, MAX_ROUNDS, MAX_SIZE, MIN_SIZE
from studio.loop import DEFAULT_CANDIDATES, DEFAULT_ROUNDS

HELP = "make music + a painting for one emotion and save them (MIDI, WAV, PNG, JSON)"


_emotion_arg = parse_emotion_arg  # the one parser of typed 'v,a[,d]' (studio.emotion)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--emotion", "-e", required=True, help="a word, 'v,a[,d]' or free text")
    p.add_argument("--out", "-o", required=True, help="output folder")
    p.add_argument("--bars", type=int, default=16, help=f"length of the music in bars, 1-{MAX_BARS} (default 16)")
    p.add_argument("--seed", type=int, default=None, help="one seed for both parts (default: drawn and recorded)")
    p.add_argument(
        "--size", type=int, default=512, help=f"painting edge in pixels, {MIN_SIZE}-{MAX_SIZE} (default 512)"
    )
    p.add_argument("--style", default=None, help="painting style (impressionist, expressionist, pointillist, ...)")
    p.add_argument(
        "--candidates",
        type=int,
        default=DEFAULT_CANDIDATES,
        help=f"music candidates per loop round, 1-{MAX_CANDIDATES} (default {DEFAULT_CANDIDATES}: no loop)",
    )
    p.add_argument(
        "--rounds", type=int, default=DEFAULT_ROUNDS, help=f"loop rounds, 1-{MAX_ROUNDS} (default {DEFAULT_ROUNDS})"
    )
    p.add_argument("--what", choices=["both", "music", "art"], default="both")


def run(args: argparse.Namespace) -> int:
    from studio.api import configure_threads, create
    from studio.io import check_output_dir

    check_output_dir(args.out, create=False)  # an existing file there: say so before the work, not after
    configure_threads()
    r = create(
        emotion=_emotion_arg(args.emotion),
        bars=args.bars,
        seed=args.seed,
        size=args.size,
        style=args.style,
        candidates=args.candidates,
        rounds=args.rounds,
        what=args.what,
    )
    files = r.save(args.out)
    print(r.summary())
    for name in sorted(files):
        print(f"  wrote {files[name]}")
    return 0
