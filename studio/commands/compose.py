"""studio compose: compose music for an emotion with the generate-judge-re-aim loop."""

from __future__ import annotations

import argparse

from studio.emotion import parse_emotion_arg
from studio.limits import MAX_BARS, MAX_CANDIDATES, MAX_ROUNDS
from studio.loop import DEFAULT_CANDIDATES, DEFAULT_ROUNDS
from studio.music.generators import DEFAULT_GENERATOR, GENERATORS

HELP = "compose music for an emotion (closed loop: generate, judge, re-aim); writes MIDI, WAV, PNG, JSON"

# attributes that may be pinned from the command line: flag -> (field, type)
OVERRIDES = {"tempo": float, "mode": float, "note_density": float, "pitch_mean": float, "velocity_mean": float}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--emotion",
        "-e",
        required=True,
        help="label ('tender'), 'v,a[,d]' numbers, free text, or an arc such as 'calm -> furious' (one emotion per phrase)",
    )
    p.add_argument("--bars", type=int, default=16, help=f"length in bars, 1-{MAX_BARS} (default 16)")
    p.add_argument("--seed", type=int, default=None, help="integer seed (drawn and recorded when omitted)")
    p.add_argument(
        "--candidates",
        type=int,
        default=DEFAULT_CANDIDATES,
        help=f"pieces generated per round, 1-{MAX_CANDIDATES} (default {DEFAULT_CANDIDATES}: the loop is opt-in)",
    )
    p.add_argument(
        "--rounds",
        type=int,
        default=DEFAULT_ROUNDS,
        help=f"at most this many rounds, 1-{MAX_ROUNDS} (default {DEFAULT_ROUNDS})",
    )
    p.add_argument("--max-seconds", type=float, default=None, help="start no new round after this many seconds")
    p.add_argument("--tolerance", type=float, default=0.25, help="stop once the VA distance is within this")
    for name, typ in OVERRIDES.items():
        p.add_argument(
            f"--{name.replace('_', '-')}", type=typ, default=None, help=f"pin {name} (else from the emotion)"
        )
    p.add_argument(
        "--generator",
        choices=sorted(GENERATORS),
        default=None,
        help=f"which released generator (default {DEFAULT_GENERATOR})",
    )
    p.add_argument("-o", "--out", default="out", help="output folder (default ./out)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


_emotion_arg = parse_emotion_arg  # the one parser of typed 'v,a[,d]' (studio.emotion)


def run(args: argparse.Namespace) -> int:
    from studio.io import check_output_dir
    from studio.loop import compose
    from studio.music.generators import default_pipeline

    check_output_dir(args.out, create=False)  # an existing file there: say so before the work, not after
    overrides = {k: getattr(args, k) for k in OVERRIDES if getattr(args, k) is not None}
    result = compose(
        _emotion_arg(args.emotion),
        bars=args.bars,
        seed=args.seed,
        candidates=args.candidates,
        rounds=args.rounds,
        max_seconds=args.max_seconds,
        tolerance=args.tolerance,
        progress=not args.quiet,
        pipeline=default_pipeline(generator=args.generator),
        **overrides,
    )
    paths = result.save(args.out)
    circ = _circumplex(result, args.out)
    print(f"target {result.emotion}; seed {result.seed}")
    for r in result.rounds:
        print(
            f"  round {r['round']}: aim V {r['aim']['valence']:+.2f} A {r['aim']['arousal']:+.2f}, "
            f"chosen #{r['chosen'] + 1} at distance {r['chosen_distance']}; {r['why']}"
        )
    for ph in result.extra.get("arc", {}).get("phrases", []):
        t, va = ph["target"], ph["attribute_va"]
        got = "silent" if va is None else f"attributes point to V {va[0]:+.2f} A {va[1]:+.2f}"
        print(f"  bars {ph['bars'][0]}-{ph['bars'][1]}: target V {t['valence']:+.2f} A {t['arousal']:+.2f}; {got}")
    if result.lead_sheet:
        chords = " ".join(c["roman"] for c in result.lead_sheet["chords"][:16])
        print(f"  lead sheet: {result.lead_sheet['key']}, form {result.lead_sheet['form']}; chords {chords} ...")
    if result.reading is not None:
        print(f"  {result.reading}")
    for note in result.notes:
        print(f"  note: {note}")
    written = [str(p) for p in (paths.values() if isinstance(paths, dict) else [paths])]
    print("wrote " + ", ".join(written + ([str(circ)] if circ else [])))
    return 0


def _circumplex(result, out: str):
    """The VA picture of the loop: target, the chosen reading per round, every candidate."""
    from pathlib import Path

    from studio.render import circumplex_png

    chosen, cands = [], []
    for r in result.rounds:
        ests = [c["estimate"] for c in r["candidates"] if c["estimate"]]
        cands += ests
        best = r["candidates"][r["chosen"]]["estimate"]
        if best:
            chosen.append(best)
    if result.emotion is None or not chosen:
        return None
    return circumplex_png(
        result.emotion,
        chosen,
        Path(out) / "circumplex.png",
        candidates=cands,
        title=f"{result.emotion}: chosen estimate per round",
    )
