"""Emotion -> visual attributes: the published directions hold and the Valdez inversion is exact."""

from __future__ import annotations

import pytest

from studio.attributes.visual import VisualAttributes
from studio.emotion import Emotion, named_emotions
from studio.mapping.visual import VALDEZ_A, VALDEZ_P, _solve_bs, estimate_emotion, palette_for, visual_attributes_for


def test_valdez_inversion_solves_the_published_equations():
    for v, a in [(0.5, -0.2), (-0.7, 0.4), (0.1, 0.9), (-0.3, -0.6)]:
        zb, zs = _solve_bs(v, a)
        assert VALDEZ_P[0] * zb + VALDEZ_P[1] * zs == pytest.approx(v)
        assert VALDEZ_A[0] * zb + VALDEZ_A[1] * zs == pytest.approx(a)


@pytest.mark.parametrize("va", [(0.4, -0.2), (-0.5, 0.1), (0.2, 0.3), (-0.3, -0.3), (0.0, 0.0)])
def test_forward_then_reverse_is_identity_inside_clip_range(va):
    v, a = estimate_emotion(visual_attributes_for(va))
    assert (v, a) == pytest.approx(va, abs=0.03)


def test_directions_from_the_literature():
    grid = {(v, a): visual_attributes_for((v, a)) for v in (-0.6, 0.6) for a in (-0.6, 0.6)}
    for a in (-0.6, 0.6):  # pleasure raises brightness (Valdez & Mehrabian)
        assert grid[(0.6, a)].brightness > grid[(-0.6, a)].brightness
    for v in (-0.6, 0.6):  # arousal raises saturation, warmth and diagonals (Valdez; Ou et al.)
        assert grid[(v, 0.6)].saturation > grid[(v, -0.6)].saturation
        assert grid[(v, 0.6)].warmth > grid[(v, -0.6)].warmth
        assert grid[(v, 0.6)].diagonal_share > grid[(v, -0.6)].diagonal_share
    # Threat (unpleasant + activated) is the most angular (Aronoff; Bar & Neta).
    assert max(grid.values(), key=lambda x: x.angularity) is grid[(-0.6, 0.6)]


def test_named_emotions_look_as_expected():
    serene, furious = visual_attributes_for("serene"), visual_attributes_for("furious")
    melancholy, joyful = visual_attributes_for("melancholy"), visual_attributes_for("joyful")
    assert serene.warmth < 0 and serene.angularity < 0.3 and serene.diagonal_share < 0.35
    assert furious.angularity > 0.8 and furious.value_contrast > serene.value_contrast
    assert furious.palette_hues[0] > 330 or furious.palette_hues[0] < 15  # red
    assert melancholy.saturation < 0.3 and melancholy.brightness < 0.45 and melancholy.key < 0
    assert 200 < melancholy.palette_hues[0] < 260  # blue
    assert joyful.brightness > 0.6 and joyful.saturation > 0.55 and joyful.warmth > 0.4


def test_dominance_has_its_own_channels():
    low, high = visual_attributes_for((0.2, 0.1, -0.8)), visual_attributes_for((0.2, 0.1, 0.8))
    assert low.brightness == high.brightness and low.saturation == high.saturation
    assert high.stroke_size > low.stroke_size
    assert high.value_contrast > low.value_contrast
    assert high.center_of_mass[1] > low.center_of_mass[1]  # weight lower in the frame


def test_all_named_emotions_map_to_valid_attributes():
    for e in named_emotions().values():
        attrs = visual_attributes_for(e)
        assert isinstance(attrs, VisualAttributes)
        assert 1 <= len(attrs.palette_hues) <= 6
        assert len(palette_for(e)) == len(attrs.palette_hues)


def test_overrides_and_errors():
    assert visual_attributes_for("calm", angularity=0.9).angularity == 0.9
    with pytest.raises(ValueError, match="angularity"):
        visual_attributes_for("calm", angularity=9)
    with pytest.raises(ValueError):
        visual_attributes_for((2.0, 0.0))
    with pytest.raises(TypeError):
        visual_attributes_for(None)
    assert visual_attributes_for(Emotion(0.1, 0.2)).to_dict() == visual_attributes_for((0.1, 0.2)).to_dict()
