"""The music critic reads the music, not how the file was made: invariance, abstaining, augmentation."""

from __future__ import annotations

import numpy as np
import pytest
import symusic

from studio.critics import music_augment as aug
from studio.critics.music import MusicCritic, MusicCriticConfig, abstains, features_of, judge_music
from studio.critics.music_features import FEATURE_NAMES

# I-vi-IV-V in C, melody on top: a few bars of plain pop piano
_PROGRESSION = ((48, 52, 55), (45, 48, 52), (41, 45, 48), (43, 47, 50))
_MELODY = (72, 74, 76, 79, 76, 74, 72, 71)


def performed(bars: int = 8, seed: int = 0) -> symusic.Score:
    """A 'transcribed performance' of a simple song: rubato onsets and expressive velocities at 120 BPM."""
    rng = np.random.default_rng(seed)
    s = symusic.Score(480)
    tr = symusic.Track("piano", 0, False)
    for b in range(bars):
        chord = _PROGRESSION[b % 4]
        for beat in range(4):
            t = (b * 4 + beat) * 480 + int(rng.normal(0, 25))
            for p in chord if beat % 2 == 0 else chord[1:]:
                tr.notes.append(symusic.Note(max(t, 0), 440, p, int(np.clip(rng.normal(62, 10), 20, 120))))
            for half in range(2):
                m = _MELODY[(b * 8 + beat * 2 + half) % 8]
                tm = t + half * 240 + int(rng.normal(0, 15))
                tr.notes.append(symusic.Note(max(tm, 0), 220, m, int(np.clip(rng.normal(80, 12), 20, 127))))
    s.tracks.append(tr)
    return s


def test_flat_velocity_zeroes_the_velocity_features_and_flags_it():
    f = dict(zip(FEATURE_NAMES, features_of(aug.flat_velocity(performed()))))
    assert f["velocity_flat"] == 1.0
    assert f["velocity_cv"] == f["velocity_accent_share"] == f["velocity_pitch_corr"] == 0.0
    g = dict(zip(FEATURE_NAMES, features_of(performed())))
    assert g["velocity_flat"] == 0.0 and g["velocity_cv"] > 0.05


def test_transposition_moves_only_register():
    a, b = features_of(performed()), features_of(aug.transpose(performed(), 5))
    register = {"pitch_mean", "bass_mean", "treble_mean"}
    for name, x, y in zip(FEATURE_NAMES, a, b):
        if name in register:
            assert y - x == pytest.approx(5.0, abs=0.01), name
        else:
            assert y == pytest.approx(x, abs=1e-4), name


def test_no_feature_depends_on_clip_length():
    a, b = features_of(performed()), features_of(aug.join(performed(), performed()))
    assert not any("duration_s" in n for n in FEATURE_NAMES)
    np.testing.assert_allclose(a, b, rtol=0.03, atol=0.06)  # means, shares, percentiles; window edges move


# Every view, flat velocity included (it goes through the equal-velocity path), must keep the quadrant
# and stay close in VA.
@pytest.mark.parametrize("make", ["quantised", "flat_velocity", "transposed", "double_length"])
def test_copy_made_differently_gets_nearly_the_same_reading(make):
    plain = judge_music(performed())
    other = judge_music(aug.STRESS[make](performed()))
    assert other.quadrant == plain.quadrant and other.distance(plain.emotion) < 0.2, (make, str(plain), str(other))


def test_quantise_snaps_to_the_sixteenth_grid():
    q = aug.quantise(performed())
    t = q.tracks[0].notes.numpy()["time"]
    assert len(t) > 0 and np.all(t % (q.ticks_per_quarter // 4) == 0)


def test_training_variants_cover_every_augmentation():
    v = aug.training_variants(performed(), np.random.default_rng(0))
    assert {"quantised", "flat", "rescaled", "transposed", "joined", "half_a", "half_b"} <= set(v)
    assert all(sum(len(t.notes) for t in s.tracks) > 0 for s in v.values())


def _tiny_critic(**hyper) -> MusicCritic:
    n = len(FEATURE_NAMES)
    w = {
        "mean": np.zeros(n),
        "std": np.ones(n),
        "lr_W": np.zeros((n, 4)),
        "lr_b": np.array([1.0, 0.0, 0.0, 0.0]),
        "tree_roots": np.zeros((0, 4), np.int32),
        "feature_lo": np.full(n, -1e6),
        "feature_hi": np.full(n, 1e6),
    }
    return MusicCritic(MusicCriticConfig(lr_weight=1.0, hyper=hyper), w)


def test_abstains_outside_the_training_range_and_when_unsure():
    ok = _tiny_critic()(performed())
    assert not abstains(ok) and ok.details["abstain"] is False
    narrow = _tiny_critic()
    narrow.w["feature_hi"][FEATURE_NAMES.index("pitch_mean")] = 0.0  # seen only pitch_mean <= 1 SD
    r = narrow(performed())
    assert abstains(r) and "pitch_mean" in r.details["warning"]
    unsure = _tiny_critic(min_prob=0.99)(performed())
    assert abstains(unsure) and "low confidence" in unsure.details["abstain_reasons"][0]
    drums = symusic.Score(480)
    drums.tracks.append(symusic.Track("d", 0, True))
    drums.tracks[0].notes.append(symusic.Note(0, 100, 36, 90))
    assert abstains(_tiny_critic()(drums))


def test_shipped_critic_knows_generated_looking_music():
    """A quantised, flat-velocity piece is inside what the released critic was trained on."""
    r = judge_music(aug.flat_velocity(aug.quantise(performed(bars=16))))
    assert not any("outside" in x for x in r.details.get("abstain_reasons", []))


def test_equal_velocities_go_through_the_equal_velocity_path():
    """Main path says Q1, equal-velocity path says Q3: each piece is read by the path for how it was made."""
    from studio.critics.music import FLAT_PREFIX, neutral_velocity

    main = _tiny_critic()
    flat_b = np.array([0.0, 0.0, 2.0, 0.0])
    both = MusicCritic(main.config, main.w | {FLAT_PREFIX + k: v for k, v in main.w.items()})
    both.w[FLAT_PREFIX + "lr_b"] = flat_b
    assert both.has_flat_path and not main.has_flat_path
    assert both(performed()).quadrant == 1 and main(aug.flat_velocity(performed())).quadrant == 1
    assert both(aug.flat_velocity(performed())).quadrant == 3
    x = features_of(performed())
    n = neutral_velocity(x[None])[0]
    assert n[FEATURE_NAMES.index("velocity_flat")] == 1.0 and n[FEATURE_NAMES.index("velocity_cv")] == 0.0
    assert x[FEATURE_NAMES.index("velocity_cv")] > 0  # the input is left as it was
