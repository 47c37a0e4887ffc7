"""Benchmark the image-emotion critic on OASIS themes it never saw.

    .venv/bin/python bench/bench_image_critic.py    # prints figures, writes bench/results/image_critic.json

The held-out set is the ~20% of OASIS theme families (``"Dog 3" -> "Dog"``) chosen by hash in
``tools/fit_image_critic.py``; every image goes through the released path (``ImageCritic`` on the
file). Figures, for valence and arousal: Pearson r (with a 95% family-bootstrap interval) and MAE of
the critic against the OASIS means mapped to [-1, 1], next to the bare Valdez & Mehrabian (1994)
equations on standardised brightness/saturation (the baseline; r does not care about its scale);
quadrant agreement; mean confidence; seconds per image. OASIS images are read for features only.
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
from studio.io import write_json_atomic  # noqa: E402
from studio.paths import data_root  # noqa: E402

TARGETS = {"valence": 0.55, "arousal": 0.45}


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


def main() -> int:
    critic = ImageCritic.from_pretrained()
    rows = [r for r in load_oasis(data_root()) if is_test_family(r["family"])]
    fams = np.array([r["family"] for r in rows])
    Y = np.array([[r["valence"], r["arousal"]] for r in rows])
    t0 = time.perf_counter()
    readings = [critic(r["path"]) for r in rows]
    per_image = (time.perf_counter() - t0) / len(rows)
    P = np.array([[rd.valence, rd.arousal] for rd in readings])
    X = np.array([list(rd.details["features"].values()) for rd in readings])
    B = critic.valdez(X)[:, :2]
    quad = lambda v, a: np.where(v >= 0, np.where(a >= 0, 1, 4), np.where(a >= 0, 2, 3))  # noqa: E731
    result = {
        "benchmark": "image-critic",
        "critic": critic.name,
        "data": f"OASIS held-out families: {len(rows)} images, {len(set(fams))} families (never used in fitting)",
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
        "note": "single process on a shared 2-core CPU; other jobs may have been running",
        "seconds_per_image": round(per_image, 4),
        "mean_confidence": round(float(np.mean([rd.confidence for rd in readings])), 3),
        "quadrant_agreement": round(float(np.mean(quad(P[:, 0], P[:, 1]) == quad(Y[:, 0], Y[:, 1]))), 3),
        "quadrant_agreement_valdez": round(float(np.mean(quad(B[:, 0], B[:, 1]) == quad(Y[:, 0], Y[:, 1]))), 3),
        "cv": {k: critic.config["targets"][k]["cv_r"] for k in TARGETS},
    }
    for j, name in enumerate(TARGETS):
        result[name] = {
            "pearson_r": round(pearson(P[:, j], Y[:, j]), 3),
            "pearson_r_95ci": bootstrap_r(P[:, j], Y[:, j], fams),
            "mae": round(float(np.abs(P[:, j] - Y[:, j]).mean()), 3),
            "valdez_pearson_r": round(pearson(B[:, j], Y[:, j]), 3),
            "target_r": TARGETS[name],
            "meets_target": bool(pearson(P[:, j], Y[:, j]) >= TARGETS[name]),
        }
    for name in TARGETS:
        d = result[name]
        print(
            f"{name:8s} r {d['pearson_r']:+.3f} {d['pearson_r_95ci']} (target {d['target_r']}), "
            f"MAE {d['mae']:.3f}; Valdez baseline r {d['valdez_pearson_r']:+.3f}"
        )
    print(
        f"quadrant agreement {result['quadrant_agreement']:.3f} (Valdez {result['quadrant_agreement_valdez']:.3f}); "
        f"mean confidence {result['mean_confidence']:.2f}; {per_image * 1000:.0f} ms/image"
    )
    out = ROOT / "bench" / "results" / "image_critic.json"
    write_json_atomic(out, result)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
