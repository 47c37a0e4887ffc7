"""Training data for the MIDI generator: pre-tokenised once to ``cache/``, then sampled as windows.

Sources (self-supervised: every condition is measured from the music; labels are not used):

* POP909 songs (``pop909/POP909/NNN/NNN.mid``), split 95/5 by song number;
* Nottingham folk tunes in 4/4 or 2/4 (``nottingham/MIDI``), split 95/5 by file name;
* EMOPIA clips with EMOPIA's own split: ``train`` -> train, ``val`` -> val, ``test`` is left out
  entirely because the music critic reports on it.

Every piece is transposed so its estimated tonic is C (the model is conditioned on mode only; the
pipeline transposes to the requested key) and its tempo is scaled by 0.9, 1.0 or 1.1 (augmentation
with the tempo condition updated).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import symusic
from tqdm import tqdm

from .conditions import CONTINUOUS, NUM_BINS, PREFIX_ORDER, ConditionBins, measure
from .splits import nottingham_is_validation, pop909_is_validation
from .tokenizer import MusicTokenizer

ROW_FIELDS = ("tempo", "key", "mode", *CONTINUOUS[1:])
_OK_TIME_SIGS = {(4, 4), (2, 4), (2, 2)}


def list_sources(root: Path) -> list[tuple[str, Path, str]]:
    """``(piece id, path, split)`` for every usable training/validation file under the data root."""
    items: list[tuple[str, Path, str]] = []
    for d in sorted((root / "pop909" / "POP909").glob("[0-9][0-9][0-9]")):
        split = "val" if pop909_is_validation(int(d.name)) else "train"
        items.append((f"pop909/{d.name}", d / f"{d.name}.mid", split))
    for f in sorted((root / "nottingham" / "MIDI").glob("*.mid")):
        split = "val" if nottingham_is_validation(f.stem) else "train"
        items.append((f"nottingham/{f.stem}", f, split))
    emo = root / "emopia"
    splits = {}
    for name in ("train", "val", "test"):
        with open(emo / "split" / f"{name}_clip.csv") as fh:
            for row in csv.DictReader(fh):
                splits[row["clip_name"]] = name
    for f in sorted((emo / "midis").glob("*.mid")):
        split = splits.get(f.name, "test")
        if split != "test":  # the critic's held-out clips never reach the generator
            items.append((f"emopia/{f.stem}", f, split))
    return items


def _time_sig_ok(score: symusic.Score) -> bool:
    return all((t.numerator, t.denominator) in _OK_TIME_SIGS for t in score.time_signatures)


def prepare_piece(
    tok: MusicTokenizer, path: Path, tempo_factor: float, check_time_sig: bool = True
) -> tuple[np.ndarray, dict] | None:
    """Tokenise one file: merge to piano, transpose to C, scale tempo. ``None`` if unusable.

    ``check_time_sig=False`` for POP909, whose time-signature events are export artefacts (1/4, 2/4
    marks on songs that are in 4/4); trusting them dropped 700 of its 909 songs.
    """
    score = symusic.Score(str(path))
    if (check_time_sig and not _time_sig_ok(score)) or score.note_num() < 16:
        return None
    piano = tok.merge_to_piano(score)
    row = measure(piano)
    shift = (-int(row["key"])) % 12
    shift = shift - 12 if shift > 6 else shift
    piano = piano.shift_pitch(shift)
    tempos = piano.tempos if len(piano.tempos) else [symusic.Tempo(0, 120.0)]
    piano.tempos = [symusic.Tempo(t.time, float(t.qpm) * tempo_factor) for t in tempos]
    row["tempo"] = row["tempo"] * tempo_factor
    row["pitch_mean"] = row["pitch_mean"] + shift
    ids = tok.encode_body(piano)
    if (ids == tok.bar_id).sum() < 2:
        return None
    return ids, row


def prepare_cache(data_root: Path, cache_dir: Path, limit: int | None = None, seed: int = 0) -> Path:
    """Tokenise every source once into ``cache_dir/music_tokens.npz`` + ``bins.json``.

    Args:
        data_root: the shared data folder.
        cache_dir: output folder (gitignored ``cache/``).
        limit: only the first ``limit`` files of each source kind (quick runs and tests).
        seed: seed of the tempo augmentation draw.

    Returns:
        path of the ``.npz``.
    """
    tok = MusicTokenizer()
    rng = np.random.default_rng(seed)
    items = list_sources(Path(data_root))
    if limit:
        by_kind: dict[str, list] = {}
        for it in items:
            by_kind.setdefault(it[0].split("/")[0], []).append(it)
        items = [it for v in by_kind.values() for it in v[:limit]]
    tokens, offsets, rows, splits, names = [], [0], [], [], []
    for pid, path, split in tqdm(items, desc="tokenising", mininterval=5):
        factor = float(rng.choice([0.9, 1.0, 1.1])) if split == "train" else 1.0
        try:
            got = prepare_piece(tok, path, factor, check_time_sig=not pid.startswith("pop909/"))
        except Exception as e:  # a few files in public corpora are malformed; skip them, say so
            print(f"skip {pid}: {e}")
            continue
        if got is None:
            continue
        ids, row = got
        tokens.append(ids.astype(np.int16))
        offsets.append(offsets[-1] + len(ids))
        rows.append([row[k] for k in ROW_FIELDS])
        splits.append(0 if split == "train" else 1)
        names.append(pid)
    cache_dir.mkdir(parents=True, exist_ok=True)
    out = cache_dir / "music_tokens.npz"
    np.savez(
        out,
        tokens=np.concatenate(tokens),
        offsets=np.asarray(offsets, dtype=np.int64),
        rows=np.asarray(rows, dtype=np.float64),
        splits=np.asarray(splits, dtype=np.int8),
        names=np.asarray(names),
    )
    train_rows = [dict(zip(ROW_FIELDS, r)) for r, s in zip(rows, splits) if s == 0]
    bins = ConditionBins.fit(train_rows)
    (cache_dir / "bins.json").write_text(json.dumps(bins.to_dict(), indent=2))
    return out


@dataclass
class CachedPiece:
    """One cached piece: REMI ids, bar starts and its measurements."""

    ids: np.ndarray  # [T]
    bar_starts: np.ndarray  # [n_bars] indices of Bar tokens in ids
    bar_dens: np.ndarray  # [n_bars] notes per beat per bar
    row: dict[str, float]


class WindowSampler:
    """Draws training windows ``[B, ctx]`` with condition prefixes, per-bar tokens and dropout.

    Args:
        pieces: cached pieces of one split.
        tok: the tokenizer.
        bins: condition bin edges.
        ctx: sequence length.
        cond_dropout: probability of replacing each condition by ``NA``.
        end_prob: probability of drawing the window that ends the piece (so endings are learned).
    """

    def __init__(self, pieces, tok, bins, ctx=512, cond_dropout=0.3, end_prob=0.2):
        self.pieces, self.tok, self.bins = pieces, tok, bins
        self.ctx, self.cond_dropout, self.end_prob = ctx, cond_dropout, end_prob
        w = np.array([len(p.ids) for p in pieces], dtype=float)
        self.weights = w / w.sum()

    def piece_bins(self, row: dict[str, float]) -> dict[str, int | str]:
        out: dict[str, int | str] = {a: self.bins.bin(a, row[a]) for a in CONTINUOUS}
        out["mode"] = "major" if row["mode"] >= 0.5 else "minor"
        return out

    def build(self, piece: CachedPiece, start_bar: int, rng: np.random.Generator, drop: bool = True):
        """One window: ``(ids [<=ctx+1], loss_mask [<=ctx+1])`` starting at bar ``start_bar``."""
        tok = self.tok
        bins = self.piece_bins(piece.row)
        if drop:
            bins = {a: (None if rng.random() < self.cond_dropout else b) for a, b in bins.items()}
        ids = tok.prefix({a: bins.get(a) for a in PREFIX_ORDER})
        mask = [False] * len(ids)
        drop_bar = drop and rng.random() < self.cond_dropout
        n_bars = len(piece.bar_starts)
        for b in range(start_bar, n_bars):
            lo = piece.bar_starts[b]
            hi = piece.bar_starts[b + 1] if b + 1 < n_bars else len(piece.ids)
            dens = None if drop_bar else self.bins.bin("note_density", piece.bar_dens[b])
            seg = [tok.bar_id, tok.bar_left_id(n_bars - b), tok.bar_dens_id(dens), *piece.ids[lo + 1 : hi].tolist()]
            ids += seg
            mask += [True, False, False] + [True] * (len(seg) - 3)
            if len(ids) > self.ctx:
                break
        else:
            ids.append(tok.eos_id)
            mask.append(True)
        return np.asarray(ids[: self.ctx + 1]), np.asarray(mask[: self.ctx + 1])

    def sample(self, batch_size: int, rng: np.random.Generator):
        """Returns ``x [B, ctx]``, ``y [B, ctx]`` (int64; ``-100`` where no loss is taken)."""
        x = np.full((batch_size, self.ctx), self.tok.pad_id, dtype=np.int64)
        y = np.full((batch_size, self.ctx), -100, dtype=np.int64)
        for i in range(batch_size):
            p = self.pieces[rng.choice(len(self.pieces), p=self.weights)]
            n_bars = len(p.bar_starts)
            if rng.random() < self.end_prob:
                # Latest start whose window still reaches the end: walk back until it no longer fits.
                start, size = n_bars - 1, len(p.ids) - p.bar_starts[-1]
                while start > 0 and size + (p.bar_starts[start] - p.bar_starts[start - 1]) + 2 * n_bars < self.ctx - 12:
                    start -= 1
                    size += p.bar_starts[start + 1] - p.bar_starts[start]
            else:
                start = int(rng.integers(0, n_bars))
            ids, mask = self.build(p, start, rng)
            n = len(ids) - 1
            x[i, :n] = ids[:-1]
            tgt = ids[1:].copy()
            tgt[~mask[1:]] = -100
            y[i, :n] = tgt
        return x, y


def load_cache(path: Path, tok: MusicTokenizer) -> dict[str, list[CachedPiece]]:
    """Cached pieces by split (``train``/``val``)."""
    z = np.load(path)
    tokens, offsets = z["tokens"].astype(np.int64), z["offsets"]
    out: dict[str, list[CachedPiece]] = {"train": [], "val": []}
    pitch_lo, pitch_hi = _pitch_id_range(tok)
    for i in range(len(offsets) - 1):
        ids = tokens[offsets[i] : offsets[i + 1]]
        bar_starts = np.flatnonzero(ids == tok.bar_id)
        if len(bar_starts) < 2:
            continue
        ids = ids[bar_starts[0] :]
        bar_starts = bar_starts - bar_starts[0]
        is_pitch = (ids >= pitch_lo) & (ids <= pitch_hi)
        bar_idx = np.cumsum(ids == tok.bar_id) - 1
        dens = np.bincount(bar_idx[is_pitch], minlength=len(bar_starts)) / 4.0
        row = dict(zip(ROW_FIELDS, z["rows"][i].tolist()))
        out["train" if z["splits"][i] == 0 else "val"].append(CachedPiece(ids, bar_starts, dens, row))
    return out


def _pitch_id_range(tok: MusicTokenizer) -> tuple[int, int]:
    ids = [i for t, i in tok.vocab.items() if t.startswith("Pitch_")]
    return min(ids), max(ids)


__all__ = ["prepare_cache", "load_cache", "WindowSampler", "CachedPiece", "list_sources", "NUM_BINS"]
