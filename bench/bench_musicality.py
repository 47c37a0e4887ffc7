"""Does the generated music read as composed? A classifier two-sample test against held-out real music.

    .venv/bin/python bench/bench_musicality.py                 # both generators, 12 emotions x 9 seeds, 16 bars
    .venv/bin/python bench/bench_musicality.py --seeds 3 --generators leadsheet

Real: held-out 16-bar segments of POP909 validation songs (song number divisible by 20; neither generator
trained on them), all tracks, on the 16th grid of the song's own beat annotations; and EMOPIA's test clips
(the emotion data's own domain) on the grid of their estimated beat. Generated: 16-bar pieces
over a 12-point circumplex grid (radius 0.8) x seeds, through ``studio.music.generate`` (the mapper's
attributes, no critic loop), for the released structure-first generator (``leadsheet``), the 0.3.0
transformer (``transformer``), the transformer without its decoding guidance (``transformer-noguide``:
scale_bias 0, density_gain 0) and the lead-sheet generator through the closed loop (``leadsheet-loop``:
``studio.compose`` with ``--loop-candidates`` x ``--loop-rounds``, choosing by the critics), so the loop's
choice can be checked for a loss in musicality beside the open-loop ``leadsheet-compose`` row (``studio.compose``
with one candidate and one round: the same call and sampling settings, no choice). Features: ``studio.music.musicality`` (harmony, voice leading, rhythm,
repetition; none is a condition). Test: 5-fold stratified balanced accuracy of a logistic regression and
a random forest (0.5 = indistinguishable); POP909 val odd-vs-even songs as the real-vs-real floor. Also with
song-grouped folds (``c2st_song_grouped``): with plain folds a song's other segments sit in the training folds,
and the forest tells POP909's odd songs from its even ones at ~0.69 by recognising songs, not structure.
Per feature: means, the overlap of the two histograms and the SD ratio; a spread diagnosis (``spread_diagnosis``:
the test again with POP909's marginals imposed on all features, and on all families but one). Sustain pedalling
(``studio.music.pedal.pedal_profile``: presses per bar, share of the time down) beside POP909 val songs', and the
piano's bass notes by the chord tone they play (root, third, fifth, seventh, other; ``bass_tone_counts``). Writes
``bench/results/musicality.json``.
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from studio.io import write_json_atomic  # noqa: E402
from studio.music.musicality import FEATURES, feature_matrix, grid_notes  # noqa: E402
from studio.music.splits import VALIDATION_EVERY  # noqa: E402

SEGMENT_BARS = 16
INTERVAL_NAMES = ("repeat", "semitone", "tone", "third", "leap")


def grid_emotions(n: int = 12, radius: float = 0.8) -> list[tuple[float, float]]:
    return [
        (round(radius * math.cos(2 * math.pi * k / n), 3), round(radius * math.sin(2 * math.pi * k / n), 3))
        for k in range(n)
    ]


def pop909_val_folders(root: Path) -> list[Path]:
    """POP909 validation songs' folders (``studio.music.splits``: no generator read them)."""
    from studio.music.splits import pop909_is_validation

    return [
        d for d in sorted((root / "pop909" / "POP909").glob("[0-9][0-9][0-9]")) if pop909_is_validation(int(d.name))
    ]


def pop909_segments(root: Path, max_per_song: int = 4) -> tuple[list[np.ndarray], list[int]]:
    """16-bar segments of POP909 validation songs on their beat grid: (gridded notes, song number)."""
    import symusic

    segs, songs = [], []
    for d in pop909_val_folders(root):
        beats = np.loadtxt(d / "beat_midi.txt", ndmin=2)
        bt, down = beats[:, 0], np.flatnonzero(beats[:, 2] > 0.5)
        score = symusic.Score(str(d / f"{d.name}.mid")).to("second")
        rows = []
        for t in score.tracks:
            a = t.notes.numpy()
            if not len(a["time"]):
                continue
            on = np.round(np.interp(a["time"], bt, np.arange(len(bt))) * 4).astype(int)
            off = np.round(np.interp(a["time"] + a["duration"], bt, np.arange(len(bt))) * 4).astype(int)
            rows.append(np.stack([on, np.maximum(off - on, 1), a["pitch"].astype(int)], 1))
        g = np.concatenate(rows)
        g = g[np.lexsort((g[:, 2], g[:, 0]))]
        # runs of 4/4 bars: consecutive downbeats four beats apart
        taken, i = 0, 0
        while i + SEGMENT_BARS < len(down) and taken < max_per_song:
            run = down[i : i + SEGMENT_BARS + 1]
            if np.all(np.diff(run) == 4):
                s0 = 4 * run[0]
                seg = g[(g[:, 0] >= s0) & (g[:, 0] < s0 + SEGMENT_BARS * 16)].copy()
                if len(seg) >= 32 and seg[:, 0].min() < s0 + 16:
                    seg[:, 0] -= s0
                    segs.append(seg)
                    songs.append(int(d.name))
                    taken += 1
                i += SEGMENT_BARS
            else:
                i += 1
    return segs, songs


def emopia_segments(root: Path) -> list[np.ndarray]:
    """EMOPIA test clips on a 16th grid of their estimated beat (performance MIDI has no real tempo map).

    The beat comes from ``studio.attributes.music`` (onset-based tempo for unquantised files); the first
    onset is taken as a downbeat. Clips are 8-16 bars; each is one segment.
    """
    import csv

    import symusic

    from studio.attributes.music import extract_attributes

    with open(root / "emopia" / "split" / "test_clip.csv") as fh:
        names = [row["clip_name"] for row in csv.DictReader(fh)]
    out = []
    for name in names:
        score = symusic.Score(str(root / "emopia" / "midis" / name))
        m = extract_attributes(score)
        map_tempo = float(score.tempos[0].qpm) if len(score.tempos) else 120.0
        step = score.ticks_per_quarter * (map_tempo / m.tempo) / 4  # ticks per 16th of the estimated beat
        rows = []
        for t in score.tracks:
            a = t.notes.numpy()
            if len(a["time"]):
                on = np.round(a["time"] / step).astype(int)
                du = np.maximum(np.round(a["duration"] / step).astype(int), 1)
                rows.append(np.stack([on, du, a["pitch"].astype(int)], 1))
        g = np.concatenate(rows)
        g[:, 0] -= g[:, 0].min()
        g = g[np.lexsort((g[:, 2], g[:, 0]))]
        out.append(g[g[:, 0] < SEGMENT_BARS * 16])
    return out


def top_intervals(g: np.ndarray) -> np.ndarray:
    """Absolute semitone steps between successive onsets' highest notes, capped at an octave."""
    onsets = np.unique(g[:, 0])
    top = np.array([g[g[:, 0] == o, 2].max() for o in onsets])
    return np.minimum(np.abs(np.diff(top)), 12)


def pop909_melody_intervals(root: Path, validation: bool, every: int = 4) -> np.ndarray:
    """POP909 MELODY tracks' intervals on their songs' beat grid: validation songs, or every ``every``-th
    training song (the melody model's fitting target)."""
    import symusic

    from studio.music.splits import pop909_is_validation

    out = []
    for d in sorted((root / "pop909" / "POP909").glob("[0-9][0-9][0-9]")):
        n = int(d.name)
        if pop909_is_validation(n) != validation or (not validation and n % every):
            continue
        bt = np.loadtxt(d / "beat_midi.txt", ndmin=2)[:, 0]
        for t in symusic.Score(str(d / f"{d.name}.mid")).to("second").tracks:
            a = t.notes.numpy()
            if t.name == "MELODY" and len(a["time"]) > 1:
                on = np.round(np.interp(a["time"], bt, np.arange(len(bt))) * 4).astype(int)
                out.append(top_intervals(np.stack([on, on * 0 + 1, a["pitch"].astype(int)], 1)))
    return np.concatenate(out)


def interval_profile(iv: np.ndarray) -> dict:
    """Shares of repeated notes, semitones, tones, thirds (3-4) and leaps (5+), and the 0-12 histogram."""
    h = np.bincount(iv.astype(int), minlength=13)[:13] / max(len(iv), 1)
    return {
        "intervals": len(iv),
        "repeat": round(float(h[0]), 3),
        "semitone": round(float(h[1]), 3),
        "tone": round(float(h[2]), 3),
        "third": round(float(h[3] + h[4]), 3),
        "leap": round(float(h[5:].sum()), 3),
        "histogram": [round(float(x), 4) for x in h],
    }


def l1(a: dict, b: dict) -> float:
    return round(float(np.abs(np.subtract(a["histogram"], b["histogram"])).sum()), 3)


def pop909_pedalling(root: Path) -> list[dict | None]:
    """:func:`studio.music.pedal.pedal_profile` of each POP909 validation song (whole song, all tracks)."""
    import symusic

    from studio.music.pedal import pedal_profile

    return [pedal_profile(symusic.Score(str(d / f"{d.name}.mid"))) for d in pop909_val_folders(root)]


BASS_TONES = ("root", "2nd chord tone (3rd, or 4th of sus4)", "5th", "7th", "other")


def bass_tone_counts(bars) -> np.ndarray:
    """``[7]`` counts of a piano part's bass notes (``studio.music.structured.fit.bass_notes``, the definition
    the accompaniment is fitted with) by what they play in the chord of their half bar (``BASS_TONES``), then
    the bass notes on beats 1 and 3 and how many of those lie outside their chord.

    Args:
        bars: iterable of ``(onsets in 16ths from the bar start, pitches, (pitch classes of the first half's
            chord, of the second half's))``.
    """
    from studio.music.structured.fit import bass_notes

    counts = np.zeros(len(BASS_TONES) + 2)
    for on, pitch, halves in bars:
        bass = bass_notes(on, pitch)
        for o, x in zip(on[bass], pitch[bass]):
            pcs = list(halves[0] if o < 8 else halves[1])
            counts[pcs.index(x % 12) if x % 12 in pcs[:4] else 4] += 1
            if o % 8 == 0:  # on beat 1 or 3: struck with its chord
                counts[-2:] += (1, x % 12 not in pcs)
    return counts


def pop909_bass(root: Path) -> np.ndarray:
    """:func:`bass_tone_counts` over POP909 validation songs' piano tracks (bars with both chords labelled)."""
    from studio.music.structured.fit import song_bars
    from studio.music.structured.tables import chord_pcs

    return sum(
        (
            bass_tone_counts(
                (b["piano"][0], b["piano"][2], tuple(chord_pcs(c) for c in b["chords"]))
                for b in song_bars(d)
                if len(b["piano"][0]) and None not in b["chords"]
            )
            for d in pop909_val_folders(root)
        ),
        np.zeros(len(BASS_TONES) + 2),
    )


def generated_bass(result) -> np.ndarray | None:
    """:func:`bass_tone_counts` of a generated piece's Piano track against its lead sheet (None without one)."""
    from studio.attributes.music import CHORD_QUALITIES, PITCH_NAMES

    sheet = getattr(result, "lead_sheet", None)
    piano = [t for t in result.score.tracks if t.name == "Piano"]
    if not sheet or not piano or not sheet.get("chords"):
        return None
    step = result.score.ticks_per_quarter // 4
    a = piano[0].notes.numpy()
    on, pitch = a["time"] // step, a["pitch"].astype(int)
    n_bars = int(on.max()) // 16 + 1 if len(on) else 0
    halves = [None] * (2 * n_bars)
    for c in sheet["chords"]:
        root, q = c["name"].split(":")
        pcs = tuple((PITCH_NAMES.index(root) + iv) % 12 for iv in CHORD_QUALITIES[q][0])
        h = 2 * (c["bar"] - 1) + (c["beat"] - 1) // 2
        halves[h : 2 * n_bars] = [pcs] * (2 * n_bars - h)
    bars = []
    for b in range(n_bars):
        m = on // 16 == b
        if m.any() and halves[2 * b] is not None and halves[2 * b + 1] is not None:
            bars.append((on[m] - 16 * b, pitch[m], (halves[2 * b], halves[2 * b + 1])))
    return bass_tone_counts(bars)


def bass_summary(counts: list[np.ndarray | None]) -> dict | None:
    """Shares of bass notes by chord tone over all pieces (``BASS_TONES``)."""
    c = [x for x in counts if x is not None]
    if not c:
        return None
    total = np.sum(c, axis=0)
    out = {name: round(float(v / max(total[: len(BASS_TONES)].sum(), 1)), 3) for name, v in zip(BASS_TONES, total)}
    return out | {"beats_1_3_outside_chord": round(float(total[-1] / max(total[-2], 1)), 3)}


def pedal_summary(profiles: list[dict | None]) -> dict:
    """Share of pieces with a sustain pedal, and the 10/50/90 % quantiles of presses per bar and down share
    among them."""
    with_pedal = [p for p in profiles if p is not None]
    out = {"pieces": len(profiles), "share_with_pedal": round(len(with_pedal) / max(len(profiles), 1), 3)}
    for k in ("presses_per_bar", "down_share"):
        v = [p[k] for p in with_pedal]
        out[k] = [round(float(q), 3) for q in np.quantile(v, [0.1, 0.5, 0.9])] if v else None
    return out


def generated(
    kind: str, emotions, seeds: int, loop: tuple[int, int] = (3, 2), first_seed: int = 1000
) -> tuple[list[np.ndarray], float, list[dict | None], list[np.ndarray | None], np.ndarray | None]:
    import studio.music as music

    if kind.startswith("leadsheet"):
        from studio.music.structured import LeadSheetPipeline

        pipe = LeadSheetPipeline.from_pretrained()
    else:
        from studio.music.pipeline import MusicPipeline

        pipe = MusicPipeline.from_pretrained(ROOT / "checkpoints" / "music-gen")
    settings = {"scale_bias": 0.0, "density_gain": 0.0} if kind == "transformer-noguide" else {}
    from studio.music.pedal import pedal_profile

    out, pedals, basses, melody, t0 = [], [], [], [], time.perf_counter()
    for e in emotions:
        for s in range(seeds):
            if kind in ("leadsheet-loop", "leadsheet-compose"):
                from studio.loop import compose

                c, n = loop if kind == "leadsheet-loop" else (1, 1)
                r = compose(
                    e, bars=SEGMENT_BARS, seed=first_seed + s, candidates=c, rounds=n, progress=False, pipeline=pipe
                )
            else:
                r = music.generate(e, bars=SEGMENT_BARS, seed=first_seed + s, pipeline=pipe, **settings)
            out.append(grid_notes(r.score, SEGMENT_BARS))
            pedals.append(pedal_profile(r.score))
            basses.append(generated_bass(r))
            tracks = [t for t in r.score.tracks if t.name == "Melody"]
            if tracks and len(tracks[0].notes) > 1:
                m = r.score.copy()
                m.tracks = tracks
                melody.append(top_intervals(grid_notes(m, SEGMENT_BARS)))
    mel = np.concatenate(melody) if melody else None
    return out, (time.perf_counter() - t0) / max(len(out), 1), pedals, basses, mel


def c2st(
    real: np.ndarray, fake: np.ndarray, seed: int = 0, groups: tuple[np.ndarray, np.ndarray] | None = None
) -> dict[str, float]:
    """5-fold stratified balanced accuracy of two classifiers telling ``fake`` rows from ``real`` rows.

    ``groups``: ``(real groups, fake groups)`` (e.g. song numbers): no group has rows in both a training and a
    test fold, so the classifiers cannot tell a segment by the song it comes from."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X = np.vstack([real, fake])
    y = np.r_[np.zeros(len(real)), np.ones(len(fake))]
    g = None if groups is None else np.r_[groups[0], groups[1]]
    cv = (StratifiedKFold if g is None else StratifiedGroupKFold)(5, shuffle=True, random_state=seed)
    out = {}
    models = {
        "logistic": make_pipeline(StandardScaler(), LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000)),
        "forest": RandomForestClassifier(300, min_samples_leaf=2, class_weight="balanced", random_state=seed, n_jobs=1),
    }
    for name, model in models.items():
        pred = cross_val_predict(model, X, y, cv=cv, groups=g)
        out[name] = round(float(0.5 * ((pred[y == 0] == 0).mean() + (pred[y == 1] == 1).mean())), 4)
    out["max"] = max(out.values())
    return out


def overlap(a: np.ndarray, b: np.ndarray, bins: int = 20) -> float:
    """Shared area of the two histograms on common bins (1 = same distribution)."""
    lo, hi = min(a.min(), b.min()), max(a.max(), b.max())
    if hi <= lo:
        return 1.0
    ha = np.histogram(a, bins=bins, range=(lo, hi))[0] / len(a)
    hb = np.histogram(b, bins=bins, range=(lo, hi))[0] / len(b)
    return float(np.minimum(ha, hb).sum())


# Feature families for the spread diagnosis (names as in ``studio.music.musicality.FEATURES``).
FAMILIES = {
    "density": ("pitches_per_bar", "onsets_per_bar", "notes_per_onset"),
    "rhythm": tuple(f for f in FEATURES if f.startswith("ioi_")),
    "melodic_motion": (*(f for f in FEATURES if f.startswith("interval_")), "top_step_share", "top_leap_share",
                       "top_mean_interval"),
    "pitch_content": ("pc_entropy", "bar_pc_entropy", "chord_tone_share"),
    "repetition": ("bar_repetition", "rhythm_repetition"),
    "range_and_rests": ("pitch_range", "top_range", "rest_share", "top_rest_share"),
}  # fmt: skip


def quantile_matched(fake: np.ndarray, real: np.ndarray, columns: list[int]) -> np.ndarray:
    """``fake`` with each of ``columns`` replaced by the real values at the same rank (the generated pieces'
    order kept, POP909's marginal distribution imposed): what the test would read if that feature varied
    from piece to piece as POP909's does."""
    out = fake.copy()
    for j in columns:
        rank = (np.argsort(np.argsort(fake[:, j])) + 0.5) / len(fake)
        out[:, j] = np.quantile(real[:, j], rank)
    return out


def spread_diagnosis(real: np.ndarray, fake: np.ndarray, groups: tuple[np.ndarray, np.ndarray]) -> dict:
    """Where the two-sample gap lies: per feature, the generated SD over POP909's; the song-grouped test with
    every feature's marginal matched to POP909's (only the joint structure left), and with every family but
    one matched (how much that family alone still gives away). A diagnosis, not a generator."""
    cols = {name: [FEATURES.index(f) for f in fs] for name, fs in FAMILIES.items()}
    every = [j for js in cols.values() for j in js]
    sd = real.std(0)
    return {
        "sd_ratio": {f: round(float(fake[:, j].std() / sd[j]), 2) if sd[j] else None for j, f in enumerate(FEATURES)},
        "all_marginals_matched": c2st(real, quantile_matched(fake, real, every), groups=groups)["max"],
        "all_but_one_family_matched": {
            name: c2st(real, quantile_matched(fake, real, [j for j in every if j not in js]), groups=groups)["max"]
            for name, js in cols.items()
        },
    }


def per_feature(real: np.ndarray, fake: np.ndarray) -> dict[str, dict]:
    out = {}
    for j, name in enumerate(FEATURES):
        sd = real[:, j].std() or 1.0
        out[name] = {
            "real": round(float(real[:, j].mean()), 4),
            "generated": round(float(fake[:, j].mean()), 4),
            "z": round(float((fake[:, j].mean() - real[:, j].mean()) / sd), 2),
            "overlap": round(overlap(real[:, j], fake[:, j]), 3),
        }
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=9, help="seeds per emotion (12 emotions)")
    ap.add_argument("--first-seed", type=int, default=1000, help="seeds first_seed.. (another set: noise check)")
    ap.add_argument("--generators", default="leadsheet,transformer")
    ap.add_argument("--loop-candidates", type=int, default=3, help="leadsheet-loop: candidates per round")
    ap.add_argument("--loop-rounds", type=int, default=2, help="leadsheet-loop: rounds at most")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "musicality.json"))
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    from studio.paths import data_root

    root = data_root()
    segs, songs = pop909_segments(root)
    real = feature_matrix(segs)
    songs = np.array(songs)
    odd = (songs // 20) % 2 == 1
    floor = c2st(real[odd], real[~odd])
    floor_grouped = c2st(real[odd], real[~odd], groups=(songs[odd], songs[~odd]))
    print(f"real: {len(segs)} POP909 val segments from {len(set(songs.tolist()))} songs; odd vs even songs {floor}")
    print(f"  song-grouped folds {floor_grouped}")
    real_pedal = pedal_summary(pop909_pedalling(root))
    print(f"real: POP909 val songs' sustain pedal {real_pedal}")
    real_bass = bass_summary([pop909_bass(root)])
    print(f"real: POP909 val songs' bass notes by chord tone {real_bass}")
    emo_real = feature_matrix(emopia_segments(root))
    pop_vs_emopia = c2st(real, emo_real)
    print(f"real: {len(emo_real)} EMOPIA test clips; POP909 val vs EMOPIA test {pop_vs_emopia}")
    real_melody = {
        "pop909_training_melodies": interval_profile(pop909_melody_intervals(root, validation=False)),
        "pop909_val_melodies": interval_profile(pop909_melody_intervals(root, validation=True)),
    }
    print(f"real: melody intervals { ({k: {n: v[n] for n in INTERVAL_NAMES} for k, v in real_melody.items()}) }")
    emotions = grid_emotions()
    report = {
        "real": {
            "source": f"POP909 val songs (number % {VALIDATION_EVERY} == 0), 16-bar segments",
            "segments": len(segs),
            "pedal": real_pedal,
            "bass": real_bass,
            "melody_intervals": real_melody,
        },
        "real_emopia": {"source": "EMOPIA test clips on their estimated beat grid", "clips": len(emo_real)},
        "real_vs_real": floor,
        "real_vs_real_song_grouped": floor_grouped,
        "pop909_vs_emopia": pop_vs_emopia,
        "generators": {},
        "seeds": list(range(args.first_seed, args.first_seed + args.seeds)),
        "features": list(FEATURES),
        "machine": platform.machine(),
    }
    for kind in args.generators.split(","):
        pieces, per_piece, pedals, basses, mel = generated(
            kind, emotions, args.seeds, (args.loop_candidates, args.loop_rounds), args.first_seed
        )
        fake = feature_matrix(pieces)
        test = c2st(real, fake)
        # each generated piece is its own group; real segments are grouped by song
        test_grouped = c2st(real, fake, groups=(songs, -1 - np.arange(len(fake))))
        test_emopia = c2st(emo_real, fake)
        test_union = c2st(np.vstack([real, emo_real]), fake)
        feats = per_feature(real, fake)
        diagnosis = spread_diagnosis(real, fake, (songs, -1 - np.arange(len(fake))))
        # which emotions the test tells apart most easily: pieces asked for high / low arousal on their own
        # (pieces run emotion by emotion, seeds within)
        asked_arousal = np.repeat([a for _, a in emotions], args.seeds)[: len(fake)]
        by_arousal = {
            half: c2st(real, fake[pick], groups=(songs, -1 - np.arange(int(pick.sum()))))["max"]
            for half, pick in (("high", asked_arousal > 0.1), ("low", asked_arousal < -0.1))
        }
        report["generators"][kind] = {
            "pieces": len(pieces),
            "seconds_per_piece": round(per_piece, 3),
            "c2st": test,
            "c2st_song_grouped": test_grouped,
            "c2st_vs_emopia_test": test_emopia,
            "c2st_vs_pop909_and_emopia": test_union,
            "c2st_song_grouped_by_asked_arousal": by_arousal,
            "mean_abs_z": round(float(np.mean([abs(f["z"]) for f in feats.values()])), 3),
            "mean_overlap": round(float(np.mean([f["overlap"] for f in feats.values()])), 3),
            "features": feats,
            "spread_diagnosis": diagnosis,
            "pedal": pedal_summary(pedals),
            "bass": bass_summary(basses),
        }
        if mel is not None:
            prof = interval_profile(mel)
            prof["l1_to_training"] = l1(prof, real_melody["pop909_training_melodies"])
            prof["l1_to_val"] = l1(prof, real_melody["pop909_val_melodies"])
            report["generators"][kind]["melody_intervals"] = prof
        if kind == "leadsheet-loop":
            report["generators"][kind]["loop"] = {"candidates": args.loop_candidates, "rounds": args.loop_rounds}
        print(f"\n{kind}: {len(pieces)} pieces, {per_piece:.2f} s each; C2ST balanced accuracy vs POP909 val {test}")
        print(f"  song-grouped folds {test_grouped}; vs EMOPIA test {test_emopia}; vs both {test_union}")
        print(f"  song-grouped, pieces asked for high / low arousal alone (5 emotions each): {by_arousal}")
        print(
            f"  mean |z| {report['generators'][kind]['mean_abs_z']}, mean overlap {report['generators'][kind]['mean_overlap']}"
        )
        print(f"  {'feature':22s} {'real':>8s} {'gen':>8s} {'z':>6s} {'overlap':>7s} {'sd ratio':>8s}")
        for name, f in feats.items():
            r = diagnosis["sd_ratio"][name]
            print(f"  {name:22s} {f['real']:8.3f} {f['generated']:8.3f} {f['z']:6.2f} {f['overlap']:7.3f} {r!s:>8s}")
        print(
            f"  spread diagnosis (song-grouped): every marginal matched to POP909's {diagnosis['all_marginals_matched']}"
        )
        print(f"  every family matched but one: {diagnosis['all_but_one_family_matched']}")
        print(f"  sustain pedal {report['generators'][kind]['pedal']} (POP909 val songs: {real_pedal})")
        print(f"  bass notes by chord tone {report['generators'][kind]['bass']} (POP909 val songs: {real_bass})")
        if mel is not None:
            prof = report["generators"][kind]["melody_intervals"]
            print(
                f"  melody intervals { ({n: prof[n] for n in INTERVAL_NAMES}) }; histogram L1 to POP909 training melodies "
                f"{prof['l1_to_training']}, to val melodies {prof['l1_to_val']}"
            )
    prev = Path(args.out)
    if prev.is_file():  # keep generators measured earlier and not re-run now
        import json

        for kind, entry in json.loads(prev.read_text()).get("generators", {}).items():
            report["generators"].setdefault(kind, entry)
    write_json_atomic(args.out, report)
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
