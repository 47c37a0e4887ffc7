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
    B = num_pieces
    cfg = guidance != 1.0
    if cfg and (uncond_prefix is None or len(uncond_prefix) != len(prefix)):
        raise ValueError("guidance != 1 needs an unconditioned prefix of the same length as the prefix")
    vt = _VocabTables.build(tok, model.config.vocab_size)
    steer = notes_per_bar is not None and notes_per_bar > 0 and density_gain > 0

    def bar_group(bar_no: int) -> list[tuple[int, int]]:  # bar_no is 1-based; (conditioned, unconditioned)
        left = tok.bar_left_id(bars - bar_no + 1)
        return [(tok.bar_id, tok.bar_id), (left, left), (tok.bar_dens_id(bar_density), tok.bar_dens_id(None))]

    seqs = [list(prefix) for _ in range(B)]
    useqs = [list(uncond_prefix) for _ in range(B)] if cfg else []
    st = _PieceStates.start(B, bar_group(1))
    clamps: list[list[str]] = [[] for _ in range(B)]
    ctx = model.config.context
    n_prefix = len(prefix)

    # Feed the prefix + first bar header; then one token per step.
    for i in range(B):
        seqs[i] += [c for c, _ in st.pending[i][:-1]]
        if cfg:
            useqs[i] += [u for _, u in st.pending[i][:-1]]
        st.pending[i] = st.pending[i][-1:]
    cache = model.new_cache(2 * B if cfg else B)
    logits = model.prefill(torch.tensor(seqs + useqs), cache)
    last_min = 0
    while not all(st.finished):
        # 1. the next-token distribution: guidance, pitch bias, grammar mask, density feedback
        sampled = None
        if any(not st.pending[i] and not st.finished[i] for i in range(B)):
            lg = guided_logits(logits, B, guidance) if cfg else logits.clone()
            if pitch_bias is not None:
                lg = reweight_group(lg, *pitch_bias)
            lg = lg + _grammar_rows(vt, st.in_bar, st.bars_done, bars, max_tokens_per_bar, clamps)
            if steer:
                last = [s[-1] for s in seqs]
                lg = density_feedback(lg, vt, last, st.cur_pos, st.count, notes_per_bar, density_gain)
            sampled = sample_next(lg, temperature, top_k, top_p, generator).tolist()
        # 2. each piece takes a forced token or its sample (a closed last bar finishes it)
        steps = [st.advance(i, sampled, tok, vt, bars, bar_group) for i in range(B)]
        step_c, step_u = [c for c, _ in steps], [u for _, u in steps]
        for s, t in zip(seqs, step_c):
            s.append(t)
        for s, u in zip(useqs, step_u):
            s.append(u)
        if all(st.finished):
            break
        if callback is not None and min(st.bars_done) != last_min:
            last_min = min(st.bars_done)
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
    return DecodeResult(ids=seqs, clamps=clamps, tokens_generated=st.generated)


@dataclass
class _PieceStates:
    """Per piece of the batch: forced tokens still to feed, the bar being written, tokens and notes in it."""

    pending: list  # [(conditioned, unconditioned) token ids] still to feed
    bars_done: list  # the bar currently being written (1-based)
    in_bar: list  # tokens in the current bar
    finished: list
    count: list  # Pitch tokens in the current bar
    cur_pos: list  # last Position token's value in the current bar
    generated: int = 0  # sampled tokens, all pieces

    @classmethod
    def start(cls, B: int, first_bar: list) -> _PieceStates:
        return cls([list(first_bar) for _ in range(B)], [1] * B, [0] * B, [False] * B, [0] * B, [-1] * B)

    def advance(self, i: int, sampled, tok: MusicTokenizer, vt: _VocabTables, bars: int, bar_group) -> tuple[int, int]:
        """Piece ``i``'s next ``(conditioned, unconditioned)`` token; PAD once it is finished (keeps every row
        the same length; PAD is dropped on decode)."""
        if self.finished[i]:
            return tok.pad_id, tok.pad_id
        if self.pending[i]:
            t, u = self.pending[i].pop(0)
        else:
            t = u = sampled[i]
            self.generated += 1
            if t in (tok.bar_id, tok.eos_id):
                if self.bars_done[i] >= bars:
                    self.finished[i] = True
                    return tok.pad_id, tok.pad_id
                self.bars_done[i] += 1
                self.in_bar[i] = 0
                self.count[i], self.cur_pos[i] = 0, -1
                self.pending[i] = bar_group(self.bars_done[i])[1:]
                t = u = tok.bar_id
        self.in_bar[i] += 1
        if vt.is_pitch[t]:
            self.count[i] += 1
        elif t in vt.position:
            self.cur_pos[i] = vt.position[t]
        return t, u


@dataclass
class _VocabTables:
    """What the decoder needs to know about the vocabulary, built once per call."""

    base: torch.Tensor  # [V] -inf on tokens never sampled (conditions, PAD, BOS)
    base_no_eos: torch.Tensor  # [V] the same, and EOS (before the last bar)
    closing: torch.Tensor  # [V] only Bar allowed (a bar past max_tokens_per_bar)
    is_pitch: list[bool]  # [V]
    position: dict[int, int]  # Position token id -> its 16th
    n_positions: int
    steer_dir: torch.Tensor  # [V] +1 on Pitch tokens, -1 on Bar: the density feedback's direction
    decision: torch.Tensor  # [V] bool: after these the sequence chooses another note or moving on

    @classmethod
    def build(cls, tok: MusicTokenizer, V: int) -> _VocabTables:
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
        steer_dir = torch.tensor(is_pitch, dtype=torch.float32)
        steer_dir[tok.bar_id] = -1.0
        # Where a REMI sequence chooses between another note and moving on: after a note's Duration
        # (another Pitch at this onset, a later Position, or the next Bar) and after the bar header.
        decision = torch.tensor([names.get(i, "").startswith(("Duration_", "BarDens_")) for i in range(V)])
        n_positions = max(position.values()) + 1 if position else 16
        return cls(base, base_no_eos, closing, is_pitch, position, n_positions, steer_dir, decision)


def guided_logits(logits: torch.Tensor, B: int, guidance: float) -> torch.Tensor:
    """Classifier-free guidance: ``u + guidance * (c - u)`` from ``[2B, V]`` logits (conditioned rows first)."""
    return logits[B:] + guidance * (logits[:B] - logits[B:])


def _grammar_rows(vt: _VocabTables, in_bar, bars_done, bars: int, max_tokens_per_bar: int, clamps) -> torch.Tensor:
    """``[B, V]`` additive mask per piece: never-sampled tokens, EOS before the last bar, and only Bar for a
    bar that reached ``max_tokens_per_bar`` (recorded in ``clamps``)."""
    rows = []
    for i in range(len(in_bar)):
        if in_bar[i] >= max_tokens_per_bar:
            rows.append(vt.closing)
            clamps[i].append(f"bar {bars_done[i]} reached {max_tokens_per_bar} tokens and was closed")
        else:
            rows.append(vt.base if bars_done[i] >= bars else vt.base_no_eos)
    return torch.stack(rows)


def density_feedback(
    lg: torch.Tensor, vt: _VocabTables, last: list[int], cur_pos, count, notes_per_bar: float, gain: float
) -> torch.Tensor:
    """Steer each bar toward ``notes_per_bar``: where the sequence chooses between another note and moving on,
    add ``gain * tanh(deficit / sqrt(notes_per_bar))`` to Pitch tokens and subtract it from Bar."""
    at = vt.decision[torch.tensor(last)].float()
    deficit = torch.tensor([notes_per_bar * (p + 1) / vt.n_positions - c for p, c in zip(cur_pos, count)])
    return lg + (at * gain * torch.tanh(deficit / math.sqrt(notes_per_bar)))[:, None] * vt.steer_dir
