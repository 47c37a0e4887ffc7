"""studio transform: re-aim a MIDI file toward another emotion, keeping its melody."""

from __future__ import annotations

import argparse

from studio.emotion import parse_emotion_arg
from studio.limits import MAX_TRANSFORM_BARS

HELP = "re-aim a MIDI file toward an emotion (keeps the melody; re-decodes the accompaniment)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("midi", help=f"input .mid file (at most {MAX_TRANSFORM_BARS} bars)")
    p.add_argument("--emotion", required=True, help="target: a name ('sad'), 'V,A' numbers, or free text")
    p.add_argument("-o", "--out", default="outputs/transform", help="output folder (default outputs/transform)")
    p.add_argument("--strength", type=float, default=1.0, help="0 keeps the source, 1 aims fully (default 1)")
    p.add_argument("--seed", type=int, default=None, help="seed (drawn and recorded when omitted)")
    p.add_argument("--no-audio", action="store_true", help="skip rendering the .wav")
    p.add_argument("--checkpoint", default=None, help="VQ-VAE folder (default checkpoints/music-vqvae)")


_emotion = parse_emotion_arg  # the one parser of typed 'v,a[,d]' (studio.emotion)


def run(args: argparse.Namespace) -> int:
    from studio.io import check_output_dir
    from studio.music.transform import transform
    from studio.music.vqvae import BarVQVAE

    check_output_dir(args.out, create=False)  # an existing file there: say so before the work, not after
    model = BarVQVAE.from_pretrained(args.checkpoint) if args.checkpoint else None
    result = transform(args.midi, emotion=_emotion(args.emotion), strength=args.strength, seed=args.seed, model=model)
    paths = result.save(args.out, stem="transform", audio=not args.no_audio)
    for line in result.notes:
        print(line)
    print(f"seed {result.seed}; wrote " + ", ".join(str(p) for p in paths.values()))
    return 0
