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


def reweight_group(logits: torch.Tensor, ids: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Add ``bias [g]`` to the logits of the token group ``ids [g]`` in ``logits [b, v]`` (in place)
    while keeping the group's total probability: only the choice *within* the group moves."""
    before = logits[:, ids]
    after = before + bias
    logits[:, ids] = after - (after.logsumexp(-1, keepdim=True) - before.logsumexp(-1, keepdim=True))
    return logits


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
    guidance: float = 1.0,
    uncond_prefix: list[int] | None = None,
    pitch_bias: tuple[torch.Tensor, torch.Tensor] | None = None,
    notes_per_bar: float | None = None,
    density_gain: float = 0.0,
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
        guidance: classifier-free guidance scale on the conditions; 1 is plain conditional sampling.
            Above 1, each piece also runs an unconditioned twin (``uncond_prefix``, density ``NA``)
            that is fed the same tokens, and logits are ``u + guidance * (c - u)``.
        uncond_prefix: the all-``NA`` prefix, same length as ``prefix`` (needed when guidance != 1).
        pitch_bias: ``(ids [p], bias [p])``: re-weights the Pitch tokens among themselves (e.g. toward a
            scale) while keeping their total probability, so the bias moves *which* pitches are played,
            not how many notes.
        notes_per_bar: the density asked for; with ``density_gain > 0`` a feedback term steers each bar
            toward it: the running deficit ``notes_per_bar * elapsed_share - notes_so_far`` becomes a
            logit bonus ``density_gain * tanh(deficit / sqrt(notes_per_bar))`` on Pitch tokens (and the
            same malus on closing the bar) where the sequence chooses between another note and moving
            on (after a Duration or the bar header), so a bar that lags gets notes and one that runs
            ahead rests, without breaking the Pitch-Velocity-Duration grammar.

    Returns:
        ``DecodeResult`` with ids per piece.
    """
    B, V = num_pieces, model.config.vocab_size
    cfg = guidance != 1.0
    if cfg and (uncond_prefix is None or len(uncond_prefix) != len(prefix)):
        raise ValueError("guidance != 1 needs an unconditioned prefix of the same length as the prefix")
    base = torch.zeros(V)
    base[torch.as_tensor(tok.extra_ids)] = float("-inf")
    base[[tok.pad_id, tok.bos_id]] = float("-inf")
    base_no_eos = base.clone()
    base_no_eos[tok.eos_id] = float("-inf")
    closing = torch.full((V,), float("-inf"))
    closing[tok.bar_id] = 0.0
    names = {i: t for t, i in tok.vocab.items()}
    is_pitch = [names.get(i, "").startswith("Pitch_") for i in range(V)]
    position = {i: int(n.split("_")[1]) for i, n in names.items() if n.startswith("Position_")}
    n_positions = max(position.values()) + 1 if position else 16
    steer = notes_per_bar is not None and notes_per_bar > 0 and density_gain > 0
    steer_dir = torch.tensor(is_pitch, dtype=torch.float32)
    steer_dir[tok.bar_id] = -1.0
    # Where a REMI sequence chooses between another note and moving on: after a note's Duration
    # (another Pitch at this onset, a later Position, or the next Bar) and after the bar header.
    decision = torch.tensor([names.get(i, "").startswith(("Duration_", "BarDens_")) for i in range(V)])
    count = [0] * B  # Pitch tokens in the current bar
    cur_pos = [-1] * B  # last Position token's value in the current bar

    def bar_group(bar_no: int) -> list[tuple[int, int]]:  # bar_no is 1-based; (conditioned, unconditioned)
        left = tok.bar_left_id(bars - bar_no + 1)
        return [(tok.bar_id, tok.bar_id), (left, left), (tok.bar_dens_id(bar_density), tok.bar_dens_id(None))]

    seqs = [list(prefix) for _ in range(B)]
    useqs = [list(uncond_prefix) for _ in range(B)] if cfg else []
    pending = [bar_group(1) for _ in range(B)]  # forced tokens still to feed
    bars_done = [1] * B  # bar currently being written
    in_bar = [0] * B
    finished = [False] * B
    clamps: list[list[str]] = [[] for _ in range(B)]
    ctx = model.config.context
    n_prefix = len(prefix)

    # Feed the prefix + first bar header; then one token per step.
    for i in range(B):
        seqs[i] += [c for c, _ in pending[i][:-1]]
        if cfg:
            useqs[i] += [u for _, u in pending[i][:-1]]
        pending[i] = pending[i][-1:]
    cache = model.new_cache(2 * B if cfg else B)
    logits = model.prefill(torch.tensor(seqs + useqs), cache)
    last_min = 0
    generated = 0
    while not all(finished):
        step_c, step_u = [], []
        sampled = None
        if any(not pending[i] and not finished[i] for i in range(B)):
            lg = logits[B:] + guidance * (logits[:B] - logits[B:]) if cfg else logits.clone()
            if pitch_bias is not None:
                lg = reweight_group(lg, *pitch_bias)
            rows = []
            for i in range(B):
                if in_bar[i] >= max_tokens_per_bar:
                    rows.append(closing)
                    clamps[i].append(f"bar {bars_done[i]} reached {max_tokens_per_bar} tokens and was closed")
                else:
                    rows.append(base if bars_done[i] >= bars else base_no_eos)
            lg = lg + torch.stack(rows)
            if steer:
                at = decision[torch.tensor([s[-1] for s in seqs])].float()
                deficit = torch.tensor([notes_per_bar * (p + 1) / n_positions - c for p, c in zip(cur_pos, count)])
                lg = lg + (at * density_gain * torch.tanh(deficit / math.sqrt(notes_per_bar)))[:, None] * steer_dir
            sampled = sample_next(lg, temperature, top_k, top_p, generator).tolist()
        for i in range(B):
            if finished[i]:  # keeps every row the same length; PAD is dropped on decode
                step_c.append(tok.pad_id)
                step_u.append(tok.pad_id)
                continue
            if pending[i]:
                t, u = pending[i].pop(0)
            else:
                t = u = sampled[i]
                generated += 1
                if t in (tok.bar_id, tok.eos_id):
                    if bars_done[i] >= bars:
                        finished[i] = True
                        step_c.append(tok.pad_id)
                        step_u.append(tok.pad_id)
                        continue
                    bars_done[i] += 1
                    in_bar[i] = 0
                    count[i], cur_pos[i] = 0, -1
                    pending[i] = bar_group(bars_done[i])[1:]
                    t = u = tok.bar_id
            in_bar[i] += 1
            if is_pitch[t]:
                count[i] += 1
            elif t in position:
                cur_pos[i] = position[t]
            step_c.append(t)
            step_u.append(u)
        for s, t in zip(seqs, step_c):
            s.append(t)
        for s, u in zip(useqs, step_u):
            s.append(u)
        if all(finished):
            break
        if callback is not None and min(bars_done) != last_min:
            last_min = min(bars_done)
            callback(last_min - 1, bars)
        if cache.length >= ctx:
            # Context full: keep the piece prefix and the most recent half, re-encode (RoPE is relative).
            keep = ctx // 2
            logits = model.prefill(torch.tensor([s[:n_prefix] + s[-keep:] for s in seqs + useqs]), cache)
            continue
        logits = model.step(torch.tensor(step_c + step_u if cfg else step_c), cache)
    if callback is not None:
        callback(bars, bars)
    seqs = [[t for t in s if t != tok.pad_id] for s in seqs]
    return DecodeResult(ids=seqs, clamps=clamps, tokens_generated=generated)
