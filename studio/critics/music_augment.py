"""Ways a file can be *made* differently while the music stays the same: training augmentation and stress sets.

Each function takes a ``symusic.Score`` and returns a new one (the input is not changed):

* :func:`quantise` — round trip through the generator's REMI tokenizer (16th grid, 8 velocity
  levels, tempo tokens), as if the piece had been written on a grid;
* :func:`flat_velocity` / :func:`rescale_velocity` — hand-entered dynamics;
* :func:`transpose` — another key (pitches kept in the piano range);
* :func:`join` — two pieces back to back (``join(s, s)`` is the 2x-length stress set);
* :func:`split` — the halves of a piece.

``STRESS`` names the stress-set transforms the critic benchmark reports.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import symusic


def _arrays(score: symusic.Score) -> dict[str, np.ndarray]:
    """All pitched notes of a tick-time score as one array dict, sorted by onset."""
    s = score if str(score.ttype).lower() == "tick" else score.to("tick")
    parts = [t.notes.numpy() for t in s.tracks if not t.is_drum and len(t.notes)]
    if not parts:
        return {k: np.zeros(0, np.int32) for k in ("time", "duration", "pitch", "velocity")}
    d = {k: np.concatenate([p[k] for p in parts]) for k in ("time", "duration", "pitch", "velocity")}
    o = np.argsort(d["time"], kind="stable")
    return {k: v[o] for k, v in d.items()}


def _build(template: symusic.Score, d: dict[str, np.ndarray]) -> symusic.Score:
    """One piano track holding ``d``'s notes, with ``template``'s resolution and tempo map."""
    src = template if str(template.ttype).lower() == "tick" else template.to("tick")
    out = symusic.Score(src.ticks_per_quarter)
    out.tempos = src.tempos
    track = symusic.Track("piano", 0, False)
    track.notes = symusic.Note.from_numpy(
        d["time"].astype(np.int32),
        np.maximum(d["duration"], 1).astype(np.int32),
        np.clip(d["pitch"], 0, 127).astype(np.int8),
        np.clip(d["velocity"], 1, 127).astype(np.int8),
    )
    out.tracks.append(track)
    return out


def flat_velocity(score: symusic.Score, velocity: int = 80) -> symusic.Score:
    d = _arrays(score)
    d["velocity"] = np.full_like(d["velocity"], velocity)
    return _build(score, d)


def rescale_velocity(score: symusic.Score, scale: float = 0.5, offset: float = 40.0) -> symusic.Score:
    """``velocity * scale + offset``, clipped to 1-127 (a narrower or louder dynamic range)."""
    d = _arrays(score)
    d["velocity"] = np.round(d["velocity"] * scale + offset).astype(np.int32)
    return _build(score, d)


def transpose(score: symusic.Score, semitones: int) -> symusic.Score:
    """Shift every pitch; notes that would leave the piano range move by an octave back in."""
    d = _arrays(score)
    p = d["pitch"].astype(np.int32) + int(semitones)
    p = np.where(p < 21, p + 12, np.where(p > 108, p - 12, p))
    d["pitch"] = p
    return _build(score, d)


def join(a: symusic.Score, b: symusic.Score) -> symusic.Score:
    """``b`` played after ``a`` (on ``a``'s resolution; ``b``'s onsets rescaled to it)."""
    da, db = _arrays(a), _arrays(b)
    ra = a if str(a.ttype).lower() == "tick" else a.to("tick")
    rb = b if str(b.ttype).lower() == "tick" else b.to("tick")
    k = ra.ticks_per_quarter / max(rb.ticks_per_quarter, 1)
    end = int((da["time"] + da["duration"]).max()) if len(da["time"]) else 0
    end = int(np.ceil(end / ra.ticks_per_quarter) * ra.ticks_per_quarter)  # start b on a beat
    d = {
        "time": np.r_[da["time"], end + np.round(db["time"] * k)],
        "duration": np.r_[da["duration"], np.round(db["duration"] * k)],
        "pitch": np.r_[da["pitch"], db["pitch"]],
        "velocity": np.r_[da["velocity"], db["velocity"]],
    }
    return _build(a, d)


def split(score: symusic.Score) -> tuple[symusic.Score, symusic.Score]:
    """First and second half by onset time (the second moved to start at 0)."""
    d = _arrays(score)
    if len(d["time"]) < 2:
        return score, score
    mid = (int(d["time"].min()) + int(d["time"].max())) // 2
    first = {k: v[d["time"] < mid] for k, v in d.items()}
    second = {k: v[d["time"] >= mid] for k, v in d.items()}
    second["time"] = second["time"] - int(second["time"].min())
    return _build(score, first), _build(score, second)


_TOKENIZER = []


def quantise(score: symusic.Score) -> symusic.Score:
    """Round trip through the generator's REMI tokenizer (16th grid, 8 velocities, tempo tokens).

    Falls back to snapping onsets and durations to a 16th grid when the tokenizer cannot read the score.
    """
    try:
        if not _TOKENIZER:
            from studio.music.tokenizer import MusicTokenizer

            _TOKENIZER.append(MusicTokenizer())
        tok = _TOKENIZER[0]
        s = score if str(score.ttype).lower() == "tick" else score.to("tick")
        out = tok.decode(tok.encode_body(s), tpq=s.ticks_per_quarter)
        if sum(len(t.notes) for t in out.tracks):
            return out
    except AttributeError:
        pass
    d = _arrays(score)
    q = (score.ticks_per_quarter if str(score.ttype).lower() == "tick" else 480) // 4
    d["time"] = np.round(d["time"] / q).astype(np.int64) * q
    d["duration"] = np.maximum(np.round(d["duration"] / q), 1).astype(np.int64) * q
    return _build(score, d)


STRESS: dict[str, Callable[[symusic.Score], symusic.Score]] = {
    "quantised": quantise,
    "flat_velocity": flat_velocity,
    "transposed": lambda s: transpose(s, 5),
    "double_length": lambda s: join(s, s),
}


def training_variants(score: symusic.Score, rng: np.random.Generator, partner: symusic.Score | None = None) -> dict:
    """Augmented copies of a training piece, named; the label of each is the piece's label.

    Args:
        score: the piece. rng: draws the transposition and velocity scaling.
        partner: another clip of the same song and label to join with (``None``: the piece itself).
    """
    k = int(rng.choice([-5, -4, -3, -2, -1, 1, 2, 3, 4, 5, 6]))
    out = {
        "quantised": quantise(score),
        "flat": flat_velocity(score, int(rng.integers(60, 101))),
        "rescaled": rescale_velocity(score, float(rng.uniform(0.3, 0.8)), float(rng.uniform(20, 60))),
        "transposed": transpose(score, k),
        "joined": join(score, partner if partner is not None else score),
    }
    out["quantised_flat_transposed"] = flat_velocity(transpose(out["quantised"], -k), 80)
    a, b = split(score)
    out["half_a"], out["half_b"] = a, b
    return out
