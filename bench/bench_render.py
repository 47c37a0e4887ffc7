"""Benchmark of offline FluidSynth rendering: wall time to render a 60 s piece to 44.1 kHz stereo.

The piece is built in-process (four voices, ~8 notes/s, 60 s) so the figure does not depend on the
data folder. Reports the median of ``--repeats`` runs, the real-time factor, the loudness and peak.

Run: ``.venv/bin/python bench/bench_render.py``; writes ``bench/results/render.json``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np
import symusic

from studio.io import write_json_atomic
from studio.paths import PROJECT_ROOT
from studio.render import find_soundfont, render_audio


def test_piece(seconds: float = 60.0, seed: int = 0) -> symusic.Score:
    rng = np.random.default_rng(seed)
    s = symusic.Score(480)  # 120 BPM: 960 ticks per second
    tr = symusic.Track(program=0)
    t = 0
    while t < seconds * 960:
        root = 48 + int(rng.integers(0, 12))
        for p in (root, root + 4, root + 7, root + 12 + int(rng.integers(0, 7))):
            tr.notes.append(symusic.Note(int(t), int(rng.integers(120, 720)), p, int(rng.integers(50, 110))))
        t += 480
    s.tracks.append(tr)
    return s


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", default=str(PROJECT_ROOT / "bench" / "results" / "render.json"))
    args = ap.parse_args()
    score = test_piece()
    render_audio(score)  # warm the soundfont cache of the OS
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        audio = render_audio(score)
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    seconds = len(audio) / 44100
    out = {
        "piece_seconds": 60.0,
        "audio_seconds": round(seconds, 2),
        "notes": int(len(score.tracks[0].notes)),
        "render_seconds_median": round(med, 3),
        "render_seconds_all": [round(t, 3) for t in times],
        "realtime_factor": round(seconds / med, 1),
        "rms": round(float(np.sqrt(np.mean(audio**2))), 4),
        "peak": round(float(np.abs(audio).max()), 4),
        "soundfont": find_soundfont().name,
        "machine": f"{platform.machine()}, shared 2-core CPU",
    }
    print(
        f"60 s piece ({out['notes']} notes) -> {seconds:.1f} s audio in {med:.3f} s median "
        f"({out['realtime_factor']}x real time); RMS {out['rms']}, peak {out['peak']}, {out['soundfont']}"
    )
    write_json_atomic(args.out, out)
    print("->", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
