"""Measure how the image critic's reading of CPU-painter paintings responds to each search knob.

    .venv/bin/python tools/fit_paint_response.py            # 240 paintings at 256 px, ~3 min on one core

Paints random attribute sets (the mapping's attributes for a random (v, a), with each field of
``SAMPLED`` redrawn over its range 60 % of the time),
reads them with the released critic v2 and fits a ridge of the readings on the attributes (and the
aim). Prints ``RESPONSE`` rows for :mod:`studio.art.search` (change in valence, arousal per unit)
and the range the readings covered. Abstained readings are left out.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# Fields redrawn (each with probability 0.6) and their ranges, in draw order.
SAMPLED = {
    "brightness": (0.08, 0.95),
    "saturation": (0.04, 0.95),
    "value_contrast": (0.1, 0.95),
    "jitter": (0.0, 1.0),
    "density": (0.1, 0.95),
    "stroke_size": (0.01, 0.08),
    "stroke_length": (2.0, 14.0),
    "angularity": (0.0, 1.0),
    "opacity": (0.3, 1.0),
    "curvature": (0.0, 1.0),
    "empty_space": (0.05, 0.8),
    "diagonal_share": (0.05, 0.95),
}


def main(argv: list[str] | None = None) -> int:
    import torch
    from PIL import Image
    from sklearn.linear_model import Ridge

    from studio.art.painter import CPUPainter
    from studio.critics.image import default_critic
    from studio.mapping.visual import visual_attributes_for

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=240)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    rng = np.random.default_rng(args.seed)
    painter, critic = CPUPainter(), default_critic("v2")
    ranges = SAMPLED
    names = list(ranges)
    X, Y = [], []
    for _ in range(args.n):
        va = rng.uniform(-1, 1, 2)
        attrs = visual_attributes_for(tuple(va)).replace(
            **{k: float(rng.uniform(*r)) for k, r in ranges.items() if rng.random() < 0.6}
        )
        img = Image.fromarray(painter(attrs, seed=int(rng.integers(1 << 30)), size=(256, 256)))
        r = critic(img)
        if r.details.get("abstain"):
            continue
        X.append([getattr(attrs, k) for k in names] + list(va))
        Y.append([r.valence, r.arousal])
    X, Y = np.array(X), np.array(Y)
    m = Ridge(alpha=1e-3).fit(X, Y)
    print(
        f"{len(Y)} readings; valence {Y[:, 0].min():+.2f}..{Y[:, 0].max():+.2f}, arousal {Y[:, 1].min():+.2f}..{Y[:, 1].max():+.2f}"
    )
    for k, c in zip(names + ["aim_valence", "aim_arousal"], m.coef_.T):
        print(f'    "{k}": ({c[0]:+.3f}, {c[1]:+.3f}),')
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
