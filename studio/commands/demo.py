"""studio demo: the main job on the embedded defaults (what `make run` calls).

For a few emotions: print the emotion analysis, make music and a painting, save them, and sum up
what was asked against what the critics read. Parts that are not available are named, not hidden.
"""

from __future__ import annotations

import argparse
import importlib
import re
import time

from studio.limits import MAX_BARS, MAX_CANDIDATES, MAX_ROUNDS, MAX_SIZE, MIN_SIZE

HELP = "run the studio end to end on a few emotions (what `make run` does)"
DEFAULT_EMOTIONS = ["tender", "furious", "0.6,-0.5", "a rainy farewell at dusk"]
PARTS = {
    "text -> VAD": "studio.text",
    "attributes": "studio.mapping",
    "music generator": "studio.music.pipeline",
    "music critic": "studio.critics.music",
    "composing loop": "studio.loop",
    "painter": "studio.art",
    "image critic": "studio.critics.image",
    "rendering": "studio.render",
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", "-o", default="outputs/demo", help="output folder (default outputs/demo)")
    p.add_argument("--emotions", nargs="+", default=DEFAULT_EMOTIONS, help="words, 'v,a[,d]' pairs or text")
    p.add_argument("--bars", type=int, default=8, help=f"length of each piece in bars, 1-{MAX_BARS} (default 8)")
    p.add_argument(
        "--candidates", type=int, default=2, help=f"music candidates per loop round, 1-{MAX_CANDIDATES} (default 2)"
    )
    p.add_argument("--rounds", type=int, default=2, help=f"loop rounds, 1-{MAX_ROUNDS} (default 2)")
    p.add_argument(
        "--max-seconds",
        type=float,
        default=None,
        help="loop time budget per emotion (off by default: a budget makes results depend on machine speed)",
    )
    p.add_argument(
        "--size", type=int, default=512, help=f"painting edge in pixels, {MIN_SIZE}-{MAX_SIZE} (default 512)"
    )
    p.add_argument("--seed", type=int, default=2024, help="base seed (each emotion gets seed + its index)")


def availability() -> dict[str, str | None]:
    """part -> None when importable, else the reason it is not."""
    out = {}
    for part, mod in PARTS.items():
        try:
            importlib.import_module(mod)
            out[part] = None
        except ImportError as e:
            out[part] = str(e)
    return out


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")[:40] or "emotion"


def _analysis(asked) -> str:
    """The text model's reading (``studio.analyze``), or the bare coercion when it is missing."""
    try:
        import studio

        return f"  analysis: {studio.analyze(asked)}"
    except (ImportError, AttributeError):
        from studio.emotion import Emotion

        e = Emotion.coerce(asked)  # raises ImportError for free text without the text model
        near = ", ".join(f"{n} ({d:.2f})" for n, d in e.nearest(3))
        return f"  resolved: {e}\n  nearest named emotions: {near}"


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from studio.api import configure_threads, create
    from studio.emotion import parse_emotion_arg as _emotion

    configure_threads()
    avail = availability()
    missing = {k: v for k, v in avail.items() if v}
    print("Emotion Studio demo")
    print("parts: " + ", ".join(f"{k} {'ok' if not v else 'MISSING'}" for k, v in avail.items()))
    for k, v in missing.items():
        print(f"  unavailable: {k}: {v}")
    music_ok = not (missing.keys() & {"music generator", "composing loop", "attributes"})
    what = "both" if music_ok else "art"
    if not music_ok:
        print("  -> making paintings only; music needs the generator, the mapping and the loop")
    out = Path(args.out)
    rows, failures, music_note = [], 0, None
    t_all = time.perf_counter()
    for i, raw in enumerate(args.emotions):
        asked = _emotion(raw)
        print(f"\n[{i + 1}/{len(args.emotions)}] {raw!r}")
        try:
            print(_analysis(asked))
        except ImportError as e:
            print(f"  unavailable: free text needs the text model ({e})")
            failures += 1
            continue
        t0 = time.perf_counter()
        kw = dict(
            bars=args.bars,
            seed=args.seed + i,
            size=args.size,
            candidates=args.candidates,
            rounds=args.rounds,
            max_seconds=args.max_seconds,
        )
        try:
            r = create(emotion=asked, what=what, **kw)
        except (ImportError, FileNotFoundError) as e:
            if what != "both":
                print(f"  unavailable: {e}")
                failures += 1
                continue
            print(f"  music unavailable: {e}\n  -> making paintings only")
            what, music_note = "art", str(e)
            r = create(emotion=asked, what=what, **kw)
        files = r.save(out / f"{i + 1:02d}-{_slug(str(raw))}")
        print("  " + r.summary().replace("\n", "\n  "))
        print(f"  {len(files)} files in {out / f'{i + 1:02d}-{_slug(str(raw))}'} ({time.perf_counter() - t0:.1f} s):")
        print("    " + ", ".join(sorted(files)))
        rows.append((raw, r))
    print(f"\nSummary ({time.perf_counter() - t_all:.1f} s, seeds {args.seed}..{args.seed + len(args.emotions) - 1})")
    print(f"{'asked':28s} {'target V,A':>13s} {'music read V,A':>15s} {'dist':>5s} {'art read V,A':>14s} {'dist':>5s}")
    for raw, r in rows:
        t = r.emotion
        cells = [f"{str(raw)[:28]:28s}", f"{t.valence:+.2f},{t.arousal:+.2f}".rjust(13)]
        for part, width in (("music", 15), ("art", 14)):
            rd = r.readings[part]
            if rd is None:
                cells += ["-".rjust(width), "-".rjust(5)]
            else:
                cells += [f"{rd.valence:+.2f},{rd.arousal:+.2f}".rjust(width), f"{rd.distance(t):.2f}".rjust(5)]
        print(" ".join(cells))
    if music_note:
        print(f"\nNo music was made: {music_note}")
    if failures or missing:
        print(f"\n{failures} emotion(s) could not be made; {len(missing)} part(s) unavailable (listed above).")
    print(f"outputs: {out}/")
    return 0
