"""studio judge: the critic's reading of a MIDI piece or an image."""

from __future__ import annotations

import argparse

HELP = "read the emotion of a MIDI file (music critic) or an image (image critic)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="+", help=".mid/.midi or image files")
    p.add_argument("--json", action="store_true", help="print JSON (one object per line)")


def run(args: argparse.Namespace) -> int:
    import json

    from studio.critics import judge

    for path in args.path:
        r = judge(path)
        if args.json:
            print(json.dumps({"path": path, **r.to_dict()}))
            continue
        probs = "  ".join(f"Q{q} {p:.2f}" for q, p in sorted(r.quadrant_probs.items()))
        print(f"{path}\n  {r}\n  quadrant probabilities: {probs}\n  nearest: {r.emotion.nearest(3)}")
        if r.details.get("warning"):
            print(f"  warning: {r.details['warning']}")
    return 0
