"""Emotion -> music attribute mapper (committed checkpoint) and its reverse direction."""

from __future__ import annotations

import json

import pytest

from studio.attributes import MusicAttributes
from studio.mapping import AttributeTargets, attributes_for
from studio.mapping.music import MAPPED, default_path, estimate_emotion, music_targets
from studio.paths import data_root


def test_checkpoint_has_provenance():
    t = json.loads(default_path().read_text())
    assert t["format"] == "studio.music-mapper/1"
    assert "train" in t["provenance"]["fit_split"] and t["provenance"]["code_version"]
    assert set(t["centres"]) == set(MAPPED)


def test_excited_is_faster_and_more_major_than_sad():
    ex, sad = attributes_for("excited").music, attributes_for("sad").music
    assert ex.tempo > sad.tempo
    assert ex.mode > 0.8 > 0.3 > sad.mode
    assert ex.velocity_mean > sad.velocity_mean


def test_calm_is_sparser_and_softer_than_furious():
    calm, fur = attributes_for("calm").music, attributes_for("furious").music
    assert calm.note_density < fur.note_density
    assert calm.velocity_mean < fur.velocity_mean
    assert calm.tempo < fur.tempo


def test_arousal_monotone_in_tempo_and_velocity_along_the_axis():
    vals = [music_targets((0.0, a))[0] for a in (-0.9, -0.3, 0.3, 0.9)]
    assert all(x.tempo <= y.tempo for x, y in zip(vals, vals[1:]))
    assert all(x.velocity_mean < y.velocity_mean for x, y in zip(vals, vals[1:]))


def test_dominance_louder_lower_denser():
    lo, hi = music_targets((0.3, 0.3, -0.9))[0], music_targets((0.3, 0.3, 0.9))[0]
    assert hi.velocity_mean > lo.velocity_mean
    assert hi.pitch_mean < lo.pitch_mean
    assert hi.note_density > lo.note_density and hi.polyphony > lo.polyphony
    assert hi.onset_regularity > lo.onset_regularity


def test_targets_are_valid_and_spread_is_positive():
    for e in [(-1, -1, -1), (1, 1, 1), (0, 0), "tender", {"valence": -0.4, "arousal": 0.9}]:
        t = attributes_for(e)
        assert isinstance(t, AttributeTargets) and isinstance(t.music, MusicAttributes)
        assert t.music.key is None and t.music.instruments == (0,)
        assert all(t.spread[a] > 0 for a in MAPPED if a != "onset_density")
        json.dumps(t.to_dict())  # JSON-ready


def test_overrides_are_validated():
    t = attributes_for("sad", tempo=60, music={"mode": 0.2})
    assert t.music.tempo == 60 and t.music.mode == 0.2
    assert t.overrides["music"] == {"tempo": 60.0, "mode": 0.2}
    with pytest.raises(ValueError, match=r"tempo must be in \[20, 320\]"):
        attributes_for("sad", tempo=1000)
    with pytest.raises(ValueError, match="unknown attribute 'tempoo'.*music:"):
        attributes_for("sad", tempoo=90)
    with pytest.raises(ValueError, match="unknown music attributes"):
        attributes_for("sad", music={"brightness": 0.3})
    with pytest.raises((ValueError, TypeError)):
        attributes_for(None)


def test_visual_side_is_filled():
    t = attributes_for("happy")
    assert t.visual is not None and 0 <= t.visual.brightness <= 1
    assert attributes_for("happy", brightness=0.2).visual.brightness == 0.2


def test_reverse_map_is_coherent_with_forward_map():
    # The forward target of each quadrant's corner reads back in that quadrant.
    for v, a in [(0.8, 0.8), (-0.8, 0.8), (-0.8, -0.8), (0.8, -0.8)]:
        ev, ea = estimate_emotion(music_targets((v, a))[0])
        assert ev * v > 0 and ea * a > 0, (v, a, ev, ea)
    # Unspecified attributes carry no evidence; a dict works too.
    ev, ea = estimate_emotion({"mode": 1.0})
    assert ev > 0
    assert -1 <= ea <= 1
    with pytest.raises(TypeError):
        estimate_emotion(42)


def test_rate_differences_split_between_tempo_and_subdivision():
    from studio.mapping.music import ONSET_SHARE, forward_matrix

    row = {k: 1.0 for k in MAPPED} | {"note_rate": 8.0}
    slow, fast = ({**row, "onset_rate": 3.0}, {**row, "onset_rate": 6.0})
    x = forward_matrix([slow, fast], (2.5, 3.0))
    tempo, opb, nd = (x[:, MAPPED.index(k)] for k in ("tempo", "onset_density", "note_density"))
    assert opb[0] == pytest.approx(2.5) and tempo[0] == pytest.approx(72.0)  # POP909's own rate: its subdivision
    assert opb[1] / opb[0] == pytest.approx(2**ONSET_SHARE)  # twice as busy: partly denser ...
    assert tempo[1] / tempo[0] == pytest.approx(2 ** (1 - ONSET_SHARE))  # ... partly faster
    assert nd * tempo / 60 == pytest.approx([8.0, 8.0])  # the notes per second are the clip's own


def test_missing_table_gives_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="fit it with"):
        music_targets("sad", path=tmp_path / "none.json")


@pytest.mark.data
def test_reverse_map_beats_chance_on_emopia_val():
    if data_root(required=False) is None:
        pytest.skip("EMOPIA not available (set STUDIO_DATA)")
    from studio.mapping.music import evaluate_on_split

    r = evaluate_on_split("val")
    assert r["acc_arousal"] > 0.75 and r["acc_valence"] > 0.55 and r["acc_4q"] > 0.4
