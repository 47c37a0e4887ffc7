"""REMI tokens (miditok) plus the generator's condition tokens, in one vocabulary.

A sequence the model sees::

    BOS  CTempo_b CMode_m CNoteDensity_b ... CChordValence_b          <- piece prefix (any may be NA)
    Bar BarLeft_k BarDens_b  Position_.. Tempo_.. Pitch_.. Velocity_.. Duration_.. ...
    Bar BarLeft_k BarDens_b  ...                                      <- one group per bar
    ... EOS                                                           <- only where the piece really ends

``BarLeft_k`` says the piece ends in ``k`` bars (``far`` otherwise) so the model learns endings and
the pipeline can ask for exactly N bars; ``BarDens_b`` is the bar's note-density bin, which gives
bar-by-bar density control. All scores are merged to one piano track in 4/4.

The condition tokens are added to the miditok vocabulary, so ``tokenizer.json`` holds all of it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import symusic
from miditok import REMI, TokenizerConfig

from .conditions import BARS_LEFT_MAX, PREFIX_ORDER, condition_vocab, token_name

TOKENIZER_FILE = "tokenizer.json"


def default_config() -> TokenizerConfig:
    """REMI with Tempo and Bar tokens, 16th-note grid, 8 velocities, one piano stream."""
    return TokenizerConfig(
        pitch_range=(21, 109),
        beat_res={(0, 4): 4, (4, 8): 2},
        num_velocities=8,
        use_tempos=True,
        num_tempos=32,
        tempo_range=(40, 250),
        use_time_signatures=False,
        use_programs=False,
        special_tokens=["PAD", "BOS", "EOS"],
    )


class MusicTokenizer:
    """miditok REMI + condition tokens.

    Args:
        remi: a miditok ``REMI`` tokenizer; condition tokens are added if missing.
    """

    def __init__(self, remi: REMI | None = None):
        self.remi = remi if remi is not None else REMI(default_config())
        for t in condition_vocab():
            if t not in self.remi.vocab:
                self.remi.add_to_vocab(t)
        v = self.remi.vocab
        self.vocab = v
        self.pad_id, self.bos_id, self.eos_id = v["PAD_None"], v["BOS_None"], v["EOS_None"]
        self.bar_id = v["Bar_None"]
        self.cond_ids = {t: v[t] for t in condition_vocab()}
        self.extra_ids = np.array(sorted(self.cond_ids.values()), dtype=np.int64)
        self.tempo_token_ids = np.array(sorted(i for t, i in v.items() if t.startswith("Tempo_")), dtype=np.int64)

    def __len__(self) -> int:
        return len(self.vocab)

    # ------------------------------------------------------------------ save / load
    def save(self, folder: str | Path) -> Path:
        """Write ``tokenizer.json`` (miditok's format, condition tokens included)."""
        from studio.io import atomic_path

        path = Path(folder) / TOKENIZER_FILE
        with atomic_path(path) as tmp:
            self.remi.save(tmp)
        return path

    @classmethod
    def load(cls, folder: str | Path) -> MusicTokenizer:
        path = Path(folder)
        path = path / TOKENIZER_FILE if path.is_dir() else path
        if not path.is_file():
            raise FileNotFoundError(f"no {TOKENIZER_FILE} at {path}")
        return cls(REMI(params=path))

    # ------------------------------------------------------------------ condition tokens
    def cond_id(self, attr: str, value: str | int) -> int:
        """Id of a piece-level condition token, e.g. ``cond_id('tempo', 3)`` or ``('mode', 'NA')``."""
        return self.cond_ids[f"{token_name(attr)}_{value}"]

    def prefix(self, bins: dict[str, int | str | None]) -> list[int]:
        """``[BOS, cond...]`` for piece-level bins; missing / ``None`` attributes become ``NA``."""
        ids = [self.bos_id]
        for attr in PREFIX_ORDER:
            b = bins.get(attr)
            ids.append(self.cond_id(attr, "NA" if b is None else b))
        return ids

    def bar_left_id(self, bars_left: int) -> int:
        """``BarLeft_k`` for a bar that is the ``bars_left``-th from the end (1 = last bar)."""
        return self.cond_ids[f"BarLeft_{bars_left}" if 1 <= bars_left <= BARS_LEFT_MAX else "BarLeft_far"]

    def bar_dens_id(self, b: int | None) -> int:
        return self.cond_ids["BarDens_NA" if b is None else f"BarDens_{b}"]

    # ------------------------------------------------------------------ scores
    @staticmethod
    def merge_to_piano(score: symusic.Score) -> symusic.Score:
        """One piano track holding every non-drum note; tempos kept, time signatures dropped (4/4)."""
        out = symusic.Score(score.ticks_per_quarter)
        track = symusic.Track("piano", 0, False)
        for t in score.tracks:
            if not t.is_drum:
                track.notes.extend(t.notes)
        track.notes.sort()
        out.tracks.append(track)
        out.tempos = score.tempos
        return out

    def encode_body(self, score: symusic.Score) -> np.ndarray:
        """REMI ids of a score merged to one piano track, ``[T]`` (no condition tokens)."""
        seqs = self.remi.encode(self.merge_to_piano(score))
        seq = seqs[0] if isinstance(seqs, list) else seqs
        return np.asarray(seq.ids, dtype=np.int64)

    def decode(self, ids, tpq: int = 480) -> symusic.Score:
        """Score from generated ids; condition and special tokens are dropped first.

        Args:
            ids: ``[T]`` token ids (list, numpy or torch).
            tpq: ticks per quarter of the returned score.
        """
        ids = np.asarray(ids.tolist() if hasattr(ids, "tolist") else ids, dtype=np.int64)
        keep = ~np.isin(ids, self.extra_ids) & (ids != self.pad_id) & (ids != self.bos_id) & (ids != self.eos_id)
        body = ids[keep].tolist()
        if not body:
            score = symusic.Score(tpq)
            score.tracks.append(symusic.Track("piano", 0, False))
            return score
        score = self.remi.decode([body])
        return score.resample(tpq) if score.ticks_per_quarter != tpq else score
