"""The fitted tables of the structure-first generator, saved as ``config.json`` + ``tables.safetensors``.

Everything is key-relative ("functional"): chords are (scale degree of the root in semitones above the
tonic, quality), melody pitches are semitones above the tonic, so no transposition augmentation is needed.

Axis legend: ``m`` mode (0 major, 1 minor), ``c`` chord token (degree * Q + quality), ``i`` melodic
interval class (-12..12 -> 0..24), ``r`` rhythm pattern, ``p`` accompaniment pattern, ``k`` note slot,
``s`` 16th step in a 4/4 bar.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from studio.attributes.music import CHORD_QUALITIES

QUALITIES = tuple(CHORD_QUALITIES)  # the one chord table: names, intervals and valences live there
NUM_CHORDS = 12 * len(QUALITIES)
STEPS = 16  # 16th notes per 4/4 bar
MAX_INTERVAL = 12
MAX_ACC_NOTES = 48  # notes of one accompaniment bar pattern
ROLE_BASS, ROLE_UPPER = 0, 2  # the lowest note of its onset (within 8 semitones of the bar's lowest), or above
# Every note's slot is height above the bar's lowest note * TONES + what it plays: chord tone 0-3 (root, 3rd,
# 5th, 7th) or NON_CHORD + semitones above the chord's root.
NON_CHORD = 4
TONES = NON_CHORD + 12
# 2: melody step table per scale degree; accompaniment upper voices by height above the bass and tone.
# 3: the bass by height and tone as well (inversions, passing basses); 4-bar pattern runs (acc_runs).
TABLES_FORMAT = 3
CONFIG_FILE = "config.json"
TABLES_FILE = "tables.safetensors"


def chord_token(degree: int, quality: str) -> int:
    return (int(degree) % 12) * len(QUALITIES) + QUALITIES.index(quality)


def chord_parts(token: int) -> tuple[int, str]:
    """``(degree above the tonic, quality name)`` of a chord token."""
    return int(token) // len(QUALITIES), QUALITIES[int(token) % len(QUALITIES)]


def chord_pcs(token: int, tonic: int = 0) -> tuple[int, ...]:
    """Pitch classes of a chord token in a key with ``tonic``."""
    degree, q = chord_parts(token)
    return tuple((tonic + degree + iv) % 12 for iv in CHORD_QUALITIES[q][0])


def chord_valence(token: int) -> float:
    return float(CHORD_QUALITIES[chord_parts(token)[1]][1])


@dataclass
class LeadSheetTables:
    """Counts fitted on POP909 (see :mod:`.fit`); the generator smooths and normalises them.

    Attributes:
        chord_start: ``[m, c]`` chords opening a 4-bar phrase.
        chord_trans: ``[m, c, c]`` half-bar to half-bar chord transitions (self-transitions = held chords).
        chord_cadence: ``[m, c]`` chords on the last half-bar of a phrase.
        mel_interval: ``[i, i]`` previous melodic interval -> next interval.
        mel_pc: ``[m, 12]`` melody pitch classes above the tonic.
        mel_step: ``[m, 12, i]`` melodic interval from each pitch class above the tonic (where a scale
            has its semitones: mi-fa and ti-do step by a semitone, other degrees by a tone).
        mel_chordtone: ``[3, 2]`` metric strength (strong, beat, off-beat) x (non-chord tone, chord tone).
        mel_degree_end: ``[m, 12]`` pitch class above the tonic of a phrase's last melody note.
        rhythm_onsets / rhythm_durs: ``[r, s]`` melody bar patterns (onset flag, duration in steps).
        rhythm_count: ``[r]`` how often each pattern occurs; rhythm_cadential: ``[r]`` ends on a held note.
        acc_notes: ``[p, k, 4]`` accompaniment bar patterns (step, duration, role, slot), -1 padded; a note's
            slot is ``semitones above the bar's lowest note * TONES + tone`` (see ``NON_CHORD``).
        acc_count: ``[p]`` occurrences.
        acc_runs: ``[u, 4]`` the patterns a POP909 piano part played over the four bars of one phrase (indices
            into ``acc_notes``): a texture with its own bar-to-bar variation. acc_run_count: ``[u]`` occurrences.
        meta: data, song counts, version.
    """

    chord_start: np.ndarray
    chord_trans: np.ndarray
    chord_cadence: np.ndarray
    mel_interval: np.ndarray
    mel_pc: np.ndarray
    mel_step: np.ndarray
    mel_chordtone: np.ndarray
    mel_degree_end: np.ndarray
    rhythm_onsets: np.ndarray
    rhythm_durs: np.ndarray
    rhythm_count: np.ndarray
    rhythm_cadential: np.ndarray
    acc_notes: np.ndarray
    acc_count: np.ndarray
    acc_runs: np.ndarray
    acc_run_count: np.ndarray
    meta: dict = field(default_factory=dict)

    ARRAYS = (
        "chord_start",
        "chord_trans",
        "chord_cadence",
        "mel_interval",
        "mel_pc",
        "mel_step",
        "mel_chordtone",
        "mel_degree_end",
        "rhythm_onsets",
        "rhythm_durs",
        "rhythm_count",
        "rhythm_cadential",
        "acc_notes",
        "acc_count",
        "acc_runs",
        "acc_run_count",
    )

    def save(self, folder: str | Path) -> Path:
        from safetensors.numpy import save_file

        from studio.io import atomic_path, write_json_atomic

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        arrays = {k: np.ascontiguousarray(getattr(self, k)) for k in self.ARRAYS}
        with atomic_path(folder / TABLES_FILE) as tmp:
            save_file(arrays, str(tmp))
        cfg = dict(self.meta, qualities=list(QUALITIES), steps=STEPS)
        write_json_atomic(folder / CONFIG_FILE, cfg)
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> LeadSheetTables:
        from safetensors.numpy import load_file

        folder = Path(folder)
        if not (folder / CONFIG_FILE).is_file() or not (folder / TABLES_FILE).is_file():
            raise FileNotFoundError(
                f"no lead-sheet generator at {folder} (expected {CONFIG_FILE} and {TABLES_FILE}); "
                "fit one with `studio train leadsheet`"
            )
        meta = json.loads((folder / CONFIG_FILE).read_text())
        if tuple(meta.get("qualities", ())) != QUALITIES:
            raise ValueError(
                f"{folder} was fitted with chord qualities {meta.get('qualities')}, this code has {QUALITIES}"
            )
        if meta.get("format", 1) != TABLES_FORMAT:
            raise ValueError(
                f"{folder} holds lead-sheet tables of format {meta.get('format', 1)}; this code reads format "
                f"{TABLES_FORMAT}: refit them with `studio train leadsheet --out {folder}`"
            )
        arrays = load_file(str(folder / TABLES_FILE))
        return cls(**{k: arrays[k] for k in cls.ARRAYS}, meta=meta)
