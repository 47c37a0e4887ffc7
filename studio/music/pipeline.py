"""``MusicPipeline``: attributes in, exactly N bars of piano MIDI out (diffusers-style, one ``__call__``).

    >>> pipe = MusicPipeline.from_pretrained()            # checkpoints/music-gen
    >>> pieces = pipe(attributes={"tempo": 80, "mode": 0.1, "note_density": 2.0}, bars=8, seed=7)
    >>> pieces[0].score.dump_midi("sad.mid")

The model writes in C (major or minor); the pipeline transposes to the requested ``key`` and writes
the requested ``tempo`` into the tempo map (the tempo condition shapes the rhythm; the map makes the
tempo exact). Unspecified attributes become ``NA`` condition tokens.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import symusic
import torch

from studio.attributes.music import PITCH_NAMES
from studio.progress import Progress, ProgressFn
from studio.seeding import numpy_rng, resolve_seed, torch_generator

from .checkpoint import CONFIG_FILE, load_model, save_checkpoint
from .conditions import CONTINUOUS, ConditionBins
from .model import MusicTransformer
from .request import (  # noqa: F401  (re-exported: the request contract lives in request.py)
    CONDITIONED,
    MAX_BARS,
    MAX_NOTES_PER_SECOND,
    MAX_PIECES,
    TPQ,
    Piece,
    check_num_pieces,
    normalise_attributes,
)
from .request import check_bars as _check_bars
from .sampling import generate_bars, validate_sampling
from .tokenizer import MusicTokenizer

# Pitch classes of C major and of C minor (natural plus the raised 7th), and their tonic triads:
# the model writes in C.
SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10, 11)}
TRIADS = {"major": (0, 4, 7), "minor": (0, 3, 7)}
# Sampling defaults chosen on bench/bench_music_gen.py (attribute adherence vs musical sanity).
DEFAULT_GUIDANCE = 1.0
DEFAULT_SCALE_BIAS = 1.5
DEFAULT_DENSITY_GAIN = 3.0


@dataclass
class PipelineConfig:
    name: str = "music-gen"
    version: str = "0.1.0"


class MusicPipeline:
    """The attribute-conditioned MIDI generator.

    Args:
        model: a ``MusicTransformer``.
        tokenizer: its ``MusicTokenizer``.
        bins: condition bin edges (``ConditionBins``).
        config: name/version recorded in results.
    """

    def __init__(self, model: MusicTransformer, tokenizer: MusicTokenizer, bins: ConditionBins, config=None):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.bins = bins
        self.config = config or PipelineConfig()
        self.training: dict = {}

    @classmethod
    def from_pretrained(cls, path: str | Path | None = None) -> MusicPipeline:
        """Load ``config.json`` + ``model.safetensors`` + ``tokenizer.json`` (default ``checkpoints/music-gen``)."""
        from studio.paths import checkpoint

        folder = Path(path) if path is not None else checkpoint("music-gen")
        if not (folder / CONFIG_FILE).is_file():
            raise FileNotFoundError(
                f"no music generator at {folder} (expected {CONFIG_FILE}, model.safetensors, tokenizer.json); "
                "train one with `studio train music`"
            )
        model, cfg = load_model(folder)
        pipe = cls(model, MusicTokenizer.load(folder), ConditionBins.from_dict(cfg["conditions"]))
        pipe.config = PipelineConfig(cfg.get("name", "music-gen"), cfg.get("version", "0.1.0"))
        pipe.training = cfg.get("training", {})
        return pipe

    def save_pretrained(self, folder: str | Path) -> Path:
        rec = dict(self.training, version=self.config.version)
        save_checkpoint(Path(folder), self.model, self.tokenizer, self.bins, rec)
        return Path(folder)

    @property
    def model_id(self) -> str:
        return f"{self.config.name} {self.config.version}"

    def condition_bins(self, request: dict[str, Any]) -> dict[str, Any]:
        """Condition-token bins for a normalised request (``None`` = unspecified)."""
        out: dict[str, Any] = {}
        for a in CONTINUOUS:
            out[a] = None if request.get(a) is None else self.bins.bin(a, request[a])
        m = request.get("mode")
        out["mode"] = None if m is None else ("major" if m >= 0.5 else "minor")
        return out

    @torch.no_grad()
    def __call__(
        self,
        attributes: Any = None,
        bars: int = 16,
        seed: int | None = None,
        num_pieces: int = 1,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = 0.95,
        progress: bool | ProgressFn = True,
        max_tokens_per_bar: int = 256,
        guidance: float = DEFAULT_GUIDANCE,
        scale_bias: float = DEFAULT_SCALE_BIAS,
        density_gain: float = DEFAULT_DENSITY_GAIN,
    ) -> list[Piece]:
        """Generate ``num_pieces`` pieces of exactly ``bars`` bars in one batch.

        Args:
            attributes: ``MusicAttributes``, dict or None; any attribute may be left unspecified.
            bars: 1-64 bars of 4/4.
            seed: int or None (drawn and recorded).
            num_pieces: batch size, 1-16.
            temperature: 0 (greedy) to 5. top_k: >= 1 or None. top_p: (0, 1] or None.
            progress: True (tqdm), False, or ``callback(fraction, message)`` as bars complete.
            max_tokens_per_bar: a bar longer than this is closed by force (reported in ``notes``).
            guidance: classifier-free guidance scale on the attribute conditions, 1 (off) to 5;
                above 1 the batch runs a conditioned and an unconditioned row per piece.
            scale_bias: tonal guidance, 0-10: pitches outside the requested mode's scale (C major,
                or C minor with its raised 7th, before transposition) lose ``scale_bias`` in logit,
                the tonic triad gains half of it; the Pitch tokens' total probability is kept, so
                note density is not disturbed. 0 turns it off; ignored when the mode is unspecified.
            density_gain: density guidance, 0-10: a per-bar feedback term that adds notes to a bar
                lagging the requested note density and rests in one running ahead (see
                ``generate_bars``). 0 turns it off; ignored when the density is unspecified.

        Returns:
            list of ``Piece``.
        """
        bars = _check_bars(bars)
        num_pieces = check_num_pieces(num_pieces)
        validate_sampling(temperature, top_k, top_p)
        for name, value, hi in (
            ("guidance", guidance, 5.0),
            ("scale_bias", scale_bias, 10.0),
            ("density_gain", density_gain, 10.0),
        ):
            lo = 1.0 if name == "guidance" else 0.0
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
                raise ValueError(f"{name} must be a number in [{lo:g}, {hi:g}], got {value!r}")
        seed = resolve_seed(seed)
        request, notes = normalise_attributes(attributes)
        if isinstance(attributes, dict) and request.get("velocity_std") is not None:
            notes.append("not conditions of this model (measured only): velocity_std")
        if request.get("key") is None:
            # The model writes in C; an unspecified key is drawn from the seed so pieces vary.
            request["key"] = int(numpy_rng(seed).integers(0, 12))
            notes.append(f"key unspecified: drew {PITCH_NAMES[request['key']]} from the seed")
        sampling = {
            "temperature": temperature,
            "top_k": top_k,
            "top_p": top_p,
            "guidance": guidance,
            "scale_bias": scale_bias,
            "density_gain": density_gain,
        }
        cb = self._progress(progress, bars)
        bins = self.condition_bins(request)
        tok = self.tokenizer
        t0 = time.perf_counter()
        out = generate_bars(
            self.model,
            tok,
            tok.prefix(bins),
            bars,
            bins["note_density"],
            int(num_pieces),
            torch_generator(seed),
            temperature=float(temperature),
            top_k=top_k,
            top_p=top_p,
            max_tokens_per_bar=max_tokens_per_bar,
            callback=cb,
            guidance=float(guidance),
            uncond_prefix=tok.prefix({}) if guidance != 1.0 else None,
            pitch_bias=self.scale_bias(bins["mode"], float(scale_bias)),
            notes_per_bar=None if request.get("note_density") is None else 4.0 * float(request["note_density"]),
            density_gain=float(density_gain),
        )
        self.last_stats = {"seconds": time.perf_counter() - t0, "tokens": out.tokens_generated}
        if cb is not None:
            cb.close()
        pieces = []
        for i, ids in enumerate(out.ids):
            score = self._postprocess(ids, request, bars)
            pieces.append(Piece(score, ids, seed, i, bars, dict(request), notes + out.clamps[i], dict(sampling)))
        return pieces

    def scale_bias(self, mode: str | None, strength: float) -> tuple[torch.Tensor, torch.Tensor] | None:
        """``(pitch token ids, bias)`` toward ``mode`` in C (see ``scale_bias`` in ``__call__``), or None."""
        if mode is None or strength == 0:
            return None
        ids, bias = [], []
        for name, i in sorted(self.tokenizer.vocab.items(), key=lambda kv: kv[1]):
            if name.startswith("Pitch_"):
                pc = int(name.split("_")[1]) % 12
                ids.append(i)
                bias.append(-strength if pc not in SCALES[mode] else strength / 2 if pc in TRIADS[mode] else 0.0)
        return torch.tensor(ids), torch.tensor(bias)

    def _postprocess(self, ids: list[int], request: dict[str, Any], bars: int) -> symusic.Score:
        """Decode, transpose C -> key, write the tempo map, cut at the last bar line (notes released)."""
        score = self.tokenizer.decode(ids, tpq=TPQ)
        key = request.get("key")
        shift = 0 if key is None else (key if key <= 6 else key - 12)
        end = bars * 4 * TPQ
        track = symusic.Track("Piano", 0, False)
        for n in score.tracks[0].notes if len(score.tracks) else []:
            if n.time >= end:
                continue
            pitch = int(np.clip(n.pitch + shift, 0, 127))
            dur = max(1, min(int(n.duration), end - int(n.time)))
            track.notes.append(symusic.Note(int(n.time), dur, pitch, int(n.velocity)))
        tempo = request.get("tempo")
        if tempo is None:
            tempo = float(score.tempos[0].qpm) if len(score.tempos) else 120.0
        result = symusic.Score(TPQ)
        result.tracks.append(track)
        result.tempos.append(symusic.Tempo(0, float(tempo)))
        result.time_signatures.append(symusic.TimeSignature(0, 4, 4))
        return result

    @staticmethod
    def _progress(progress, bars: int):
        """The decoder's ``callback(bars_done, bars)`` over a :class:`studio.progress.Progress`."""
        if progress is False or progress is None:
            return None
        bar = Progress(progress, bars, desc="bars", unit="bar")

        class _Cb:
            def __call__(self, done: int, total: int) -> None:
                bar.update(done, f"bar {done} of {total}")

            def close(self) -> None:
                bar.close()

        return _Cb()


def load_config(path: str | Path) -> dict:
    return json.loads((Path(path) / CONFIG_FILE).read_text())
