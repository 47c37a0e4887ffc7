"""A compact decoder-only transformer over REMI + condition tokens (nanoGPT-sized, RoPE, KV cache).

Axis legend: b - batch, n - query positions, m - key positions, h - heads, d - head dim.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn


@dataclass
class KVCache:
    """Preallocated keys/values ``[layers, b, h, context, d]``; ``length`` positions are filled."""

    k: torch.Tensor
    v: torch.Tensor
    length: int = 0


@dataclass
class MusicGenConfig:
    """Shape of the transformer (4.8M parameters with these defaults). The released 0.3.0 checkpoint is smaller
    (dim 192, 4 layers, context 384: 1.84M); its shape is read from its config.json."""

    vocab_size: int = 320
    context: int = 512
    dim: int = 256
    layers: int = 6
    heads: int = 4
    mlp_ratio: int = 4
    dropout: float = 0.0
    rope_base: float = 10000.0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> MusicGenConfig:
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


def rope_tables(n: int, d: int, base: float, offset: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """cos/sin tables ``[n, d/2]`` for positions ``offset .. offset+n-1``."""
    inv = 1.0 / base ** (torch.arange(0, d, 2, dtype=torch.float32) / d)
    t = torch.arange(offset, offset + n, dtype=torch.float32)
    freqs = torch.outer(t, inv)
    return freqs.cos(), freqs.sin()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate ``x [b, h, n, d]`` pairwise by position."""
    x1, x2 = x[..., ::2], x[..., 1::2]
    out = torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)
    return rearrange(out, "... d two -> ... (d two)")


class Attention(nn.Module):
    def __init__(self, cfg: MusicGenConfig):
        super().__init__()
        self.heads = cfg.heads
        self.qkv = nn.Linear(cfg.dim, 3 * cfg.dim, bias=False)
        self.out = nn.Linear(cfg.dim, cfg.dim, bias=False)
        self.dropout = cfg.dropout

    def forward(self, x, cos, sin, cache=None):
        """x ``[b, n, dim]``; cache: ``(k, v)`` each ``[b, h, m, d]`` or None. Returns (y, new cache)."""
        q, k, v = rearrange(self.qkv(x), "b n (three h d) -> three b h n d", three=3, h=self.heads)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if cache is not None:
            k = torch.cat([cache[0], k], dim=2)
            v = torch.cat([cache[1], v], dim=2)
        n, m = q.shape[2], k.shape[2]
        # Causal over the full key length: query i sits at absolute position m - n + i.
        mask = None
        if n > 1:
            mask = torch.ones(n, m, dtype=torch.bool, device=x.device).tril(diagonal=m - n)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0)
        return self.out(rearrange(y, "b h n d -> b n (h d)")), (k, v)


class Block(nn.Module):
    def __init__(self, cfg: MusicGenConfig):
        super().__init__()
        self.norm1 = nn.LayerNorm(cfg.dim)
        self.attn = Attention(cfg)
        self.norm2 = nn.LayerNorm(cfg.dim)
        self.mlp = nn.Sequential(
            nn.Linear(cfg.dim, cfg.mlp_ratio * cfg.dim),
            nn.GELU(),
            nn.Linear(cfg.mlp_ratio * cfg.dim, cfg.dim),
            nn.Dropout(cfg.dropout),
        )

    def forward(self, x, cos, sin, cache=None):
        a, cache = self.attn(self.norm1(x), cos, sin, cache)
        x = x + a
        return x + self.mlp(self.norm2(x)), cache


class MusicTransformer(nn.Module):
    """Decoder-only transformer. ``forward(ids [B, T]) -> logits [B, T, V]``."""

    def __init__(self, cfg: MusicGenConfig):
        super().__init__()
        self.config = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.dim)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.layers))
        self.norm = nn.LayerNorm(cfg.dim)
        self.head = nn.Linear(cfg.dim, cfg.vocab_size, bias=False)
        self.head.weight = self.embed.weight  # tied
        self._rope: tuple[torch.Tensor, torch.Tensor] | None = None
        self._rot: torch.Tensor | None = None  # rope as complex rotations, for ``step``
        self.apply(self._init)
        for name, p in self.named_parameters():
            if name.endswith("out.weight") or name.endswith("mlp.2.weight"):
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * cfg.layers))

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(self, ids: torch.Tensor, cache: list | None = None, offset: int = 0):
        """
        Args:
            ids: ``[B, T]`` token ids.
            cache: per-layer ``(k, v)`` from an earlier call, or None.
            offset: absolute position of ``ids[:, 0]`` (the cache length).

        Returns:
            ``(logits [B, T, V], new cache)``.
        """
        n = ids.shape[1]
        if self._rope is None or self._rope[0].shape[0] < offset + n:  # tables are cached: decoding is per token
            size = max(2 * self.config.context, offset + n)
            self._rope = rope_tables(size, self.config.dim // self.config.heads, self.config.rope_base)
        cos, sin = self._rope[0][offset : offset + n], self._rope[1][offset : offset + n]
        x = self.embed(ids)
        new_cache = []
        for i, block in enumerate(self.blocks):
            x, c = block(x, cos, sin, None if cache is None else cache[i])
            new_cache.append(c)
        return self.head(self.norm(x)), new_cache

    # ---- decoding: a preallocated KV cache and a lean one-token step (same maths as ``forward``) ----

    def new_cache(self, batch: int) -> KVCache:
        """An empty cache for ``batch`` rows and the full context."""
        c = self.config
        shape = (c.layers, batch, c.heads, c.context, c.dim // c.heads)
        return KVCache(torch.zeros(shape), torch.zeros(shape))

    def prefill(self, ids: torch.Tensor, cache: KVCache) -> torch.Tensor:
        """Run ``ids [B, T]`` from position 0 and store its keys/values in ``cache``; returns the last logits ``[B, V]``."""
        n = ids.shape[1]
        if n > self.config.context:
            raise ValueError(f"prefill of {n} tokens exceeds the context of {self.config.context}")
        logits, kv = self(ids)
        for i, (k, v) in enumerate(kv):
            cache.k[i, :, :, :n] = k
            cache.v[i, :, :, :n] = v
        cache.length = n
        return logits[:, -1]

    def step(self, ids: torch.Tensor, cache: KVCache) -> torch.Tensor:
        """Feed one token per row (``ids [B]``) at position ``cache.length``; returns logits ``[B, V]``.

        Equivalent to ``forward(ids[:, None], cache, offset)`` but without per-call reshapes through
        einops, ``torch.cat`` on the cache or module dispatch: decoding on a CPU is overhead-bound.
        """
        c = self.config
        pos = cache.length
        if pos >= c.context:
            raise ValueError(f"KV cache is full ({c.context} positions); re-encode a shorter window with prefill")
        if self._rope is None or self._rope[0].shape[0] <= pos:
            self._rope = rope_tables(max(2 * c.context, pos + 1), c.dim // c.heads, c.rope_base)
        if self._rot is None or self._rot.shape[0] != self._rope[0].shape[0]:
            self._rot = torch.polar(torch.ones_like(self._rope[0]), torch.atan2(self._rope[1], self._rope[0]))
        rot = self._rot[pos]  # [d/2] complex
        b, h, d = ids.shape[0], c.heads, c.dim // c.heads
        x = F.embedding(ids, self.embed.weight)  # [b, dim]
        for i, blk in enumerate(self.blocks):
            a = blk.attn
            y = F.layer_norm(x, (c.dim,), blk.norm1.weight, blk.norm1.bias, blk.norm1.eps)
            qkv = F.linear(y, a.qkv.weight).view(b, 3, h, d // 2, 2)
            qk = torch.view_as_real(torch.view_as_complex(qkv[:, :2].contiguous()) * rot).view(b, 2, h, 1, d)
            cache.k[i, :, :, pos] = qk[:, 1, :, 0]
            cache.v[i, :, :, pos] = qkv[:, 2].reshape(b, h, d)
            att = F.scaled_dot_product_attention(qk[:, 0], cache.k[i, :, :, : pos + 1], cache.v[i, :, :, : pos + 1])
            x = x + F.linear(att.reshape(b, c.dim), a.out.weight)
            y = F.layer_norm(x, (c.dim,), blk.norm2.weight, blk.norm2.bias, blk.norm2.eps)
            fc1, fc2 = blk.mlp[0], blk.mlp[2]
            x = x + F.linear(F.gelu(F.linear(y, fc1.weight, fc1.bias)), fc2.weight, fc2.bias)
        cache.length = pos + 1
        x = F.layer_norm(x, (c.dim,), self.norm.weight, self.norm.bias, self.norm.eps)
        return F.linear(x, self.head.weight)

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Mean next-token cross entropy; ``y == -100`` positions are ignored."""
        logits, _ = self(x)
        return F.cross_entropy(rearrange(logits, "b n v -> (b n) v"), rearrange(y, "b n -> (b n)"), ignore_index=-100)
