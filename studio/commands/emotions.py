"""studio emotions: list the named emotions and their VAD coordinates."""

from __future__ import annotations

import argparse

HELP = "list the named emotions with their valence/arousal/dominance"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quadrant", type=int, choices=[1, 2, 3, 4], help="only this EMOPIA quadrant")


def run(args: argparse.Namespace) -> int:
    from studio.emotion import named_emotion_provenance, named_emotions

    prov = {r["name"]: r for r in named_emotion_provenance()}
    print(f"{'name':14s} {'V':>6s} {'A':>6s} {'D':>6s}  Q  source (Glasgow norms)")
    for name, e in sorted(named_emotions().items(), key=lambda kv: (kv[1].quadrant, -kv[1].valence)):
        if args.quadrant and e.quadrant != args.quadrant:
            continue
        r = prov[name]
        print(
            f"{name:14s} {e.valence:+6.2f} {e.arousal:+6.2f} {e.dominance:+6.2f}  {e.quadrant}  {r['source_word']} ({r['how']})"
        )
    return 0
