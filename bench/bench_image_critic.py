"""Benchmark the image-emotion critics (v2 released, v1 beside it) on OASIS themes they never saw.

    .venv/bin/python bench/bench_image_critic.py    # prints figures, writes bench/results/image_critic.json

The held-out set is the ~20% of OASIS theme families (``"Dog 3" -> "Dog"``) chosen by hash in
``tools/fit_image_critic.py``; every image goes through the released path (``ImageCritic`` on the
file). Figures, for valence and arousal: Pearson r (with a 95% family-bootstrap interval) and MAE of
the critic against the OASIS means mapped to [-1, 1], next to the bare Valdez & Mehrabian (1994)
equations on standardised brightness/saturation (the baseline; r does not care about its scale);
quadrant agreement; calibration of the confidence (mean confidence against how often the top
quadrant is right, and the expected calibration error over 5 bins); the share of held-out photographs
the critic abstains on; CPU seconds per 512 x 512 image on one thread (decode excluded, backbone
loaded). OASIS images are read for features only.
"""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from fit_image_critic import is_test_family, load_oasis  # noqa: E402

from studio.critics.image import ImageCritic  # noqa: E402
from studio.critics.image_v1 import FeatureCritic  # noqa: E402
from studio.io import write_json_atomic  # noqa: E402
from studio.paths import data_root  # noqa: E402

TARGETS = {"valence": 0.55, "arousal": 0.55}
MAX_SECONDS_512 = 0.3


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1])


def bootstrap_r(pred: np.ndarray, y: np.ndarray, fams: np.ndarray, n: int = 1000) -> list[float]:
    """95% interval of r, resampling whole families (images of one theme are not independent)."""
    rng = np.random.default_rng(0)
    uniq = np.unique(fams)
    idx = {f: np.flatnonzero(fams == f) for f in uniq}
    rs = []
    for _ in range(n):
        sel = np.concatenate([idx[f] for f in rng.choice(uniq, len(uniq))])
        if np.std(pred[sel]) > 0 and np.std(y[sel]) > 0:
            rs.append(pearson(pred[sel], y[sel]))
    return [round(float(x), 3) for x in np.percentile(rs, [2.5, 97.5])]


def quadrant(v: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.where(v >= 0, np.where(a >= 0, 1, 4), np.where(a >= 0, 2, 3))


def calibration(conf: np.ndarray, right: np.ndarray, bins: int = 5) -> dict:
    """Mean confidence vs accuracy of the top quadrant, and the expected calibration error."""
    edges = np.quantile(conf, np.linspace(0, 1, bins + 1))
    idx = np.clip(np.searchsorted(edges, conf, side="right") - 1, 0, bins - 1)
    ece = sum(
        abs(conf[idx == b].mean() - right[idx == b].mean()) * (idx == b).mean() for b in range(bins) if (idx == b).any()
    )
    return {
        "mean_confidence": round(float(conf.mean()), 3),
        "top_quadrant_accuracy": round(float(right.mean()), 3),
        "ece_5_bins": round(float(ece), 3),
    }


def cpu_time_512(critic: ImageCritic, n: int = 8) -> float:
    """CPU seconds per 512 x 512 image on one thread (photo-like test images made here)."""
    import torch
    from PIL import Image

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:512, 0:512] / 512
    imgs = []
    for _ in range(n):
        base = np.stack([0.3 + 0.5 * y, 0.5 + 0.3 * np.sin(6 * x), 0.8 - 0.4 * y], -1) + rng.normal(
            0, 0.05, (512, 512, 3)
        )
        imgs.append(Image.fromarray((np.clip(base, 0, 1) * 255).astype(np.uint8)))
    critic.read(imgs[0])  # load the backbone once
    t = time.process_time()
    for im in imgs:
        critic.read(im)
    return (time.process_time() - t) / n


def evaluate(critic, rows, Y, fams) -> tuple[dict, np.ndarray, list]:
    t0 = time.perf_counter()
    readings = [critic(r["path"]) for r in rows]
    per_image = (time.perf_counter() - t0) / len(rows)
    P = np.array([[rd.valence, rd.arousal] for rd in readings])
    conf = np.array([rd.confidence for rd in readings])
    right = quadrant(P[:, 0], P[:, 1]) == quadrant(Y[:, 0], Y[:, 1])
    out = {
        "critic": critic.name,
        "seconds_per_image_wall": round(per_image, 4),
        "quadrant_agreement": round(float(right.mean()), 3),
        "calibration": calibration(conf, right.astype(float)),
        "abstained_share": round(float(np.mean([bool(rd.details.get("abstain")) for rd in readings])), 4),
    }
    for j, name in enumerate(TARGETS):
        out[name] = {
            "pearson_r": round(pearson(P[:, j], Y[:, j]), 3),
            "pearson_r_95ci": bootstrap_r(P[:, j], Y[:, j], fams),
            "mae": round(float(np.abs(P[:, j] - Y[:, j]).mean()), 3),
        }
    return out, P, readings


def main() -> int:
    import torch

    torch.set_num_threads(1)
    critic, v1 = ImageCritic.from_pretrained(), FeatureCritic.from_pretrained()
    rows = [r for r in load_oasis(data_root()) if is_test_family(r["family"])]
    fams = np.array([r["family"] for r in rows])
    Y = np.array([[r["valence"], r["arousal"]] for r in rows])
    res2, P, readings = evaluate(critic, rows, Y, fams)
    res1, _, _ = evaluate(v1, rows, Y, fams)
    H = np.array([list(rd.details["features"].values()) for rd in readings])
    B = critic.valdez(H)[:, :2]
    cpu = cpu_time_512(critic)
    result = {
        "benchmark": "image-critic",
        "critic": critic.name,
        "backbone": critic.config["backbone"],
        "data": f"OASIS held-out families: {len(rows)} images, {len(set(fams))} families (never used in fitting)",
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
        "note": "one torch thread on a shared 2-core CPU; other jobs may have been running",
        "cpu_seconds_per_512_image": round(cpu, 4),
        "max_cpu_seconds_per_512_image": MAX_SECONDS_512,
        "v2": res2,
        "v1": res1,
        "cv": {k: critic.config["targets"][k]["cv_r"] for k in TARGETS},
        "quadrant_agreement_valdez": round(float(np.mean(quadrant(B[:, 0], B[:, 1]) == quadrant(Y[:, 0], Y[:, 1]))), 3),
    }
    for j, name in enumerate(TARGETS):
        result[name] = res2[name] | {
            "v1_pearson_r": res1[name]["pearson_r"],
            "valdez_pearson_r": round(pearson(B[:, j], Y[:, j]), 3),
            "target_r": TARGETS[name],
            "meets_target": bool(res2[name]["pearson_r"] >= TARGETS[name]),
        }
    for name in TARGETS:
        d = result[name]
        print(
            f"{name:8s} r {d['pearson_r']:+.3f} {d['pearson_r_95ci']} (bar {d['target_r']}), MAE {d['mae']:.3f}; "
            f"v1 r {d['v1_pearson_r']:+.3f}; Valdez formula r {d['valdez_pearson_r']:+.3f}"
        )
    c = res2["calibration"]
    print(
        f"quadrant agreement {res2['quadrant_agreement']:.3f} (v1 {res1['quadrant_agreement']:.3f}, Valdez "
        f"{result['quadrant_agreement_valdez']:.3f}); confidence {c['mean_confidence']:.2f} vs top-quadrant accuracy "
        f"{c['top_quadrant_accuracy']:.2f} (ECE {c['ece_5_bins']:.3f}); abstained on {res2['abstained_share']:.1%}"
    )
    print(f"CPU time per 512x512 image, one thread: {cpu:.3f} s (bar {MAX_SECONDS_512} s)")
    out = ROOT / "bench" / "results" / "image_critic.json"
    write_json_atomic(out, result)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
