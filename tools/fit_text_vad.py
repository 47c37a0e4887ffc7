"""Fit the released text -> VAD heads (``checkpoints/text-vad``) from human ratings.

Data (``studio.paths.data_root()``): EmoBank train sentences + Glasgow train words (the hashed
~80%; the other ~20% is the benchmark's held-out split). Ridge ``alpha`` of each model is chosen
on EmoBank dev (mean Pearson r over V, A, D); the final heads are fitted on train only.

    .venv/bin/python tools/fit_text_vad.py            # writes checkpoints/text-vad/
    .venv/bin/python tools/fit_text_vad.py --out /tmp/tv

Embeddings are cached under ``cache/text-vad/`` (git-ignored) so refits take seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np
import torch

from studio.paths import PROJECT_ROOT, checkpoint, data_root
from studio.text.data import emobank_stretch, load_emobank, load_glasgow, pearson
from studio.text.embedding import EmbeddingHead, embed
from studio.text.lexicon import HashedLexicon, LexiconConfig, featurize, make_seen_filter, tokenize
from studio.text.model import TextVAD, TextVADConfig

EMB_ALPHAS = (0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
LEX_ALPHAS = (0.03, 0.1, 0.3, 1.0, 3.0)


def cached_embed(texts: list[str], cache_dir: Path) -> np.ndarray:
    """MiniLM embeddings [N, 384], cached by a hash of the texts."""
    key = hashlib.sha1("\n".join(texts).encode("utf-8")).hexdigest()[:16]
    path = cache_dir / f"emb_{key}.npy"
    if path.is_file():
        return np.load(path)
    cache_dir.mkdir(parents=True, exist_ok=True)
    emb = embed(texts, batch_size=128, progress=True)
    np.save(path, emb)
    return emb


def ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Closed-form ridge with an unpenalised intercept: returns weight [3, D], bias [3]."""
    xm, ym = x.mean(0), y.mean(0)
    xc = x - xm
    w = np.linalg.solve(xc.T @ xc + alpha * np.eye(x.shape[1]), xc.T @ (y - ym))
    return w.T.astype(np.float32), (ym - xm @ w).astype(np.float32)


def sparse_ridge(x, y: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Ridge on sparse hashed features (sklearn, deterministic solver)."""
    from sklearn.linear_model import Ridge

    m = Ridge(alpha=alpha, solver="sparse_cg", tol=1e-5, max_iter=3000).fit(x, y)
    return m.coef_.astype(np.float32), m.intercept_.astype(np.float32)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=checkpoint("text-vad"))
    p.add_argument("--cache", type=Path, default=PROJECT_ROOT / "cache" / "text-vad")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    t0 = time.time()
    root = data_root()
    eb_tr, eb_dev = load_emobank(root, "train"), load_emobank(root, "dev")
    gl_tr = load_glasgow(root, "train")
    stretch = emobank_stretch(eb_tr, gl_tr)
    print(
        f"EmoBank train {len(eb_tr)} / dev {len(eb_dev)}; Glasgow train words {len(gl_tr)}; stretch {stretch.round(2)}"
    )
    texts = eb_tr.texts + gl_tr.texts
    y = np.concatenate([eb_tr.vad * stretch, gl_tr.vad])
    y_dev = eb_dev.vad * stretch

    # --- embedding head ---------------------------------------------------------------------
    x = np.concatenate([cached_embed(eb_tr.texts, args.cache), cached_embed(gl_tr.texts, args.cache)])
    x_dev = cached_embed(eb_dev.texts, args.cache)
    emb_scores = {}
    for a in EMB_ALPHAS:
        w, b = ridge(x, y, a)
        emb_scores[a] = pearson(x_dev @ w.T + b, y_dev)
        print(f"embedding alpha {a:6g}: EmoBank dev r V/A/D = {np.round(emb_scores[a], 3)}")
    emb_alpha = max(EMB_ALPHAS, key=lambda a: np.mean(emb_scores[a]))
    head = EmbeddingHead(*ridge(x, y, emb_alpha))

    # --- hashed lexicon -----------------------------------------------------------------------
    lcfg = LexiconConfig()
    xl, _ = featurize(texts, lcfg)
    xl_dev, _ = featurize(eb_dev.texts, lcfg)
    lex_scores = {}
    for a in LEX_ALPHAS:
        w, b = sparse_ridge(xl, y, a)
        lex_scores[a] = pearson(np.asarray(xl_dev @ w.T) + b, y_dev)
        print(f"lexicon alpha {a:6g}: EmoBank dev r V/A/D = {np.round(lex_scores[a], 3)}")
    lex_alpha = max(LEX_ALPHAS, key=lambda a: np.mean(lex_scores[a]))
    lw, lb = sparse_ridge(xl, y, lex_alpha)
    seen = make_seen_filter((tok for t in texts for tok, _ in tokenize(t)), lcfg)
    lexicon = HashedLexicon(lw, lb, seen, lcfg)

    config = TextVADConfig(
        lexicon=lcfg,
        emobank_stretch=[round(float(s), 4) for s in stretch],
        fit={
            "data": "EmoBank train (8,062 sentences, 1-5 -> (x-3)/2*stretch) + Glasgow train words (1-9 -> (x-5)/4)",
            "n_train": len(texts),
            "embedding_alpha": emb_alpha,
            "embedding_dev_r": [round(r, 4) for r in emb_scores[emb_alpha]],
            "lexicon_alpha": lex_alpha,
            "lexicon_dev_r": [round(r, 4) for r in lex_scores[lex_alpha]],
            "seconds": round(time.time() - t0, 1),
            "tool": "tools/fit_text_vad.py",
        },
    )
    out = TextVAD(config, head, lexicon).save_pretrained(args.out)
    print(json.dumps(config.fit, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
