"""Visual attributes: the dataclass contract and that each extractor measures what it claims."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from studio.attributes.visual import (
    ATTRIBUTES,
    GROUPS,
    VisualAttributes,
    extract_one,
    extract_visual_attributes,
    hsv_to_rgb,
    rgb_to_hsv,
)


def _solid(rgb, size=64):
    return Image.new("RGB", (size, size), rgb)


def test_hsv_round_trip():
    x = np.random.default_rng(0).random((200, 3)).astype(np.float32)
    assert np.allclose(hsv_to_rgb(rgb_to_hsv(x)), x, atol=1e-5)
    assert np.allclose(rgb_to_hsv(np.array([[1.0, 0.0, 0.0]]))[0], [0.0, 1.0, 1.0])
    assert np.allclose(rgb_to_hsv(np.array([[0.0, 0.0, 1.0]]))[0, 0], 240.0)


def test_round_trip_and_groups():
    a = VisualAttributes(palette_hues=(10, 370.0), brightness=0.3, center_of_mass=(0.2, 0.7))
    assert a.palette_hues == (10.0, 10.0)  # wrapped onto the circle
    b = VisualAttributes.from_dict(a.to_dict())
    assert b.to_dict() == a.to_dict()
    g = a.grouped()
    assert set(g) == set(GROUPS)
    assert g["colour"]["brightness"] == 0.3 and g["composition"]["center_of_mass"] == [0.2, 0.7]
    assert VisualAttributes.from_dict(g).to_dict() == a.to_dict()  # grouped form reads back too


@pytest.mark.parametrize(
    "kwargs, msg",
    [
        ({"brightness": 1.5}, "brightness must be in"),
        ({"warmth": -2}, "warmth must be in"),
        ({"palette_hues": ()}, "palette_hues"),
        ({"center_of_mass": (0.5,)}, "center_of_mass"),
        ({"stroke_length": float("nan")}, "finite"),
    ],
)
def test_validation_names_the_field(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        VisualAttributes(**kwargs)


def test_validation_types_and_unknown_keys():
    with pytest.raises(TypeError, match="saturation must be a number"):
        VisualAttributes(saturation="high")
    with pytest.raises(ValueError, match="unknown visual attributes"):
        VisualAttributes.from_dict({"brightnes": 0.5})


def test_attribute_objects():
    assert set(ATTRIBUTES) == {f for f in VisualAttributes.__dataclass_fields__ if f != "notes"}
    assert ATTRIBUTES["angularity"].validate(0.3) == 0.3
    with pytest.raises(ValueError):
        ATTRIBUTES["angularity"].validate(3)
    assert ATTRIBUTES["brightness"].extract_from(_solid((255, 255, 255))) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="unknown visual attribute"):
        extract_one("sparkle", _solid((0, 0, 0)))


def test_colour_statistics_of_solid_colours():
    red = extract_visual_attributes(_solid((255, 0, 0)))
    assert red.brightness == pytest.approx(1.0) and red.saturation == pytest.approx(1.0)
    assert red.palette_hues[0] == pytest.approx(0.0, abs=6) or red.palette_hues[0] > 354
    grey = extract_visual_attributes(_solid((100, 100, 100)))
    assert grey.saturation == pytest.approx(0.0) and grey.value_contrast == pytest.approx(0.0, abs=1e-3)
    orange = extract_visual_attributes(_solid((255, 140, 0)))
    blue = extract_visual_attributes(_solid((30, 60, 255)))
    assert orange.warmth > 0.8 and blue.warmth < -0.8
    assert extract_visual_attributes(_solid((240, 240, 240))).key == 1.0
    assert extract_visual_attributes(_solid((20, 20, 20))).key == -1.0


def _shapes(kind: str, seed: int = 1) -> Image.Image:
    im = Image.new("RGB", (192, 192), (210, 210, 210))
    d = ImageDraw.Draw(im)
    rng = np.random.default_rng(seed)
    for _ in range(10):
        x, y = rng.integers(30, 162, 2)
        r = int(rng.integers(12, 30))
        if kind == "angular":
            d.polygon([(x - r, y + r), (x + r, y + r // 3), (x, y - r)], outline=(0, 0, 0), width=2)
        else:
            d.ellipse([x - r, y - r, x + r, y + r], outline=(0, 0, 0), width=2)
    return im


def test_angularity_separates_polygons_from_circles():
    for seed in (1, 2):
        ang, cur = (
            extract_visual_attributes(_shapes("angular", seed)),
            extract_visual_attributes(_shapes("curved", seed)),
        )
        assert ang.angularity > cur.angularity + 0.1
        assert cur.curvature > ang.curvature


def _stripes(angle_deg: float) -> np.ndarray:
    yy, xx = np.mgrid[0:128, 0:128].astype(np.float32)
    t = np.deg2rad(angle_deg)
    v = (np.sin((xx * np.sin(t) + yy * np.cos(t)) / 3.0) > 0).astype(np.float32)
    return np.repeat(v[..., None], 3, -1)


def test_diagonal_share():
    assert extract_visual_attributes(_stripes(45)).diagonal_share > 0.8
    assert extract_visual_attributes(_stripes(0)).diagonal_share < 0.2


def test_composition_measures():
    arr = np.full((128, 128, 3), 0.8, np.float32)
    arr[50:80, 10:40] = 0.05  # a dark mass on the left
    left = extract_visual_attributes(arr)
    assert left.center_of_mass[0] < 0.4 and left.balance < 0.8
    sym = np.full((128, 128, 3), 0.8, np.float32)
    sym[40:90, 20:40] = 0.1
    sym[40:90, 88:108] = 0.1
    assert extract_visual_attributes(sym).symmetry > 0.9 > extract_visual_attributes(arr).symmetry
    horizon = np.full((128, 128, 3), 0.9, np.float32)
    horizon[40:] = 0.2
    assert extract_visual_attributes(horizon).horizon == pytest.approx(40 / 128, abs=0.03)
    noise = np.random.default_rng(0).random((128, 128, 3)).astype(np.float32)
    assert extract_visual_attributes(horizon).empty_space > 0.8 > extract_visual_attributes(noise).empty_space


def test_accepts_uint8_arrays_and_rejects_bad_shapes():
    arr = (np.random.default_rng(0).random((40, 50, 3)) * 255).astype(np.uint8)
    a = extract_visual_attributes(arr)
    b = extract_visual_attributes(Image.fromarray(arr))
    assert a.to_dict() == b.to_dict()
    with pytest.raises(ValueError, match=r"\[h, w, 3\]"):
        extract_visual_attributes(np.zeros((10, 10)))
