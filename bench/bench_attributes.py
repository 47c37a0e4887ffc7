"""Benchmark of the music attribute extractors and the emotion <-> attribute mapper.

* Key (POP909 ``key_audio.txt``, the longest-held key of each song): exact tonic+mode accuracy and
  the MIREX weighted score (fifth 0.5, relative 0.3, parallel 0.2); P(major) calibration.
* Tempo (POP909 ``beat_midi.txt``/``beat_audio.txt``, median beat period): the tempo map and the
  onset-only estimator used for performance MIDI, within 4 %, with octave errors (x2, /2, x3, /3)
  counted separately.
* Speed: full extraction of a 3-minute POP909 song.
* Mapper (EMOPIA test split only): 4Q, arousal and valence accuracy of ``estimate_emotion``.

Run: ``.venv/bin/python bench/bench_attributes.py [--quick] [--calibrate]``; writes
``bench/results/attributes.json``.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

from studio.attributes import music as M
from studio.io import write_json_atomic
from studio.music.structured.fit import _segments, parse_key
from studio.paths import PROJECT_ROOT, data_root


def song_key(folder: Path) -> tuple[int, bool]:
    """The key held longest in ``key_audio.txt``: ``(tonic, major)`` (labels read by the generator's own parser)."""
    dur: dict[tuple[int, bool], float] = {}
    for start, end, key in _segments(folder / "key_audio.txt", parse_key):
        if key is not None:
            k = (key[0], key[1] == 0)
            dur[k] = dur.get(k, 0.0) + end - start
    return max(dur, key=dur.get)


# Alternative key profiles for comparison (the studio uses Krumhansl-Kessler, as specified).
ALT_PROFILES = {
    "albrecht_shanahan_2013": (
        [0.238, 0.006, 0.111, 0.006, 0.137, 0.094, 0.016, 0.214, 0.009, 0.080, 0.008, 0.081],
        [0.220, 0.006, 0.104, 0.123, 0.019, 0.103, 0.012, 0.214, 0.062, 0.022, 0.061, 0.052],
    ),
    "temperley_2001": (
        [5, 2, 3.5, 2, 4.5, 4, 2, 4.5, 2, 3.5, 1.5, 4],
        [5, 2, 3.5, 4.5, 2, 4, 2, 4.5, 3.5, 2, 1.5, 4],
    ),
}


def key_with_profiles(hist: np.ndarray, major, minor) -> tuple[int, bool]:
    prof = np.stack([[np.roll(np.asarray(p, float), k) for k in range(12)] for p in (major, minor)])
    prof = (prof - prof.mean(-1, keepdims=True)) / prof.std(-1, keepdims=True)
    r = prof @ ((hist - hist.mean()) / max(hist.std(), 1e-12))
    mode_idx, tonic = np.unravel_index(int(np.argmax(r)), r.shape)
    return int(tonic), bool(mode_idx == 0)


def mirex_score(est: tuple[int, bool], ref: tuple[int, bool]) -> float:
    (et, em), (rt, rm) = est, ref
    if est == ref:
        return 1.0
    if em == rm and (et - rt) % 12 in (5, 7):
        return 0.5
    if em != rm and ((rm and (et - rt) % 12 == 9) or (not rm and (et - rt) % 12 == 3)):
        return 0.3
    if em != rm and et == rt:
        return 0.2
    return 0.0


def beat_bpm(path: Path) -> float:
    t = np.array([float(line.split()[0]) for line in path.read_text().split("\n") if line.strip()])
    return float(60.0 / np.median(np.diff(t)))


def tempo_verdict(est: float, ref: float, tol: float = 0.04) -> str:
    if abs(est / ref - 1) <= tol:
        return "correct"
    if any(abs(est / (ref * f) - 1) <= tol for f in (2, 0.5, 3, 1 / 3)):
        return "octave"
    return "wrong"


def bench_pop909(step: int = 1, calib_songs: int = 600, tempo_tuning_songs: int = 300) -> dict:
    """Key, mode calibration and tempo on POP909 songs (every ``step``-th song).

    The mode temperature is fitted on songs up to ``calib_songs`` and its NLL reported on the rest;
    the onset tempo estimator was tuned on songs up to ``tempo_tuning_songs``, so tempo figures are
    reported on the songs after it.
    """
    import symusic

    root = data_root() / "pop909" / "POP909"
    folders = sorted(p for p in root.iterdir() if p.is_dir() and p.name.isdigit())[::step]
    rows = []
    for f in folders:
        score = M.load_score(f / f"{f.name}.mid")
        n = M._pitched_notes(score)
        hist = M.pitch_class_histogram(n)
        r = M.key_correlations(hist)
        mode_idx, tonic = np.unravel_index(int(np.argmax(r)), r.shape)
        sec = score.to("second")
        on, counts = np.unique(
            np.round(np.concatenate([t.notes.numpy()["time"] for t in sec.tracks if not t.is_drum]), 2),
            return_counts=True,
        )
        rows.append(
            {
                "song": f.name,
                "ref_key": song_key(f),
                "est_key": (int(tonic), mode_idx == 0),
                "margin": float(r[0].max() - r[1].max()),
                "alt_keys": {k: key_with_profiles(hist, *v) for k, v in ALT_PROFILES.items()},
                "tempo_map": M._tempo(n),
                "tempo_onsets": M.tempo_from_onsets(on, counts),
                "ref_bpm_midi": beat_bpm(f / "beat_midi.txt"),
                "ref_bpm_audio": beat_bpm(f / "beat_audio.txt"),
            }
        )
    del symusic
    exact = np.mean([r["est_key"] == r["ref_key"] for r in rows])
    mirex = np.mean([mirex_score(r["est_key"], r["ref_key"]) for r in rows])
    tonic_only = np.mean([r["est_key"][0] == r["ref_key"][0] for r in rows])
    mode_acc = np.mean([r["est_key"][1] == r["ref_key"][1] for r in rows])

    # P(major) = sigmoid(margin / T): T by maximum likelihood on the calibration songs, NLL reported on the rest.
    margins = np.array([r["margin"] for r in rows])
    is_major = np.array([r["ref_key"][1] for r in rows], dtype=float)
    ncal = sum(int(r["song"]) <= calib_songs for r in rows)
    cal, held = slice(0, ncal), slice(ncal, len(rows))

    def nll(T: float, sl: slice) -> float:
        p = np.clip(1 / (1 + np.exp(-margins[sl] / T)), 1e-6, 1 - 1e-6)
        y = is_major[sl]
        return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())

    grid = np.exp(np.linspace(np.log(0.005), np.log(1.0), 200))
    best_T = float(grid[int(np.argmin([nll(T, cal) for T in grid]))])
    out_key = {
        "songs": len(rows),
        "reference": "longest-held key in key_audio.txt",
        "exact_accuracy": round(float(exact), 4),
        "mirex_weighted": round(float(mirex), 4),
        "tonic_accuracy": round(float(tonic_only), 4),
        "mode_accuracy": round(float(mode_acc), 4),
        "major_share": round(float(is_major.mean()), 4),
        "mode_temperature_fitted": round(best_T, 4),
        "mode_temperature_used": M.MODE_TEMPERATURE,
        "calibration_songs": f"001-{calib_songs:03d} ({ncal} songs); NLL on the rest",
        "other_profiles_exact_mirex": {
            k: [
                round(float(np.mean([r["alt_keys"][k] == r["ref_key"] for r in rows])), 4),
                round(float(np.mean([mirex_score(r["alt_keys"][k], r["ref_key"]) for r in rows])), 4),
            ]
            for k in ALT_PROFILES
        },
    }
    if held.start < held.stop:
        out_key["heldout_mode_nll_used_T"] = round(nll(M.MODE_TEMPERATURE, held), 4)
        out_key["heldout_mode_nll_constant"] = round(
            float(
                -np.mean(
                    is_major[held] * np.log(is_major[cal].mean())
                    + (1 - is_major[held]) * np.log(1 - is_major[cal].mean())
                )
            ),
            4,
        )
    trows = [r for r in rows if int(r["song"]) > tempo_tuning_songs]
    out_tempo = {"songs": len(trows), "subset": f"songs after {tempo_tuning_songs:03d} (estimator tuned on the rest)"}
    for est_name in ("tempo_map", "tempo_onsets"):
        for ref_name in ("ref_bpm_midi", "ref_bpm_audio"):
            v = [tempo_verdict(r[est_name], r[ref_name]) for r in trows]
            out_tempo[f"{est_name}_vs_{ref_name[4:]}"] = {
                k: round(v.count(k) / len(v), 4) for k in ("correct", "octave", "wrong")
            }
    return {"key": out_key, "tempo": out_tempo}


def bench_speed(repeats: int = 20) -> dict:
    """Full extraction time of the POP909 song nearest to 3 minutes long."""
    import symusic

    root = data_root() / "pop909" / "POP909"
    best = None
    for f in sorted(p for p in root.iterdir() if p.is_dir() and p.name.isdigit())[:60]:
        path = f / f"{f.name}.mid"
        dur = symusic.Score(str(path)).to("second").end()
        if best is None or abs(dur - 180) < abs(best[1] - 180):
            best = (path, dur)
    path, dur = best
    M.extract_attributes(path)
    t0 = time.perf_counter()
    for _ in range(repeats):
        M.extract_attributes(path)
    t1 = time.perf_counter()
    for _ in range(repeats):
        M.extract_bar_attributes(path)
    t2 = time.perf_counter()
    notes = sum(len(t.notes) for t in symusic.Score(str(path)).tracks)
    return {
        "piece": f"POP909/{path.name}",
        "seconds_long": round(float(dur), 1),
        "notes": notes,
        "extract_attributes_ms": round((t1 - t0) / repeats * 1000, 2),
        "extract_bar_attributes_ms": round((t2 - t1) / repeats * 1000, 2),
    }


def bench_mapper() -> dict | None:
    try:
        from studio.mapping.music import evaluate_on_split
    except ImportError:
        return None
    return evaluate_on_split("test")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="every 6th POP909 song only")
    ap.add_argument("--out", default=str(PROJECT_ROOT / "bench" / "results" / "attributes.json"))
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    res = {"date": time.strftime("%Y-%m-%d"), "quick": args.quick}
    t = time.perf_counter()
    res["pop909"] = bench_pop909(6 if args.quick else 1)
    res["pop909"]["seconds"] = round(time.perf_counter() - t, 1)
    res["speed"] = bench_speed()
    m = bench_mapper()
    if m is not None:
        res["emopia_test"] = m
    k, tp, sp = res["pop909"]["key"], res["pop909"]["tempo"], res["speed"]
    print(
        f"POP909 key ({k['songs']} songs): exact {k['exact_accuracy']:.3f}  MIREX {k['mirex_weighted']:.3f}  "
        f"tonic {k['tonic_accuracy']:.3f}  mode {k['mode_accuracy']:.3f}"
    )
    print(f"  other key profiles (exact, MIREX): {k['other_profiles_exact_mirex']}")
    print(
        f"  P(major) temperature: fitted {k['mode_temperature_fitted']}  used {k['mode_temperature_used']}  "
        f"held-out NLL {k.get('heldout_mode_nll_used_T')} (constant prior {k.get('heldout_mode_nll_constant')})"
    )
    for name, v in list(tp.items())[2:]:
        print(
            f"POP909 tempo {name:32s} within 4%: {v['correct']:.3f}  octave: {v['octave']:.3f}  wrong: {v['wrong']:.3f}"
        )
    print(
        f"speed: {sp['piece']} ({sp['seconds_long']} s, {sp['notes']} notes): extract_attributes "
        f"{sp['extract_attributes_ms']} ms, extract_bar_attributes {sp['extract_bar_attributes_ms']} ms"
    )
    if m is not None:
        print(
            f"EMOPIA test ({m['clips']} clips), attributes -> (V, A): 4Q {m['acc_4q']:.3f}  A {m['acc_arousal']:.3f}  "
            f"V {m['acc_valence']:.3f}  (published symbolic anchors: 4Q 0.68, A 0.89, V 0.83)"
        )
    if not math.isfinite(sp["extract_attributes_ms"]):
        return 1
    write_json_atomic(args.out, res)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
