"""studio render: MIDI -> audio (WAV/FLAC) with FluidSynth, and optionally a piano-roll PNG."""

from __future__ import annotations

import argparse
import time

HELP = "render a MIDI file to WAV/FLAC (FluidSynth) and optionally a piano-roll PNG"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("midi", help="input .mid file")
    p.add_argument("-o", "--out", help="output .wav or .flac (default: next to the MIDI, .wav)")
    p.add_argument("--png", help="also write a piano-roll picture here (.png)")
    p.add_argument("--sample-rate", type=int, default=44100, help="Hz (default 44100)")
    p.add_argument("--soundfont", help="a General MIDI .sf2 (default: FluidR3_GM, else TimGM6mb)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from studio.io import check_output_file
    from studio.render import piano_roll_png, render_to_file

    out = Path(args.out) if args.out else Path(args.midi).with_suffix(".wav")
    for path in (out, *([args.png] if args.png else [])):  # before rendering, not after
        check_output_file(path)
    t0 = time.perf_counter()
    _, seconds = render_to_file(args.midi, out, sample_rate=args.sample_rate, soundfont=args.soundfont)
    print(f"{out}: {seconds:.1f} s of audio in {time.perf_counter() - t0:.2f} s")
    if args.png:
        piano_roll_png(args.midi, args.png, title=Path(args.midi).name)
        print(args.png)
    return 0
