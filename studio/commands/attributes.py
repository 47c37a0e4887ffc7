"""studio attributes FILE.mid: measure the music attributes of a MIDI file."""

from __future__ import annotations

import argparse
import json

HELP = "measure the music attributes of a MIDI file (tempo, key, densities, chord valence, ...)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("midi", help="a .mid/.midi file")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--bars", action="store_true", help="also show per-bar attributes")
    p.add_argument("--emotion", action="store_true", help="also estimate (valence, arousal) with the fitted mapper")


def run(args: argparse.Namespace) -> int:
    from studio.attributes import extract_attributes, extract_bar_attributes

    a = extract_attributes(args.midi)
    out: dict = {"file": args.midi, "attributes": a.to_dict(), "key_name": a.key_name}
    if args.bars:
        out["bars"] = extract_bar_attributes(args.midi)
    if args.emotion:
        from studio.mapping.music import estimate_emotion

        v, ar = estimate_emotion(a)
        out["estimated_emotion"] = {"valence": round(v, 3), "arousal": round(ar, 3)}
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"{args.midi}")
    for k, v in out["attributes"].items():
        extra = f"  ({a.key_name})" if k == "key" else f"  ({a.mode_name})" if k == "mode" else ""
        print(f"  {k:18s} {v}{extra}")
    if "estimated_emotion" in out:
        e = out["estimated_emotion"]
        print(f"  estimated emotion  valence {e['valence']:+.2f}  arousal {e['arousal']:+.2f}")
    if args.bars:
        print(
            f"  {'bar':>4s} {'beats':>5s} {'notes/b':>7s} {'onsets/b':>8s} {'pitch':>6s} {'vel':>5s} {'poly':>5s}  chord"
        )
        for b in out["bars"]:
            pm = "-" if b["pitch_mean"] is None else f"{b['pitch_mean']:.1f}"
            vm = "-" if b["velocity_mean"] is None else f"{b['velocity_mean']:.0f}"
            print(
                f"  {b['bar']:4d} {b['beats']:5.1f} {b['note_density']:7.2f} {b['onset_density']:8.2f} {pm:>6s} "
                f"{vm:>5s} {b['polyphony']:5.2f}  {b['chord']}"
            )
    return 0
