"""studio analyze: read free text, a named emotion or numbers as valence/arousal/dominance."""

from __future__ import annotations

import argparse
import json

from studio.arc import arc_parts, is_arc
from studio.emotion import parse_emotion_arg

HELP = "estimate valence/arousal/dominance of free text or a named emotion and explain it"
DESCRIPTION = (
    "Estimate the emotion of free text ('a rainy farewell at dusk'), a named emotion ('wistful') or "
    "numbers ('0.3,-0.5'): valence, arousal and dominance in [-1, 1], the nearest named emotions, "
    "the method used and a confidence; an arc ('calm -> furious') is read point by point. "
    "Set STUDIO_TEXT_MODEL=lexicon to skip the sentence encoder."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("text", nargs="+", help="text, a named emotion, or 'valence,arousal[,dominance]'")
    p.add_argument("--json", action="store_true", help="print the analysis as JSON")
    p.add_argument("-k", type=int, default=3, help="how many nearest named emotions to list (default 3)")


def _numeric(s: str):
    parsed = parse_emotion_arg(s)
    return parsed if isinstance(parsed, tuple) else None


def run(args: argparse.Namespace) -> int:
    from studio.text import analyze

    if args.k < 1:
        raise ValueError(f"-k must be at least 1, got {args.k}")
    text = " ".join(args.text)
    parts = arc_parts(text) if is_arc(text) else [text]  # an arc: each of its emotions in turn
    results = []
    for part in parts:
        nums = _numeric(part)
        results.append(analyze(nums if nums is not None else part, k=args.k))
    if args.json:
        out = [r.to_dict() for r in results]
        print(json.dumps(out if len(parts) > 1 else out[0], indent=2, ensure_ascii=False))
        return 0
    for i, result in enumerate(results):
        if len(parts) > 1:
            print(f"arc point {i + 1} of {len(parts)}:")
        print(result)
        print("nearest: " + ", ".join(f"{n} ({d:.2f})" for n, d in result.nearest))
    return 0
