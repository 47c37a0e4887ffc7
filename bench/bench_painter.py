"""Benchmark the CPU painter: speed, diversity across seeds, and whether the emotion asked for is the
emotion measured.

    .venv/bin/python bench/bench_painter.py            # prints figures, writes bench/results/painter.json
    .venv/bin/python bench/bench_painter.py --quick    # fewer seeds/targets (smoke run)

Figures:
* time: seconds per 512x512 painting (mean/std over seeds and emotions, single process), per style.
* diversity: mean pairwise pixel difference and 1 - correlation of 32x32 thumbnails across seeds.
* fidelity: over a grid of (valence, arousal) targets, the Pearson r and MAE between the target and
  (a) the bare Valdez & Mehrabian estimate from measured brightness/saturation, and (b) the image
  critic when ``studio.critics.image`` is importable; plus requested-vs-measured r per attribute.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from studio.art.painter import STYLES, CPUPainter  # noqa: E402
from studio.attributes.visual import extract_visual_attributes  # noqa: E402
from studio.io import write_json_atomic  # noqa: E402
from studio.mapping.visual import estimate_emotion, visual_attributes_for  # noqa: E402

SCALARS = ("brightness", "saturation", "warmth", "value_contrast", "key", "angularity", "diagonal_share", "empty_space")


def _r(x, y) -> float:
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.std() < 1e-9 or y.std() < 1e-9:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def bench_time(painter: CPUPainter, seeds: list[int], size: int) -> dict:
    times, cpu = [], []
    for name, seed in itertools.product(("serene", "furious"), seeds):
        attrs = visual_attributes_for(name)
        t, c = time.perf_counter(), time.process_time()
        painter(attrs, seed=seed, size=(size, size))
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)  # CPU seconds: comparable across machine load
    per_style = {}
    attrs = visual_attributes_for("joyful")
    for style in STYLES:
        t = time.perf_counter()
        painter(attrs, seed=seeds[0], size=(size, size), style=style)
        per_style[style] = round(time.perf_counter() - t, 3)
    return {
        "size": size,
        "n": len(times),
        "mean_s": round(float(np.mean(times)), 3),
        "std_s": round(float(np.std(times)), 3),
        "max_s": round(float(np.max(times)), 3),
        "cpu_mean_s": round(float(np.mean(cpu)), 3),
        "load_avg_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "per_style_s": per_style,
    }


def bench_diversity(painter: CPUPainter, seeds: list[int], size: int) -> dict:
    out = {}
    for name in ("serene", "furious"):
        attrs = visual_attributes_for(name)
        imgs = [painter(attrs, seed=s, size=(size, size)).astype(np.float32) for s in seeds]
        thumbs = [im.reshape(32, size // 32, 32, size // 32, 3).mean(axis=(1, 3, 4)).ravel() for im in imgs]
        mad, decor = [], []
        for i, j in itertools.combinations(range(len(imgs)), 2):
            mad.append(np.abs(imgs[i] - imgs[j]).mean())
            decor.append(1.0 - _r(thumbs[i], thumbs[j]))
        out[name] = {
            "pixel_mad_0_255": round(float(np.mean(mad)), 2),
            "thumb_1_minus_r": round(float(np.mean(decor)), 3),
        }
    return out


def bench_fidelity(painter: CPUPainter, levels: list[float], size: int, seed: int) -> dict:
    critic_note = None
    try:
        from PIL import Image

        from studio.critics.image import judge_image

        judge_image(Image.new("RGB", (64, 64), (128, 128, 128)))  # fails fast when weights are absent
    except (ImportError, FileNotFoundError, OSError, RuntimeError) as e:
        judge_image, critic_note = None, f"image critic unavailable: {e}"
        print(f"  ({critic_note})")
    targets, valdez, critic, req, meas = [], [], [], {k: [] for k in SCALARS}, {k: [] for k in SCALARS}
    for v, a in itertools.product(levels, levels):
        attrs = visual_attributes_for((v, a))
        img = painter(attrs, seed=seed, size=(size, size))
        m = extract_visual_attributes(img)
        targets.append((v, a))
        valdez.append(estimate_emotion(m))
        if judge_image is not None:
            from PIL import Image

            rd = judge_image(Image.fromarray(img))
            critic.append((rd.valence, rd.arousal))
        for k in SCALARS:
            req[k].append(getattr(attrs, k))
            meas[k].append(getattr(m, k))
    t = np.array(targets)

    def score(est) -> dict:
        e = np.array(est)
        return {
            "valence_r": round(_r(t[:, 0], e[:, 0]), 3),
            "arousal_r": round(_r(t[:, 1], e[:, 1]), 3),
            "valence_mae": round(float(np.abs(t[:, 0] - e[:, 0]).mean()), 3),
            "arousal_mae": round(float(np.abs(t[:, 1] - e[:, 1]).mean()), 3),
        }

    return {
        "grid": levels,
        "n_targets": len(targets),
        "size": size,
        "valdez_from_measured_bs": score(valdez),
        "image_critic": score(critic) if critic else None,
        "image_critic_note": critic_note,
        "attribute_r": {k: round(_r(req[k], meas[k]), 3) for k in SCALARS},
        "attribute_mae": {k: round(float(np.abs(np.array(req[k]) - np.array(meas[k])).mean()), 3) for k in SCALARS},
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="3 seeds, 3x3 grid")
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "painter.json"))
    args = p.parse_args(argv)
    seeds = [0, 1, 2] if args.quick else [0, 1, 2, 3, 4]
    levels = [-0.8, 0.0, 0.8] if args.quick else [-0.8, -0.4, 0.0, 0.4, 0.8]
    painter = CPUPainter()
    painter(visual_attributes_for("calm"), seed=0, size=(128, 128))  # warm-up (imports, caches)

    timing = bench_time(painter, seeds, 512)
    print(
        f"time 512x512: {timing['mean_s']:.3f} s wall +- {timing['std_s']:.3f} (max {timing['max_s']:.3f}, "
        f"n={timing['n']}), {timing['cpu_mean_s']:.3f} s CPU; load average {timing['load_avg_1min']}"
    )
    print("  per style: " + ", ".join(f"{k} {v:.2f}s" for k, v in timing["per_style_s"].items()))
    diversity = bench_diversity(painter, seeds, 256)
    for k, d in diversity.items():
        print(f"diversity {k}: pixel MAD {d['pixel_mad_0_255']:.1f}/255, thumbnail 1-r {d['thumb_1_minus_r']:.2f}")
    fidelity = bench_fidelity(painter, levels, 256, seed=0)
    vz = fidelity["valdez_from_measured_bs"]
    print(
        f"fidelity ({fidelity['n_targets']} VA targets): Valdez estimate from measured B/S: "
        f"V r={vz['valence_r']:.3f} (MAE {vz['valence_mae']:.3f}), A r={vz['arousal_r']:.3f} (MAE {vz['arousal_mae']:.3f})"
    )
    if fidelity["image_critic"]:
        c = fidelity["image_critic"]
        print(
            f"  image critic: V r={c['valence_r']:.3f} (MAE {c['valence_mae']:.3f}), A r={c['arousal_r']:.3f} (MAE {c['arousal_mae']:.3f})"
        )
    else:
        print(f"  image critic: not available ({fidelity['image_critic_note']})")
    print("  requested vs measured r: " + ", ".join(f"{k} {v:.2f}" for k, v in fidelity["attribute_r"].items()))

    result = {
        "benchmark": "cpu-painter",
        "machine": {"python": platform.python_version(), "processor": platform.processor() or platform.machine()},
        "note": "single process on a shared 2-core CPU; other jobs may have been running",
        "time": timing,
        "diversity": diversity,
        "fidelity": fidelity,
    }
    write_json_atomic(args.out, result)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
