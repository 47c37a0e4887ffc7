"""studio generate: one piece of music for an emotion, one shot (no critic loop; see `studio compose`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from studio.emotion import parse_emotion_arg
from studio.limits import MAX_BARS
from studio.music.conditions import RANGES
from studio.music.generators import DEFAULT_GENERATOR, GENERATORS

HELP = "generate one piece of music for an emotion (one shot; `compose` adds the critic loop)"


def _span(name: str) -> str:
    lo, hi = RANGES[name]
    return f"{lo:g}-{hi:g}"


OVERRIDES = {
    "tempo": (float, f"BPM, {_span('tempo')}"),
    "key": (int, "tonic pitch class 0-11 (C=0)"),
    "mode": (str, "major, minor or P(major) in [0, 1]"),
    "note_density": (float, "notes per beat"),
    "pitch_mean": (float, "mean MIDI pitch (register)"),
    "velocity_mean": (float, f"mean MIDI velocity {_span('velocity_mean')}"),
    "velocity_std": (float, f"spread of MIDI velocities (the dynamics), {_span('velocity_std')}; lead-sheet generator"),
    "articulation": (float, "duration / inter-onset interval"),
    "polyphony": (float, "mean sounding notes"),
    "chord_valence": (float, "chord brightness in [-1, 1]"),
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--emotion", "-e", required=True, help='a label ("tender"), "v,a[,d]" or free text')
    p.add_argument("--bars", type=int, default=16, help=f"bars of 4/4, 1-{MAX_BARS} (default 16)")
    p.add_argument("--seconds", type=float, default=None, help="length in seconds instead of --bars")
    p.add_argument("--seed", type=int, default=None, help="seed (drawn and recorded when omitted)")
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--top-k", type=int, default=None)
    p.add_argument("--top-p", type=float, default=0.95)
    p.add_argument(
        "--guidance", type=float, default=None, help="classifier-free guidance on the attributes, 1-5 (1 = off)"
    )
    p.add_argument(
        "--scale-bias",
        type=float,
        default=None,
        help="tonal guidance toward the key's scale and tonic triad, 0-10 (0 = off)",
    )
    p.add_argument(
        "--density-gain",
        type=float,
        default=None,
        help="per-bar guidance toward the asked note density, 0-10 (0 = off)",
    )
    p.add_argument(
        "--generator",
        choices=sorted(GENERATORS),
        default=None,
        help=f"which released generator (default {DEFAULT_GENERATOR}: lead sheet -> piano; transformer: the 0.3.0 REMI model)",
    )
    p.add_argument("--model", type=Path, default=None, help="a checkpoint folder instead of a released generator")
    p.add_argument("--out", "-o", type=Path, default=Path("outputs/generate"), help="output folder")
    p.add_argument("--stem", default="music", help="file name stem (default music)")
    p.add_argument("--no-audio", action="store_true", help="skip the .wav rendering")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    for name, (_, helptext) in OVERRIDES.items():
        p.add_argument(f"--{name.replace('_', '-')}", dest=name, default=None, help=helptext)


_emotion_arg = parse_emotion_arg  # the one parser of typed 'v,a[,d]' (studio.emotion)


def _override(name: str, raw: str):
    kind = OVERRIDES[name][0]
    if name == "mode" and raw.strip().lower() in ("major", "minor"):
        return 1.0 if raw.strip().lower() == "major" else 0.0
    try:
        return int(raw) if kind is int else float(raw)
    except ValueError:
        raise ValueError(f"--{name.replace('_', '-')} expects {OVERRIDES[name][1]}, got {raw!r}") from None


def run(args: argparse.Namespace) -> int:
    from studio.io import check_output_dir
    from studio.music.generators import default_pipeline
    from studio.music.oneshot import generate

    check_output_dir(args.out, create=False)  # an existing file there: say so before the work, not after
    overrides = {k: _override(k, getattr(args, k)) for k in OVERRIDES if getattr(args, k) is not None}
    result = generate(
        _emotion_arg(args.emotion),
        bars=args.bars,
        seed=args.seed,
        seconds=args.seconds,
        temperature=args.temperature,
        top_k=args.top_k,
        top_p=args.top_p,
        guidance=args.guidance,
        scale_bias=args.scale_bias,
        density_gain=args.density_gain,
        pipeline=default_pipeline(args.model, args.generator),
        progress=not args.quiet,
        **overrides,
    )
    paths = result.save(args.out, stem=args.stem, audio=not args.no_audio)
    m = result.attributes_measured
    print(f"target {result.emotion}; seed {result.seed}; {result.bars} bars; model {result.model}")
    if m is not None:
        print(
            f"  measured: tempo {m.tempo:.0f} BPM, {m.key_name}, {m.note_density:.2f} notes/beat, "
            f"pitch mean {m.pitch_mean:.0f}, velocity {m.velocity_mean:.0f}"
        )
    if result.lead_sheet:
        chords = " ".join(c["roman"] for c in result.lead_sheet["chords"][:16])
        print(f"  lead sheet: {result.lead_sheet['key']}, form {result.lead_sheet['form']}; chords {chords} ...")
    for note in result.notes:
        print(f"  note: {note}")
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return 0
