"""Fit the image-emotion critic on OASIS and write ``checkpoints/image-critic/`` (v2) or ``image-critic-v1/``.

    .venv/bin/python tools/fit_image_critic.py                   # v2: EfficientNet-Lite + features, ridge
    .venv/bin/python tools/fit_image_critic.py --compare         # v2 CV figures for each installed lite0/1/2 first
    .venv/bin/python tools/fit_image_critic.py --critic v1       # the v1 feature critic

Split: OASIS themes are grouped into families by stripping the trailing number ("Dog 3" -> "Dog");
~20% of families (chosen by a hash of the name, so the split never changes) are held out for
``bench/bench_image_critic.py`` and never seen here. Hyper-parameters (ridge alpha, MLP width and
weight decay, and whether to average ridge with the MLP) are chosen per target by 5-fold
family-grouped cross-validation on the remaining families; the chosen models are refitted on all
of them (v1). For v2, the ridge alpha and the weights of the feature blocks (a second view, stage
taps, the interpretable features) are chosen per target the same way (``tools/fit_image_critic_v2.py``).
OASIS images are only read to compute features, never shown or copied.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
import sys
import time
from pathlib import Path

import numpy as np

TEST_SHARE = 0.2
ALPHAS = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0)
MLP_GRID = ((16,), (32,), (64,))
MLP_ALPHAS = (0.1, 1.0, 3.0)
MIN_GAIN = 0.02  # CV r the MLP (or ridge+MLP mean) must gain over the ridge to be chosen


DEFAULT_VARIANT = "lite1"  # chosen by --compare: best CV valence at ~80 ms per image (see models/image-critic)


def family(theme: str) -> str:
    return re.sub(r"\s*\d+$", "", theme.strip())


def is_test_family(fam: str) -> bool:
    """Deterministic ~20% hold-out by family name."""
    return int(hashlib.sha1(fam.lower().encode()).hexdigest()[:8], 16) % 1000 < TEST_SHARE * 1000


def load_oasis(root: Path) -> list[dict]:
    rows = []
    with (root / "oasis" / "OASIS.csv").open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            theme = r["Theme"].strip()
            rows.append(
                {
                    "theme": theme,
                    "family": family(theme),
                    "path": root / "oasis" / "images" / f"{theme}.jpg",
                    "valence": (float(r["Valence_mean"]) - 4.0) / 3.0,
                    "arousal": (float(r["Arousal_mean"]) - 4.0) / 3.0,
                }
            )
    return rows


def valdez_block(b_mean: float, b_sd: float, s_mean: float, s_sd: float) -> dict:
    """The critic config's Valdez & Mehrabian block: how OASIS standardises mean brightness and saturation,
    and the formula's weights (``studio.mapping.visual``'s one definition)."""
    from studio.mapping.visual import VALDEZ_A, VALDEZ_D, VALDEZ_P

    return {
        "brightness_mean": float(b_mean),
        "brightness_sd": float(b_sd),
        "saturation_mean": float(s_mean),
        "saturation_sd": float(s_sd),
        "pleasure": list(VALDEZ_P),
        "arousal": list(VALDEZ_A),
        "dominance": list(VALDEZ_D),
    }


def data_block(train: np.ndarray, test: np.ndarray, groups: np.ndarray) -> dict:
    """The critic config's data block: OASIS, the theme-family split and its sizes."""
    return {
        "dataset": "OASIS (Kurdi, Lozano & Banaji 2017), 900 images, V/A 1-7 -> (x-4)/3",
        "split": "families = Theme minus trailing number; sha1(family) % 1000 < 200 held out",
        "train_images": int(train.sum()),
        "test_images": int(test.sum()),
        "test_families": sorted(set(groups[test])),
    }


def features_for(rows: list[dict], cache: Path | None = None) -> np.ndarray:
    """Feature matrix ``[n, F]`` (cached under /tmp by default: derived numbers, not images)."""
    from studio.critics.image import read_image
    from studio.critics.image_features import FEATURE_NAMES, extract_features

    key = hashlib.sha1(("|".join(FEATURE_NAMES) + Path(__file__).read_text()[:0]).encode()).hexdigest()[:10]
    if cache is not None and (cache / f"oasis_{key}.npy").exists():
        return np.load(cache / f"oasis_{key}.npy")
    X = np.stack([extract_features(read_image(r["path"])[0]) for r in rows])
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        np.save(cache / f"oasis_{key}.npy", X)
    return X


def _mlp(hidden, alpha, seed=0):
    from sklearn.neural_network import MLPRegressor

    return MLPRegressor(
        hidden_layer_sizes=hidden, alpha=alpha, max_iter=2000, early_stopping=False, random_state=seed, tol=1e-5
    )


def cv_select(X: np.ndarray, y: np.ndarray, groups: np.ndarray) -> dict:
    """Family-grouped 5-fold CV over ridge alphas, MLP settings and the ridge+MLP average."""
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import GroupKFold

    folds = list(GroupKFold(5).split(X, y, groups))

    def oof(make):
        pred = np.zeros_like(y)
        for tr, te in folds:
            mu, sd = X[tr].mean(0), X[tr].std(0) + 1e-9
            m = make().fit((X[tr] - mu) / sd, y[tr])
            pred[te] = m.predict((X[te] - mu) / sd)
        return pred

    r = lambda p: float(np.corrcoef(p, y)[0, 1])  # noqa: E731
    ridge = {a: oof(lambda a=a: Ridge(alpha=a)) for a in ALPHAS}
    best_a = max(ridge, key=lambda a: r(ridge[a]))
    mlps = {(h, al): oof(lambda h=h, al=al: _mlp(h, al)) for h in MLP_GRID for al in MLP_ALPHAS}
    best_m = max(mlps, key=lambda k: r(mlps[k]))
    cands = {"ridge": ridge[best_a], "mlp": mlps[best_m], "mean": 0.5 * (ridge[best_a] + mlps[best_m])}
    # Prefer the ridge unless the MLP clearly wins: a linear head extrapolates more sanely to paintings,
    # which are far from OASIS photographs.
    kind = max(cands, key=lambda k: r(cands[k]))
    if r(cands[kind]) - r(cands["ridge"]) < MIN_GAIN:
        kind = "ridge"
    resid = float(np.std(y - cands[kind]))
    return {
        "kind": kind,
        "ridge_alpha": best_a,
        "mlp_hidden": list(best_m[0]),
        "mlp_alpha": best_m[1],
        "cv_r": {k: round(r(v), 4) for k, v in cands.items()},
        "cv_residual_sd": round(resid, 4),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--critic", choices=("v2", "v1"), default="v2", help="which critic to fit (default v2)")
    ap.add_argument("--out", default=None, help="checkpoint folder (default checkpoints/image-critic[-v1])")
    ap.add_argument("--cache", default="/tmp/studio-image-critic-cache")
    ap.add_argument("--variant", default=DEFAULT_VARIANT, help=f"v2 backbone (default {DEFAULT_VARIANT})")
    ap.add_argument("--compare", action="store_true", help="v2: print CV figures of every installed variant first")
    args = ap.parse_args(argv)
    if args.critic == "v2":
        from fit_image_critic_v2 import fit_v2

        return fit_v2(args)
    return fit_v1(args)


def fit_v1(args: argparse.Namespace) -> int:
    from sklearn.linear_model import Ridge

    from studio.critics.image import save_head
    from studio.critics.image_features import FEATURE_NAMES
    from studio.paths import checkpoint, data_root

    t0 = time.time()
    rows = load_oasis(data_root())
    X = features_for(rows, Path(args.cache) if args.cache else None)
    test = np.array([is_test_family(r["family"]) for r in rows])
    tr = ~test
    groups = np.array([r["family"] for r in rows])
    Y = np.array([[r["valence"], r["arousal"]] for r in rows])
    print(f"features {X.shape} in {time.time() - t0:.1f}s; train {tr.sum()} images / {len(set(groups[tr]))} families")

    mu, sd = X[tr].mean(0), X[tr].std(0)
    sd = np.where(sd > 1e-6, sd, 1.0)  # a constant feature must not blow up z-scores elsewhere
    Z = (X[tr] - mu) / sd
    tensors: dict[str, np.ndarray] = {"feature_mean": mu, "feature_scale": sd}
    targets = {}
    for j, name in enumerate(("valence", "arousal")):
        sel = cv_select(X[tr], Y[tr, j], groups[tr])
        print(name, sel)
        ridge = Ridge(alpha=sel["ridge_alpha"]).fit(Z, Y[tr, j])
        tensors[f"{name}.ridge.coef"] = ridge.coef_
        tensors[f"{name}.ridge.intercept"] = np.array([ridge.intercept_])
        if sel["kind"] != "ridge":
            mlp = _mlp(tuple(sel["mlp_hidden"]), sel["mlp_alpha"]).fit(Z, Y[tr, j])
            for i, (w, b) in enumerate(zip(mlp.coefs_, mlp.intercepts_)):
                tensors[f"{name}.mlp.{i}.weight"] = w
                tensors[f"{name}.mlp.{i}.bias"] = b
        targets[name] = sel

    # Valdez & Mehrabian standardisation of mean brightness/saturation (baseline and dominance prior).
    bi, si = FEATURE_NAMES.index("brightness_mean"), FEATURE_NAMES.index("saturation_mean")
    config = {
        "name": "image-critic",
        "version": "1.0",
        "feature_names": list(FEATURE_NAMES),
        "targets": targets,
        "valdez": valdez_block(mu[bi], sd[bi], mu[si], sd[si]),
        "data": data_block(tr, test, groups),
        "model_selection": f"per target: ridge unless MLP or ridge+MLP mean gains >= {MIN_GAIN} CV r",
        "fit_seconds": round(time.time() - t0, 1),
    }
    out = Path(args.out) if args.out else checkpoint("image-critic-v1")
    save_head(out, config, tensors)
    print(f"wrote {out} in {time.time() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
