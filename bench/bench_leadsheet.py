"""Benchmark the released lead-sheet generator: does each attribute it is asked for come out, and how fast?

    .venv/bin/python bench/bench_leadsheet.py              # 160 random requests of 8 bars, 40 emotion pieces, 12 arcs
    .venv/bin/python bench/bench_leadsheet.py --quick      # 48 requests

Every attribute is measured by ``studio.attributes.extract_attributes`` (the one measurer, which the
generator's own second pass also uses). Requests are drawn independently per attribute over the ranges the
studio's faders and mapper use, so each Spearman correlation says whether that fader moves the output.
Density bins are the shared attribute bins (``ATTRIBUTES["note_density"].bins``). Emotion direction: pieces
for a 12-point circumplex grid (radius 0.8) through ``studio.music.generate``, judged by the attributes'
own reading (``estimate_emotion``). Arcs: 32-bar pieces along four paths through the circumplex, each
phrase's attribute reading against the path. Phrase modes: whether each 4-bar phrase reads in the mode it was
written in, by the studio's key finder and by three of music21's that nothing in the studio uses. Musicality
against real music: ``bench/bench_musicality.py``.
Writes ``bench/results/leadsheet.json``.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from studio.attributes.music import ATTRIBUTES, extract_attributes  # noqa: E402
from studio.io import write_json_atomic  # noqa: E402

# request ranges: (low, high) drawn uniformly; the UI faders' and the mapper's span
RANGES = {
    "tempo": (60.0, 160.0),
    "note_density": (1.5, 8.0),
    "pitch_mean": (50.0, 72.0),
    "velocity_mean": (40.0, 105.0),
    "articulation": (0.5, 4.5),
    "polyphony": (1.5, 7.0),
    "chord_valence": (-0.5, 0.6),
    "velocity_std": (4.0, 24.0),
}
FADERS = ("tempo", "mode", "note_density", "pitch_mean", "velocity_mean")  # app.py's music faders


def adherence(pipe, n: int, bars: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    rows, t0 = [], time.perf_counter()
    for i in range(n):
        req = {k: float(rng.uniform(*r)) for k, r in RANGES.items()}
        req["mode"], req["key"] = float(rng.integers(0, 2)), int(rng.integers(0, 12))
        piece = pipe(attributes=req, bars=bars, seed=seed + i)[0]
        rows.append((piece.attributes_requested, extract_attributes(piece.score).to_dict()))
    nd = ATTRIBUTES["note_density"]
    out = {
        "requests": n,
        "bars": bars,
        "tempo_within_5pct": float(np.mean([abs(m["tempo"] - r["tempo"]) <= 0.05 * r["tempo"] for r, m in rows])),
        "mode_correct": float(np.mean([(m["mode"] >= 0.5) == (r["mode"] >= 0.5) for r, m in rows])),
        "key_correct": float(np.mean([m["key"] == r["key"] for r, m in rows])),
        "density_bin_correct": float(
            np.mean([nd.bin(m["note_density"]) == nd.bin(r["note_density"]) for r, m in rows])
        ),
        "density_bin_within_one": float(
            np.mean([abs(nd.bin(m["note_density"]) - nd.bin(r["note_density"])) <= 1 for r, m in rows])
        ),
        "density_relative_error_median": float(
            np.median([abs(m["note_density"] - r["note_density"]) / r["note_density"] for r, m in rows])
        ),
        "spearman_requested_vs_measured": {
            k: round(float(spearmanr([r[k] for r, _ in rows], [m[k] for _, m in rows]).statistic), 3)
            for k in ("mode", *RANGES)
        },
        "seconds_per_piece": round((time.perf_counter() - t0) / n, 3),
    }
    return out


def emotion_direction(pipe, seeds: int) -> dict:
    import math

    from studio.critics.music import judge_music
    from studio.mapping.music import estimate_emotion
    from studio.music.oneshot import generate

    hits, rows, critic_hits = 0, [], 0
    for k in range(12):
        va = (0.8 * math.cos(2 * math.pi * k / 12), 0.8 * math.sin(2 * math.pi * k / 12))
        if min(abs(va[0]), abs(va[1])) < 0.1:  # on an axis: no quadrant to hit
            continue
        want = 1 if va[0] >= 0 and va[1] >= 0 else 2 if va[1] >= 0 else 3 if va[0] < 0 else 4
        for s in range(seeds):
            r = generate(va, bars=16, seed=100 + s, pipeline=pipe)
            v, a = estimate_emotion(r.attributes_measured)
            got = 1 if v >= 0 and a >= 0 else 2 if a >= 0 else 3 if v < 0 else 4
            hits += got == want
            rows.append(got == want)
            c = judge_music(r.score)  # the music critic: a model the generator does not consult
            critic_hits += (
                1 if c.valence >= 0 and c.arousal >= 0 else 2 if c.arousal >= 0 else 3 if c.valence < 0 else 4
            ) == want
    return {
        "pieces": len(rows),
        "quadrant_accuracy_attribute_judged": round(hits / len(rows), 4),
        "quadrant_accuracy_critic_judged": round(critic_hits / len(rows), 4),
        "chance": 0.25,
    }


INDEPENDENT_KEY_FINDERS = ("AardenEssen", "TemperleyKostkaPayne", "BellmanBudge")  # music21 profiles, not KK


def phrase_modes(pipe, seeds: int) -> dict:
    """Does each 4-bar phrase read in the mode it was written in? The studio's key finder (Krumhansl-Kessler,
    ``extract_attributes``, which the generator's chord choice consults) and three music21 key finders with
    other profiles (which nothing in the studio uses), over 16-bar pieces on the 12-point circumplex grid."""
    import math

    import music21
    from music21.analysis import discrete

    from studio.arc import phrase_score
    from studio.music.oneshot import generate

    right = {"studio_kk": [], **{k: [] for k in INDEPENDENT_KEY_FINDERS}}
    for k in range(12):
        va = (0.8 * math.cos(2 * math.pi * k / 12), 0.8 * math.sin(2 * math.pi * k / 12))
        for s in range(seeds):
            r = generate(va, bars=16, seed=300 + s, pipeline=pipe)
            for p, phrase in enumerate(r.lead_sheet["phrases"]):
                minor = phrase["mode"] == "minor"
                sub = phrase_score(r.score, p, 16)
                right["studio_kk"].append((extract_attributes(sub).mode < 0.5) == minor)
                stream, tpq = music21.stream.Stream(), sub.ticks_per_quarter
                for n in (n for t in sub.tracks for n in t.notes):
                    note = music21.note.Note(n.pitch)
                    note.quarterLength = max(n.duration / tpq, 0.25)
                    stream.insert(n.time / tpq, note)
                for name in INDEPENDENT_KEY_FINDERS:
                    key = getattr(discrete, name)(stream).getSolution(stream)
                    right[name].append((key.mode == "minor") == minor)
    return {
        "phrases": len(right["studio_kk"]),
        "mode_read_right": {k: round(float(np.mean(v)), 3) for k, v in right.items()},
        "judges": "studio_kk is the studio's own key finder; the others are music21's, used nowhere else",
    }


ARCS = ("calm -> furious", "sad -> joyful", "furious -> calm", "0.7,0.6 -> -0.7,-0.6")


def arcs(pipe, seeds: int, bars: int = 32) -> dict:
    """Per-phrase valence/arousal (attribute-judged) against each arc's path: correlation and mean distance."""
    from studio.arc import compose_arc

    tv, ta, gv, ga, dist, rows = [], [], [], [], [], []
    for arc in ARCS:
        for s in range(seeds):
            r = compose_arc(arc, bars=bars, seed=200 + s, candidates=1, pipeline=pipe, critic=lambda score: None)
            for ph in r.extra["arc"]["phrases"]:
                if ph["attribute_va"] is None:
                    continue
                tv.append(ph["target"]["valence"])
                ta.append(ph["target"]["arousal"])
                gv.append(ph["attribute_va"][0])
                ga.append(ph["attribute_va"][1])
                dist.append(float(np.hypot(tv[-1] - gv[-1], ta[-1] - ga[-1])))
            rows.append({"arc": arc, "seed": 200 + s, "phrases": r.extra["arc"]["phrases"]})
    return {
        "arcs": list(ARCS),
        "pieces": len(rows),
        "bars": bars,
        "phrases": len(tv),
        "pearson_valence_path_vs_phrase": round(float(np.corrcoef(tv, gv)[0, 1]), 3),
        "pearson_arousal_path_vs_phrase": round(float(np.corrcoef(ta, ga)[0, 1]), 3),
        "mean_phrase_distance": round(float(np.mean(dist)), 3),
        "judge": "estimate_emotion of each phrase's measured attributes (one candidate per arc, no selection)",
        "examples": rows[:: max(seeds, 1)],
    }


def speed() -> dict:
    t0 = time.perf_counter()
    from studio.music.structured import LeadSheetPipeline

    pipe = LeadSheetPipeline.from_pretrained()
    load = time.perf_counter() - t0
    warm = []
    for s in range(5):
        t = time.perf_counter()
        pipe(attributes={"tempo": 100, "mode": 1.0, "note_density": 3.5}, bars=16, seed=s)
        warm.append(time.perf_counter() - t)
    return {"load_s": round(load, 3), "piece_16_bars_warm_s_median": round(float(np.median(warm)), 3)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "leadsheet.json"))
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    from studio.music.structured import LeadSheetPipeline

    sp = speed()
    print("speed:", sp, flush=True)
    pipe = LeadSheetPipeline.from_pretrained()
    adh = adherence(pipe, 48 if args.quick else 160, 8, args.seed)
    print("adherence:", adh, flush=True)
    emo = emotion_direction(pipe, 1 if args.quick else 12)  # 96 pieces: one piece is 1 %
    print("emotion direction:", emo)
    arc = arcs(pipe, 1 if args.quick else 3)
    print("arcs:", {k: v for k, v in arc.items() if k != "examples"})
    modes = phrase_modes(pipe, 1 if args.quick else 3)
    print("phrase modes:", modes)
    faders = {k: adh["spearman_requested_vs_measured"].get(k) for k in FADERS if k != "mode"}
    report = {
        "model": pipe.model_id,
        "speed": sp,
        "adherence": adh,
        "emotion_direction": emo,
        "arcs": arc,
        "phrase_modes": modes,
        "ui_faders_spearman": faders,
        "machine": platform.machine(),
    }
    write_json_atomic(args.out, report)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
