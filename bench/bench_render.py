"""Benchmark of offline FluidSynth rendering: wall time to render a 60 s piece to 44.1 kHz stereo.

The piece is built in-process (four voices, ~8 notes/s, 60 s) so the figure does not depend on the
data folder. Reports the median of ``--repeats`` runs, the real-time factor, the loudness and peak, and
the fixed cost of a render (a 1 s piece): the first render in a process loads the soundfont's piano (a
``.sf3`` bank decodes its Vorbis samples), later ones find it decoded (``studio.render`` keeps the presets
played); for the default soundfont and for FluidR3 where installed. Also a generated piece (32 bars of
``studio.compose("furious", seed=1)``, about 70 s) on the default bank, with its sustain pedal and without:
a pedal keeps more voices sounding, and rendering costs more.

Run: ``.venv/bin/python bench/bench_render.py``; writes ``bench/results/render.json``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import symusic

from studio.io import write_json_atomic
from studio.paths import PROJECT_ROOT
from studio.render import SOUNDFONTS, find_soundfont, render_audio

FLUIDR3 = Path(next(f for f in SOUNDFONTS if f.endswith("FluidR3_GM.sf2")))


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


def _median_seconds(score: symusic.Score, soundfont: Path, repeats: int) -> tuple[float, list[float], np.ndarray]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        audio = render_audio(score, soundfont=soundfont)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, audio


def _generated_piece(bank: Path, repeats: int) -> dict:
    """Render time of a generated piece with its pedal and with the pedal removed (same notes)."""
    from studio.loop import compose

    score = compose("furious", bars=32, seed=1, progress=False).score
    dry = score.copy()
    for t in dry.tracks:
        t.controls.clear()
    pedalled, _, audio = _median_seconds(score, bank, repeats)
    unpedalled, _, _ = _median_seconds(dry, bank, repeats)
    out = {
        "what": 'studio.compose("furious", bars=32, seed=1)',
        "audio_seconds": round(len(audio) / 44100, 2),
        "render_seconds_median_with_pedal": round(pedalled, 3),
        "render_seconds_median_without_pedal": round(unpedalled, 3),
    }
    print(
        f"generated piece ({out['audio_seconds']} s audio, {bank.name}): {pedalled:.3f} s with its sustain pedal, "
        f"{unpedalled:.3f} s without"
    )
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", default=str(PROJECT_ROOT / "bench" / "results" / "render.json"))
    args = ap.parse_args()
    score, short = test_piece(), test_piece(1.0)
    banks = [find_soundfont()]
    if FLUIDR3.is_file() and FLUIDR3 != banks[0]:
        banks.append(FLUIDR3)
    out = {"piece_seconds": 60.0, "notes": int(len(score.tracks[0].notes)), "soundfonts": {}}
    for bank in banks:
        t0 = time.perf_counter()
        render_audio(short, soundfont=bank)  # the first render in this process: loads (decodes) the piano
        first = time.perf_counter() - t0
        med, times, audio = _median_seconds(score, bank, args.repeats)
        fixed, _, _ = _median_seconds(short, bank, args.repeats)
        seconds = len(audio) / 44100
        out["soundfonts"][bank.name] = {
            "default": bank == banks[0],
            "audio_seconds": round(seconds, 2),
            "render_seconds_median": round(med, 3),
            "render_seconds_all": [round(t, 3) for t in times],
            "realtime_factor": round(seconds / med, 1),
            "render_1s_piece_seconds": round(fixed, 3),
            "first_render_in_process_seconds": round(first, 3),
            "rms": round(float(np.sqrt(np.mean(audio**2))), 4),
            "peak": round(float(np.abs(audio).max()), 4),
        }
        print(
            f"{bank.name}{' (default)' if bank == banks[0] else ''}: 60 s piece ({out['notes']} notes) -> "
            f"{seconds:.1f} s audio in {med:.3f} s median ({out['soundfonts'][bank.name]['realtime_factor']}x real "
            f"time); a 1 s piece {fixed:.3f} s, {first:.3f} s as a process's first render (the piano's loading); "
            f"RMS {out['soundfonts'][bank.name]['rms']}"
        )
    out["generated_piece"] = _generated_piece(banks[0], args.repeats)
    default = out["soundfonts"][banks[0].name]
    out |= {
        "soundfont": banks[0].name,
        "render_seconds_median": default["render_seconds_median"],
        "render_1s_piece_seconds": default["render_1s_piece_seconds"],
        "first_render_in_process_seconds": default["first_render_in_process_seconds"],
        "machine": f"{platform.machine()}, shared 2-core CPU",
    }
    write_json_atomic(args.out, out)
    print("->", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
