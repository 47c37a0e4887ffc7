"""``LeadSheetPipeline``: attributes in, a lead sheet and its piano arrangement out (one ``__call__``).

    >>> pipe = LeadSheetPipeline.from_pretrained()        # checkpoints/music-leadsheet
    >>> piece = pipe(attributes={"tempo": 80, "mode": 0.1, "note_density": 3.0}, bars=16, seed=7)[0]
    >>> piece.score.dump_midi("sad.mid"); piece.lead_sheet["chords"][:2]

Steps per piece: (1) resolve each phrase's request (mode, register, densities); (2) plan the form;
(3) write each new phrase's chords and melody, restating and varying earlier ones where the form says so;
(4) choose and realise an accompaniment pattern per phrase; (5) measure the draft with
``studio.attributes.music`` (the one definition of every attribute) and redo steps 3-4 once with the
register, articulation, voicing and density corrected by what was measured; (6) set velocities and the
sustain pedal (:mod:`studio.music.pedal`: changed with the chords, up through rests), transpose to the key
and write the tempo map.

``attributes`` may be one request or a list with one request per 4-bar phrase (an emotion arc).
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import symusic

from studio.attributes.music import PITCH_NAMES, extract_attributes
from studio.progress import ProgressFn
from studio.seeding import derive_seed, numpy_rng, resolve_seed

from ..dynamics import metric_accent, place
from ..pedal import SUSTAIN, harmonic_pedal
from ..request import TPQ, Piece, check_bars, check_num_pieces, normalise_attributes
from .accompaniment import NOTES_PER_ONSET, Accompanist, fit_count, hold
from .leadsheet import (
    MELODY_SHARE,
    PHRASE_BARS,
    RESTATE_KEEP_BARS,
    STEPS,
    LeadSheetWriter,
    Phrase,
    PhraseSpec,
    plan_form,
    roman,
)
from .tables import LeadSheetTables, chord_parts, chord_pcs, chord_token

TICKS_PER_STEP = TPQ // 4
DEFAULTS = {
    "tempo": 100.0,
    "note_density": 3.5,
    "pitch_mean": 62.0,
    "velocity_mean": 70.0,
    "velocity_std": 12.0,  # EMOPIA's clips: 11.9 on average (POP909's songs 14.3)
    "articulation": 1.5,
    "polyphony": 3.0,
}
MELODY_ABOVE = 9  # melody register centre above the piece's mean pitch
FLOOR_BELOW = 6  # accompaniment upper voices start this far below the piece's mean pitch
MAX_TEMPERATURE = 2.0
PHRASE_SWELL = 6.0  # velocity shape: a phrase's arch, before scaling to the asked spread
VELOCITY_NOISE = 3.0  # velocity shape: per-note variation, before scaling
# A draft whose measured key (studio.attributes.music, the one key finder) is not the asked one is drawn
# again from a derived seed, at most this many drafts in all; the best-matching draft is kept.
KEY_TRIES = 10
MODE_MARGIN = 0.2  # a draft is heard in its mode when P(major) is this far from 0.5
# A phrase that breathes falls silent for its last 2-8 sixteenths (an eighth most often): silences in POP909
# segments run from none to a bar's worth per 16 bars, never one fixed length.
BREATH_STEPS = (2, 4, 6, 8)
BREATH_WEIGHTS = (0.4, 0.3, 0.2, 0.1)
BREATH_PROBABILITY = 0.5
HOLD_PROBABILITY = 0.25  # a phrase that closes on the tonic holds its last bar's chords this often
# A piece's arrangement (see LeadSheetPipeline._style): melody share of the notes, uniform in this range
# (POP909 songs give 0.20 to their melody track and 0.17 to the bridge's counter-line; the lead sheet's
# melody carries most of both, the fills the rest); log-SD of the accompaniment's notes per onset; SD of its
# voices.
STYLE_MELODY_SHARE = (0.26, 0.44)
STYLE_CHORDAL_SD = 0.25
STYLE_VOICES_SD = 1.0
# A piece keeps one accompaniment texture (POP909 songs keep theirs through a section) while a phrase's asked
# notes per bar stay within this log-ratio of the density it was chosen for; an arc's phrase beyond it gets its own.
TEXTURE_TOLERANCE = 0.3


@dataclass
class LeadSheetConfig:
    name: str = "music-leadsheet"
    version: str = "1.8.0"


@dataclass
class _Knobs:
    """Per-phrase realisation settings; the second pass corrects them from the first's measurement."""

    melody_centre: float
    floor: float
    sustain: float
    voices: float
    acc_notes: float
    melody_share: float = MELODY_SHARE
    notes_per_onset: float = NOTES_PER_ONSET


class LeadSheetPipeline:
    """The structure-first generator.

    Args:
        tables: fitted :class:`LeadSheetTables`.
        config: name/version recorded in results.
    """

    def __init__(self, tables: LeadSheetTables, config: LeadSheetConfig | None = None):
        self.tables = tables
        self.config = config or LeadSheetConfig()
        self._pattern_stats: Accompanist | None = None

    def _accompanist(self, temperature: float, top_p) -> Accompanist:
        """The accompanist with the pattern statistics computed once per pipeline (they take a while)."""
        if self._pattern_stats is None:
            self._pattern_stats = Accompanist(self.tables)
        acc = copy.copy(self._pattern_stats)
        acc.temperature, acc.top_p = float(temperature), top_p
        return acc

    @classmethod
    def from_pretrained(cls, path: str | Path | None = None) -> LeadSheetPipeline:
        from studio.paths import checkpoint

        folder = Path(path) if path is not None else checkpoint("music-leadsheet")
        tables = LeadSheetTables.load(folder)
        return cls(
            tables, LeadSheetConfig(tables.meta.get("name", "music-leadsheet"), tables.meta.get("version", "1.8.0"))
        )

    def save_pretrained(self, folder: str | Path) -> Path:
        self.tables.meta.update(name=self.config.name, version=self.config.version)
        return self.tables.save(folder)

    @property
    def model_id(self) -> str:
        return f"{self.config.name} {self.config.version}"

    def __call__(
        self,
        attributes: Any = None,
        bars: int = 16,
        seed: int | None = None,
        num_pieces: int = 1,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = 0.95,
        progress: bool | ProgressFn = False,
    ) -> list[Piece]:
        """Generate ``num_pieces`` pieces of exactly ``bars`` bars.

        Args:
            attributes: ``MusicAttributes``, dict or None (any attribute may be unspecified), or a
                list of them, one per 4-bar phrase (``ceil(bars / 4)``), for an emotion arc.
            bars: 1-64 bars of 4/4.
            seed: int or None (drawn and recorded); piece ``i`` uses ``derive_seed(seed, "piece", i)``.
            num_pieces: 1-16.
            temperature: 0 (most likely choices) to 2; 1 samples the corpus's own spread.
            top_k: not used by this generator (must be None; it samples from small tables).
            top_p: nucleus for every draw, (0, 1] or None.
            progress: ``callback(fraction, message)`` after each piece, or a bool (no bar is drawn: a piece
                takes milliseconds).

        Returns:
            list of ``Piece`` with ``score`` (tracks "Melody" and "Piano") and ``lead_sheet``.
        """
        bars = check_bars(bars)
        num_pieces = check_num_pieces(num_pieces)
        check_sampling(temperature, top_k, top_p)
        seed = resolve_seed(seed)
        n_phrases = math.ceil(bars / PHRASE_BARS)
        requests, notes = self._requests(attributes, n_phrases)
        if requests[0].get("key") is None:
            key = int(numpy_rng(seed).integers(0, 12))
            notes.append(f"key unspecified: drew {PITCH_NAMES[key]} from the seed")
            for r in requests:
                r["key"] = key
        sampling = {"temperature": float(temperature), "top_k": None, "top_p": top_p}
        pieces = []
        t0 = time.perf_counter()
        for i in range(num_pieces):
            score, sheet, extra = self._piece(requests, bars, derive_seed(seed, "piece", i), float(temperature), top_p)
            pieces.append(Piece(score, [], seed, i, bars, dict(requests[0]), notes + extra, dict(sampling), sheet))
            if callable(progress):
                progress((i + 1) / num_pieces, f"piece {i + 1} of {num_pieces}")
        self.last_stats = {"seconds": time.perf_counter() - t0, "pieces": num_pieces}
        return pieces

    # --- steps ------------------------------------------------------------------------------------
    def _requests(self, attributes: Any, n_phrases: int) -> tuple[list[dict], list[str]]:
        if isinstance(attributes, Sequence) and not isinstance(attributes, (str, bytes, dict)):
            if len(attributes) != n_phrases:
                raise ValueError(
                    f"an arc needs one attribute request per 4-bar phrase: {n_phrases} for this length, got {len(attributes)}"
                )
            pairs = [normalise_attributes(a) for a in attributes]
            notes = sorted({n for _, ns in pairs for n in ns})
            return [dict(r) for r, _ in pairs], notes
        request, notes = normalise_attributes(attributes)
        return [dict(request) for _ in range(n_phrases)], notes

    def _piece(self, requests: list[dict], bars: int, seed: int, temperature: float, top_p):
        key = int(requests[0]["key"])
        shift = key if key <= 6 else key - 12  # the key-relative draft moves by at most a tritone
        modes = [self._mode(r, numpy_rng(derive_seed(seed, "mode", p))) for p, r in enumerate(requests)]
        style = self._style(numpy_rng(derive_seed(seed, "style")))
        first_knobs = [self._knobs(r, shift, style) for r in requests]
        best = None
        for attempt in range(KEY_TRIES):  # drafts until the key finder hears the asked key
            dseed = seed if attempt == 0 else derive_seed(seed, "draft", attempt)
            draft = self._draft(requests, modes, first_knobs, bars, dseed, temperature, top_p)
            heard = self._heard(draft, requests, modes, key, bars, shift, dseed)
            if best is None or heard > best[0]:
                best = (heard, dseed, draft, attempt)
            if heard == 2:
                break
        heard, dseed, draft, attempt = best
        # second pass: every knob moved by the gap between the request and the draft's measurement
        measured = [self._measure(draft, p, bars, shift) for p in range(len(requests))]
        knobs = [self._correct(k, r, m) for k, r, m in zip(first_knobs, requests, measured)]
        final = self._draft(requests, modes, knobs, bars, dseed, temperature, top_p)
        score = self._score(final, requests, bars, shift, dseed)
        if self._heard(final, requests, modes, key, bars, shift, dseed) < heard:  # the correction cost the key
            final, score = draft, self._score(draft, requests, bars, shift, dseed)
        notes = (
            []
            if attempt == 0
            else [f"key check: draft {attempt + 1} of {KEY_TRIES} kept (earlier drafts read in another key or mode)"]
        )
        if heard < 2:
            notes.append(
                f"key check: no draft of {KEY_TRIES} reads clearly as {PITCH_NAMES[key]} {'minor' if modes[0] else 'major'}"
            )
        return score, self._lead_sheet(final, requests, modes, key, bars), notes

    @staticmethod
    def _mode(request: dict, rng: np.random.Generator) -> int:
        p_major = request.get("mode")
        major = rng.random() < 0.5 if p_major is None else float(p_major) >= 0.5
        return 0 if major else 1

    @staticmethod
    def _knobs(request: dict, shift: int, style: dict | None = None) -> _Knobs:
        get = lambda k: float(request[k]) if request.get(k) is not None else DEFAULTS[k]  # noqa: E731
        pm, nd = get("pitch_mean"), get("note_density")
        style = style or {"melody_share": MELODY_SHARE, "notes_per_onset": NOTES_PER_ONSET, "voices": 0.0}
        return _Knobs(
            melody_centre=pm + MELODY_ABOVE - shift,
            floor=pm - FLOOR_BELOW - shift,
            sustain=float(np.clip(get("articulation") / 1.5, 0.4, 3.0)),
            voices=float(np.clip(1.0 + 0.8 * (get("polyphony") - 1.0) + style["voices"], 1.0, 6.0)),
            acc_notes=4.0 * nd * (1.0 - style["melody_share"]),
            melody_share=style["melody_share"],
            notes_per_onset=style["notes_per_onset"],
        )

    @staticmethod
    def _style(rng: np.random.Generator) -> dict:
        """A piece's arrangement, drawn once per piece: how much of the asked density the melody carries,
        how chordal the accompaniment is, how many voices it spreads over. None is an emotion attribute;
        they vary from song to song in POP909 at any density, and a piece that always chose the same
        would sound like every other."""
        return {
            "melody_share": float(rng.uniform(*STYLE_MELODY_SHARE)),
            "notes_per_onset": float(NOTES_PER_ONSET * np.exp(rng.normal(0.0, STYLE_CHORDAL_SD))),
            "voices": float(rng.normal(0.0, STYLE_VOICES_SD)),
        }

    @staticmethod
    def _correct(k: _Knobs, request: dict, m: dict) -> _Knobs:
        """Second-pass knobs: move each by the gap between the request and the first draft's measurement."""

        def gap(name):
            return 0.0 if request.get(name) is None or m.get(name) is None else float(request[name]) - float(m[name])

        ratio = 1.0
        if request.get("articulation") is not None and m.get("articulation"):
            ratio = float(np.clip(float(request["articulation"]) / max(m["articulation"], 0.05), 0.5, 2.0))
        return _Knobs(
            melody_centre=k.melody_centre + gap("pitch_mean"),
            floor=k.floor + gap("pitch_mean"),
            sustain=float(np.clip(k.sustain * ratio, 0.3, 6.0)),
            voices=float(np.clip(k.voices + 0.7 * gap("polyphony") / max(k.sustain * ratio, 1.0), 1.0, 7.0)),
            acc_notes=float(max(k.acc_notes + 4.0 * gap("note_density"), 1.0)),
            melody_share=k.melody_share,
            notes_per_onset=k.notes_per_onset,
        )

    def _draft(self, requests, modes, knobs, bars, seed, temperature, top_p) -> list[dict]:
        """Phrases with chords, melody and accompaniment, key-relative (the same seed, the same draws)."""
        rng = numpy_rng(derive_seed(seed, "leadsheet"))
        writer = LeadSheetWriter(self.tables, temperature, top_p)
        acc = self._accompanist(temperature, top_p)
        form = plan_form(len(requests), rng)
        material: dict[str, Phrase] = {}
        texture = None  # the piece's accompaniment: (run, notes per bar it was chosen for)
        out = []
        for p, (letter, req, mode, k) in enumerate(zip(form, requests, modes, knobs)):
            # periods: every second phrase answers the one before with a close on the tonic
            final = p == len(requests) - 1 or p % 2 == 1
            spec = PhraseSpec(
                mode=mode,
                chord_valence=req.get("chord_valence"),
                melody_notes_per_bar=float(np.clip(4.0 * _get(req, "note_density") * k.melody_share, 1.0, 10.0)),
                melody_centre=k.melody_centre,
                final=final,
                close=p == len(requests) - 1,
            )
            # 1. the phrase: new material, or a restatement of a letter heard before; a piece whose length is not
            # whole phrases ends on its last phrase's closing bars (a cadence), not its opening ones
            letter, phrase = _write_phrase(writer, material, form, letter, spec, rng)
            phrase = _closing_bars(phrase, bars - p * PHRASE_BARS)
            length = len(phrase.chords) // 2  # bars
            # 2. its breath before the next phrase, fills in the melody's long notes, a held cadence
            breathe = rng.random() < BREATH_PROBABILITY
            rest = int(rng.choice(BREATH_STEPS, p=BREATH_WEIGHTS)) if breathe else 0
            if breathe and p < len(requests) - 1:
                cut = (PHRASE_BARS * STEPS) - rest
                phrase.melody = [(s, min(d, cut - s), x) for s, d, x in phrase.melody if s < cut]
            end = length * STEPS - (rest if breathe and p < len(requests) - 1 else 0)
            fills = writer.fills(phrase, spec, rng, end)
            still = final and rng.random() < HOLD_PROBABILITY  # the cadence bar holds its chords
            if still or spec.close:  # and the piece's final chord is not walked through
                fills = [n for n in fills if n[0] < (length - 1) * STEPS]
            # 3. the accompaniment under it
            breath = STEPS - rest if breathe else None
            pattern, accomp, texture = _accompany(
                acc, phrase, fills, spec, k, p * PHRASE_BARS, bars, breath, still, rng, texture
            )
            out.append(
                {
                    "letter": letter,
                    "mode": mode,
                    "chords": phrase.chords,
                    "melody": phrase.melody,
                    "accomp": accomp,
                    "fills": [n for n in fills if p * PHRASE_BARS + n[0] // STEPS < bars],
                    "pattern": pattern,
                }
            )
        _clear_final_bar(out, bars)
        return out

    def _heard(self, draft, requests, modes, key, bars, shift, seed) -> float:
        """:func:`_key_mark` of the draft; for an arc whose mode changes, the mean over its phrases of the same
        check on each phrase alone."""
        if len(set(modes)) == 1:
            return float(_key_heard(self._score(draft, requests, bars, shift, seed), key, modes[0]))
        marks = []
        for p, mode in enumerate(modes):
            m = self._measure(draft, p, bars, shift)
            marks.append(_key_mark(m["mode"], m["key"], key, mode) if m else 0.0)
        return float(np.mean(marks))

    def _measure(self, draft: list[dict], p: int, bars: int, shift: int) -> dict:
        """``studio.attributes.music`` measurement of phrase ``p`` of a draft (no velocities yet)."""
        score = self._score(
            [d if i == p else {**d, "melody": [], "accomp": [], "fills": []} for i, d in enumerate(draft)],
            None,
            bars,
            shift,
            0,
        )
        try:
            return extract_attributes(score).to_dict()
        except ValueError:
            return {}

    def _score(self, draft: list[dict], requests: list[dict] | None, bars: int, shift: int, seed: int) -> symusic.Score:
        """The symusic score: a Melody and a Piano track, velocities shaped per phrase, tempo map per phrase."""
        rng = numpy_rng(derive_seed(seed, "velocity"))
        end = bars * STEPS
        score = symusic.Score(TPQ)
        mel_t, pno_t = symusic.Track("Melody", 0, False), symusic.Track("Piano", 0, False)
        for p, d in enumerate(draft):
            base = p * PHRASE_BARS * STEPS
            events = [(s, dur, x, 1) for s, dur, x in d["melody"]]
            events += [(s, dur, x, 0) for s, dur, x in d["accomp"] + d["fills"]]
            events = [e for e in events if base + e[0] < end]
            if not events:
                continue
            vel = _dynamics(
                events,
                _get(requests[p], "velocity_mean") if requests else DEFAULTS["velocity_mean"],
                _get(requests[p], "velocity_std") if requests else DEFAULTS["velocity_std"],
                rng,
            )
            for (s, dur, x, is_mel), v in zip(events, vel):
                t = base + s
                note = symusic.Note(
                    int(t * TICKS_PER_STEP),
                    int(min(dur, end - t) * TICKS_PER_STEP),
                    int(np.clip(x + shift, 0, 127)),
                    int(v),
                )
                (mel_t if is_mel else pno_t).notes.append(note)
            if requests:
                score.tempos.append(symusic.Tempo(int(base * TICKS_PER_STEP), _get(requests[p], "tempo")))
        if not requests:
            score.tempos.append(symusic.Tempo(0, DEFAULTS["tempo"]))
        mel_t.notes.sort(key=lambda n: (n.time, n.pitch))
        pno_t.notes.sort(key=lambda n: (n.time, n.pitch))
        if requests:  # a finished piece is pedalled (a draft measured for its attributes need not be)
            # Both tracks are one piano's hands, so both carry the pedal: a MIDI file gives each track its own
            # channel, and a player that keeps them apart (a DAW, a GM synth) would otherwise play the melody dry
            # while the studio's renderer (one channel per program) held it.
            pedal = _pedal(draft, [*mel_t.notes, *pno_t.notes], end, seed)
            for t in (mel_t, pno_t):
                t.controls.extend(pedal)
        score.tracks.append(mel_t)
        score.tracks.append(pno_t)
        score.time_signatures.append(symusic.TimeSignature(0, 4, 4))
        return score

    def _lead_sheet(self, draft: list[dict], requests: list[dict], modes: list[int], key: int, bars: int) -> dict:
        """Form, chords (Roman numerals and names) and melody, in beats from the start."""
        chords, melody, phrases = [], [], []
        for p, d in enumerate(draft):
            mode = modes[p]
            phrases.append(
                {"letter": d["letter"], "first_bar": p * PHRASE_BARS + 1, "mode": "minor" if mode else "major",
                 "tempo": round(_get(requests[p], "tempo"), 2)}
            )  # fmt: skip
            for h, c in enumerate(d["chords"]):
                bar = p * PHRASE_BARS + h // 2
                if bar >= bars:
                    break
                degree, q = chord_parts(c)
                name = f"{PITCH_NAMES[(key + degree) % 12]}:{q}"
                if chords and chords[-1]["name"] == name:
                    continue
                chords.append({"bar": bar + 1, "beat": 1 + 2 * (h % 2), "roman": roman(c, mode), "name": name})
            for s, dur, x in d["melody"]:
                t = p * PHRASE_BARS * STEPS + s
                if t < bars * STEPS:
                    melody.append([t / 4.0, min(dur, bars * STEPS - t) / 4.0, int(x + (key if key <= 6 else key - 12))])
        mode0 = "minor" if modes[0] else "major"
        return {
            "key": f"{PITCH_NAMES[key]} {mode0}",
            "form": "".join(d["letter"] for d in draft),
            "phrases": phrases,
            "chords": chords,
            "melody": melody,
        }


def check_sampling(temperature: Any, top_k: Any, top_p: Any) -> None:
    if (
        isinstance(temperature, bool)
        or not isinstance(temperature, (int, float))
        or not 0 <= temperature <= MAX_TEMPERATURE
    ):
        raise ValueError(f"temperature must be a number in [0, {MAX_TEMPERATURE:g}], got {temperature!r}")
    if top_k is not None:
        raise ValueError(
            f"top_k is not used by the lead-sheet generator (it samples from small tables); pass None, got {top_k!r}"
        )
    if top_p is not None and (isinstance(top_p, bool) or not isinstance(top_p, (int, float)) or not 0 < top_p <= 1):
        raise ValueError(f"top_p must be a number in (0, 1] or None, got {top_p!r}")


def _get(request: dict, name: str) -> float:
    v = request.get(name)
    return float(v) if v is not None else DEFAULTS[name]


def _key_heard(score: symusic.Score, key: int, mode: int) -> float:
    """:func:`_key_mark` of a whole score (0 when it cannot be measured)."""
    try:
        m = extract_attributes(score)
    except ValueError:
        return 0.0
    return _key_mark(m.mode, m.key, key, mode)


def _key_mark(p_major: float, heard_key: int, key: int, mode: int) -> float:
    """2 when the key finder hears the asked tonic and mode clearly, 1 for the mode alone, 0 otherwise;
    half a mark less when the mode is heard by less than ``MODE_MARGIN`` (a piece in between reads neither)."""
    mode_ok = (p_major < 0.5) == bool(mode)
    mark = int(mode_ok) + int(mode_ok and heard_key == key)
    return mark - 0.5 * (mode_ok and abs(p_major - 0.5) < MODE_MARGIN)


def _write_phrase(writer, material: dict, form: list[str], letter: str, spec: PhraseSpec, rng) -> tuple[str, Phrase]:
    """A phrase for ``letter`` of the form: drawn afresh the first time, restated when ``material`` already holds
    it: literally, or, for a primed letter or a period's close, as an answer (its first ``RESTATE_KEEP_BARS`` bars
    kept, the rest written anew toward a new cadence)."""
    base = letter.rstrip("'")
    source = material.get(base)
    if source is not None and source.mode != spec.mode:  # an arc changed the mode: new material
        source = None
        base = letter = next(c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in material)
    if source is None:
        phrase = Phrase(base, spec.mode, writer.chords(spec, rng, contrast=base != form[0].rstrip("'")))
        writer.melody(phrase, spec, rng)
        material[base] = phrase
        return letter, phrase
    phrase = Phrase(letter, spec.mode, list(source.chords), list(source.melody), list(source.rhythm))
    # a restatement keeps its pitches; an arc that moved the register moves it by octaves
    octaves = 12 * round((spec.melody_centre - _centre(source.melody)) / 12)
    phrase.melody = [(s, d, x + octaves) for s, d, x in phrase.melody]
    if letter.endswith("'") or spec.final:  # a varied repeat: the basic idea kept, a new continuation
        letter = base + "'"
        phrase.chords = writer.recadence(phrase.chords, spec, rng)
        writer.melody(phrase, spec, rng, keep_bars=RESTATE_KEEP_BARS)
    return letter, phrase


def _clear_final_bar(draft: list[dict], bars: int) -> None:
    """The last bar sounds its tonic chord alone, over its own bass: a note struck earlier and held into it (an
    accompaniment note lasts up to two bars) stops at its downbeat unless it is a tone of that chord above the
    last bar's lowest note."""
    start = (bars - 1) * STEPS
    tonic = set(chord_pcs(chord_token(0, "min" if draft[-1]["mode"] else "maj")))
    struck = [x for p, d in enumerate(draft) for s, _, x in d["accomp"] if p * PHRASE_BARS * STEPS + s >= start]
    floor = min(struck, default=-1)

    def kept(x: int) -> bool:
        return x % 12 in tonic and x > floor

    for p, d in enumerate(draft):
        base = p * PHRASE_BARS * STEPS
        for part in ("melody", "accomp", "fills"):
            d[part] = [
                (s, start - base - s if base + s < start < base + s + n and not kept(x) else n, x)
                for s, n, x in d[part]
            ]


def _closing_bars(phrase: Phrase, bars_left: int) -> Phrase:
    """The phrase as it ends a piece with ``bars_left`` bars to go: whole when 4 or more are left, else its last
    ``bars_left`` bars (chords, melody and rhythm from there; a note held into them starts where they do)."""
    if bars_left >= PHRASE_BARS:
        return phrase
    off = (PHRASE_BARS - bars_left) * STEPS
    melody = [(max(s, off) - off, s + d - max(s, off), x) for s, d, x in phrase.melody if s + d > off]
    return Phrase(
        phrase.letter, phrase.mode, list(phrase.chords[2 * (PHRASE_BARS - bars_left) :]), melody,
        list(phrase.rhythm[PHRASE_BARS - bars_left :]),
    )  # fmt: skip


def _accompany(acc, phrase: Phrase, fills: list, spec: PhraseSpec, k: _Knobs, first_bar: int, bars: int,
               breath: int | None, still: bool, rng, texture: tuple[int, float] | None = None,
               ) -> tuple[int, list[tuple[int, int, int]], tuple[int, float]]:  # fmt: skip
    """The phrase's texture — a run of four bar patterns a POP909 pianist played over one phrase, the piece's
    ``texture`` (run, notes per bar) again while the asked density stays within ``TEXTURE_TOLERANCE`` of it —
    realised bar by bar over its chords and brought to the asked density (the fills count toward it, and its
    upper voices stay under them as under the melody, so the fill line is heard on top); ``breath`` silences
    the phrase's last bar from that step (not the piece's last bar), ``still`` holds the cadence bar's chords.
    Returns (run, notes, texture)."""
    length = len(phrase.chords) // 2  # bars: 4, or fewer for a piece's closing bars
    fill_bars = np.bincount([s // STEPS for s, _, _ in fills], minlength=PHRASE_BARS)
    mel_per_bar = len(phrase.melody) / length
    acc_per_bar = max(k.acc_notes - (mel_per_bar - spec.melody_notes_per_bar), 1.0)
    mel_onsets = np.zeros((PHRASE_BARS, STEPS), dtype=bool)
    for s, _, _ in phrase.melody + fills:
        mel_onsets[s // STEPS, s % STEPS] = True
    if texture is not None and abs(math.log(acc_per_bar / texture[1])) <= TEXTURE_TOLERANCE:
        pattern = texture[0]  # the piece keeps its texture while the asked density stays near (an arc's
        # phrase far from it gets its own)
    else:
        pattern = acc.choose(acc_per_bar, k.voices, rng, k.notes_per_onset, mel_onsets)
        texture = (pattern, acc_per_bar)
    accomp, owed = [], 0.0
    for b in range(min(length, bars - first_bar)):
        last = first_bar + b == bars - 1
        cut = breath if b == length - 1 and not last else None
        chords = (phrase.chords[2 * b], phrase.chords[2 * b + 1])
        mel_at = _melody_lookup(phrase.melody + fills, b)
        notes = acc.realise(int(acc.runs[pattern, b]), chords, round(k.floor), mel_at, k.sustain, last, cut, spec.mode)
        owed += acc_per_bar - fill_bars[b]  # the bar's share of the asked density, in whole notes
        if last:  # the piece's last bar: its final chord as realised, every note held to the end over the root
            pass
        elif still and b == length - 1:
            notes = hold(notes, cut)
        else:
            notes = fit_count(notes, int(round(owed)), chords)
        owed -= len(notes)
        accomp += [(b * STEPS + s, d, x) for s, d, x in notes]
    return pattern, accomp, texture


def _centre(melody: list) -> float:
    return float(np.mean([x for _, _, x in melody])) if melody else 0.0


def _velocity(step: int, is_melody: int) -> float:
    """Metric accent, a lift for the melody, and the phrase's arch: a swell to its middle and back, as
    players shape a phrase (Todd 1992)."""
    arch = PHRASE_SWELL * math.sin(math.pi * min(step, PHRASE_BARS * STEPS) / (PHRASE_BARS * STEPS))
    return metric_accent(step) + (8.0 if is_melody else -2.0) + arch


def _dynamics(events: list, mean: float, spread: float, rng: np.random.Generator) -> np.ndarray:
    """One phrase's velocities: the shape of :func:`_velocity` with a little noise, placed on the asked
    ``velocity_mean`` and ``velocity_std`` (:func:`studio.music.dynamics.place`)."""
    shape = np.array([_velocity(s, is_mel) for s, _, _, is_mel in events], dtype=float)
    return place(shape + rng.normal(0.0, VELOCITY_NOISE, len(shape)), mean, spread)


def _pedal(draft: list[dict], notes: list, end: int, seed: int) -> list[symusic.ControlChange]:
    """The piece's sustain pedal (:func:`studio.music.pedal.harmonic_pedal`): changed with the lead sheet's
    chords (half bars) and up through every rest."""
    sounding = np.zeros(end, dtype=int)
    for n in notes:
        a = n.time // TICKS_PER_STEP
        sounding[a : -(-(n.time + n.duration) // TICKS_PER_STEP)] += 1
    changes, prev = [], None
    for p, d in enumerate(draft):
        for h, c in enumerate(d["chords"]):
            if c != prev:
                changes.append(p * PHRASE_BARS * STEPS + h * STEPS // 2)
            prev = c
    events = harmonic_pedal(changes, sounding, TICKS_PER_STEP, numpy_rng(derive_seed(seed, "pedal")))
    return [symusic.ControlChange(t, SUSTAIN, v) for t, v in events]


def _melody_lookup(melody: list, bar: int):
    """``step in bar -> lowest pitch sounding then`` (or None) for one bar of a phrase's melody (and fills)."""
    lo, hi = bar * STEPS, (bar + 1) * STEPS
    spans = [(s - lo, s - lo + d, x) for s, d, x in melody if s < hi and s + d > lo]

    def at(step: int) -> int | None:
        sounding = [x for a, b, x in spans if a <= step < b]
        if sounding:
            return min(sounding)
        nxt = [x for a, _, x in spans if a > step]
        return min(nxt[:1]) if nxt else None

    return at
