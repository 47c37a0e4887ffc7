"""Bar-level conditional VQ-VAE: discrete codes for what a bar *is*, conditions for how it sounds.

Each 4-beat chunk ("bar") of accompaniment becomes a piano roll ``[2, 16, 88]`` (onset and
sounding channels, 16th-note steps, MIDI pitches 21-108) after transposing the piece to tonic C.
The encoder sees the bar *register-normalised* (rolled so its mean pitch sits at 60), so the codes
cannot carry register; the decoder gets the codes plus bar conditions (mode, note-count bin,
register bin, rhythm bin, hold bin) and must take those from the conditions. Changing the
conditions at decode time is how :mod:`studio.music.transform` re-aims a bar.

Train (self-supervised, POP909 piano+bridge and EMOPIA train clips, melody removed)::

    python -m studio.music.vqvae train --data ../shared/data --out checkpoints/music-vqvae --minutes 14

Axis legend: b - batch, c - channel (onset, sounding), t - 16th step, p - pitch, n - codes, d - dim.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from einops import rearrange

from studio.attributes.music import key_from_histogram
from studio.music.splits import pop909_is_validation

STEPS, LOW, PITCHES = 16, 21, 88
COND_NAMES = ("mode", "count", "register", "rhythm", "hold")
# bin edges (np.digitize): notes per bar, mean pitch, distinct onset steps, mean held steps per note
COUNT_EDGES = (3, 6, 10, 15, 22, 32)
REGISTER_EDGES = (44, 50, 56, 62, 68)
RHYTHM_EDGES = (2, 4, 6, 9, 12)
HOLD_EDGES = (1.5, 2.5, 4.0, 7.0)


# --- bars <-> rolls ---------------------------------------------------------------------------


def estimate_key(pitches: np.ndarray, durations: np.ndarray) -> tuple[int, int]:
    """Key of a note set by the studio's one key finder: (tonic 0-11, mode 0 major / 1 minor)."""
    hist = np.bincount(pitches % 12, weights=durations, minlength=12)
    if hist.sum() <= 0:
        return 0, 0
    tonic, p_major = key_from_histogram(hist)
    return tonic, 0 if p_major >= 0.5 else 1


def notes_to_rolls(notes: np.ndarray, n_bars: int, shift: int = 0) -> np.ndarray:
    """Notes ``[N, 3]`` (start step, end step, pitch) -> rolls ``[n_bars, 2, 16, 88]`` uint8.

    ``shift`` transposes (e.g. ``-tonic`` to put the piece in C); pitches are folded by octaves into
    range. The sounding channel includes the onset step; notes may sound on into later bars.
    """
    roll = np.zeros((n_bars * STEPS, 2, PITCHES), np.uint8)
    for s, e, p in notes:
        q = int(p) + shift
        while q < LOW:
            q += 12
        while q >= LOW + PITCHES:
            q -= 12
        s = int(s)
        if s >= n_bars * STEPS:
            continue
        roll[s, 0, q - LOW] = 1
        roll[s : max(int(e), s + 1), 1, q - LOW] = 1
    return rearrange(roll, "(b t) c p -> b c t p", t=STEPS)


def roll_stats(roll: np.ndarray) -> dict[str, float]:
    """Raw statistics of one bar roll ``[2, 16, 88]`` that the conditions bin."""
    on = roll[0] > 0
    n = int(on.sum())
    if n == 0:
        return {"count": 0.0, "register": 60.0, "rhythm": 0.0, "hold": 1.0}
    t_idx, p_idx = np.nonzero(on)
    held = []
    for t, p in zip(t_idx, p_idx):
        k = t + 1
        while k < STEPS and roll[1, k, p] and not roll[0, k, p]:
            k += 1
        held.append(k - t)
    return {
        "count": float(n),
        "register": float(p_idx.mean() + LOW),
        "rhythm": float(len(set(t_idx.tolist()))),
        "hold": float(np.mean(held)),
    }


def bin_conditions(stats: dict[str, float], mode: int) -> np.ndarray:
    """Raw bar statistics -> condition indices ``[5]`` in :data:`COND_NAMES` order."""
    return np.array(
        [
            mode,
            np.digitize(stats["count"], COUNT_EDGES),
            np.digitize(stats["register"], REGISTER_EDGES),
            np.digitize(stats["rhythm"], RHYTHM_EDGES),
            np.digitize(stats["hold"], HOLD_EDGES),
        ],
        np.int64,
    )


def center_register(roll: np.ndarray) -> np.ndarray:
    """Roll a bar ``[..., 2, 16, 88]`` along pitch so its mean sounding pitch sits near 60."""
    on = roll[..., 0, :, :]
    if on.sum() == 0:
        return roll
    mean = float(np.nonzero(on)[-1].mean()) + LOW
    return np.roll(roll, int(round(60 - mean)), axis=-1)


# --- model ------------------------------------------------------------------------------------


@dataclass
class VQVAEConfig:
    """Sizes of the bar VQ-VAE (defaults, the released ones, give 1.82M parameters, 7.4 MB float32)."""

    n_codes: int = 8  # codes per bar
    codebook_size: int = 256
    code_dim: int = 64
    step_dim: int = 96  # per-16th-step projection of the 2x88 roll slice
    hidden: int = 384
    cond_dim: int = 32
    cond_bins: tuple = (2, len(COUNT_EDGES) + 1, len(REGISTER_EDGES) + 1, len(RHYTHM_EDGES) + 1, len(HOLD_EDGES) + 1)
    commitment: float = 0.25
    decay: float = 0.99
    pos_weight: float = 3.0
    threshold: float = 0.5  # decode threshold on sigmoid probabilities
    extra: dict = field(default_factory=dict)  # training facts recorded with the checkpoint


class EMAQuantizer(nn.Module):
    """Vector quantiser with an EMA codebook and dead-code restarts (lucidrains-style)."""

    def __init__(self, size: int, dim: int, decay: float) -> None:
        super().__init__()
        self.decay = decay
        self.register_buffer("embed", torch.randn(size, dim) * 0.1)
        self.register_buffer("cluster_size", torch.ones(size))
        self.register_buffer("embed_sum", self.embed.clone())

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """z ``[b, n, d]`` -> (quantised ``[b, n, d]`` with straight-through grads, indices ``[b, n]``)."""
        flat = rearrange(z, "b n d -> (b n) d")
        idx = torch.cdist(flat, self.embed).argmin(-1)
        q = self.embed[idx]
        if self.training:
            with torch.no_grad():
                onehot = F.one_hot(idx, self.embed.shape[0]).type(flat.dtype)
                self.cluster_size.mul_(self.decay).add_(onehot.sum(0), alpha=1 - self.decay)
                self.embed_sum.mul_(self.decay).add_(onehot.t() @ flat, alpha=1 - self.decay)
                n = self.cluster_size.sum()
                size = (self.cluster_size + 1e-5) / (n + self.embed.shape[0] * 1e-5) * n
                self.embed.copy_(self.embed_sum / size.unsqueeze(1))
                dead = self.cluster_size < 0.02
                if dead.any():  # restart dead codes on random encoder outputs of this batch
                    pick = torch.randint(0, flat.shape[0], (int(dead.sum()),), device=flat.device)
                    self.embed[dead] = flat[pick]
                    self.embed_sum[dead] = flat[pick]
                    self.cluster_size[dead] = 1.0
        q = rearrange(q, "(b n) d -> b n d", b=z.shape[0])
        return z + (q - z).detach(), rearrange(idx, "(b n) -> b n", b=z.shape[0])


class BarVQVAE(nn.Module):
    """Encode a bar to ``n_codes`` discrete codes; decode codes + conditions back to a roll."""

    def __init__(self, config: VQVAEConfig | None = None) -> None:
        super().__init__()
        self.config = c = config or VQVAEConfig()
        flat = STEPS * c.step_dim
        self.enc_step = nn.Linear(2 * PITCHES, c.step_dim)
        self.enc = nn.Sequential(
            nn.GELU(), nn.Linear(flat, c.hidden), nn.GELU(), nn.Linear(c.hidden, c.n_codes * c.code_dim)
        )
        self.vq = EMAQuantizer(c.codebook_size, c.code_dim, c.decay)
        self.cond_emb = nn.ModuleList(nn.Embedding(k, c.cond_dim) for k in c.cond_bins)
        self.dec = nn.Sequential(
            nn.Linear(c.n_codes * c.code_dim + len(c.cond_bins) * c.cond_dim, c.hidden),
            nn.GELU(),
            nn.Linear(c.hidden, c.hidden),
            nn.GELU(),
            nn.Linear(c.hidden, flat),
            nn.GELU(),
        )
        self.dec_step = nn.Linear(c.step_dim, 2 * PITCHES)

    def _z(self, roll: torch.Tensor) -> torch.Tensor:
        h = self.enc_step(rearrange(roll.float(), "b c t p -> b t (c p)"))
        return rearrange(self.enc(rearrange(h, "b t d -> b (t d)")), "b (n d) -> b n d", n=self.config.n_codes)

    def encode(self, roll: torch.Tensor) -> torch.Tensor:
        """Register-centred rolls ``[b, 2, 16, 88]`` -> code indices ``[b, n]``."""
        return self.vq(self._z(roll))[1]

    def decode(self, codes: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """Codes ``[b, n]`` and conditions ``[b, 5]`` -> logits ``[b, 2, 16, 88]``."""
        return self._decode(self.vq.embed[codes], cond)

    def _decode(self, q: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        e = torch.cat([emb(cond[:, i]) for i, emb in enumerate(self.cond_emb)], -1)
        h = self.dec(torch.cat([rearrange(q, "b n d -> b (n d)"), e], -1))
        h = self.dec_step(rearrange(h, "b (t d) -> b t d", t=STEPS))
        return rearrange(h, "b t (c p) -> b c t p", c=2)

    def forward(self, centred: torch.Tensor, target: torch.Tensor, cond: torch.Tensor) -> dict[str, torch.Tensor]:
        """Args: centred/target rolls ``[b, 2, 16, 88]``, cond ``[b, 5]``. Returns losses and codes."""
        z = self._z(centred)
        q, idx = self.vq(z)
        logits = self._decode(q, cond)
        pw = torch.tensor(self.config.pos_weight)
        recon = F.binary_cross_entropy_with_logits(logits, target.float(), pos_weight=pw)
        commit = F.mse_loss(z, q.detach())
        return {"loss": recon + self.config.commitment * commit, "recon": recon, "commit": commit, "codes": idx}

    # --- checkpoints ---------------------------------------------------------------------------
    def save_pretrained(self, out: str | Path) -> Path:
        from safetensors.torch import save_file

        from studio.io import atomic_path, write_json_atomic

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        cfg = asdict(self.config)
        cfg["cond_bins"] = list(cfg["cond_bins"])
        write_json_atomic(out / "config.json", {"model": "bar-vqvae", **cfg})
        with atomic_path(out / "model.safetensors") as tmp:
            save_file({k: v.contiguous() for k, v in self.state_dict().items()}, str(tmp))
        return out

    @classmethod
    def from_pretrained(cls, path: str | Path | None = None) -> BarVQVAE:
        from safetensors.torch import load_file

        from studio.paths import checkpoint

        path = Path(path) if path else checkpoint("music-vqvae")
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"no VQ-VAE checkpoint at {path} (train: python -m studio.music.vqvae train)")
        cfg = json.loads((path / "config.json").read_text())
        cfg.pop("model", None)
        cfg["cond_bins"] = tuple(cfg["cond_bins"])
        model = cls(VQVAEConfig(**cfg))
        model.load_state_dict(load_file(str(path / "model.safetensors")))
        return model.eval()


# --- data -------------------------------------------------------------------------------------


def skyline(notes: np.ndarray, sustain: bool = False) -> np.ndarray:
    """Boolean mask over notes ``[N, >=3]`` (start step, end step, pitch, ...): the top voice.

    Plain (``sustain=False``, used to build the training set): the highest note of each onset step.
    ``sustain=True`` (used by the transform): an onset's highest note joins the melody only if no
    higher melody note is still sounding, so inner voices under a held melody note stay accompaniment.
    """
    mask = np.zeros(len(notes), bool)
    if len(notes) == 0:
        return mask
    order = np.lexsort((-notes[:, 2], notes[:, 0]))
    _, first = np.unique(notes[order, 0], return_index=True)
    if not sustain:
        mask[order[first]] = True
        return mask
    cur_end, cur_pitch = -1, -1
    for i in order[first]:
        s, e, p = (int(x) for x in notes[i, :3])
        if s < cur_end and p < cur_pitch:
            continue
        mask[i] = True
        cur_end, cur_pitch = e, p
    return mask


def score_notes(score, tracks=None) -> np.ndarray:
    """Non-drum notes of a symusic score as ``[N, 5]`` (start step, end step, pitch, velocity, track)."""
    q = score.ticks_per_quarter / 4
    rows = []
    for i, tr in enumerate(score.tracks):
        if tr.is_drum or (tracks is not None and i not in tracks):
            continue
        for n in tr.notes:
            s = int(round(n.start / q))
            rows.append((s, max(s + 1, int(round(n.end / q))), n.pitch, n.velocity, i))
    return np.array(rows, np.int64).reshape(-1, 5)


def piece_bars(notes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Accompaniment notes ``[N, >=3]`` -> (rolls ``[B, 2, 16, 88]``, centred rolls, conditions ``[B, 5]``)."""
    tonic, mode = estimate_key(notes[:, 2], notes[:, 1] - notes[:, 0])
    n_bars = int(notes[:, 0].max()) // STEPS + 1
    rolls = notes_to_rolls(notes[:, :3], n_bars, shift=-tonic)
    keep = rolls[:, 0].reshape(n_bars, -1).sum(1) > 0
    rolls = rolls[keep]
    cond = np.stack([bin_conditions(roll_stats(r), mode) for r in rolls]) if len(rolls) else np.zeros((0, 5), np.int64)
    centred = np.stack([center_register(r) for r in rolls]) if len(rolls) else rolls
    return rolls, centred, cond


def build_dataset(data: Path, cache: Path) -> dict[str, np.ndarray]:
    """Bars of POP909 (piano+bridge) and EMOPIA train/val clips (skyline melody removed), cached.

    Validation: POP909 songs whose number is divisible by 20 and EMOPIA's official val clips.
    EMOPIA test clips are never read.
    """
    import csv

    import symusic

    if cache.is_file():
        z = np.load(cache)
        return {k: z[k] for k in z.files}
    parts = {"train": [], "val": []}
    for d in sorted((data / "pop909" / "POP909").iterdir()):
        f = d / f"{d.name}.mid"
        if not f.is_file():
            continue
        s = symusic.Score(str(f))
        acc = [i for i, t in enumerate(s.tracks) if t.name.upper() in ("PIANO", "BRIDGE")]
        notes = score_notes(s, set(acc))
        if len(notes):
            parts["val" if pop909_is_validation(int(d.name)) else "train"].append(piece_bars(notes))
    split = data / "emopia" / "split"
    for name, which in (("train_clip.csv", "train"), ("val_clip.csv", "val")):
        with open(split / name) as fh:
            clips = [r["clip_name"] for r in csv.DictReader(fh)]
        for c in clips:
            notes = score_notes(symusic.Score(str(data / "emopia" / "midis" / c)))
            notes = notes[~skyline(notes)]
            if len(notes):
                parts[which].append(piece_bars(notes))
    out = {}
    for k, items in parts.items():
        out[f"{k}_roll"] = np.packbits(np.concatenate([i[0] for i in items]), axis=-1)
        out[f"{k}_centred"] = np.packbits(np.concatenate([i[1] for i in items]), axis=-1)
        out[f"{k}_cond"] = np.concatenate([i[2] for i in items])
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(cache, **out)
    return out


def unpack(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.unpackbits(x, axis=-1, count=PITCHES))


@torch.no_grad()
def evaluate(model: BarVQVAE, ds: dict[str, np.ndarray], split: str = "val", limit: int = 4000) -> dict[str, float]:
    """Held-out reconstruction: BCE, onset-note F1 at the config threshold, code perplexity."""
    model.eval()
    roll, cent, cond = (ds[f"{split}_{k}"][:limit] for k in ("roll", "centred", "cond"))
    tp = fp = fn = 0
    recon, counts = [], torch.zeros(model.config.codebook_size)
    for i in range(0, len(roll), 512):
        r, c, k = unpack(roll[i : i + 512]), unpack(cent[i : i + 512]), torch.from_numpy(cond[i : i + 512])
        out = model(c, r, k)
        recon.append(float(out["recon"]) * len(r))
        counts += torch.bincount(out["codes"].flatten(), minlength=counts.numel()).float()
        pred = torch.sigmoid(model.decode(out["codes"], k))[:, 0] > model.config.threshold
        true = r[:, 0] > 0
        tp += int((pred & true).sum())
        fp += int((pred & ~true).sum())
        fn += int((~pred & true).sum())
    p = counts / counts.sum()
    perp = float(torch.exp(-(p[p > 0] * p[p > 0].log()).sum()))
    f1 = 2 * tp / max(1, 2 * tp + fp + fn)
    model.train()
    return {"recon_bce": sum(recon) / len(roll), "note_f1": f1, "code_perplexity": perp, "bars": len(roll)}


def train(
    data: Path, out: Path, minutes: float = 14.0, seed: int = 0, batch: int = 256, n_codes: int = 8, lr: float = 3e-3
) -> dict:
    """Train on cached bars for ``minutes`` of wall time; save the checkpoint and return metrics.

    The decode threshold is chosen on the first 1,500 held-out bars (POP909 val songs) and the
    reported figures use all held-out bars, so they are slightly optimistic about the threshold only.
    """
    torch.set_num_threads(1)
    torch.manual_seed(seed)  # init only; this is the training entry point, not a library call
    from studio.paths import PROJECT_ROOT

    t0 = time.time()
    ds = build_dataset(data, PROJECT_ROOT / "cache" / "music-vqvae" / "bars.npz")
    n = len(ds["train_cond"])
    print(f"bars: train {n}, val {len(ds['val_cond'])} ({time.time() - t0:.0f}s to build)", flush=True)
    model = BarVQVAE(VQVAEConfig(n_codes=n_codes))
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    rng = np.random.default_rng(seed)
    step, t_train = 0, time.time()
    while time.time() - t_train < minutes * 60:
        idx = np.sort(rng.choice(n, batch, replace=False))
        r, c = unpack(ds["train_roll"][idx]), unpack(ds["train_centred"][idx])
        k = torch.from_numpy(ds["train_cond"][idx])
        loss = model(c, r, k)
        opt.zero_grad(set_to_none=True)
        loss["loss"].backward()
        opt.step()
        loss = {k: v.detach() for k, v in loss.items()}
        step += 1
        if step % 200 == 0:
            print(f"step {step} recon {float(loss['recon']):.4f} commit {float(loss['commit']):.4f}", flush=True)
        if step % 1000 == 0:
            print(evaluate(model, ds, limit=1000), flush=True)
    best = (-1.0, 0.5)
    for th in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        model.config.threshold = th
        best = max(best, (evaluate(model, ds, limit=1500)["note_f1"], th))
    model.config.threshold = best[1]
    metrics = evaluate(model, ds)
    metrics.update(threshold=best[1], steps=step, train_bars=n, train_minutes=round((time.time() - t_train) / 60, 2))
    model.config.extra = {"metrics": metrics, "seed": seed, "batch": batch}
    model.save_pretrained(out)
    print(json.dumps(metrics), flush=True)
    return metrics


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m studio.music.vqvae")
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="train the bar VQ-VAE")
    t.add_argument("--data", type=Path, default=None)
    t.add_argument("--out", type=Path, default=Path("checkpoints/music-vqvae"))
    t.add_argument("--minutes", type=float, default=14.0)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--n-codes", type=int, default=8)
    t.add_argument("--lr", type=float, default=3e-3)
    e = sub.add_parser("eval", help="held-out reconstruction of a checkpoint")
    e.add_argument("--data", type=Path, default=None)
    e.add_argument("--ckpt", type=Path, default=None)
    args = ap.parse_args(argv)
    from studio.paths import PROJECT_ROOT, data_root

    data = args.data or data_root()
    if args.cmd == "train":
        train(data, args.out, args.minutes, args.seed, n_codes=args.n_codes, lr=args.lr)
    else:
        ds = build_dataset(data, PROJECT_ROOT / "cache" / "music-vqvae" / "bars.npz")
        print(json.dumps(evaluate(BarVQVAE.from_pretrained(args.ckpt), ds)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
