"""Re-aim a user's MIDI toward another emotion while keeping its melody and structure.

``studio.transform(midi, emotion="sad", strength=0.8, seed=1) -> MusicResult``

How (each step scaled by ``strength``, which interpolates every attribute target between the
source's measured attributes and the emotion's targets from :func:`studio.mapping.attributes_for`):

1. The melody (a track named melody/vocal/lead, else the skyline: top note of each 16th onset)
   keeps its exact onsets; its scale degrees are mapped major <-> minor when the target mode asks,
   and the whole piece may move a few semitones toward the target register.
2. Every accompaniment bar is encoded by the bar VQ-VAE (:mod:`studio.music.vqvae`) to codes and
   decoded again with the *target* bar conditions (mode, note count, register, rhythm, hold), then
   snapped to the target scale and kept under the melody.
3. Tempo, dynamics and melody articulation move toward the target.

``strength=0`` returns the source notes unchanged (re-tempoed by zero, i.e. identical).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
import torch
from einops import rearrange

from studio.errors import user_errors
from studio.limits import MAX_TRANSFORM_BARS
from studio.music.dynamics import metric_accent, place
from studio.music.vqvae import (
    LOW,
    PITCHES,
    STEPS,
    BarVQVAE,
    bin_conditions,
    center_register,
    estimate_key,
    notes_to_rolls,
    roll_stats,
    score_notes,
    skyline,
)

MAX_BARS = MAX_TRANSFORM_BARS  # the input limit (studio/limits.py)
MELODY_NAMES = ("melody", "vocal", "voice", "lead", "melodie")
MAJOR_TO_MINOR = {4: 3, 9: 8, 11: 10}
MINOR_TO_MAJOR = {3: 4, 8: 9, 10: 11}
SCALES = {0: {0, 2, 4, 5, 7, 9, 11}, 1: {0, 2, 3, 5, 7, 8, 10, 11}}  # minor keeps the leading tone


@lru_cache(maxsize=2)
def _default_model() -> BarVQVAE:
    return BarVQVAE.from_pretrained()


def _check_strength(strength: Any) -> float:
    if isinstance(strength, bool) or not isinstance(strength, (int, float, np.floating, np.integer)):
        raise ValueError(f"strength must be a number in [0, 1], got {strength!r}")
    s = float(strength)
    if not math.isfinite(s) or not 0.0 <= s <= 1.0:
        raise ValueError(f"strength must be in [0, 1], got {strength!r}")
    return s


def _lerp(a: float | None, b: float | None, s: float) -> float | None:
    if a is None:
        return b
    return a if b is None else a + s * (b - a)


def _ratio(new: float | None, old: float | None, lo: float = 0.5, hi: float = 2.0) -> float:
    if not new or not old:
        return 1.0
    return float(np.clip(new / old, lo, hi))


def _melody_mask(score, notes: np.ndarray) -> np.ndarray:
    named = [i for i, t in enumerate(score.tracks) if not t.is_drum and t.name.strip().lower().startswith(MELODY_NAMES)]
    if named and len(named) < len({int(t) for t in notes[:, 4]}):
        return np.isin(notes[:, 4], named)
    return skyline(notes, sustain=True)


def _snap(pc_rel: int, mode: int) -> int:
    """Semitone offset that moves a pitch class (relative to the tonic) into the target scale."""
    if pc_rel % 12 in SCALES[mode]:
        return 0
    return -1 if (pc_rel - 1) % 12 in SCALES[mode] else 1


def _decode_bars(
    model: BarVQVAE,
    rolls: np.ndarray,
    stats: list[dict],
    mode: int,
    scale: dict[str, float],
    shift: int,
    generator: torch.Generator,
    jitter: float = 0.1,
    floor: float = 0.1,
) -> np.ndarray:
    """Re-decode accompaniment bars with shifted conditions.

    The decoder proposes onsets; each bar keeps its ``K`` most probable onset cells (``K`` = the
    target note count, cells under ``floor`` never), because a fixed threshold under- or
    over-produces notes with a short-trained decoder and the note count is what the target asks for.

    Args:
        rolls: source bars in C, ``[B, 2, 16, 88]``; stats: their :func:`roll_stats`.
        scale: multipliers for ``count``, ``rhythm``, ``hold``; shift: semitones added to register.
        generator: seeds the probability jitter (same seed, same notes).

    Returns:
        Boolean rolls ``[B, 2, 16, 88]`` (onset, sounding).
    """
    cond, counts = [], []
    for st in stats:
        st = dict(st)
        st["count"] *= scale["count"]
        st["rhythm"] = min(STEPS, st["rhythm"] * scale["rhythm"])
        st["hold"] *= scale["hold"]
        st["register"] += shift
        cond.append(bin_conditions(st, mode))
        counts.append(max(1, int(round(st["count"]))))
    centred = torch.from_numpy(np.stack([center_register(r) for r in rolls]))
    with torch.no_grad():
        codes = model.encode(centred)
        prob = torch.sigmoid(model.decode(codes, torch.from_numpy(np.stack(cond))))
    noisy = prob + jitter * (torch.rand(prob.shape, generator=generator) - 0.5)
    out = (noisy > model.config.threshold).numpy()
    onset = rearrange(noisy[:, 0], "b t p -> b (t p)")
    for i, k in enumerate(counts):
        top = torch.topk(onset[i], k).indices
        keep = torch.zeros_like(onset[i], dtype=torch.bool)
        keep[top[prob[i, 0].flatten()[top] > floor]] = True
        out[i, 0] = rearrange(keep, "(t p) -> t p", t=STEPS).numpy()
    out[:, 1] |= out[:, 0]
    return out


def _roll_notes(roll: np.ndarray, bar: int) -> list[tuple[int, int, int]]:
    """One decoded bar ``[2, 16, 88]`` -> (start step, end step, pitch index) notes."""
    out = []
    for t, p in zip(*np.nonzero(roll[0])):
        k = t + 1
        while k < STEPS and roll[1, k, p] and not roll[0, k, p]:
            k += 1
        out.append((bar * STEPS + int(t), bar * STEPS + int(k), int(p)))
    return out


@user_errors
def transform(
    midi: Any,
    emotion: Any,
    strength: float = 1.0,
    seed: int | None = None,
    model: BarVQVAE | None = None,
):
    """Re-aim ``midi`` toward ``emotion``, keeping its melody and bar structure.

    Args:
        midi: a ``.mid`` path, MIDI bytes, ``symusic.Score`` or ``pretty_midi.PrettyMIDI``.
        emotion: anything :meth:`studio.emotion.Emotion.coerce` takes.
        strength: 0 keeps the source, 1 aims fully at the emotion's attribute targets.
        seed: seeds the decoder's threshold jitter; recorded in the result.
        model: a :class:`BarVQVAE` (default: ``checkpoints/music-vqvae``).

    Returns:
        ``MusicResult`` with the re-aimed ``score`` (melody + accompaniment tracks), the attribute
        targets used, the attributes measured on the output, notes on what was changed, and the
        music critic's ``reading`` of the result beside ``reading_before`` (of the source).

    Raises:
        ValueError: unreadable/empty/drum-only/huge MIDI, or ``strength`` outside [0, 1].
    """
    from studio.attributes.music import extract_attributes
    from studio.emotion import Emotion
    from studio.mapping import attributes_for
    from studio.seeding import resolve_seed, torch_generator

    # 1. the request: strength, emotion, seed, the source's notes and bars
    s = _check_strength(strength)
    emo = Emotion.coerce(emotion)
    seed = resolve_seed(seed)
    score, notes, n_bars = _load_source(midi)
    model = model or _default_model()
    gen = torch_generator(seed)

    # 2. the plan: attribute targets between the source's and the emotion's, key/mode, shift, dynamics
    src = extract_attributes(score)
    tgt = attributes_for(emo).music
    want = {k: _lerp(getattr(src, k), getattr(tgt, k), s) for k in ("tempo", "mode", "note_density")}
    want.update({k: _lerp(getattr(src, k), getattr(tgt, k), s) for k in ("onset_density", "pitch_mean")})
    want.update({k: _lerp(getattr(src, k), getattr(tgt, k), s) for k in ("velocity_mean", "velocity_std")})
    want["articulation"] = _lerp(src.articulation, tgt.articulation, s)
    tonic, src_mode = estimate_key(notes[:, 2], notes[:, 1] - notes[:, 0])
    new_mode = (0 if want["mode"] >= 0.5 else 1) if s > 0 else src_mode
    shift = int(np.clip(round(want["pitch_mean"] - src.pitch_mean), -6, 6)) if s > 0 else 0
    dv = (want["velocity_mean"] - src.velocity_mean) if s > 0 else 0.0
    art = _ratio(want["articulation"], src.articulation)
    log = [f"source key {tonic} {'major' if src_mode == 0 else 'minor'} -> {'major' if new_mode == 0 else 'minor'}"]
    log.append(f"transposed {shift:+d} semitones; velocity {dv:+.1f}; melody durations x{art:.2f}")

    # 3. melody: exact ticks kept; degrees mapped between modes; register shift; articulation; dynamics
    mel = _melody_mask(score, notes)
    # rows of `notes` follow `raw` one to one (both walk the non-drum tracks, then their notes)
    raw = [n for t in score.tracks if not t.is_drum for n in t.notes]
    degree_map = {} if new_mode == src_mode else (MAJOR_TO_MINOR if src_mode == 0 else MINOR_TO_MAJOR)
    melody, mel_steps = _melody_track(score, mel, raw, tonic, degree_map, shift, art, dv, s)

    # 4. accompaniment: re-decode each bar from its codes with the target conditions
    acc_rows = notes[~mel]
    if len(acc_rows) and s > 0:
        scale = {
            "count": _ratio(want["note_density"], src.note_density),
            "rhythm": _ratio(want["onset_density"], src.onset_density),
            "hold": art,
        }
        accomp = _decoded_accompaniment(
            model, acc_rows, n_bars, tonic, shift, new_mode, scale, dv, mel_steps, score, gen
        )
    else:  # strength 0 (or no accompaniment): keep the source notes exactly
        accomp = _kept_accompaniment(mel, raw)

    # 5. the new score: the source's tempo map scaled, both tracks, re-timed if the beat disagreed; dynamics
    # placed on the target's mean and spread (the player's shape kept)
    result = _assemble(score, melody, accomp, want, src, s, log)
    if s > 0 and want["velocity_std"] is not None:
        _place_dynamics(result, float(want["velocity_mean"] or src.velocity_mean), float(want["velocity_std"]))
        log.append(f"dynamics spread {src.velocity_std:.1f} -> {want['velocity_std']:.1f}")
    how = "re-decoded by the bar VQ-VAE" if (s > 0 and len(acc_rows)) else "kept from the source"
    bpm = f"tempo {src.tempo:.0f} -> {want['tempo']:.0f} BPM" if s > 0 and src.tempo and want["tempo"] else "tempo kept"
    log.append(f"{bpm}; {len(accomp.notes)} accompaniment notes {how}")

    out = _make_result(
        score=result,
        emotion=emo,
        requested={k: (None if v is None else round(float(v), 4)) for k, v in want.items()},
        measured=extract_attributes(result),
        seed=seed,
        bars=n_bars,
        notes=log,
        extra={
            "strength": s,
            "time_stretch": round(float(src.tempo / want["tempo"]), 6)
            if s > 0 and src.tempo and want["tempo"]
            else 1.0,
            "source_attributes": src.to_dict(),
            "emotion_targets": tgt.to_dict(),
        },
    )
    out.reading_before, out.reading = _judge(score, out.notes), _judge(result, out.notes)
    return out


def _load_source(midi: Any):
    """``(score, notes [N, 4] of pitched notes, bars)``; refuses an empty or over-long MIDI."""
    from studio.attributes.music import load_score

    score = load_score(midi)
    notes = score_notes(score)
    if len(notes) == 0:
        raise ValueError("the MIDI has no pitched notes (empty or drums only); nothing to transform")
    n_bars = (int(notes[:, 1].max()) - 1) // STEPS + 1
    if n_bars > MAX_BARS:
        raise ValueError(f"the MIDI is {n_bars} bars long; at most {MAX_BARS} bars are accepted")
    return score, notes, n_bars


def _melody_track(score, mel, raw, tonic: int, degree_map: dict, shift: int, art: float, dv: float, s: float):
    """The melody re-aimed note by note, and its ``(start step, end step, pitch)`` spans for the accompaniment."""
    import symusic

    q = score.ticks_per_quarter / 4
    melody = symusic.Track("Melody", 0, False)
    mel_steps = []
    for is_mel, n in zip(mel, raw):
        if not is_mel:
            continue
        rel = (n.pitch - tonic) % 12
        pitch = int(np.clip(n.pitch + degree_map.get(rel, rel) - rel + shift, 0, 127))
        dur = max(1, int(round(n.duration * art))) if s > 0 else n.duration
        vel = int(np.clip(round(n.velocity + dv), 1, 127))
        melody.notes.append(symusic.Note(n.start, dur, pitch, vel))
        mel_steps.append((int(n.start // q), int(math.ceil((n.start + dur) / q)), pitch))
    return melody, mel_steps


def _melody_ceiling(mel_steps: list, n_bars: int) -> np.ndarray:
    """Per 16th step, the melody pitch the accompaniment must stay under (-1 where there is none).

    The melody line holds its pitch until the next melody onset, so the accompaniment stays under the line
    even where a melody note is short (the top voice is what listeners follow).
    """
    top = np.full(max([n_bars * STEPS] + [e for _, e, _ in mel_steps]) + 1, -1)
    starts = sorted({st for st, _, _ in mel_steps}) + [len(top)]
    nxt = {a: b for a, b in zip(starts, starts[1:])}
    for st, en, p in mel_steps:
        en = min(max(en, nxt[st]), st + 2 * STEPS)
        top[st:en] = np.maximum(top[st:en], p)
    return top


def _decoded_accompaniment(model, acc_rows, n_bars, tonic, shift, new_mode, scale, dv, mel_steps, score, gen):
    """The accompaniment re-decoded bar by bar by the VQ-VAE, snapped to the new mode, under the melody."""
    import symusic

    q = score.ticks_per_quarter / 4
    accomp = symusic.Track("Accompaniment", 0, False)
    rolls = notes_to_rolls(acc_rows[:, :3], n_bars, shift=-tonic)
    keep = np.nonzero(rolls[:, 0].reshape(n_bars, -1).sum(1) > 0)[0]
    stats = [roll_stats(rolls[b]) for b in keep]
    out = _decode_bars(model, rolls[keep], stats, new_mode, scale, shift, gen)
    bar_vel = {int(b): float(acc_rows[acc_rows[:, 0] // STEPS == b, 3].mean()) for b in keep}
    top = _melody_ceiling(mel_steps, n_bars)
    base = tonic + shift
    for i, b in enumerate(keep):
        vel = (bar_vel.get(int(b)) or 64) + dv
        for st, en, p in _roll_notes(out[i], int(b)):
            pitch = p + LOW + base
            pitch += _snap(pitch - base, new_mode)
            while top[st] >= 0 and pitch >= top[st] and pitch - 12 >= LOW:
                pitch -= 12
            while pitch > LOW + PITCHES - 1:
                pitch -= 12
            v = int(np.clip(round(vel + metric_accent(st)), 1, 127))  # the bar's level, accented by the metre
            accomp.notes.append(symusic.Note(int(st * q), int((en - st) * q), int(pitch), v))
    return accomp


def _place_dynamics(score, mean: float, spread: float) -> None:
    """Every note's velocity moved so the piece's dynamics have ``mean`` and ``spread``, their shape kept."""
    notes = [n for tr in score.tracks for n in tr.notes]
    if notes:
        for n, v in zip(notes, place(np.array([n.velocity for n in notes], dtype=float), mean, spread)):
            n.velocity = int(v)


def _kept_accompaniment(mel, raw):
    import symusic

    accomp = symusic.Track("Accompaniment", 0, False)
    for is_mel, n in zip(mel, raw):
        if not is_mel:
            accomp.notes.append(symusic.Note(n.start, n.duration, n.pitch, n.velocity))
    return accomp


PEDALS = (64, 66, 67)  # sustain, sostenuto, soft: how the player held the notes, kept with the melody


def _assemble(score, melody, accomp, want: dict, src, s: float, log: list[str]):
    """The output score: the source's tempo map scaled toward the target tempo, time signatures, the two
    tracks, and the source's pedalling (a performed melody is written short and held by the sustain pedal;
    both tracks are one piano's hands, so each carries it: a MIDI file gives each track its own channel); a
    single tempo that disagrees with the
    measured beat is re-timed (noted in ``log``)."""
    import symusic

    result = symusic.Score(score.ticks_per_quarter)
    ratio = (want["tempo"] / src.tempo) if (s > 0 and want["tempo"] and src.tempo) else 1.0
    for t in score.tempos:
        result.tempos.append(symusic.Tempo(t.time, t.qpm * ratio))
    if not len(result.tempos):
        result.tempos.append(symusic.Tempo(0, 120.0 * ratio))
    for ts in score.time_signatures:
        result.time_signatures.append(symusic.TimeSignature(ts.time, ts.numerator, ts.denominator))
    pedals = sorted(
        {
            (c.time, c.number, c.value)
            for tr in score.tracks
            if not tr.is_drum
            for c in tr.controls
            if c.number in PEDALS
        }
    )
    for tr in (melody, accomp):
        for t, number, value in pedals:
            tr.controls.append(symusic.ControlChange(t, number, value))
    result.tracks.append(melody)
    if len(accomp.notes):
        result.tracks.append(accomp)
    for tr in result.tracks:
        tr.notes.sort(key=lambda n: (n.start, n.pitch))
    if s > 0 and len(score.tempos) <= 1 and src.tempo:
        # A single tempo that disagrees with the measured beat (performance MIDI on a nominal grid):
        # re-time so the written tempo is the target beat and the sound is the same speed change.
        qpm = score.tempos[0].qpm if len(score.tempos) else 120.0
        g = src.tempo / qpm
        if abs(g - 1) > 0.05:
            result = result.copy()
            for tr in result.tracks:
                for n in tr.notes:
                    n.start, n.duration = int(round(n.start * g)), max(1, int(round(n.duration * g)))
                for c in tr.controls:
                    c.time = int(round(c.time * g))
            result.tempos[0].qpm = want["tempo"]
            log.append(f"re-timed: written tempo {qpm:.0f} but measured beat {src.tempo:.0f} BPM")
    return result


def _judge(score, notes: list[str]):
    """The music critic's reading of ``score``; a critic failure is a note, not a failed transform."""
    try:
        from studio.critics.music import judge_music

        return judge_music(score)
    except Exception as e:  # the re-aimed piece is the product; the reading explains it
        notes.append(f"no critic reading: {type(e).__name__}: {e}")
        return None


def _make_result(score, emotion, requested, measured, seed, bars, notes, extra):
    from studio import __version__
    from studio.music.result import MusicResult

    return MusicResult(
        score=score,
        emotion=emotion,
        attributes_requested=requested,
        attributes_measured=measured,
        seed=seed,
        bars=bars,
        model=f"music-vqvae {__version__}",
        notes=notes,
        extra=extra,
    )
