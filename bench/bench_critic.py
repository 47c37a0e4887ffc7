"""Benchmark of the music-emotion critic on EMOPIA's held-out test split (88 clips, song-disjoint).

Prints 4Q / arousal / valence accuracy, NLL, ECE (10 bins) and the confusion matrix of the shipped
checkpoint (``checkpoints/music-critic``), the same for the validation split, the published
symbolic anchors, and the time to judge one clip.

Run: ``.venv/bin/python bench/bench_critic.py``; writes ``bench/results/critic.json``.
"""

from __future__ import annotations

import argparse
import time

from studio.critics.music import MusicCritic, judge_music
from studio.critics.music_fit import load_split, metrics
from studio.io import write_json_atomic
from studio.paths import PROJECT_ROOT, data_root

ANCHORS = {"4Q (EMOPIA paper, symbolic)": 0.684, "4Q MidiBERT": 0.679, "arousal": 0.890, "valence": 0.833}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(PROJECT_ROOT / "bench" / "results" / "critic.json"))
    args = ap.parse_args()
    root = data_root()
    critic = MusicCritic.from_pretrained()
    out = {"critic": critic.config.version, "anchors": ANCHORS}
    for split in ("val", "test"):
        t0 = time.perf_counter()
        X, y, names = load_split(root, split)
        feat_s = (time.perf_counter() - t0) / len(y)
        m = metrics(critic.predict_proba(X), y)
        out[split] = m
        print(
            f"{split:5s} n={m['n']}: 4Q {m['acc_4q']:.3f}  arousal {m['acc_arousal']:.3f}  valence {m['acc_valence']:.3f}"
            f"  NLL {m['nll']:.3f}  ECE {m['ece']:.3f}"
        )
    print("confusion (rows true Q1-Q4, columns predicted):")
    for q, row in enumerate(out["test"]["confusion"], 1):
        print(f"  Q{q}: {row}")
    clip = root / "emopia" / "midis" / names[0]
    t0 = time.perf_counter()
    for _ in range(5):
        judge_music(clip, critic)
    out["seconds_per_clip"] = round((time.perf_counter() - t0) / 5, 4)
    out["feature_seconds_per_clip"] = round(feat_s, 4)
    print(f"judge one 30 s clip: {out['seconds_per_clip'] * 1000:.0f} ms; anchors {ANCHORS}")
    write_json_atomic(args.out, out)
    print("->", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
