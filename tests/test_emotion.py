import math

import numpy as np
import pytest

from studio.emotion import Emotion, named_emotion_provenance, named_emotions


def test_quadrants_follow_emopia():
    assert Emotion(0.5, 0.5).quadrant == 1
    assert Emotion(-0.5, 0.5).quadrant == 2
    assert Emotion(-0.5, -0.5).quadrant == 3
    assert Emotion(0.5, -0.5).quadrant == 4


def test_distance_and_interpolation():
    a, b = Emotion(-1, -1, 0), Emotion(1, 1, 0)
    assert a.distance(b) == pytest.approx(math.sqrt(8))
    mid = a.interpolate(b, 0.5)
    assert mid.vad == pytest.approx((0, 0, 0))
    with pytest.raises(ValueError):
        a.interpolate(b, 1.5)


def test_frozen():
    e = Emotion(0.1, 0.2)
    with pytest.raises(AttributeError):
        e.valence = 0.3  # type: ignore[misc]


@pytest.mark.parametrize(
    "x, expected",
    [
        ((0.2, -0.3), (0.2, -0.3, 0.0)),
        ([0.2, -0.3, 0.5], (0.2, -0.3, 0.5)),
        (np.array([0.1, 0.2]), (0.1, 0.2, 0.0)),
        ({"valence": 0.4, "arousal": 0.1}, (0.4, 0.1, 0.0)),
    ],
)
def test_coerce_numeric_forms(x, expected):
    assert Emotion.coerce(x).vad == pytest.approx(expected)


def test_coerce_named_is_case_insensitive():
    assert Emotion.coerce("  Tender ") == named_emotions()["tender"]


@pytest.mark.parametrize(
    "bad", [(2.0, 0.0), (0.0, -1.01), (float("nan"), 0.0), (0.0, float("inf")), (0.1,), (0.1, 0.2, 0.3, 0.4)]
)
def test_coerce_rejects_bad_tuples(bad):
    with pytest.raises(ValueError) as e:
        Emotion.coerce(bad)
    assert "[-1, 1]" in str(e.value) or "2 or 3 values" in str(e.value)


@pytest.mark.parametrize("bad", [None, 3, object(), b"sad", ("a", "b")])
def test_coerce_rejects_bad_types(bad):
    with pytest.raises(TypeError) as e:
        Emotion.coerce(bad)
    assert "emotion" in str(e.value) or "number" in str(e.value)


@pytest.mark.parametrize("bad", ["", "   \n\t"])
def test_coerce_rejects_empty_text(bad):
    with pytest.raises(ValueError, match="empty"):
        Emotion.coerce(bad)


def test_coerce_rejects_huge_text():
    with pytest.raises(ValueError, match="characters"):
        Emotion.coerce("sad " * 25_000)


def test_named_table_has_emoart_categories_and_is_sane():
    table = named_emotions()
    assert len(table) >= 40
    emoart = "excited happy aroused alarmed annoyed frustrated sad bored tired calm content glad".split()
    assert set(emoart) <= set(table)
    for e in table.values():
        assert all(-1 <= x <= 1 for x in e.vad)
    # directions from human ratings, not hand-placed
    assert table["happy"].valence > 0.5 > -0.5 > table["sad"].valence
    assert table["furious"].arousal > table["calm"].arousal
    assert table["excited"].quadrant == 1 and table["angry"].quadrant == 2 and table["depressed"].quadrant == 3
    prov = {r["name"]: r for r in named_emotion_provenance()}
    assert set(prov) == set(table) and {r["how"] for r in prov.values()} <= {"exact", "variant", "proxy"}


def test_nearest_and_str():
    e = named_emotions()["serene"]
    assert e.nearest(1)[0][0] == "serene"
    assert "serene" in str(e) and "Q" in str(e)


def test_atomic_write_is_whole_or_absent_and_readable(tmp_path):
    import os
    import stat

    from studio.io import atomic_path, write_json_atomic

    target = tmp_path / "out" / "x.json"
    write_json_atomic(target, {"a": 1})
    assert target.read_text().strip().startswith("{")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o666 & ~mask  # not mkstemp's private 0600
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash mid-write")
    assert '"a": 1' in target.read_text()  # the earlier file survives a failed write
    assert [p.name for p in target.parent.iterdir()] == ["x.json"]  # no temp files left behind


@pytest.mark.parametrize(
    "text, expected", [("0.6,-0.5", (0.6, -0.5)), ("(0.2, 0.1, -0.3)", (0.2, 0.1, -0.3)), ("1e-1,0", (0.1, 0.0))]
)
def test_typed_numbers_are_a_vad_tuple(text, expected):
    from studio.emotion import parse_emotion_arg

    assert parse_emotion_arg(text) == pytest.approx(expected)
    assert Emotion.coerce(text).vad[: len(expected)] == pytest.approx(expected)


def test_typed_numbers_out_of_range_are_refused_not_read_as_text():
    from studio.emotion import parse_emotion_arg

    assert parse_emotion_arg("tender") == "tender"
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        Emotion.coerce("2,0")


@pytest.mark.parametrize("text", ["nan,0", "0,inf", "(-inf, 0.2)", "0.1,0.2,0.3,0.4", "0.5", "1.2.3,4", "--5,0"])
def test_numeric_looking_text_is_a_clear_error_never_free_text(text):
    from studio.errors import StudioError

    with pytest.raises(StudioError) as info:
        Emotion.coerce(text)
    msg = str(info.value)
    assert "\n" not in msg and ("valence" in msg or "number" in msg)


def test_analyze_reads_typed_numbers_like_the_cli():
    import studio

    a = studio.analyze("0.6,-0.5")
    assert a.emotion.va == pytest.approx((0.6, -0.5)) and a.method == "numeric" and a.confidence == 1.0


def test_control_characters_are_stripped_from_labels():
    e = Emotion(0.1, 0.2, label="\x1b[31mred\x1b[0m anger\x07\nnext")
    assert e.label == "red anger next"
    assert "\x1b" not in str(e)


def test_emotion_errors_are_the_studio_error_type_and_keep_their_standard_base():
    from studio.errors import StudioError

    with pytest.raises(StudioError):
        Emotion(float("nan"), 0)
    with pytest.raises(TypeError) as info:
        Emotion.coerce(object())
    assert isinstance(info.value, StudioError)
