"""Benchmark the released MIDI generator: attribute adherence, musical sanity, speed, emotion direction.

    .venv/bin/python bench/bench_music_gen.py            # 200 pieces, 4 bars each (--bars N)
    .venv/bin/python bench/bench_music_gen.py --quick    # 48 pieces

Every attribute is measured by ``studio.attributes.extract_attributes`` (the shared extractor, not
the generator's own). Targets are drawn per group of pieces from the model's condition bins, so the
Spearman correlations span the range the model was trained on. Writes ``bench/results/music_gen.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
from scipy.stats import spearmanr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from studio.attributes.music import ATTRIBUTES, extract_attributes  # noqa: E402
from studio.io import write_json_atomic  # noqa: E402
from studio.music.conditions import CONTINUOUS  # noqa: E402
from studio.music.musicality import groove_consistency, pitch_class_entropy  # noqa: E402
from studio.music.pipeline import (  # noqa: E402
    DEFAULT_DENSITY_GAIN,
    DEFAULT_GUIDANCE,
    DEFAULT_SCALE_BIAS,
    MusicPipeline,
)

CONT = [a for a in CONTINUOUS if a != "tempo"]


def reference_stats(limit: int = 60) -> dict | None:
    """Pitch-class entropy and groove consistency of held-out (val) training-corpus pieces."""
    from studio.paths import data_root

    root = data_root(required=False)
    if root is None:
        return None
    import symusic

    from studio.music.data import list_sources

    val = [it for it in list_sources(root) if it[2] == "val"][:limit]
    pce, gc = [], []
    for _, path, _ in val:
        s = symusic.Score(str(path))
        pce.append(pitch_class_entropy(s))
        gc.append(groove_consistency(s))
    return {
        "pieces": len(val),
        "pitch_class_entropy": float(np.nanmean(pce)),
        "groove_consistency": float(np.nanmean(gc)),
    }


def adherence(
    pipe: MusicPipeline, groups: int, per_group: int, bars: int, seed: int, sampling: dict | None = None
) -> dict:
    rng = np.random.default_rng(seed)
    rows = []
    ok = 0
    t0 = time.perf_counter()
    for g in range(groups):
        target = {
            "tempo": float(rng.uniform(60, 150)),
            "mode": float(rng.integers(0, 2)),
            "key": int(rng.integers(0, 12)),
        }
        for a in CONT:
            target[a] = pipe.bins.centre(a, int(rng.integers(0, 8)))
        target["articulation"] = min(target["articulation"], 8.0)
        target["chord_valence"] = float(np.clip(target["chord_valence"], -1, 1))
        pieces = pipe(
            attributes=target, bars=bars, seed=seed + g, num_pieces=per_group, progress=False, **(sampling or {})
        )
        for p in pieces:
            if p.score.note_num() == 0:
                continue
            try:
                m = extract_attributes(p.score)
            except Exception:
                continue
            ok += 1
            req = p.attributes_requested
            rows.append(
                {
                    "req": req,
                    "meas": m.to_dict(),
                    "pce": pitch_class_entropy(p.score),
                    "gc": groove_consistency(p.score),
                }
            )
        print(f"  group {g + 1}/{groups}: {len(rows)} pieces measured ({time.perf_counter() - t0:.0f} s)", flush=True)
    n = groups * per_group
    tempo_ok = [abs(r["meas"]["tempo"] - r["req"]["tempo"]) <= 0.05 * r["req"]["tempo"] for r in rows]
    mode_ok = [(r["meas"]["mode"] >= 0.5) == (r["req"]["mode"] >= 0.5) for r in rows]
    key_ok = [r["meas"]["key"] == r["req"]["key"] for r in rows]
    nd = ATTRIBUTES["note_density"]
    shared_bin_ok = [nd.bin(r["meas"]["note_density"]) == nd.bin(r["req"]["note_density"]) for r in rows]
    model_bin_ok = [
        pipe.bins.bin("note_density", r["meas"]["note_density"])
        == pipe.bins.bin("note_density", r["req"]["note_density"])
        for r in rows
    ]
    within_one = [
        abs(
            pipe.bins.bin("note_density", r["meas"]["note_density"])
            - pipe.bins.bin("note_density", r["req"]["note_density"])
        )
        <= 1
        for r in rows
    ]
    spearman = {}
    for a in ["tempo", *CONT]:
        x = [r["req"][a] for r in rows if r["meas"].get(a) is not None]
        y = [r["meas"][a] for r in rows if r["meas"].get(a) is not None]
        spearman[a] = round(float(spearmanr(x, y).statistic), 3) if len(x) > 3 else None
    return {
        "pieces_requested": n,
        "pieces_measured": len(rows),
        "share_decoded_ok": round(ok / n, 4),
        "bars_per_piece": bars,
        "tempo_within_5pct": round(float(np.mean(tempo_ok)), 4),
        "mode_correct": round(float(np.mean(mode_ok)), 4),
        "key_correct": round(float(np.mean(key_ok)), 4),
        "note_density_bin_correct_shared_bins": round(float(np.mean(shared_bin_ok)), 4),
        "note_density_bin_correct_model_bins": round(float(np.mean(model_bin_ok)), 4),
        "note_density_bin_within_one_model_bins": round(float(np.mean(within_one)), 4),
        "spearman_requested_vs_measured": spearman,
        "pitch_class_entropy": round(float(np.nanmean([r["pce"] for r in rows])), 3),
        "groove_consistency": round(float(np.nanmean([r["gc"] for r in rows])), 3),
        "seconds": round(time.perf_counter() - t0, 1),
    }


def speed(path: Path | None, sampling: dict | None = None) -> dict:
    t0 = time.perf_counter()
    pipe = MusicPipeline.from_pretrained(path)
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    pipe(attributes={"tempo": 100, "mode": 1.0}, bars=16, seed=0, progress=False, **(sampling or {}))
    cold = load_s + time.perf_counter() - t1
    warm, cpu = [], []
    for s in range(1):
        t, c = time.perf_counter(), time.process_time()
        pipe(attributes={"tempo": 100, "mode": 1.0}, bars=16, seed=s + 1, progress=False, **(sampling or {}))
        warm.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    tokens_16 = pipe.last_stats["tokens"]
    tps = tokens_16 / pipe.last_stats["seconds"]
    batch_tps = {}
    for n in (4, 8):
        pipe(attributes={"tempo": 100, "mode": 1.0}, bars=4, seed=0, num_pieces=n, progress=False, **(sampling or {}))
        batch_tps[n] = round(pipe.last_stats["tokens"] / pipe.last_stats["seconds"], 1)
    return {
        "load_s": round(load_s, 3),
        "piece_16_bars_incl_load_s": round(cold, 3),
        "piece_16_bars_warm_s": round(float(np.median(warm)), 3),
        "piece_16_bars_warm_cpu_s": round(float(np.median(cpu)), 3),
        "tokens_per_s_kv_cache_batch1": round(tps, 1),
        "tokens_per_cpu_s_kv_cache_batch1": round(tokens_16 / cpu[-1], 1),
        "tokens_per_s_kv_cache_batch4": batch_tps[4],
        "tokens_per_s_kv_cache_batch8": batch_tps[8],
    }


def emotion_direction(pipe: MusicPipeline, per: int, seed: int, sampling: dict | None = None) -> dict | None:
    """Quadrant of ``estimate_emotion(measured attributes)`` for pieces generated for each quadrant's emotion."""
    try:
        from studio.mapping import attributes_for
        from studio.mapping.music import estimate_emotion
    except ImportError as e:
        return {"skipped": str(e)}
    targets = {1: (0.7, 0.7), 2: (-0.7, 0.7), 3: (-0.7, -0.7), 4: (0.7, -0.7)}
    hits, rows, mode_ok, key_ok = 0, [], [], []
    for q, va in targets.items():
        music = attributes_for(va).music
        for p in pipe(attributes=music, bars=4, seed=seed + q, num_pieces=per, progress=False, **(sampling or {})):
            measured = extract_attributes(p.score)
            req = p.attributes_requested
            mode_ok.append((measured.mode >= 0.5) == (req["mode"] >= 0.5))
            key_ok.append(measured.key == req["key"])
            v, a = estimate_emotion(measured)
            got = 1 if v >= 0 and a >= 0 else 2 if a >= 0 else 3 if v < 0 else 4
            hits += got == q
            rows.append({"target_quadrant": q, "estimated": [round(v, 3), round(a, 3)], "quadrant": got})
    by_q = {
        q: round(float(np.mean([r["quadrant"] == q for r in rows if r["target_quadrant"] == q])), 3) for q in targets
    }
    return {
        "pieces": len(rows),
        "quadrant_accuracy": round(hits / len(rows), 4),
        "per_quadrant": by_q,
        "chance": 0.25,
        # Mode/key on the mapper's own (mutually consistent) targets, unlike the random grid above.
        "mode_correct_mapper_targets": round(float(np.mean(mode_ok)), 4),
        "key_correct_mapper_targets": round(float(np.mean(key_ok)), 4),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="48 pieces instead of 200")
    ap.add_argument("--smoke", action="store_true", help="2 pieces, to check the script runs (writes to /tmp)")
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bars", type=int, default=4, help="bars per adherence piece (default 4)")
    ap.add_argument("--guidance", type=float, default=None, help="override the pipeline's guidance default")
    ap.add_argument("--scale-bias", type=float, default=None, help="override the pipeline's scale-bias default")
    ap.add_argument("--density-gain", type=float, default=None, help="override the pipeline's density-gain default")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "music_gen.json")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    given = (("guidance", args.guidance), ("scale_bias", args.scale_bias), ("density_gain", args.density_gain))
    sampling = {k: v for k, v in given if v is not None}
    print("speed ...", flush=True)
    sp = speed(args.model, sampling)
    print(json.dumps(sp, indent=2))
    pipe = MusicPipeline.from_pretrained(args.model)
    groups, per = (6, 8) if args.quick else (25, 8)
    if args.smoke:
        groups, per, args.out = 1, 2, Path("/tmp/music_gen_smoke.json")
    print(f"adherence on {groups * per} pieces ...", flush=True)
    adh = adherence(pipe, groups, per, bars=args.bars, seed=args.seed, sampling=sampling)
    print(json.dumps(adh, indent=2))
    ref = reference_stats(5 if args.smoke else 60)
    emo = emotion_direction(pipe, 1 if args.smoke else 4 if args.quick else 8, args.seed, sampling)
    print("reference (held-out corpus):", ref)
    print("emotion direction:", emo)
    result = {
        "model": pipe.model_id,
        "training": {
            k: pipe.training.get(k) for k in ("steps", "tokens_seen", "wall_s", "final_train_loss", "final_val_loss")
        },
        "quick": args.quick,
        "sampling": {
            "guidance": DEFAULT_GUIDANCE,
            "scale_bias": DEFAULT_SCALE_BIAS,
            "density_gain": DEFAULT_DENSITY_GAIN,
            **sampling,
        },
        "speed": sp,
        "adherence": adh,
        "reference_val_corpus": ref,
        "emotion_direction": emo,
        "machine": {
            "cpu_threads": torch.get_num_threads(),
            "platform": platform.platform(),
            "load_avg": list(__import__("os").getloadavg()),
        },
    }
    write_json_atomic(args.out, result)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
