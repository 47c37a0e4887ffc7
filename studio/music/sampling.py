"""Sampling for the generator: filters as plain functions and a bar-exact, KV-cached decoder.

Axis legend: b - batch (pieces), v - vocabulary.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from .model import MusicTransformer
from .tokenizer import MusicTokenizer


def top_k_filter(logits: torch.Tensor, k: int | None) -> torch.Tensor:
    """Keep the ``k`` largest logits per row of ``[b, v]``; others become ``-inf``."""
    if k is None or k >= logits.shape[-1]:
        return logits
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth, float("-inf"))


def top_p_filter(logits: torch.Tensor, p: float | None) -> torch.Tensor:
    """Nucleus filter on ``[b, v]``: smallest set of tokens whose probability reaches ``p``."""
    if p is None or p >= 1.0:
        return logits
    sorted_logits, idx = torch.sort(logits, descending=True, dim=-1)
    cum = sorted_logits.softmax(-1).cumsum(-1)
    remove = cum - sorted_logits.softmax(-1) > p  # keep the token that crosses p
    sorted_logits = sorted_logits.masked_fill(remove, float("-inf"))
    return torch.full_like(logits, float("-inf")).scatter(-1, idx, sorted_logits)


def sample_next(logits, temperature: float, top_k, top_p, generator: torch.Generator) -> torch.Tensor:
    """One token per row of ``logits [b, v]``; temperature 0 is greedy. Returns ``[b]``."""
    if temperature == 0:
        return logits.argmax(-1)
    logits = top_p_filter(top_k_filter(logits / temperature, top_k), top_p)
    return torch.multinomial(logits.softmax(-1), 1, generator=generator).squeeze(-1)


def validate_sampling(temperature: float, top_k: int | None, top_p: float | None) -> None:
    """Raise ``ValueError`` naming the accepted range for bad sampling settings."""
    if not isinstance(temperature, (int, float)) or not math.isfinite(temperature) or not 0 <= temperature <= 5:
        raise ValueError(f"temperature must be a number in [0, 5] (0 = greedy), got {temperature!r}")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise ValueError(f"top_k must be an integer >= 1 or None, got {top_k!r}")
    if top_p is not None and (not isinstance(top_p, (int, float)) or not math.isfinite(top_p) or not 0 < top_p <= 1):
        raise ValueError(f"top_p must be in (0, 1] or None, got {top_p!r}")


@dataclass
class DecodeResult:
    ids: list[list[int]]  # per piece, prefix included
    clamps: list[list[str]] = field(default_factory=list)  # per piece
    tokens_generated: int = 0


@torch.no_grad()
def generate_bars(
    model: MusicTransformer,
    tok: MusicTokenizer,
    prefix: list[int],
    bars: int,
    bar_density: int | None,
    num_pieces: int,
    generator: torch.Generator,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = 0.95,
    max_tokens_per_bar: int = 256,
    callback: Callable[[int, int], None] | None = None,
) -> DecodeResult:
    """Decode exactly ``bars`` bars for ``num_pieces`` pieces in one batch.

    The decoder writes the per-bar condition tokens itself (``Bar BarLeft_k BarDens_b``), masks
    tokens that may not be sampled (condition tokens, BOS/PAD, EOS before the last bar) and stops a
    piece when it closes its last bar. A bar that runs past ``max_tokens_per_bar`` is closed by force
    and the clamp reported.

    Args:
        prefix: ``[BOS, cond...]`` ids.
        bar_density: per-bar density bin to force, or None (unspecified).
        callback: called as ``callback(bars_done_min, bars)`` after each step where it changed.

    Returns:
        ``DecodeResult`` with ids per piece.
    """
    B, V = num_pieces, model.config.vocab_size
    banned = torch.zeros(V, dtype=torch.bool)
    banned[torch.as_tensor(tok.extra_ids)] = True
    banned[[tok.pad_id, tok.bos_id]] = True
    banned_no_eos = banned.clone()
    banned_no_eos[tok.eos_id] = True

    def bar_group(bar_no: int) -> list[int]:  # bar_no is 1-based
        return [tok.bar_id, tok.bar_left_id(bars - bar_no + 1), tok.bar_dens_id(bar_density)]

    seqs = [list(prefix) for _ in range(B)]
    pending = [bar_group(1) for _ in range(B)]  # forced tokens still to feed
    bars_done = [1] * B  # bar currently being written
    in_bar = [0] * B
    finished = [False] * B
    clamps: list[list[str]] = [[] for _ in range(B)]
    ctx = model.config.context
    n_prefix = len(prefix)

    # Feed the prefix + first bar header; then one token per step.
    x = torch.tensor([s + p[:-1] for s, p in zip(seqs, pending)])
    for i in range(B):
        seqs[i] += pending[i][:-1]
        pending[i] = pending[i][-1:]
    logits, cache = model(x)
    pos = x.shape[1]
    last_min = 0
    generated = 0
    while not all(finished):
        step_tokens = []
        sampled = None
        need_sample = any(not pending[i] and not finished[i] for i in range(B))
        if need_sample:
            lg = logits[:, -1, :].clone()
            for i in range(B):
                mask = banned if bars_done[i] >= bars else banned_no_eos
                if in_bar[i] >= max_tokens_per_bar:
                    lg[i] = float("-inf")
                    lg[i, tok.bar_id] = 0.0
                    clamps[i].append(f"bar {bars_done[i]} reached {max_tokens_per_bar} tokens and was closed")
                else:
                    lg[i, mask] = float("-inf")
            sampled = sample_next(lg, temperature, top_k, top_p, generator)
        for i in range(B):
            if finished[i]:  # keeps every row the same length; PAD is dropped on decode
                seqs[i].append(tok.pad_id)
                step_tokens.append(tok.pad_id)
                continue
            if pending[i]:
                t = pending[i].pop(0)
            else:
                t = int(sampled[i])
                generated += 1
                if t in (tok.bar_id, tok.eos_id):
                    if bars_done[i] >= bars:
                        finished[i] = True
                        seqs[i].append(tok.pad_id)
                        step_tokens.append(tok.pad_id)
                        continue
                    bars_done[i] += 1
                    in_bar[i] = 0
                    pending[i] = bar_group(bars_done[i])[1:]
                    t = tok.bar_id
            in_bar[i] += 1
            seqs[i].append(t)
            step_tokens.append(t)
        if all(finished):
            break
        if callback is not None and min(bars_done) != last_min:
            last_min = min(bars_done)
            callback(last_min - 1, bars)
        if pos >= ctx:
            # Context full: keep the piece prefix and the most recent half, re-encode (RoPE is relative).
            keep = ctx // 2
            x = torch.tensor([s[:n_prefix] + s[-keep:] for s in seqs])
            logits, cache = model(x)
            pos = x.shape[1]
            continue
        logits, cache = model(torch.tensor(step_tokens)[:, None], cache=cache, offset=pos)
        pos += 1
    if callback is not None:
        callback(bars, bars)
    seqs = [[t for t in s if t != tok.pad_id] for s in seqs]
    return DecodeResult(ids=seqs, clamps=clamps, tokens_generated=generated)
