"""Music critic: readings, bad input, dispatch, tree export and the shipped checkpoint."""

from __future__ import annotations

import numpy as np
import pytest
import symusic

from studio.critics import judge
from studio.critics.base import Reading
from studio.critics.music import MusicCritic, MusicCriticConfig, features_of, load_score
from studio.critics.music_features import FEATURE_NAMES, NUM_FEATURES


def make_score(
    n: int = 64, pitch0: int = 60, step: float = 0.25, drum: bool = False, velocity: int = 80
) -> symusic.Score:
    """A small piece in quarter-note ticks: an arpeggio (major triad) over ``n`` notes."""
    s = symusic.Score(480)
    tr = symusic.Track(program=0, is_drum=drum)
    for i in range(n):
        p = pitch0 + (0, 4, 7, 12)[i % 4]
        tr.notes.append(symusic.Note(int(i * step * 480), int(step * 480), p, velocity))
    s.tracks.append(tr)
    return s


def test_reading_is_consistent_with_quadrant_probs():
    r = judge(make_score())
    assert isinstance(r, Reading) and r.kind == "music"
    p = np.array([r.quadrant_probs[q] for q in (1, 2, 3, 4)])
    assert p.sum() == pytest.approx(1.0, abs=1e-6) and (p >= 0).all()
    assert r.valence == pytest.approx(p[0] + p[3] - p[1] - p[2], abs=1e-6)
    assert r.arousal == pytest.approx(p[0] + p[1] - p[2] - p[3], abs=1e-6)
    assert 0.0 < r.confidence <= 1.0
    assert r.to_dict()["quadrant"] == r.quadrant


def test_fast_loud_reads_more_aroused_than_slow_soft():
    fast = judge(make_score(n=200, step=0.125, velocity=110))
    slow = judge(make_score(n=24, step=2.0, velocity=40))
    assert fast.arousal > slow.arousal


def test_out_of_domain_input_gets_low_confidence():
    drums = judge(make_score(drum=True))
    assert drums.confidence == 0.0 and "drum" in drums.details["warning"]
    few = judge(make_score(n=4))
    full = judge(make_score(n=64))
    assert few.confidence < full.confidence and "notes" in few.details["warning"]
    empty = symusic.Score(480)
    assert judge(empty).confidence == 0.0


def test_same_input_same_reading(tmp_path):
    path = tmp_path / "a.mid"
    make_score().dump_midi(str(path))
    a, b = judge(path), judge(path.read_bytes())
    assert a.quadrant_probs == b.quadrant_probs


@pytest.mark.parametrize(
    "bad, exc, words",
    [
        (b"", ValueError, "not a MIDI"),
        (b"MThd\x00\x00garbage", ValueError, "could not be read"),
        (3.5, TypeError, "cannot judge"),
    ],
)
def test_bad_input_has_clear_errors(bad, exc, words):
    with pytest.raises(exc, match=words):
        judge(bad)


def test_bad_files(tmp_path):
    (tmp_path / "empty.mid").write_bytes(b"")
    with pytest.raises(ValueError, match="empty"):
        judge(tmp_path / "empty.mid")
    with pytest.raises(FileNotFoundError):
        judge(tmp_path / "missing.mid")
    (tmp_path / "x.what").write_bytes(b"hello")
    with pytest.raises(ValueError, match="music or an image"):
        judge(tmp_path / "x.what")


def test_long_piece_is_capped_not_hung():
    s = make_score(n=6000, step=0.5)  # ~25 minutes at 120 BPM
    r = judge(s)
    assert "first" in r.details["warning"] and r.details["truncated"]


def test_features_shape_and_names():
    f = features_of(make_score())
    assert f.shape == (NUM_FEATURES,) == (len(FEATURE_NAMES),) and np.isfinite(f).all()
    one = features_of(make_score(n=1))
    assert np.isfinite(one).all()


def test_tree_export_matches_sklearn_and_roundtrips(tmp_path):
    from sklearn.ensemble import HistGradientBoostingClassifier

    from studio.critics.music_fit import export_trees

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, NUM_FEATURES))
    y = (X[:, 0] > 0).astype(int) + 2 * (X[:, 1] > 0).astype(int) + 1
    hgb = HistGradientBoostingClassifier(max_iter=5, max_leaf_nodes=4, random_state=0).fit(X, y)
    w = {
        "mean": np.zeros(NUM_FEATURES),
        "std": np.ones(NUM_FEATURES),
        "lr_W": np.zeros((NUM_FEATURES, 4)),
        "lr_b": np.zeros(4),
    }
    critic = MusicCritic(MusicCriticConfig(lr_weight=0.0), w | export_trees(hgb))
    np.testing.assert_allclose(critic.predict_proba(X), hgb.predict_proba(X), atol=1e-8)
    critic.save_pretrained(tmp_path / "c")
    again = MusicCritic.from_pretrained(tmp_path / "c")
    np.testing.assert_allclose(again.predict_proba(X), critic.predict_proba(X), atol=1e-8)


def test_missing_checkpoint_message(tmp_path):
    with pytest.raises(FileNotFoundError, match="fit one"):
        MusicCritic.from_pretrained(tmp_path)


def test_load_score_accepts_result_like_objects():
    class Result:
        score = make_score()

    assert load_score(Result()) is Result.score


def test_judge_cli_json(tmp_path, capsys):
    import json

    from studio.cli import main

    path = tmp_path / "a.mid"
    make_score().dump_midi(str(path))
    assert main(["judge", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["kind"] == "music" and set(out["quadrant_probs"]) == {"1", "2", "3", "4"}
    assert main(["judge", str(tmp_path / "nope.mid")]) == 2


@pytest.mark.data
def test_shipped_critic_on_emopia_test(data_root):
    from studio.critics.music_fit import metrics, split_features

    d = split_features(data_root, "test", augment=False)
    m = metrics(MusicCritic.from_pretrained().predict_proba(d["X"]["plain"]), d["y"])
    assert m["n"] == 88
    assert m["acc_4q"] >= 0.6 and m["acc_arousal"] >= 0.85  # shipped figures: models/music-critic


def test_sixteen_drum_tracks_and_dense_long_piece_stay_fast():
    import time

    s = symusic.Score(480)
    for _ in range(16):
        s.tracks.append(make_score(n=200, drum=True).tracks[0])
    t0 = time.perf_counter()
    assert judge(s).confidence == 0.0
    dense = make_score(n=40000, step=1 / 32)  # ~10 minutes of 64th notes, one stuck-length pattern
    dense.tracks[0].notes.append(symusic.Note(0, 480 * 2000, 40, 80))  # a note held for 1000 s
    r = judge(dense)
    assert r.confidence < 0.5
    assert time.perf_counter() - t0 < 20


def test_dispatch_sends_images_to_the_image_critic(tmp_path):
    from PIL import Image

    im = Image.fromarray((np.random.default_rng(0).random((32, 32, 3)) * 255).astype("uint8"))
    im.save(tmp_path / "x.png")
    assert judge(tmp_path / "x.png").kind == "image"
    assert judge(im).kind == "image"
    assert judge(make_score()).kind == "music"
