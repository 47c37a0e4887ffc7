"""Where does the two-sample distance lie? POP909's own songs put through the generator's steps, one at a time.

    .venv/bin/python bench/bench_musicality_parts.py

``bench_musicality.py`` tells generated pieces from held-out POP909 segments. This bench measures the same
song-grouped test from POP909's side: 16-bar runs of POP909 *training* songs (numbers 5 mod 10, two runs
each, 4/4 bars with known chords and one mode), written as

* ``all_tracks``: melody, bridge and piano as played (the floor: real against real);
* ``melody_piano``: without the BRIDGE track (the generator writes no real second line);
* ``melody_piano_fills``: with the generator's fills (``LeadSheetWriter.fills``) for the bridge;
* ``piano_rerealised``: melody, and the piano's own fitted patterns realised back over their own chords by
  the released accompanist (what the pattern representation loses);
* ``piano_chosen``: melody, and a texture the accompanist chooses from the table for the phrase's own note
  count and voices (``Accompanist.choose``), kept through the run while the density stays near, thinned
  or filled to each bar's own count;
* ``piano_other_song_run``: melody, and a real 4-bar run of another song's patterns per phrase, nearest in
  notes per bar; ``piano_other_song_run_kept``: one such run for the whole 16 bars;
* ``melody_generated``: the song's own chords, a melody drawn by ``LeadSheetWriter.melody`` over them at the
  song's own notes per bar and register, and the song's piano re-realised as in ``piano_rerealised`` (so its
  upper voices move under the new melody, as the generator's do).

Each row: the song-grouped balanced accuracy (max of logistic and forest, ``bench_musicality.c2st``) against
POP909 validation segments, and per feature family. Writes ``bench/results/musicality_parts.json``.
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_musicality import FAMILIES, c2st, pop909_segments  # noqa: E402

from studio.io import write_json_atomic  # noqa: E402
from studio.music.musicality import FEATURES, feature_matrix  # noqa: E402

RUN_BARS = 16
PHRASE = 4


def training_runs(root: Path, runs_per_song: int = 2) -> list[list[dict]]:
    """16-bar runs of POP909 training songs (numbers 5 mod 10): consecutive 4/4 bars, chords known, one mode;
    each bar as :func:`studio.music.structured.fit.song_bars` gives it, plus its BRIDGE notes."""
    import symusic

    from studio.music.structured import fit

    out = []
    for d in sorted((root / "pop909" / "POP909").glob("[0-9][0-9][0-9]")):
        if int(d.name) % 10 != 5:
            continue
        bars = fit.song_bars(d)
        if not bars:
            continue
        beats = np.loadtxt(d / "beat_midi.txt", ndmin=2)
        bt, idx = beats[:, 0], np.arange(len(beats), dtype=float)
        keys = fit._segments(d / "key_audio.txt", fit.parse_key)
        tracks = {t.name.upper(): t.notes.numpy() for t in symusic.Score(str(d / f"{d.name}.mid")).to("second").tracks}
        br = tracks.get("BRIDGE")
        for b in bars:
            if br is None or not len(br["time"]):
                b["bridge"] = (np.zeros(0, int),) * 4
                continue
            on = np.round(np.interp(br["time"], bt, idx) * 4).astype(int)
            off = np.round(np.interp(br["time"] + br["duration"], bt, idx) * 4).astype(int)
            notes = (on, np.maximum(off - on, 1), br["pitch"].astype(int), br["velocity"].astype(int))
            b["bridge"] = fit._bar_part(notes, 4 * b["pos"], fit._at(keys, bt[b["pos"]] + 0.01)[0])
        i = taken = 0
        while i + RUN_BARS <= len(bars) and taken < runs_per_song:
            run = bars[i : i + RUN_BARS]
            if (
                all(run[k + 1]["pos"] == run[k]["pos"] + 4 for k in range(RUN_BARS - 1))
                and all(c is not None for b in run for c in b["chords"])
                and len({b["mode"] for b in run}) == 1
            ):
                out.append(run)
                taken += 1
                i += RUN_BARS
            else:
                i += 1
    return out


def _notes(part, offset: int) -> list[tuple[int, int, int]]:
    return [(offset + int(o), int(d), int(x)) for o, d, x in zip(part[0], part[1], part[2])]


class Parts:
    """Writes a run in each of the module docstring's ways (key-relative pitches, 16th steps)."""

    def __init__(self, root: Path, seed: int = 0):
        from studio.music.structured.accompaniment import Accompanist
        from studio.music.structured.leadsheet import LeadSheetWriter
        from studio.music.structured.pipeline import LeadSheetPipeline

        self.tables = LeadSheetPipeline.from_pretrained().tables
        self.acc = Accompanist(self.tables)
        self.writer = LeadSheetWriter(self.tables)
        self.rng = np.random.default_rng(seed)
        self.library = self._other_songs_runs(root)

    def _other_songs_runs(self, root: Path) -> list[tuple[list, float]]:
        """4-bar runs of fitted patterns from training songs outside the test runs' (every third song not
        5 mod 10): ``(patterns, mean notes per bar)``."""
        from studio.music.splits import pop909_is_validation
        from studio.music.structured import fit

        lib = []
        for d in sorted((root / "pop909" / "POP909").glob("[0-9][0-9][0-9]")):
            n = int(d.name)
            if pop909_is_validation(n) or n % 10 == 5 or n % 3:
                continue
            bars = fit.song_bars(d)
            for i in range(0, len(bars) - PHRASE + 1, PHRASE):
                pb = bars[i : i + PHRASE]
                if not all(pb[k + 1]["pos"] == pb[k]["pos"] + 4 for k in range(PHRASE - 1)):
                    continue
                if any(c is None for b in pb for c in b["chords"]):
                    continue
                pats = [fit._acc_pattern(b["piano"], b["chords"]) for b in pb]
                if all(p is not None for p in pats):
                    lib.append((pats, float(np.mean([len(p) for p in pats]))))
        return lib

    def _realise(self, pattern, chords, floor, melody, bar, mode):
        from studio.music.structured.pipeline import _melody_lookup
        from studio.music.structured.tables import MAX_ACC_NOTES

        acc = self.acc.__class__.__new__(self.acc.__class__)
        acc.notes = -np.ones((1, MAX_ACC_NOTES, 4), dtype=np.int16)
        acc.notes[0, : len(pattern)] = np.array(pattern, dtype=np.int16)
        return acc.realise(0, tuple(chords), floor, _melody_lookup(melody, bar), 1.0, False, None, mode)

    def write(self, run: list[dict], way: str) -> np.ndarray:
        from studio.music.structured import fit
        from studio.music.structured.accompaniment import BASS_BELOW, fit_count
        from studio.music.structured.leadsheet import Phrase, PhraseSpec

        rows = []
        kept_run = None
        for ph in range(RUN_BARS // PHRASE):
            pb = run[PHRASE * ph : PHRASE * ph + PHRASE]
            base = ph * PHRASE * 16
            mode = pb[0]["mode"]
            chords = [c for b in pb for c in b["chords"]]
            melody = [n for k, b in enumerate(pb) for n in _notes(b["melody"], k * 16)]
            if way == "melody_generated" and melody:
                spec = PhraseSpec(
                    mode, None, float(np.clip(len(melody) / PHRASE, 1, 10)), float(np.mean([x for *_, x in melody]))
                )
                phrase = Phrase("A", mode, chords)
                self.writer.melody(phrase, spec, self.rng)
                melody = phrase.melody
            rows += [(base + s, d, x) for s, d, x in melody]
            if way == "all_tracks":
                rows += [(base + s, d, x) for k, b in enumerate(pb) for s, d, x in _notes(b["bridge"], k * 16)]
            if way == "melody_piano_fills" and melody:
                spec = PhraseSpec(mode, None, len(melody) / PHRASE, float(np.mean([x for *_, x in melody])))
                rows += [
                    (base + s, d, x)
                    for s, d, x in self.writer.fills(Phrase("A", mode, chords, sorted(melody)), spec, self.rng, 64)
                ]
            counts = [len(b["piano"][0]) for b in pb]
            lows = [int(b["piano"][2].min()) for b in pb if len(b["piano"][0])] or [48]
            floor = int(round(np.mean(lows))) + BASS_BELOW
            if way.startswith("piano_other_song_run"):
                if kept_run is None or way == "piano_other_song_run":
                    dens = np.array([n for _, n in self.library])
                    near = np.flatnonzero(np.abs(dens - np.mean(counts)) <= max(1.0, 0.1 * np.mean(counts)))
                    pick = int(self.rng.choice(near)) if len(near) else int(np.argmin(np.abs(dens - np.mean(counts))))
                    kept_run = self.library[pick]
            elif way == "piano_chosen":
                voices = np.mean([len({int(x) for x in b["piano"][2]}) - 1 for b in pb if len(b["piano"][0])] or [2])
                if kept_run is None or abs(np.log(max(np.mean(counts), 1) / kept_run[1])) > 0.3:
                    r = self.acc.choose(max(np.mean(counts), 1.0), voices, self.rng)
                    kept_run = (
                        [
                            self.tables.acc_notes[i][self.tables.acc_notes[i][:, 0] >= 0].tolist()
                            for i in self.acc.runs[r]
                        ],
                        max(np.mean(counts), 1.0),
                    )
            for k, b in enumerate(pb):
                if not len(b["piano"][0]):
                    continue
                if way in ("all_tracks", "melody_piano", "melody_piano_fills"):
                    notes = list(zip(*[b["piano"][i].tolist() for i in range(3)]))
                elif way in ("piano_rerealised", "melody_generated"):
                    pattern = fit._acc_pattern(b["piano"], b["chords"])
                    notes = (
                        list(zip(*[b["piano"][i].tolist() for i in range(3)]))
                        if pattern is None
                        else self._realise(pattern, b["chords"], int(b["piano"][2].min()) + BASS_BELOW, melody, k, mode)
                    )
                else:
                    pattern = kept_run[0][k]
                    notes = self._realise(pattern, b["chords"], floor, melody, k, mode)
                    if way == "piano_chosen":
                        notes = fit_count(notes, counts[k])
                rows += [(base + k * 16 + s, d, x) for s, d, x in notes]
        return np.array(sorted(rows))


WAYS = (
    "all_tracks",
    "melody_piano",
    "melody_piano_fills",
    "piano_rerealised",
    "piano_chosen",
    "piano_other_song_run",
    "piano_other_song_run_kept",
    "melody_generated",
)


def main() -> int:
    from studio.paths import data_root

    root = data_root()
    segs, songs = pop909_segments(root)
    real, songs = feature_matrix(segs), np.array(songs)
    runs = training_runs(root)
    parts = Parts(root)
    print(f"{len(runs)} runs of POP909 training songs against {len(segs)} validation segments (song-grouped)")
    report = {"runs": len(runs), "validation_segments": len(segs), "ways": {}, "machine": platform.machine()}
    for way in WAYS:
        fake = feature_matrix([parts.write(r, way) for r in runs])
        groups = (songs, -1 - np.arange(len(fake)))
        test = c2st(real, fake, groups=groups)
        fams = {
            name: c2st(
                real[:, [FEATURES.index(f) for f in fs]], fake[:, [FEATURES.index(f) for f in fs]], groups=groups
            )["max"]
            for name, fs in FAMILIES.items()
        }
        report["ways"][way] = {"c2st_song_grouped": test, "families": fams}
        print(f"  {way:28s} {test['max']:.3f}  families {fams}", flush=True)
    out = ROOT / "bench" / "results" / "musicality_parts.json"
    write_json_atomic(out, report)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
