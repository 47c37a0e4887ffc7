"""Fit the lead-sheet and accompaniment tables on POP909 (``studio train leadsheet``).

POP909 gives, per song, a MELODY and a PIANO track, beat and downbeat times (``beat_midi.txt``), chord
labels (``chord_midi.txt``) and keys (``key_audio.txt``). Songs whose number is divisible by 20 are the
validation split (as for the transformer, ``studio/music/data.py``) and are never read here.

Per 4/4 bar (16 sixteenth steps between two downbeats four beats apart) this collects: the chord at each
half bar relative to the key, the melody's quantised rhythm and key-relative pitches, and the piano
track's notes as a pattern of (step, duration, role, slot) where role is bass or upper voice and slot says
how far above the bar's lowest note a note sits and which chord tone it plays — the voicing and shape of the
texture (block chords, arpeggios, broken chords, inversions, octave doublings), free of the chord it was
played over; and the runs of four patterns a piano part played over one phrase.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import numpy as np
import symusic

from studio.attributes.music import PITCH_NAMES
from studio.music.splits import pop909_is_validation

from .tables import (
    MAX_ACC_NOTES,
    MAX_INTERVAL,
    NON_CHORD,
    NUM_CHORDS,
    QUALITIES,
    ROLE_BASS,
    ROLE_UPPER,
    STEPS,
    TABLES_FORMAT,
    TONES,
    LeadSheetTables,
    chord_pcs,
    chord_token,
)

# POP909 chord-label qualities -> the studio's chord table (inversions are read in root position).
QUALITY_MAP = {
    "maj": "maj", "maj6": "maj", "sus2": "maj", "min": "min", "min6": "min", "minmaj7": "min",
    "dim": "dim", "dim7": "dim", "hdim7": "dim", "aug": "aug", "7": "7", "maj7": "maj7",
    "min7": "min7", "sus4": "sus4", "sus4(b7)": "sus4",
}  # fmt: skip
_PC = {n: i for i, n in enumerate(PITCH_NAMES)} | {
    "C#": 1, "D#": 3, "F#": 6, "G#": 8, "A#": 10, "Cb": 11, "Fb": 4, "E#": 5, "B#": 0,
}  # fmt: skip
MAX_UPPER_SLOTS = 8
BASS_SPAN = 8  # a bar's bass notes lie less than this far above its lowest note
MAX_HEIGHT = 48


def parse_chord(label: str) -> tuple[int, str] | None:
    """``"E:min7/b7"`` -> ``(4, "min7")``; ``None`` for ``N`` or a quality outside the table."""
    if ":" not in label:
        return None
    root, rest = label.split(":", 1)
    q = QUALITY_MAP.get(rest.split("/")[0])
    if root not in _PC or q is None:
        return None
    return _PC[root], q


def parse_key(label: str) -> tuple[int, int] | None:
    """``"Gb:maj"`` -> ``(6, 0)``; mode 0 major, 1 minor."""
    if ":" not in label:
        return None
    root, m = label.split(":", 1)
    if root not in _PC or m not in ("maj", "min"):
        return None
    return _PC[root], 0 if m == "maj" else 1


def _segments(path: Path, parse) -> list[tuple[float, float, object]]:
    out = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 3:
            out.append((float(parts[0]), float(parts[1]), parse(parts[2])))
    return out


def _at(segs: list, t: float):
    for s, e, v in segs:
        if s <= t < e:
            return v
    return None


def song_bars(folder: Path) -> list[dict]:
    """The 4/4 bars of one POP909 song with key, chords, melody and piano notes in 16th steps."""
    beats = np.loadtxt(folder / "beat_midi.txt", ndmin=2)
    if len(beats) < 8:
        return []
    bt, down = beats[:, 0], beats[:, 2] > 0.5
    keys = _segments(folder / "key_audio.txt", parse_key)
    chords = _segments(folder / "chord_midi.txt", parse_chord)
    score = symusic.Score(str(folder / f"{folder.name}.mid")).to("second")
    tracks = {t.name.upper(): t.notes.numpy() for t in score.tracks}
    if "MELODY" not in tracks or "PIANO" not in tracks:
        return []
    idx = np.arange(len(bt), dtype=float)

    def steps(notes):
        on = np.round(np.interp(notes["time"], bt, idx) * 4).astype(int)
        off = np.round(np.interp(notes["time"] + notes["duration"], bt, idx) * 4).astype(int)
        return on, np.maximum(off - on, 1), notes["pitch"].astype(int), notes["velocity"].astype(int)

    mel, pno = steps(tracks["MELODY"]), steps(tracks["PIANO"])
    dpos = np.flatnonzero(down)
    bars = []
    for a, b in zip(dpos[:-1], dpos[1:]):
        if b - a != 4:
            continue
        s0 = 4 * a
        key = _at(keys, bt[a] + 0.01)
        if key is None:
            continue
        tonic, mode = key
        half = []
        for h in (0, 2):
            c = _at(chords, bt[a + h] + 0.01)
            half.append(None if c is None else chord_token(c[0] - tonic, c[1]))

        parts = [_bar_part(x, s0, tonic) for x in (mel, pno)]
        bars.append({"pos": int(a), "mode": mode, "chords": half, "melody": parts[0], "piano": parts[1]})
    return bars


def _bar_part(x, s0: int, tonic: int):
    """Notes ``(onset, duration, pitch, velocity)`` of one bar from step ``s0``, pitch above the tonic."""
    m = (x[0] >= s0) & (x[0] < s0 + STEPS)
    return x[0][m] - s0, x[1][m], x[2][m] - tonic, x[3][m]


def _rhythm(m) -> tuple[tuple[int, int], ...] | None:
    """Monophonic melody bar as ``((step, duration), ...)`` (highest note per onset; cut at the bar end)."""
    on, dur = m[0], m[1]
    if len(on) == 0:
        return ()
    order = np.lexsort((-m[2], on))
    seen, out = set(), []
    for i in order:
        if int(on[i]) in seen:
            continue
        seen.add(int(on[i]))
        out.append((int(on[i]), int(min(dur[i], STEPS - on[i]))))
    for j in range(len(out) - 1):  # a note lasts at most until the next onset
        out[j] = (out[j][0], min(out[j][1], out[j + 1][0] - out[j][0]))
    return tuple(out)


def note_slot(height: int, pc: int, chord: tuple[int, ...]) -> int:
    """A pattern note as ``height * TONES + tone``: semitones above the bar's lowest note, and what it plays:
    chord tone 0-3 (root, third, fifth, seventh), or ``NON_CHORD + semitones above the root`` (a 9th, a
    suspended 4th, a passing tone; for the bass, a passing note of a bass line)."""
    tone = chord.index(pc) if pc in chord else NON_CHORD + (pc - chord[0]) % 12
    return int(min(height, MAX_HEIGHT)) * TONES + tone


def bass_notes(on: np.ndarray, pitch: np.ndarray) -> np.ndarray:
    """Which notes of one bar of a piano part are its bass: the lowest note of their onset, within
    ``BASS_SPAN`` semitones of the bar's lowest note. ``[n]`` bool."""
    if len(on) == 0:
        return np.zeros(0, dtype=bool)
    lowest = {int(o): int(pitch[on == o].min()) for o in np.unique(on)}
    return np.array([x == lowest[int(o)] and x < pitch.min() + BASS_SPAN for o, x in zip(on, pitch)], dtype=bool)


def _acc_pattern(p, chords: list) -> tuple | None:
    """Piano bar as ``((step, duration, role, slot), ...)``; ``None`` when the bar is empty or too busy."""
    on, dur, pitch = p[0], p[1], p[2]
    if len(on) == 0 or len(on) > MAX_ACC_NOTES or any(c is None for c in chords):
        return None
    low = pitch.min()
    notes = []
    bass = bass_notes(on, pitch)
    if len({int(x) for x in pitch[~bass]}) > MAX_UPPER_SLOTS:
        return None
    for o, d, x, is_bass in zip(on, dur, pitch, bass):
        chord = chords[0] if o < STEPS // 2 else chords[1]
        role = ROLE_BASS if is_bass else ROLE_UPPER
        notes.append(
            (int(o), int(min(d, 2 * STEPS)), role, note_slot(int(x) - int(low), int(x) % 12, chord_pcs(chord)))
        )
    return tuple(sorted(notes))


class _Counts:
    """The running counts of :func:`fit` (axes as in :class:`.tables.LeadSheetTables`)."""

    def __init__(self):
        self.start = np.zeros((2, NUM_CHORDS))
        self.trans = np.zeros((2, NUM_CHORDS, NUM_CHORDS))
        self.cad = np.zeros((2, NUM_CHORDS))
        self.ivl = np.zeros((2 * MAX_INTERVAL + 1, 2 * MAX_INTERVAL + 1))
        self.pcs = np.zeros((2, 12))
        self.step = np.zeros((2, 12, 2 * MAX_INTERVAL + 1))
        self.ct = np.zeros((3, 2))
        self.end_deg = np.zeros((2, 12))
        self.rhythms: Counter = Counter()
        self.cadential: set = set()
        self.accs: Counter = Counter()
        self.runs: Counter = Counter()
        self.songs = 0

    def add_song(self, bars: list[dict]) -> None:
        """One song's bars: chords, the melody's rhythm and pitches, the piano's pattern, bar by bar."""
        self.songs += 1
        first = bars[0]["pos"]
        prev_chord, prev = None, [None, None]  # the melody's previous pitch and interval, across bars
        run: list = []  # the piano's patterns over the current phrase's bars, while they follow on
        for bi, bar in enumerate(bars):
            phrase_pos = ((bar["pos"] - first) // 4) % 4
            follows = bi > 0 and bars[bi - 1]["pos"] == bar["pos"] - 4
            self._chords(bar, phrase_pos, prev_chord if follows else None)
            prev_chord = bar["chords"][1]
            self._melody(bar, phrase_pos, prev)
            acc = _acc_pattern(bar["piano"], bar["chords"])
            if acc:
                self.accs[acc] += 1
            run = [*run, acc] if phrase_pos > 0 and follows and run else [acc] if phrase_pos == 0 else []
            if len(run) == 4 and all(run):
                self.runs[tuple(run)] += 1

    def _chords(self, bar: dict, phrase_pos: int, prev_chord: int | None) -> None:
        m, (c0, c1) = bar["mode"], bar["chords"]
        if c0 is not None:
            if phrase_pos == 0:
                self.start[m, c0] += 1
            if prev_chord is not None:
                self.trans[m, prev_chord, c0] += 1
            if c1 is not None:
                self.trans[m, c0, c1] += 1
        if c1 is not None and phrase_pos == 3:
            self.cad[m, c1] += 1

    def _melody(self, bar: dict, phrase_pos: int, prev: list) -> None:
        m, (c0, c1), mel = bar["mode"], bar["chords"], bar["melody"]
        r = _rhythm(mel)
        if r:
            self.rhythms[r] += 1
            if r[-1][0] + r[-1][1] >= 12 and r[-1][1] >= 6:
                self.cadential.add(r)
        for j in np.argsort(mel[0], kind="stable"):
            o, x = int(mel[0][j]), int(mel[2][j])
            self.pcs[m, x % 12] += 1
            chord = c0 if o < STEPS // 2 else c1
            if chord is not None:
                strength = 0 if o % 8 == 0 else 1 if o % 4 == 0 else 2
                self.ct[strength, int(x % 12 in chord_pcs(chord))] += 1
            if prev[0] is not None:
                iv = int(np.clip(x - prev[0], -MAX_INTERVAL, MAX_INTERVAL)) + MAX_INTERVAL
                self.step[m, prev[0] % 12, iv] += 1
                if prev[1] is not None:
                    self.ivl[prev[1], iv] += 1
                prev[1] = iv
            prev[0] = x
        if phrase_pos == 3 and len(mel[0]):
            self.end_deg[m, int(mel[2][np.argmax(mel[0])]) % 12] += 1

    def tables(self, seconds: float) -> LeadSheetTables:
        """The counts as tables: the 4,000 most common rhythm and accompaniment patterns seen twice or more."""
        r_items = [(r, n) for r, n in self.rhythms.most_common() if n >= 2][:4000]
        r_on = np.zeros((len(r_items), STEPS), dtype=np.int8)
        r_du = np.zeros((len(r_items), STEPS), dtype=np.int8)
        for i, (r, _) in enumerate(r_items):
            for o, d in r:
                r_on[i, o], r_du[i, o] = 1, max(1, min(d, STEPS))
        a_items = [(a, n) for a, n in self.accs.most_common() if n >= 2][:4000]
        a_arr = -np.ones((len(a_items), MAX_ACC_NOTES, 4), dtype=np.int16)
        for i, (a, _) in enumerate(a_items):
            a_arr[i, : len(a)] = np.array(a, dtype=np.int16)
        index = {a: i for i, (a, _) in enumerate(a_items)}
        runs = [([index[a] for a in r], n) for r, n in self.runs.most_common() if all(a in index for a in r)]
        meta = {
            "name": "music-leadsheet",
            "data": "POP909 training songs (song number not divisible by 20)",
            "songs": self.songs,
            "bars_rhythm_patterns": int(sum(self.rhythms.values())),
            "bars_accompaniment_patterns": int(sum(self.accs.values())),
            "accompaniment_runs": len(runs),
            "fit_seconds": round(seconds, 1),
            "qualities": list(QUALITIES),
            "num_qualities": len(QUALITIES),
            "format": TABLES_FORMAT,
        }
        f32 = np.float32
        return LeadSheetTables(
            chord_start=self.start.astype(f32),
            chord_trans=self.trans.astype(f32),
            chord_cadence=self.cad.astype(f32),
            mel_interval=self.ivl.astype(f32),
            mel_pc=self.pcs.astype(f32),
            mel_step=self.step.astype(f32),
            mel_chordtone=self.ct.astype(f32),
            mel_degree_end=self.end_deg.astype(f32),
            rhythm_onsets=r_on,
            rhythm_durs=r_du,
            rhythm_count=np.array([n for _, n in r_items], dtype=f32),
            rhythm_cadential=np.array([r in self.cadential for r, _ in r_items], dtype=np.int8),
            acc_notes=a_arr,
            acc_count=np.array([n for _, n in a_items], dtype=f32),
            acc_runs=np.array([r for r, _ in runs], dtype=np.int32).reshape(-1, 4),
            acc_run_count=np.array([n for _, n in runs], dtype=f32),
            meta=meta,
        )


def fit(data_root: Path, progress: bool = True) -> LeadSheetTables:
    """Read every POP909 training song and count the tables."""
    songs = sorted(
        d for d in (data_root / "pop909" / "POP909").glob("[0-9][0-9][0-9]") if not pop909_is_validation(int(d.name))
    )
    if not songs:
        raise FileNotFoundError(f"no POP909 songs under {data_root / 'pop909' / 'POP909'}")
    t0 = time.time()
    counts = _Counts()
    it = songs
    if progress:
        from tqdm import tqdm

        it = tqdm(songs, desc="POP909 songs", mininterval=5)
    for folder in it:
        try:
            bars = song_bars(folder)
        except (OSError, ValueError):
            continue
        if bars:
            counts.add_song(bars)
    return counts.tables(time.time() - t0)


def main(data_root: Path, out: Path, version: str = "1.8.0", command: str = "") -> dict:
    tables = fit(data_root)
    tables.meta["version"] = version
    tables.meta["command"] = command
    tables.save(out)
    return tables.meta
