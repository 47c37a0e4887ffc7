"""Fit and evaluate the music-emotion critic on EMOPIA.

Model selection and temperature use the validation split only; the test split (88 clips,
song-disjoint) is scored once, for the reported number::

    python -m studio.critics.music fit [--data ../shared/data] [--out checkpoints/music-critic]
    python -m studio.critics.music eval [--split test]
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np

from studio.critics.features import NUM_FEATURES
from studio.critics.music import MusicCritic, MusicCriticConfig, features_of

SPLITS = ("train", "val", "test")


def load_split(data_root: Path, split: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Features ``[N, F]``, quadrant labels ``[N]`` (1-4) and clip names of an EMOPIA split."""
    root = Path(data_root) / "emopia"
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    labels = {r["ID"]: int(r["4Q"]) for r in csv.DictReader(open(root / "label.csv"))}
    names = [r["clip_name"] for r in csv.DictReader(open(root / "split" / f"{split}_clip.csv"))]
    X = np.stack([features_of(root / "midis" / n) for n in names]).astype(np.float64)
    y = np.array([labels[Path(n).stem] for n in names])
    return X, y, names


def metrics(probs: np.ndarray, y: np.ndarray, n_bins: int = 10) -> dict:
    """4Q / arousal / valence accuracy, NLL, ECE (top-class, ``n_bins`` equal-width) and confusion.

    Args:
        probs: ``[N, 4]`` quadrant probabilities. y: ``[N]`` labels 1-4.
    """
    pred = probs.argmax(1) + 1
    aro = lambda q: q <= 2  # noqa: E731
    val = lambda q: (q == 1) | (q == 4)  # noqa: E731
    conf = probs.max(1)
    correct = pred == y
    ece = 0.0
    edges = np.linspace(0, 1, n_bins + 1)
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            ece += m.mean() * abs(correct[m].mean() - conf[m].mean())
    cm = np.zeros((4, 4), int)
    for t, p in zip(y, pred):
        cm[t - 1, p - 1] += 1
    return {
        "n": int(len(y)),
        "acc_4q": round(float(correct.mean()), 4),
        "acc_arousal": round(float((aro(pred) == aro(y)).mean()), 4),
        "acc_valence": round(float((val(pred) == val(y)).mean()), 4),
        "nll": round(float(-np.log(np.clip(probs[np.arange(len(y)), y - 1], 1e-9, 1)).mean()), 4),
        "ece": round(float(ece), 4),
        "confusion": cm.tolist(),
    }


def _fit_members(Xz: np.ndarray, y: np.ndarray, C: float, mlps: int, hidden: int, alpha: float, seed: int) -> dict:
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    lr = LogisticRegression(C=C, max_iter=5000).fit(Xz, y)
    w = {"lr_W": lr.coef_.T.copy(), "lr_b": lr.intercept_.copy()}
    for i in range(mlps):
        m = MLPClassifier((hidden,), alpha=alpha, max_iter=3000, random_state=seed + i).fit(Xz, y)
        w |= {
            f"mlp{i}_W1": m.coefs_[0],
            f"mlp{i}_b1": m.intercepts_[0],
            f"mlp{i}_W2": m.coefs_[1],
            f"mlp{i}_b2": m.intercepts_[1],
        }
    return w


def _temperature(critic: MusicCritic, X: np.ndarray, y: np.ndarray) -> float:
    logits = critic.logits(X)
    best = (np.inf, 1.0)
    for t in np.exp(np.linspace(np.log(0.3), np.log(4.0), 120)):
        z = logits / t
        lp = z - np.log(np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True)) - z.max(1, keepdims=True)
        nll = -lp[np.arange(len(y)), y - 1].mean()
        best = min(best, (nll, float(t)))
    return best[1]


def fit(data_root: Path, out: Path | None, seed: int = 0, grid: bool = True) -> tuple[MusicCritic, dict]:
    """Fit on train, select hyper-parameters and temperature on val, score val and test.

    Returns:
        the fitted critic and a report dict (``val``/``test`` metrics, chosen hyper-parameters).
    """
    t0 = time.time()
    data = {s: load_split(data_root, s)[:2] for s in SPLITS}
    Xtr, ytr = data["train"]
    mean, std = Xtr.mean(0), Xtr.std(0) + 1e-6
    z = lambda X: (X - mean) / std  # noqa: E731
    candidates = [(C, m, a) for C in (0.03, 0.3) for m in (0, 5) for a in (0.1, 1.0)] if grid else [(0.3, 5, 1.0)]
    candidates = list(dict.fromkeys((C, m, a if m else 0.0) for C, m, a in candidates))
    best = None
    for C, m, a in candidates:
        w = {"mean": mean, "std": std} | _fit_members(z(Xtr), ytr, C, m, 64, a, seed)
        critic = MusicCritic(MusicCriticConfig(num_mlps=m), w)
        critic.config.temperature = _temperature(critic, *data["val"])
        rep = metrics(critic.predict_proba(data["val"][0]), data["val"][1])
        print(
            f"C={C} mlps={m} alpha={a}: val 4Q {rep['acc_4q']:.3f} A {rep['acc_arousal']:.3f} V {rep['acc_valence']:.3f} nll {rep['nll']:.3f}"
        )
        if best is None or rep["nll"] < best[0]["nll"]:
            best = (rep, critic, {"C": C, "mlps": m, "alpha": a, "hidden": 64})
    val_rep, critic, hp = best
    test_rep = metrics(critic.predict_proba(data["test"][0]), data["test"][1])
    report = {
        "val": val_rep,
        "test": test_rep,
        "hyper": hp,
        "temperature": round(critic.config.temperature, 4),
        "features": NUM_FEATURES,
        "train_clips": int(len(ytr)),
        "fit_seconds": round(time.time() - t0, 1),
    }
    critic.config.metrics = report
    if out is not None:
        critic.save_pretrained(out)
    return critic, report


def main(argv: list[str] | None = None) -> int:
    from studio.paths import checkpoint, data_root

    ap = argparse.ArgumentParser(prog="python -m studio.critics.music", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fit", help="fit on EMOPIA train, select on val, report test")
    f.add_argument(
        "--data", type=Path, default=None, help="data folder holding emopia/ (default: studio.paths.data_root())"
    )
    f.add_argument("--out", type=Path, default=checkpoint("music-critic"))
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--no-grid", action="store_true", help="skip the hyper-parameter grid")
    e = sub.add_parser("eval", help="score the released critic on a split")
    e.add_argument("--data", type=Path, default=None)
    e.add_argument("--split", default="test", choices=SPLITS)
    args = ap.parse_args(argv)
    root = args.data or data_root()
    if args.cmd == "fit":
        _, report = fit(root, args.out, seed=args.seed, grid=not args.no_grid)
        print({k: v for k, v in report["test"].items() if k != "confusion"}, "->", args.out)
        return 0
    X, y, _ = load_split(root, args.split)
    print(metrics(MusicCritic.from_pretrained().predict_proba(X), y))
    return 0
