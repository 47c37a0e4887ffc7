"""Training loop for the MIDI generator: time-budgeted, resumable, saves a usable checkpoint often.

The released checkpoint folder holds ``config.json`` (model config, condition bins, training record),
``model.safetensors`` and ``tokenizer.json``; the optimizer state for ``--resume`` lives in
``cache/`` (not released).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from studio.io import atomic_path
from studio.paths import PROJECT_ROOT

from .checkpoint import CONFIG_FILE, MODEL_FILE, load_model, save_checkpoint  # noqa: F401  (the release files)
from .conditions import ConditionBins
from .data import WindowSampler, load_cache, prepare_cache
from .model import MusicGenConfig, MusicTransformer
from .tokenizer import MusicTokenizer


@dataclass
class TrainConfig:
    """Optimisation settings (recorded in ``config.json`` under ``training``)."""

    minutes: float = 60.0
    batch_size: int = 8
    lr: float = 2e-3
    min_lr: float = 1e-4
    warmup_steps: int = 20
    planned_steps: int = 0  # cosine horizon in steps; 0 = follow the wall-clock budget (see lr_at)
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    cond_dropout: float = 0.3
    eval_every: int = 40
    eval_batches: int = 4
    save_every_s: float = 300.0
    threads: int = 2
    seed: int = 0
    command: str = ""
    model: dict = field(default_factory=dict)


def lr_at(step: int, tc: TrainConfig, time_frac: float | None = None) -> float:
    """Warm-up, then cosine decay to ``min_lr``.

    The horizon is ``planned_steps`` when set; otherwise it is the run's wall-clock budget
    (``time_frac`` = share of ``minutes`` used), so the decay ends when the budget does however fast
    the machine is. A step-count horizon sized for one machine's speed left the first released run at
    the floor learning rate for its last 40 % of steps on a busier one.
    """
    if step < tc.warmup_steps:
        return tc.lr * (step + 1) / tc.warmup_steps
    if tc.planned_steps > 0 or time_frac is None:
        t = min(1.0, (step - tc.warmup_steps) / max(1, tc.planned_steps - tc.warmup_steps))
    else:
        t = min(1.0, max(0.0, time_frac))
    return tc.min_lr + 0.5 * (tc.lr - tc.min_lr) * (1 + math.cos(math.pi * t))


@torch.no_grad()
def evaluate(model, sampler: WindowSampler, batches: int, batch_size: int, seed: int = 1234) -> float:
    """Mean val loss on fixed windows (same seed each call, no condition dropout in the draw's RNG)."""
    model.eval()
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(batches):
        x, y = sampler.sample(batch_size, rng)
        losses.append(model.loss(torch.from_numpy(x), torch.from_numpy(y)).item())
    model.train()
    return float(np.mean(losses))


def train(data_root: Path, out: Path, tc: TrainConfig, resume: bool = False, cache_dir: Path | None = None) -> dict:
    """Train (or continue) the generator within ``tc.minutes`` and save to ``out``.

    Steps: (1) the token cache and window samplers; (2) the model and optimiser, resumed from the training
    state if asked; (3) optimiser steps until the time is up, with a val loss every ``tc.eval_every`` steps and
    a checkpoint every ``tc.save_every_s`` seconds; (4) a last val loss and checkpoint.

    Returns:
        the training record written into ``config.json``.
    """
    torch.set_num_threads(tc.threads)
    cache_dir = cache_dir or PROJECT_ROOT / "cache" / "music"
    tok, bins, pieces = _data(Path(data_root), cache_dir)
    mcfg = MusicGenConfig(vocab_size=len(tok), **tc.model)
    train_s = WindowSampler(pieces["train"], tok, bins, ctx=mcfg.context, cond_dropout=tc.cond_dropout)
    val_s = WindowSampler(pieces["val"], tok, bins, ctx=mcfg.context, cond_dropout=tc.cond_dropout)
    state_path = cache_dir / "train_state.pt"
    model = MusicTransformer(mcfg)
    opt = _optimiser(model, tc)
    record = _resume(state_path, model, opt) if resume else {"steps": 0, "tokens_seen": 0, "wall_s": 0.0, "history": []}
    rng = np.random.default_rng(tc.seed + record["steps"])
    print(
        f"model {model.num_params() / 1e6:.2f}M params; train pieces {len(pieces['train'])}, val {len(pieces['val'])}"
    )

    def snapshot(val_loss: float | None) -> None:
        record.update(
            command=tc.command or record.get("command"),
            train_config={k: v for k, v in tc.__dict__.items()},
            final_val_loss=val_loss,
            data={"train_pieces": len(pieces["train"]), "val_pieces": len(pieces["val"])},
        )
        save_checkpoint(out, model, tok, bins, record)
        with atomic_path(state_path) as tmp:
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "record": record}, tmp)

    t0, last_save, wall0 = time.time(), time.time(), record["wall_s"]
    val_loss = record.get("final_val_loss")
    model.train()
    while time.time() - t0 < tc.minutes * 60:
        frac = (time.time() - t0) / (tc.minutes * 60)
        _step(model, opt, train_s, tc, rng, record, frac)
        record["wall_s"] = wall0 + time.time() - t0
        if record["steps"] % tc.eval_every == 0:
            val_loss = _eval_into(record, model, val_s, tc)
        if time.time() - last_save > tc.save_every_s:
            snapshot(val_loss)
            last_save = time.time()
    val_loss = _eval_into(record, model, val_s, tc)
    snapshot(val_loss)
    print(f"done: {record['steps']} steps, {record['tokens_seen']} tokens, val loss {val_loss:.3f}")
    return record


def _data(data_root: Path, cache_dir: Path) -> tuple[MusicTokenizer, ConditionBins, dict]:
    """The tokenizer, the condition bins and the token cache's pieces (the cache is built on first use)."""
    npz = cache_dir / "music_tokens.npz"
    if not npz.is_file():
        prepare_cache(data_root, cache_dir)
    tok = MusicTokenizer()
    bins = ConditionBins.from_dict(json.loads((cache_dir / "bins.json").read_text()))
    return tok, bins, load_cache(npz, tok)


def _optimiser(model: MusicTransformer, tc: TrainConfig) -> torch.optim.AdamW:
    """AdamW with weight decay on matrices only (not on norms and biases)."""
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": tc.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=tc.lr,
        betas=(0.9, 0.95),
    )


def _resume(state_path: Path, model: MusicTransformer, opt: torch.optim.Optimizer) -> dict:
    """Model and optimiser state loaded from ``state_path``; returns the training record so far."""
    if not state_path.is_file():
        raise FileNotFoundError(f"--resume: no training state at {state_path}")
    st = torch.load(state_path, weights_only=False)
    model.load_state_dict(st["model"])
    opt.load_state_dict(st["opt"])
    return st["record"]


def _step(model, opt, sampler: WindowSampler, tc: TrainConfig, rng, record: dict, frac: float) -> None:
    """One optimiser step on a sampled batch at the scheduled learning rate; the record counts it."""
    step = record["steps"]
    for g in opt.param_groups:
        g["lr"] = lr_at(step, tc, frac)
    x, y = sampler.sample(tc.batch_size, rng)
    loss = model.loss(torch.from_numpy(x), torch.from_numpy(y))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), tc.grad_clip)
    opt.step()
    record["steps"] += 1
    record["tokens_seen"] += int((y != -100).sum())
    ema = record.get("final_train_loss") if step > 0 else None
    record["final_train_loss"] = loss.item() if ema is None else 0.95 * ema + 0.05 * loss.item()
    if record["steps"] % 10 == 0:
        tps = record["tokens_seen"] / max(record["wall_s"], 1e-6)
        print(
            f"step {record['steps']} loss {record['final_train_loss']:.3f} lr {lr_at(step, tc, frac):.2e} {tps:.0f} tok/s",
            flush=True,
        )


def _eval_into(record: dict, model, sampler: WindowSampler, tc: TrainConfig) -> float:
    """The val loss now, appended to the record's history."""
    val_loss = evaluate(model, sampler, tc.eval_batches, tc.batch_size)
    record["history"].append(
        {"step": record["steps"], "train": record.get("final_train_loss"), "val": val_loss, "wall_s": record["wall_s"]}
    )
    print(f"  val loss {val_loss:.3f}", flush=True)
    return val_loss
