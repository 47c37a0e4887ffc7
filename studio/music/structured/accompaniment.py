"""Stage 2: lead sheet -> piano accompaniment, from POP909's own accompaniment patterns.

A pattern (fitted in :mod:`.fit`) is one bar of a real piano part written as (step, duration, role,
slot): bass or upper voice, and a slot holding the note's height above the bar's lowest note and the chord
tone it played (root, third, fifth, seventh, or a non-chord step above the root). Realising it over a chord
puts each note on the same chord tone of the new chord, nearest the same height: block chords stay block
chords, open voicings open, inversions inversions, octave doublings doubled, over any harmony. A texture is
a run of four patterns one pianist played over one phrase. Upper voices never rise into the melody (they
are re-voiced under it, or left out).

Axis legend: ``p`` pattern, ``k`` note slot of a pattern.
"""

from __future__ import annotations

import numpy as np

from .leadsheet import MAJOR_SCALE, MINOR_SCALE, sample
from .tables import NON_CHORD, ROLE_BASS, ROLE_UPPER, STEPS, TONES, LeadSheetTables, chord_pcs

BASS_BELOW = 11  # bass register centre: this many semitones below the accompaniment's floor
NOTES_PER_ONSET = 2.4  # POP909 piano parts sound about this many notes together
CHORDAL_WEIGHT = 1.0
DENSITY_WEIGHT = 3.0  # logit per note of distance from the asked notes per bar
PULSE_WEIGHT = 0.5  # logit per eighth of a bar that neither the melody nor the pattern strikes
MELODY_GAP = 2  # upper voices stay at least this far below the melody note sounding over them


class Accompanist:
    """Chooses and realises accompaniment patterns.

    Args:
        tables: the fitted tables (``acc_notes [p, k, 4]``, ``acc_count [p]``).
        temperature, top_p: sampling settings for the pattern choice.
    """

    def __init__(self, tables: LeadSheetTables, temperature: float = 1.0, top_p: float | None = 0.95):
        self.notes = tables.acc_notes
        valid = self.notes[..., 0] >= 0
        self.n_notes = valid.sum(1).astype(float)
        upper = np.where(valid & (self.notes[..., 2] == ROLE_UPPER), self.notes[..., 3], -1)
        self.n_upper = np.array([len(set(row[row >= 0].tolist())) for row in upper], dtype=float)  # voices
        steps = np.where(valid, self.notes[..., 0], -1)
        first = np.ones_like(valid)
        srt = np.sort(steps, axis=1)
        first[:, 1:] = srt[:, 1:] != srt[:, :-1]
        self.n_onsets = (first & (srt >= 0)).sum(1).astype(float)  # distinct onset steps per pattern
        self.onsets = np.zeros((len(self.notes), STEPS), dtype=bool)  # [p, s]
        rows, cols = np.nonzero(valid)
        self.onsets[rows, self.notes[rows, cols, 0]] = True
        self.log_count = 0.5 * np.log(tables.acc_count)
        self.runs = tables.acc_runs  # [u, 4]
        self.run_log_count = 0.5 * np.log(tables.acc_run_count)
        self.temperature, self.top_p = float(temperature), top_p

    def choose(
        self,
        notes_per_bar: float,
        voices: float,
        rng: np.random.Generator,
        notes_per_onset: float = NOTES_PER_ONSET,
        melody_onsets: np.ndarray | None = None,
    ) -> int:
        """A phrase's texture: a run of four bar patterns one POP909 piano part played over one phrase
        (index into ``runs``), with about ``notes_per_bar`` notes, ``voices`` upper voices and
        ``notes_per_onset`` per onset on average, and (given ``melody_onsets``, ``[bars, STEPS]`` bool) the
        eighths the melody leaves silent struck."""
        r = self.runs
        n_notes, n_upper = self.n_notes[r].mean(1), self.n_upper[r].mean(1)
        per_onset = (self.n_notes[r] / np.maximum(self.n_onsets[r], 1)).mean(1)
        logits = (
            self.run_log_count
            - DENSITY_WEIGHT * np.abs(n_notes - notes_per_bar)
            - 0.6 * np.abs(n_upper - voices)
            - CHORDAL_WEIGHT * np.abs(per_onset - notes_per_onset)
        )
        if melody_onsets is not None and len(melody_onsets):
            bars = min(len(melody_onsets), r.shape[1])
            eighths = self.onsets[r[:, :bars], ::2] | melody_onsets[None, :bars, ::2]  # [u, bars, 8]
            logits = logits - PULSE_WEIGHT * (~eighths).sum(-1).mean(-1)
        return sample(logits, rng, max(self.temperature, 0.2), self.top_p)

    def realise(
        self,
        pattern: int,
        chords: tuple[int, int],
        floor: int,
        melody_at,
        sustain: float = 1.0,
        last_bar: bool = False,
        breath: int | None = None,
        mode: int = 0,
    ) -> list[tuple[int, int, int]]:
        """One bar: ``[(step, duration, pitch)]`` (key-relative pitches, steps from the bar start).

        Args:
            pattern: index into the pattern table.
            chords: the chord tokens of the bar's two halves.
            floor: the accompaniment's register (key-relative MIDI pitch): the bass centres ``BASS_BELOW`` under it.
            melody_at: ``step -> melody pitch sounding then, or None``.
            sustain: duration factor (articulation): 1 plays the pattern's own lengths.
            last_bar: the piece's last bar ends on a held chord, its bass on the roots.
            breath: a step after which nothing sounds (a phrase's breath before the next), or None.
            mode: 0 major, 1 minor: the scale a pattern's non-chord tones are kept in.
        """
        scale = MINOR_SCALE if mode else MAJOR_SCALE
        rows = self.notes[pattern]
        rows = rows[rows[:, 0] >= 0]
        out, seen = [], set()

        def placed(s: int, slot: int, base: int) -> tuple[int, tuple[int, ...]]:
            """The slot's tone of the chord sounding at ``s``, nearest ``base + height`` (ties below)."""
            pcs = chord_pcs(chords[0] if s < STEPS // 2 else chords[1])
            height, tone = divmod(slot, TONES)
            if tone < NON_CHORD:
                pc = pcs[min(tone, len(pcs) - 1)]
            else:  # the same step above the new root, kept in the key's scale
                pc = (pcs[0] + tone - NON_CHORD) % 12
                pc = pc if pc in scale else (pc - 1) % 12
            target = base + height
            pitch = target - ((target - pc) % 12)
            return pitch + (12 if target - pitch > 6 else 0), pcs

        # the bass first, in its register; the upper voices then stand on it at the heights they were played
        # the piece's last bar stands on its chords' roots (a final tonic over its fifth or third does not close)
        bass = {
            (s, slot): placed(s, slot - slot % TONES if last_bar else slot, floor - BASS_BELOW)[0]
            for s, _, role, slot in rows.tolist()
            if role == ROLE_BASS
        }
        lowest = min(((slot // TONES, p) for (_, slot), p in bass.items()), default=(0, floor - BASS_BELOW))
        anchor = lowest[1] - lowest[0]  # where the bar's lowest note, height 0, now stands
        for s, d, role, slot in rows.tolist():
            if last_bar and slot % TONES >= NON_CHORD:
                continue  # held to the end, a passing or added tone would blur the final chord
            if role == ROLE_BASS:
                pitch, pcs = bass[(s, slot)], ()
            else:
                pitch, pcs = placed(s, slot, anchor)
                under = [p for (t, _), p in bass.items() if t == s]
                if under and pitch <= max(under):  # never under the bass struck with it
                    pitch += 12 * ((max(under) - pitch) // 12 + 1)
            mel = melody_at(s)
            if role != ROLE_BASS and mel is not None and pitch > mel - MELODY_GAP:
                # re-voice under the melody: the highest chord tone below it, not an octave drop
                below = [p for p in range(mel - MELODY_GAP, floor - 8, -1) if p % 12 in pcs]
                if not below:
                    continue
                pitch = below[0]
            dur = max(1, int(round(d * sustain)))
            if breath is not None and s + dur > breath:
                if s >= breath:
                    continue
                dur = breath - s
            if last_bar:
                dur = max(dur, STEPS - s)
            if (s, pitch) in seen:
                continue
            seen.add((s, pitch))
            out.append([int(s), min(dur, 2 * STEPS), int(pitch)])
        if last_bar and out:  # the piece's last chord stands on its root: one is added under it if missing
            root = chord_pcs(chords[1])[0]
            low = min(out, key=lambda n: n[2])
            if low[2] % 12 != root:
                first = min(n[0] for n in out)
                out.append([first, STEPS - first, low[2] - ((low[2] - root) % 12 or 12)])
        for n in out:  # a key is not held past its next strike
            later = [m[0] for m in out if m[2] == n[2] and m[0] > n[0]]
            if later:
                n[1] = min(n[1], min(later) - n[0])
        out = [tuple(n) for n in out]
        return out


def fit_count(
    notes: list[tuple[int, int, int]], target: int, chords: tuple[int, int] | None = None
) -> list[tuple[int, int, int]]:
    """One bar's accompaniment brought to ``target`` notes, as a player thins or fills a pattern.

    Too many: drop upper notes from the metrically weakest onsets (never an onset's lowest note).
    Too few: re-strike the longest held notes halfway through their time in the bar (repeated chords), while
    any lasts 2+ steps there;
    given the bar's ``chords`` (its halves' chord tokens, key-relative like the notes), a note held into the
    bar's second half is re-struck there only if it belongs to that half's chord (a bass held into the next
    chord is not struck again under it).
    """
    notes = sorted(notes)
    target = max(int(target), 1)
    while len(notes) > target:
        lowest = {}
        for s, _, x in notes:
            lowest[s] = min(lowest.get(s, 999), x)
        droppable = [n for n in notes if n[2] != lowest[n[0]]]
        if not droppable:
            break
        notes.remove(max(droppable, key=lambda n: (_weakness(n[0]), -n[1], n[2])))
    while len(notes) < target:
        held = [n for n in notes if _in_bar(n) >= 2 and (chords is None or _fits(n, chords))]
        if not held:
            break
        longest = max(held, key=lambda n: (_in_bar(n), -n[0]))
        s, d, x = longest
        half = _in_bar(longest) // 2  # re-struck inside the bar, never on the next bar's downbeat
        notes.remove(longest)
        notes += [(s, half, x), (s + half, d - half, x)]
        notes.sort()
    return notes


def _in_bar(note: tuple[int, int, int]) -> int:
    """How long a note sounds inside its bar (a held note may ring on into the next)."""
    return min(note[1], STEPS - note[0])


def _fits(note: tuple[int, int, int], chords: tuple[int, int]) -> bool:
    """Whether re-striking ``note`` halfway keeps it in its harmony: the re-strike stays in the half it was
    struck in, or lands on a tone of the next half's chord."""
    s, x, half = note[0], note[2], STEPS // 2
    return (s < half) == (s + _in_bar(note) // 2 < half) or x % 12 in chord_pcs(chords[1])


def hold(notes: list[tuple[int, int, int]], breath: int | None = None) -> list[tuple[int, int, int]]:
    """A cadence bar's accompaniment held: only the chords struck on beats 1 and 3 (or the bar's first
    onset), each sounding until the next, the bar's end or the phrase's ``breath``."""
    if not notes:
        return notes
    first = min(s for s, _, _ in notes)
    kept = [n for n in notes if n[0] in {first, STEPS // 2}]
    ends = sorted({s for s, _, _ in kept} | {STEPS if breath is None else breath})
    return [(s, ends[ends.index(s) + 1] - s, x) for s, _, x in kept if s < ends[-1]]


def _weakness(step: int) -> int:
    """0 on the downbeat, 1 on beat 3, 2 on beats 2 and 4, 3 on eighths, 4 on sixteenths."""
    s = step % STEPS
    return 0 if s == 0 else 1 if s == 8 else 2 if s % 4 == 0 else 3 if s % 2 == 0 else 4
