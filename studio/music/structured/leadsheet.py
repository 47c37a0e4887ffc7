"""Stage 1: a lead sheet — phrase plan (form), key-relative chords per half bar, and a melody.

Everything here is in the key's own terms (pitches are semitones above the tonic); the pipeline
transposes to the asked key at the end. Sampling draws from the fitted POP909 tables
(:class:`.tables.LeadSheetTables`) with a temperature and nucleus (top-p) filter, all from one
``numpy.random.Generator`` so the same seed gives the same lead sheet.

Axis legend: ``c`` chord token, ``i`` interval class, ``r`` rhythm pattern, ``s`` 16th step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from studio.attributes.music import key_correlations

from .tables import (
    MAX_INTERVAL,
    NUM_CHORDS,
    STEPS,
    LeadSheetTables,
    chord_parts,
    chord_pcs,
    chord_token,
    chord_valence,
)

PHRASE_BARS = 4
HALF_BARS = 2 * PHRASE_BARS
# Forms of up to four phrases; a prime marks a varied repeat: a period's answer, whose first RESTATE_KEEP_BARS
# bars (the basic idea, chords and melody) are the phrase's again and whose last bars are written anew toward a
# new cadence. Keeping only the cadence bar's change made 16-bar pieces restate bars far more literally than
# POP909's do (bar-to-bar repetition 0.43-0.45 against 0.33 on its training songs' 16-bar runs; 2 bars kept: 0.37).
FORMS = ("AABA", "ABAC", "AA'BA'", "ABAB'", "AABB'")
RESTATE_KEEP_BARS = 2
CHORD_CANDIDATES = 16  # phrase progressions drawn per phrase; the cadence picks among them
MELODY_RANGE = 12  # semitones either side of the melody's register centre
# The melody's next pitch: the interval from the previous pitch's scale degree (POP909 melodies, key-relative:
# mi-fa and ti-do step by a semitone, other degrees by a tone) x the previous interval's pull (as a ratio to
# the interval marginal, so the two do not count the same steps twice) x chord tones by metric strength x
# register. Weights chosen so the generated melodies' interval histogram matches POP909 training melodies'.
STEP_WEIGHT = 1.0
IVL_WEIGHT = 0.5
CT_WEIGHT = 0.5
# A note repeating the one before is drawn less often (a logit offset): chord tones on strong beats favour
# repeats, and without it melodies repeated their last pitch at 0.26 of intervals against 0.23 in POP909's
# training melodies (with it 0.25; bench_musicality prints the melody's interval profile beside theirs).
REPEAT_PENALTY = 0.15
PC_WEIGHT = 0.7  # the key profile, for a phrase's first note
CHROMATIC_PENALTY = 4.0
# A phrase that sounds the degree telling the key from its dominant key (the 4th in major, the minor 6th in
# minor) is preferred: POP909's melodies avoid the 4th, and without it the key finder hears the dominant.
KEY_DEGREE = (5, 8)
KEY_CLARITY = 1.5
# Of a phrase's drafts, those whose chords name the phrase's own key and mode are preferred (a logit per unit
# of Krumhansl margin over the next-best of the 24 keys, each distinct chord counted once, so the margin is won
# by naming the key's chords, not by repeating the tonic): a minor phrase drawn as V-VI-VII-III cadences in its
# relative major, and phrases read in their own mode 0.76 / 0.79 / 0.75 of the time by three key finders the
# generator does not use (music21's Aarden-Essen, Temperley-Kostka-Payne, Bellman-Budge; with it 0.83 / 0.82 /
# 0.79, bench_leadsheet's phrase modes): an arc's "sad" opening sounded major. Counting the tonic's every
# half bar named keys more clearly still but sat the harmony on the tonic 34-40 % of the time.
MODE_CLARITY = 10.0
VALENCE_GAIN = 3.0  # logit per unit of (asked - corpus) chord valence x a chord's valence
# Pop phrases often loop a 2-bar progression (I-V-vi-IV twice): drafts do so this often, the last half
# bar still drawn toward the cadence.
LOOP_PROBABILITY = 0.5
TONIC_START = 1.0  # phrases open on the tonic a little more often than POP909's own 35 %: the key reads clearly
REGISTER_SD = 5.0
# Inside a phrase the tonic chord is drawn less often than the transition table says (a logit offset): the
# opening bonus, 2-bar loops and tonic cadences bring it back, and without the offset pieces sat on the tonic
# for 30 % (major) and 47 % (minor) of their half bars against POP909's 22 % and 25 %.
TONIC_WITHIN = -0.75
# The piece's last phrase closes it: its last chord is the tonic (a phrase-end table alone ended 23 % of
# pieces on IV, V, vi or elsewhere, and "final" phrases' soft tonic bonus is a period's answer, not an ending),
# and its last melody note is a tonic-chord tone, the tonic itself favoured by this many logits.
CLOSE_ON_TONIC = 3.0
MOTIF_REPEAT = 0.6  # probability that bar 3 restates bar 1's rhythm (a sequence of the basic idea)
MELODY_SHARE = 0.3  # share of a piece's notes in the melody (POP909 training bars: 0.29)
# Fills: where the melody holds or rests for FILL_MIN_GAP steps or more, a second line answers it under the
# held note in the gap's second half, as POP909's BRIDGE track does (half its onsets fall where the melody
# holds or rests; it plays 0.75 notes per melody note).
FILL_PROBABILITY = 0.9
FILL_MIN_GAP = 6
FILL_BELOW = 3  # the fill's register centre under the note it answers
FILL_MAX = 8  # eighth notes at most in one fill (a gap's worth: the bridge line answers the whole gap)
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)
_NUMERALS = ("I", "II", "III", "IV", "V", "VI", "VII")
_ROMAN_MAJOR = {0: "I", 1: "bII", 2: "II", 3: "bIII", 4: "III", 5: "IV", 6: "#IV", 7: "V", 8: "bVI", 9: "VI", 10: "bVII", 11: "VII"}  # fmt: skip
_ROMAN_MINOR = {0: "I", 1: "bII", 2: "II", 3: "III", 4: "#III", 5: "IV", 6: "#IV", 7: "V", 8: "VI", 9: "#VI", 10: "VII", 11: "#VII"}  # fmt: skip
_SUFFIX = {"maj": "", "min": "", "dim": "°", "aug": "+", "7": "7", "maj7": "maj7", "min7": "7", "sus4": "sus4"}


def roman(token: int, mode: int) -> str:
    """Roman numeral of a chord token in a major (0) or minor (1) key, e.g. ``V7``, ``vi``, ``bVII``."""
    degree, q = chord_parts(token)
    numeral = (_ROMAN_MINOR if mode else _ROMAN_MAJOR)[degree]
    if q in ("min", "min7", "dim"):
        numeral = numeral.lower()
    return numeral + _SUFFIX[q]


def mode_margin(chords, mode: int) -> float:
    """How much more the pitch classes of a phrase's distinct chords correlate with its own key (tonic 0 in
    ``mode``) than with any other of the 24 (the shared key finder, ``studio.attributes.music``)."""
    hist = np.zeros(12)
    for c in set(chords):
        hist[list(chord_pcs(c))] += 1.0
    r = key_correlations(hist)
    own = r[mode, 0]
    r[mode, 0] = -np.inf
    return float(own - r.max())


def sample(logits: np.ndarray, rng: np.random.Generator, temperature: float, top_p: float | None) -> int:
    """One index from ``logits`` with temperature (0 = argmax) and a nucleus filter."""
    logits = np.asarray(logits, dtype=np.float64)
    ok = np.isfinite(logits)
    if not ok.any():
        raise ValueError("no candidate left to sample")
    if temperature <= 0:
        return int(np.argmax(np.where(ok, logits, -np.inf)))
    z = np.where(ok, logits / temperature, -np.inf)
    p = np.exp(z - z.max())
    idx = np.flatnonzero(p > 0)
    p = p[idx]
    if top_p is not None and top_p < 1.0 and len(p) > 1:
        order = np.argsort(-p, kind="stable")
        mass = np.cumsum(p[order])
        keep = order[: int(np.searchsorted(mass, top_p * mass[-1])) + 1]  # the smallest set holding top_p
        idx, p = idx[keep], p[keep]
    cum = np.cumsum(p)
    return int(idx[min(int(np.searchsorted(cum, rng.random() * cum[-1], side="right")), len(idx) - 1)])


def closed(chords: list[int], tonic: int) -> list[int]:
    """A piece's closing progression: the last bar all tonic, the chord that led into it (V in V-I) moved to the
    half bar before. Holding the last bar's notes to the end then sounds one chord, not the dominant under the
    tonic."""
    out = list(chords)
    if out[-1] != tonic:
        out[-1] = tonic
    if out[-2] != tonic:
        out[-3], out[-2] = out[-2], tonic
    return out


@dataclass
class PhraseSpec:
    """What one 4-bar phrase is asked to be (already resolved from the attributes)."""

    mode: int  # 0 major, 1 minor
    chord_valence: float | None  # asked mean chord valence, or None for the corpus's own
    melody_notes_per_bar: float
    melody_centre: float  # MIDI pitch above the tonic (key-relative)
    final: bool = False  # last phrase of the piece, or the answer of a period: close on the tonic
    close: bool = False  # the piece's last phrase: tonic chord last, the melody on its tones (CLOSE_ON_TONIC)


@dataclass
class Phrase:
    """One phrase of the lead sheet: a chord per half bar and the melody's notes."""

    letter: str
    mode: int
    chords: list[int]  # [8] chord tokens
    melody: list[tuple[int, int, int]] = field(default_factory=list)  # (step in phrase, duration, pitch)
    rhythm: list[int] = field(default_factory=list)  # rhythm pattern per bar


class LeadSheetWriter:
    """Draws phrases (chords, then melody) from the fitted tables.

    Args:
        tables: the fitted counts.
        temperature: sampling temperature for chords and melody (1 = the corpus's own spread).
        top_p: nucleus for every draw, or None.
    """

    def __init__(self, tables: LeadSheetTables, temperature: float = 1.0, top_p: float | None = 0.95):
        self.t = tables
        self.temperature = float(temperature)
        self.top_p = top_p
        self._trans = np.log(tables.chord_trans + 0.05) - np.log(
            tables.chord_trans.sum(-1, keepdims=True) + 0.05 * NUM_CHORDS
        )
        self._start = np.log(tables.chord_start + 0.05)
        self._cad = np.log(tables.chord_cadence + 0.5) - np.log(
            tables.chord_cadence.sum(-1, keepdims=True) + 0.5 * NUM_CHORDS
        )
        self._ivl = np.log(tables.mel_interval + 0.5) - np.log(tables.mel_interval.sum(-1, keepdims=True) + 12.5)
        pc = (tables.mel_pc + 1.0) / (tables.mel_pc.sum(-1, keepdims=True) + 12)
        # the key profile shapes the diatonic notes gently; notes the corpus almost never sings are out
        self._chromatic = CHROMATIC_PENALTY * (pc < 0.01)  # [m, 12]
        self._pc = PC_WEIGHT * np.log(pc) - self._chromatic
        marg = tables.mel_interval.sum(0)
        self._ivl_marginal = np.log(marg + 0.5) - np.log(marg.sum() + 12.5)
        self._step = np.log(tables.mel_step + 0.5) - np.log(tables.mel_step.sum(-1, keepdims=True) + 12.5)
        ct = tables.mel_chordtone + 1.0
        self._ct = np.log(ct / ct.sum(-1, keepdims=True))  # [strength, is chord tone]
        self._end = np.log(tables.mel_degree_end + 1.0) - np.log(tables.mel_degree_end.sum(-1, keepdims=True) + 12)
        self._valence = np.array([chord_valence(c) for c in range(NUM_CHORDS)])
        self._rhythm_n = tables.rhythm_onsets.sum(1).astype(float)
        self._rhythm_w = np.log(tables.rhythm_count) * 0.5

    # --- chords ---------------------------------------------------------------------------------
    def _valence_bias(self, mode: int, asked: float | None) -> np.ndarray:
        """Logit bias toward brighter or darker chord qualities, relative to the corpus's own mix."""
        if asked is None:
            return np.zeros(NUM_CHORDS)
        p = self.t.chord_trans[mode].sum(0)
        base = float((p * self._valence).sum() / max(p.sum(), 1.0))
        return VALENCE_GAIN * (asked - base) * self._valence

    def chords(self, spec: PhraseSpec, rng: np.random.Generator, contrast: bool = False) -> list[int]:
        """A phrase's 8 half-bar chords: forward draws from the transition table, the cadence chosen
        among ``CHORD_CANDIDATES`` drafts by the cadence table (and, for the last phrase, V-I / IV-I) and by how
        clearly the draft names its key (``MODE_CLARITY``)."""
        m = spec.mode
        bias = self._valence_bias(m, spec.chord_valence)
        tonic = chord_token(0, "min" if m else "maj")
        start = self._start[m] + bias
        start = start.copy()
        bias = bias.copy()
        bias[tonic] += TONIC_WITHIN
        start[tonic] += -2.0 if contrast else TONIC_START  # a B section opens away from the tonic
        drafts, scores = [], []
        for _ in range(CHORD_CANDIDATES):
            seq = [sample(start, rng, self.temperature, self.top_p)]
            loop = rng.random() < LOOP_PROBABILITY  # a 2-bar progression played twice, the cadence re-drawn
            for i in range(HALF_BARS - 1):
                if loop and 4 <= i + 1 < HALF_BARS - 1:
                    seq.append(seq[i + 1 - 4])
                    continue
                seq.append(sample(self._trans[m, seq[-1]] + bias, rng, self.temperature, self.top_p))
            score = self._cad[m, seq[-1]] + KEY_CLARITY * any(KEY_DEGREE[m] in chord_pcs(c) for c in seq)
            score += MODE_CLARITY * mode_margin(seq, m)
            if spec.final:
                degree_prev = chord_parts(seq[-2])[0] if seq[-2] != seq[-1] else chord_parts(seq[-3])[0]
                score += 4.0 * (seq[-1] == tonic) + 1.5 * (degree_prev in (7, 5, 10))
            drafts.append(seq)
            scores.append(score)
        if spec.close:  # the piece ends on its tonic: drafts that do are the only choices, or the best one is made to
            ending = [i for i, seq in enumerate(drafts) if seq[-1] == tonic]
            if not ending:
                ending = [int(np.argmax(scores))]
            scores = [scores[i] if i in ending else -np.inf for i in range(len(drafts))]
            return closed(drafts[sample(np.array(scores) * 2.0, rng, max(self.temperature, 0.3), None)], tonic)
        return drafts[sample(np.array(scores) * 2.0, rng, max(self.temperature, 0.3), None)]

    def recadence(self, chords: list[int], spec: PhraseSpec, rng: np.random.Generator) -> list[int]:
        """A varied repeat: the first ``RESTATE_KEEP_BARS`` bars' chords kept, the rest re-drawn toward a cadence."""
        m = spec.mode
        bias = self._valence_bias(m, spec.chord_valence)
        tonic = chord_token(0, "min" if m else "maj")
        best, best_score = None, -np.inf
        for _ in range(CHORD_CANDIDATES // 2):
            seq = list(chords[: 2 * RESTATE_KEEP_BARS])
            for _ in range(HALF_BARS - 2 * RESTATE_KEEP_BARS):
                seq.append(sample(self._trans[m, seq[-1]] + bias, rng, self.temperature, self.top_p))
            score = self._cad[m, seq[-1]] + (4.0 * (seq[-1] == tonic) if spec.final else 0.0) + rng.gumbel()
            if score > best_score:
                best, best_score = seq, score
        return closed(best, tonic) if spec.close else best

    # --- melody ---------------------------------------------------------------------------------
    def rhythm(self, notes_per_bar: float, rng: np.random.Generator, cadential: bool = False, exclude=()) -> int:
        """A bar rhythm pattern near ``notes_per_bar`` onsets (a held last note when ``cadential``)."""
        target = notes_per_bar * (0.6 if cadential else 1.0)
        logits = self._rhythm_w - 1.5 * np.abs(self._rhythm_n - target)
        if cadential and self.t.rhythm_cadential.any():
            logits = np.where(self.t.rhythm_cadential > 0, logits, -np.inf)
        kept = logits.copy()
        kept[list(exclude)] = -np.inf
        if np.isfinite(kept).any():  # a table too small to vary keeps its one pattern
            logits = kept
        return sample(logits, rng, max(self.temperature, 0.2), self.top_p)

    def _bar_onsets(self, r: int) -> list[tuple[int, int]]:
        on = np.flatnonzero(self.t.rhythm_onsets[r])
        return [(int(s), int(self.t.rhythm_durs[r, s])) for s in on]

    def melody_bar(
        self,
        r: int,
        chords: tuple[int, int],
        spec: PhraseSpec,
        prev: tuple[int | None, int | None],
        rng: np.random.Generator,
        end_of_phrase: bool = False,
    ) -> tuple[list[tuple[int, int, int]], tuple[int | None, int | None]]:
        """Pitches for one bar's rhythm: interval model x key profile x chord tones x register."""
        m = spec.mode
        prev_pitch, prev_ivl = prev
        centre = spec.melody_centre
        cand = np.arange(int(round(centre)) - MELODY_RANGE, int(round(centre)) + MELODY_RANGE + 1)
        out = []
        onsets = self._bar_onsets(r)
        for j, (s, d) in enumerate(onsets):
            chord = chords[0] if s < STEPS // 2 else chords[1]
            pcs = chord_pcs(chord)
            strength = 0 if s % 8 == 0 else 1 if s % 4 == 0 else 2
            is_ct = np.isin(cand % 12, pcs)
            logits = CT_WEIGHT * np.where(is_ct, self._ct[strength, 1], self._ct[strength, 0])
            logits = logits - 0.5 * ((cand - centre) / REGISTER_SD) ** 2
            if prev_pitch is None:
                logits = logits + self._pc[m, cand % 12]
            else:
                iv = np.clip(cand - prev_pitch, -MAX_INTERVAL, MAX_INTERVAL) + MAX_INTERVAL
                row = self._ivl[prev_ivl] if prev_ivl is not None else self._ivl_marginal
                logits = (
                    logits
                    + STEP_WEIGHT * self._step[m, prev_pitch % 12, iv]
                    + IVL_WEIGHT * (row[iv] - self._ivl_marginal[iv])
                    - self._chromatic[m, cand % 12]
                    - 10.0 * (np.abs(cand - prev_pitch) > MAX_INTERVAL)
                    - REPEAT_PENALTY * (cand == prev_pitch)
                )
            if prev_pitch is None and is_ct.any():  # a phrase opens on a chord tone
                logits = np.where(is_ct, logits, -np.inf)
            if end_of_phrase and j == len(onsets) - 1:
                if spec.close:  # the piece's last note: a tone of the tonic chord it ends on, the tonic first
                    is_ct = np.isin(cand % 12, chord_pcs(chord_token(0, "min" if m else "maj")))
                    logits = logits + CLOSE_ON_TONIC * (cand % 12 == 0)
                logits = np.where(is_ct, logits + self._end[m, cand % 12], -np.inf)
            x = int(cand[sample(logits, rng, self.temperature, self.top_p)])
            if prev_pitch is not None:
                prev_ivl = int(np.clip(x - prev_pitch, -MAX_INTERVAL, MAX_INTERVAL)) + MAX_INTERVAL
            prev_pitch = x
            out.append((s, d, x))
        return out, (prev_pitch, prev_ivl)

    def fills(self, phrase: Phrase, spec: PhraseSpec, rng: np.random.Generator, end: int) -> list[tuple[int, int, int]]:
        """A second line in the melody's long notes and rests: ``[(step in phrase, duration, pitch)]``.

        Each gap of ``FILL_MIN_GAP`` steps or more (melody onset to the next, or to ``end``) gets, with
        ``FILL_PROBABILITY``, 1-4 eighth notes ending where the gap ends, drawn from the same scale-degree
        step table as the melody, on chord tones where the beat is strong, under the note they answer."""
        m, mel, out = spec.mode, sorted(phrase.melody), []
        for j, (s, _, x) in enumerate(mel):
            nxt = mel[j + 1][0] if j + 1 < len(mel) else end
            gap = nxt - s
            if gap < FILL_MIN_GAP or rng.random() >= FILL_PROBABILITY:
                continue
            count = int(rng.integers(1, min(FILL_MAX, gap // 4) + 1))
            centre = x - FILL_BELOW
            cand = np.arange(x - 12, x)
            prev = x
            for i in range(count):
                at = nxt - 2 * (count - i)
                chord = phrase.chords[min(at // (STEPS // 2), len(phrase.chords) - 1)]
                is_ct = np.isin(cand % 12, chord_pcs(chord))
                strength = 0 if at % 8 == 0 else 1 if at % 4 == 0 else 2
                iv = np.clip(cand - prev, -MAX_INTERVAL, MAX_INTERVAL) + MAX_INTERVAL
                logits = (
                    self._step[m, prev % 12, iv]
                    - self._chromatic[m, cand % 12]
                    + CT_WEIGHT * np.where(is_ct, self._ct[strength, 1], self._ct[strength, 0])
                    - 0.5 * ((cand - centre) / 3.0) ** 2
                    - 3.0 * (cand == prev)
                )
                prev = int(cand[sample(logits, rng, self.temperature, self.top_p)])
                out.append((at, 2, prev))
        return out

    def sequence_bar(
        self, bar: list[tuple[int, int, int]], from_chord: int, to_chord: int, mode: int
    ) -> list[tuple[int, int, int]] | None:
        """Bar 1's melody restated over bar 3's chord: moved by the root step, snapped to the scale.

        None when the restatement would put a strong-beat note outside the new chord (then bar 3 is
        drawn afresh)."""
        shift = (chord_parts(to_chord)[0] - chord_parts(from_chord)[0]) % 12
        shift = shift - 12 if shift > 6 else shift
        scale = MINOR_SCALE if mode else MAJOR_SCALE
        pcs = chord_pcs(to_chord)
        out = []
        for s, d, x in bar:
            y = x + shift
            if y % 12 not in scale and y % 12 not in pcs:
                y += -1 if (y - 1) % 12 in scale else 1
            if s % 8 == 0 and y % 12 not in pcs:
                return None
            out.append((s, d, y))
        return out

    def melody(self, phrase: Phrase, spec: PhraseSpec, rng: np.random.Generator, keep_bars: int = 0) -> None:
        """Fill ``phrase.melody`` (bars ``keep_bars``.. are written; earlier ones are kept as they are)."""
        npb = spec.melody_notes_per_bar
        kept = [n for n in phrase.melody if n[0] < keep_bars * STEPS]
        rhythm = list(phrase.rhythm[:keep_bars])
        prev = (None, None)
        if kept:
            prev = (kept[-1][2], None)
        notes = list(kept)
        bar_notes: dict[int, list] = {}
        for b in range(keep_bars, PHRASE_BARS):
            last = b == PHRASE_BARS - 1
            if b == 2 and rhythm and rng.random() < MOTIF_REPEAT:
                r = rhythm[0]
                first = [(s - 0, d, x) for s, d, x in notes if s < STEPS]
                seq = self.sequence_bar(first, phrase.chords[0], phrase.chords[4], spec.mode) if first else None
                if seq is not None:
                    rhythm.append(r)
                    notes += [(2 * STEPS + s, d, x) for s, d, x in seq]
                    prev = (seq[-1][2], None)
                    continue
            else:
                r = self.rhythm(npb, rng, cadential=last, exclude=rhythm[-1:] if b == 1 else ())
            rhythm.append(r)
            bar, prev = self.melody_bar(r, (phrase.chords[2 * b], phrase.chords[2 * b + 1]), spec, prev, rng, last)
            bar_notes[b] = bar
            notes += [(b * STEPS + s, d, x) for s, d, x in bar]
        phrase.melody, phrase.rhythm = notes, rhythm


def plan_form(n_phrases: int, rng: np.random.Generator) -> list[str]:
    """Phrase letters for ``n_phrases`` (primes mark varied repeats), e.g. ``['A', 'A', 'B', "A'"]``."""
    form = FORMS[int(rng.integers(len(FORMS)))]
    letters = [
        form[i] + ("'" if i + 1 < len(form) and form[i + 1] == "'" else "") for i in range(len(form)) if form[i] != "'"
    ]
    out = []
    while len(out) < n_phrases:
        cycle = len(out) // len(letters)
        for x in letters:
            if len(out) == n_phrases:
                break
            # later cycles vary their A phrases and bring new contrasting material
            if cycle > 0 and x.startswith("A"):
                x = "A'"
            elif cycle > 0:
                x = chr(ord(x[0]) + 2 * cycle) + x[1:]
            out.append(x)
    if n_phrases > 1 and out[-1] == out[-2] and "'" not in out[-1]:
        out[-1] += "'"
    return out
