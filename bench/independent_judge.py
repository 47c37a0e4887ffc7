"""An independent emotion judge for the loop benchmark only (``studio`` never imports this file).

Independent of the music critic and the attribute judge the loop consults, on three counts:

* **another split**: fitted on EMOPIA **val** (114 clips, song-disjoint from train, where the critic
  is fitted) and their quantised / flat-velocity / transposed copies; EMOPIA test is only scored;
* **another feature family**: a 10 frames-per-second piano roll, not note lists or the shared
  attributes: octave-band occupancy, frame activity, the modulation spectrum of the onset envelope,
  thirds above the sounding bass per frame, a scale-degree profile over the commonest bass note, chroma flux and the top line's motion;
* **another model class**: linear discriminant analysis with Ledoit-Wolf shrinkage (no logistic
  regression, no trees), on features clipped to the 2nd-98th percentile of its fitting data.

    python bench/independent_judge.py     # fits, prints its own EMOPIA test accuracy, writes cache/

It caches its fit in ``cache/independent_judge.npz`` (git-ignored); nothing is committed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FPS = 10
BANDS = (21, 36, 48, 60, 72, 84, 109)  # octave-ish register bands
JUDGE_FEATURES = (
    *(f"band_{lo}_{hi}" for lo, hi in zip(BANDS[:-1], BANDS[1:])),
    "log_active_pitches",
    "silent_share",
    "log_onset_frames",
    *(f"onset_mod_{b}" for b in ("0.25-0.5Hz", "0.5-1Hz", "1-2Hz", "2-4Hz")),
    "maj3_over_bass",
    "min3_over_bass",
    "maj7_over_bass",
    "min7_over_bass",
    "tritone_over_bass",
    "chroma_flux",
    "top_motion",
    "top_up_share",
    *(f"chroma_over_bass_tonic_{k}" for k in range(12)),
)


def roll_features(score) -> np.ndarray:
    """Piano-roll features ``[len(JUDGE_FEATURES)]`` of a ``symusic.Score`` (velocity ignored)."""
    s = score.to("second")
    parts = [t.notes.numpy() for t in s.tracks if not t.is_drum and len(t.notes)]
    if not parts:
        return np.zeros(len(JUDGE_FEATURES))
    on = np.concatenate([p["time"] for p in parts]).astype(np.float64)
    dur = np.concatenate([p["duration"] for p in parts]).astype(np.float64)
    pitch = np.concatenate([p["pitch"] for p in parts]).astype(int)
    on = on - on.min()
    T = int(min(np.ceil((on + dur).max() * FPS), 6000)) + 1
    roll = np.zeros((T, 128), bool)
    f0 = np.minimum((on * FPS).astype(int), T - 1)
    f1 = np.minimum(np.maximum((np.minimum(dur, 4.0) * FPS).astype(int), 1) + f0, T)
    for a, b, p in zip(f0, f1, pitch):
        roll[a:b, p] = True
    active = roll.any(1)
    count = roll.sum(1)
    occ = roll.sum(0).astype(float)
    bands = np.array([occ[lo:hi].sum() for lo, hi in zip(BANDS[:-1], BANDS[1:])]) / max(occ.sum(), 1)
    env = np.bincount(f0, minlength=T).astype(float)
    spec = np.abs(np.fft.rfft(env - env.mean())) ** 2
    freq = np.fft.rfftfreq(T, 1 / FPS)
    mod = np.array([spec[(freq >= lo) & (freq < hi)].sum() for lo, hi in ((0.25, 0.5), (0.5, 1), (1, 2), (2, 4))])
    mod = mod / max(mod.sum(), 1e-9)
    frames = np.flatnonzero(active)
    bass = np.array([np.flatnonzero(roll[t])[0] for t in frames])
    top = np.array([np.flatnonzero(roll[t])[-1] for t in frames])
    chroma = np.zeros((len(frames), 12), bool)
    for k in range(12):
        chroma[:, k] = roll[frames][:, k::12].any(1)
    # scale-degree profile against the most frequent sounding bass pitch class (a tonic guess that is
    # not the Krumhansl profile the critic and attributes use)
    bass_tonic = int(np.bincount(bass % 12, minlength=12).argmax())
    degree_profile = np.roll(chroma.mean(0), -bass_tonic)
    degree_profile = degree_profile / max(degree_profile.sum(), 1e-9)
    rel = lambda iv: float(chroma[np.arange(len(frames)), (bass + iv) % 12].mean())  # noqa: E731
    flux = float((chroma[1:] != chroma[:-1]).sum(1).mean()) if len(frames) > 1 else 0.0
    dtop = np.diff(top) if len(top) > 1 else np.zeros(1)
    moving = dtop[dtop != 0]
    f = [
        *bands,
        float(np.log(count[active].mean())) if active.any() else 0.0,
        float(1 - active.mean()),
        float(np.log((env > 0).mean() + 1e-3)),
        *mod,
        rel(4),
        rel(3),
        rel(11),
        rel(10),
        rel(6),
        flux,
        float(np.abs(dtop).mean()),
        float((moving > 0).mean()) if len(moving) else 0.5,
        *degree_profile,
    ]
    return np.nan_to_num(np.asarray(f, dtype=np.float64))


class IndependentJudge:
    """LDA (shrinkage) over :func:`roll_features`; ``quadrant(score)`` and ``va(score)``."""

    def __init__(self, model, lo: np.ndarray, hi: np.ndarray):
        self.model, self.lo, self.hi = model, lo, hi

    def _x(self, score) -> np.ndarray:
        # clipped to the 2nd-98th percentile seen in fitting: a linear model must not extrapolate on
        # generated music (purely diatonic, thinner textures) into certain but meaningless readings
        return np.clip(roll_features(score), self.lo, self.hi)[None]

    @classmethod
    def fit(cls, data_root: Path | None = None) -> IndependentJudge:
        import symusic
        from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

        from studio.critics.music_augment import STRESS
        from studio.critics.music_fit import split_names
        from studio.paths import data_root as default_root

        root = Path(data_root or default_root())
        names, y = split_names(root, "val")
        X, Y = [], []
        for n, q in zip(names, y):
            s = symusic.Score.from_file(str(root / "emopia" / "midis" / n))
            for v in (s, STRESS["quantised"](s), STRESS["flat_velocity"](s), STRESS["transposed"](s)):
                X.append(roll_features(v))
                Y.append(q)
        X = np.array(X)
        lo, hi = np.percentile(X, 2, axis=0), np.percentile(X, 98, axis=0)
        model = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(np.clip(X, lo, hi), np.array(Y))
        return cls(model, lo, hi)

    def proba(self, score) -> np.ndarray:
        return self.model.predict_proba(self._x(score))[0]

    def quadrant(self, score) -> int:
        return int(self.model.classes_[int(np.argmax(self.proba(score)))])

    def va(self, score) -> tuple[float, float]:
        p = dict(zip(self.model.classes_.tolist(), self.proba(score)))
        return p[1] + p[4] - p[2] - p[3], p[1] + p[2] - p[3] - p[4]


def test_accuracy(judge: IndependentJudge, data_root: Path | None = None) -> dict:
    """The judge's own 4Q / arousal / valence accuracy on EMOPIA test (plain and quantised + flat)."""
    import symusic

    from studio.critics.music_augment import flat_velocity, quantise
    from studio.critics.music_fit import split_names
    from studio.paths import data_root as default_root

    root = Path(data_root or default_root())
    names, y = split_names(root, "test")
    out = {}
    for view, fn in {"plain": lambda s: s, "quantised_flat": lambda s: flat_velocity(quantise(s))}.items():
        pred = np.array(
            [judge.quadrant(fn(symusic.Score.from_file(str(root / "emopia" / "midis" / n)))) for n in names]
        )
        out[view] = {
            "acc_4q": round(float((pred == y).mean()), 4),
            "acc_arousal": round(float(((pred <= 2) == (y <= 2)).mean()), 4),
            "acc_valence": round(float((np.isin(pred, (1, 4)) == np.isin(y, (1, 4))).mean()), 4),
        }
    return out


if __name__ == "__main__":
    j = IndependentJudge.fit()
    print("independent judge on EMOPIA test:", test_accuracy(j))
