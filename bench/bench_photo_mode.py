"""Photo mode: does the painting keep what the photo shows while its emotion moves? Measured, not tuned.

    .venv/bin/python bench/bench_photo_mode.py     # prints figures, writes bench/results/photo_mode.json

Photos: 3 held-out OASIS scenery/object photographs (read only; no image, name or crop is written).
Each is painted (``studio.paint(photo=..., candidates=1)``, 256 px) toward 4 targets at the quadrant
diagonals (radius 0.75) at photo strengths 0.3 / 0.6 / 0.9. Figures per strength:

* content kept: cosine similarity of the EfficientNet-Lite pooled features (critic v2's backbone)
  between photo and painting; for scale, the same similarity between two *different* photos;
* emotion moved: VA distance to the target by critic v2, and by the v1 feature critic (independent);
  the photo's own v2 distance to the target is the starting point.

A second question: among 3 candidates, does choosing by ``v2 distance - 0.5 x cosine`` keep more of
the photo than choosing by v2 distance alone, and at what cost in distance? (Equal compute.)
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from fit_image_critic import is_test_family, load_oasis  # noqa: E402

from studio.art import paint  # noqa: E402
from studio.critics.backbone import pooled_features  # noqa: E402
from studio.critics.image import default_critic, read_image  # noqa: E402
from studio.io import write_json_atomic  # noqa: E402
from studio.paths import data_root  # noqa: E402
from studio.seeding import candidate_seed  # noqa: E402

R = 0.75 / np.sqrt(2)
TARGETS = ((R, R), (-R, R), (-R, -R), (R, -R))
STRENGTHS = (0.3, 0.6, 0.9)
SIZE = 256
N_PHOTOS = 3
LAMBDA = 0.5


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def main() -> int:
    import csv

    import torch

    torch.set_num_threads(1)
    v2, v1 = default_critic("v2"), default_critic("v1")
    variant = v2.variant
    root = data_root()
    with (root / "oasis" / "OASIS.csv").open(newline="", encoding="utf-8") as fh:
        category = {r["Theme"].strip(): r["Category"] for r in csv.DictReader(fh)}
    rows = [
        r for r in load_oasis(root) if is_test_family(r["family"]) and category.get(r["theme"]) in ("Scenery", "Object")
    ]
    rows = sorted(rows, key=lambda r: r["theme"])[:: max(1, len(rows) // N_PHOTOS)][:N_PHOTOS]
    photos = [read_image(r["path"])[0] for r in rows]
    feats = [pooled_features(p, variant) for p in photos]
    between = [cosine(feats[i], feats[j]) for i in range(len(feats)) for j in range(i + 1, len(feats))]
    per = {s: {"cos": [], "v2": [], "v1": []} for s in STRENGTHS}
    start = []
    pick = {"by_distance": {"cos": [], "v2": []}, "by_distance_and_content": {"cos": [], "v2": []}}
    for k, (photo, f) in enumerate(zip(photos, feats)):
        for t in TARGETS:
            start.append(v2(photo).distance(t))
            for s in STRENGTHS:
                res = paint(t, seed=k, size=SIZE, photo=photo, strength=s, progress=False)
                per[s]["cos"].append(cosine(f, pooled_features(res.image, variant)))
                per[s]["v2"].append(res.reading.distance(t))
                per[s]["v1"].append(v1(res.image).distance(t))
            cands = []
            for i in range(3):  # equal compute for both choosers: the same 3 candidates
                img = paint(
                    t, seed=candidate_seed(k, "painting", i), size=SIZE, photo=photo, progress=False, reaim=False
                ).image
                cands.append((v2(img).distance(t), cosine(f, pooled_features(img, variant))))
            a = min(cands, key=lambda c: c[0])
            b = min(cands, key=lambda c: c[0] - LAMBDA * c[1])
            for key, c in (("by_distance", a), ("by_distance_and_content", b)):
                pick[key]["cos"].append(c[1])
                pick[key]["v2"].append(c[0])
    med = lambda x: round(float(np.median(x)), 3)  # noqa: E731
    result = {
        "benchmark": "photo-mode",
        "photos": f"{len(photos)} held-out OASIS scenery/object photographs (not written anywhere)",
        "targets": [list(map(float, t)) for t in TARGETS],
        "size": SIZE,
        "backbone": f"efficientnet-{variant}",
        "cosine_between_different_photos_median": med(between),
        "photo_v2_distance_to_target_median": med(start),
        "per_strength": {str(s): {k: med(v) for k, v in d.items()} for s, d in per.items()},
        "choose_of_3": {k: {m: med(v) for m, v in d.items()} for k, d in pick.items()},
        "lambda": LAMBDA,
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
    }
    print(f"median cosine between different photos: {result['cosine_between_different_photos_median']:.3f}; "
          f"photo's own v2 distance to target: {result['photo_v2_distance_to_target_median']:.3f}")  # fmt: skip
    for s, d in result["per_strength"].items():
        print(f"strength {s}: content cosine {d['cos']:.3f}, v2 distance {d['v2']:.3f}, v1 distance {d['v1']:.3f}")
    for k, d in result["choose_of_3"].items():
        print(f"best of 3 {k}: content cosine {d['cos']:.3f}, v2 distance {d['v2']:.3f}")
    out = ROOT / "bench" / "results" / "photo_mode.json"
    write_json_atomic(out, result)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
