"""Benchmark the text -> VAD models on held-out human ratings; writes bench/results/text_vad.json.

    .venv/bin/python bench/bench_text_vad.py

Figures: Pearson r for valence/arousal/dominance on EmoBank **test** sentences and on the held-out
Glasgow words (~20%, hashed by word; never fitted on), for the embedding head and the hashed lexicon;
encoder load time, per-call latency of ``estimate_vad`` (cache bypassed) for both models, and a
negation check (share of "I am X" / "I am not X" pairs whose valence moves the right way).
"""

from __future__ import annotations

import platform
import time

import numpy as np
import torch

from studio.io import write_json_atomic
from studio.paths import PROJECT_ROOT, data_root
from studio.text.data import AXES, load_emobank, load_glasgow, pearson

NEGATION_WORDS = "happy glad calm proud relaxed safe angry sad afraid worried bored lonely".split()
LATENCY_TEXTS = [
    "a rainy farewell at dusk",
    "the crowd roared as the band came on",
    "she read the letter twice and put it away",
    "quiet snow over the harbour",
    "I can't believe we finally won the final!",
    "an empty house after the funeral",
    "breakfast in the sun with old friends",
    "the storm tore the roof off the barn",
]


def _time_calls(model, mode: str, texts: list[str], repeats: int = 3) -> float:
    """Median ms per ``model.estimate`` call (bypasses the text cache in ``studio.text.analysis``)."""
    times = []
    for _ in range(repeats):
        for t in texts:
            t0 = time.perf_counter()
            model.estimate(t, mode)
            times.append(time.perf_counter() - t0)
    return 1000 * float(np.median(times))


def main() -> int:
    torch.set_num_threads(1)
    root = data_root()
    t0 = time.perf_counter()
    from studio.text.embedding import embed, load_encoder
    from studio.text.model import TextVAD, combine

    model = TextVAD.from_pretrained()
    t_ckpt = time.perf_counter() - t0
    t0 = time.perf_counter()
    load_encoder()
    t_encoder = time.perf_counter() - t0

    sets = {"emobank_test": load_emobank(root, "test"), "glasgow_heldout_words": load_glasgow(root, "test")}
    results: dict = {"n": {k: len(v) for k, v in sets.items()}, "pearson_r": {}}
    for name, data in sets.items():
        emb = embed(data.texts, batch_size=128)
        lex = [model.lexicon.predict(t) for t in data.texts]
        pred_l = np.stack([p[0] for p in lex])
        # as shipped: the embedding head, with the negation blend of ``combine``
        pred_e = np.stack([combine(e, p[0], p[3]) for e, p in zip(model.head(emb), lex)])
        results["pearson_r"][name] = {
            "embedding": dict(zip(AXES, (round(r, 4) for r in pearson(pred_e, data.vad)))),
            "lexicon": dict(zip(AXES, (round(r, 4) for r in pearson(pred_l, data.vad)))),
        }

    flips = {}
    for mode in ("embedding", "lexicon"):
        ok = 0
        for w in NEGATION_WORDS:
            pos, neg = model.estimate(f"I am {w}", mode).vad[0], model.estimate(f"I am not {w}", mode).vad[0]
            ok += bool((neg < pos) if pos > 0 else (neg > pos))
        flips[mode] = round(ok / len(NEGATION_WORDS), 3)

    model.estimate("warm-up", "embedding")
    results["negation_direction_ok"] = flips
    results["timing"] = {
        "checkpoint_load_s": round(t_ckpt, 3),
        "encoder_load_s": round(t_encoder, 2),
        "per_call_ms_embedding": round(_time_calls(model, "embedding", LATENCY_TEXTS), 2),
        "per_call_ms_lexicon": round(_time_calls(model, "lexicon", LATENCY_TEXTS), 3),
        "threads": torch.get_num_threads(),
        "machine": f"{platform.machine()} CPU, shared",
    }
    results["fit"] = model.config.fit

    print(f"{'split':24s} {'model':10s} {'V':>6s} {'A':>6s} {'D':>6s}")
    for name, by_model in results["pearson_r"].items():
        for m, r in by_model.items():
            print(f"{name:24s} {m:10s} {r['valence']:6.3f} {r['arousal']:6.3f} {r['dominance']:6.3f}")
    print(f"negation direction ok (I am X / I am not X, {len(NEGATION_WORDS)} words): {flips}")
    for k, v in results["timing"].items():
        print(f"{k}: {v}")
    out = write_json_atomic(PROJECT_ROOT / "bench" / "results" / "text_vad.json", results)
    print(f"wrote {out.relative_to(PROJECT_ROOT)}")
    return 0 if results["pearson_r"]["glasgow_heldout_words"]["embedding"]["valence"] >= 0.75 else 1


if __name__ == "__main__":
    raise SystemExit(main())
