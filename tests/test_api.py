"""studio.create: one seed drives both parts, results save whole with one sidecar."""

import json

import pytest

import studio
from studio.api import CreateResult, create, derive_seed


def test_public_api_exports_create():
    assert studio.create is create
    assert "create" in dir(studio)


def test_derived_seeds_are_deterministic_and_distinct():
    assert derive_seed(7, "music") == derive_seed(7, "music")
    assert derive_seed(7, "music") != derive_seed(7, "art")
    assert derive_seed(7, "art") != derive_seed(8, "art")
    assert all(0 <= derive_seed(s, "art") < 2**31 for s in range(50))


def test_candidate_seeds_start_at_the_seed_and_never_collide_with_neighbours():
    from studio.seeding import candidate_seed

    assert candidate_seed(7, "round", 0) == 7  # one candidate is the plain call
    assert candidate_seed(7, "round", 1) == candidate_seed(7, "round", 1) == derive_seed(7, "round", 1)
    seeds = {candidate_seed(s, "painting", i) for s in range(20) for i in range(1, 6)}
    assert len(seeds) == 100 and not seeds & set(range(40))  # neighbouring seeds share no candidate


def test_every_painting_candidate_is_remade_alone_by_its_recorded_seed():
    searched = studio.paint("furious", candidates=3, size=64, seed=11, progress=False, reaim=False)
    assert [r["seed"] for r in searched.rounds][0] == 11 and len({r["seed"] for r in searched.rounds}) == 3
    kept = next(r["seed"] for r in searched.rounds if r["chosen"])
    alone = studio.paint("furious", size=64, seed=kept, progress=False, reaim=False)
    assert alone.image.tobytes() == searched.image.tobytes()


def test_art_only_is_reproducible_and_saves_a_sidecar(tmp_path):
    a = create("furious", what="art", size=96, seed=5)
    b = create(studio.Emotion.coerce("furious").vad, what="art", size=96, seed=5)
    assert isinstance(a, CreateResult) and a.seed == 5 and a.music is None
    assert a.art_seed == derive_seed(5, "art") == a.art.seed
    assert a.art.image.tobytes() == b.art.image.tobytes()
    files = a.save(tmp_path / "out")
    meta = json.loads((tmp_path / "out" / "create.json").read_text())
    assert meta["emotion_asked"] == "furious" and meta["seed"] == 5 and meta["art_seed"] == a.art_seed
    assert meta["attributes"]["visual"]["brightness"] == pytest.approx(a.art.attributes.brightness, abs=1e-3)
    assert set(meta["files"]) == set(files) and all(p.is_file() for p in files.values())
    assert not [p for p in (tmp_path / "out").rglob(".*") if p.is_file()]  # no temp files left


def test_random_seed_is_recorded():
    r = create("calm", what="art", size=64)
    assert isinstance(r.seed, int) and r.to_dict()["seed"] == r.seed


def test_visual_overrides_are_used():
    r = create("calm", what="art", size=64, seed=1, visual_overrides={"brightness": 0.2})
    assert r.art.attributes.brightness == pytest.approx(0.2)


@pytest.mark.parametrize(
    "kw, err",
    [
        ({"what": "video"}, ValueError),
        ({"bars": 0}, ValueError),
        ({"size": 10}, ValueError),
        ({"bars": 2.5}, TypeError),
        ({"seed": -1}, ValueError),
        ({"emotion": (2.0, 0.0)}, ValueError),
        ({"emotion": None}, TypeError),
    ],
)
def test_bad_arguments_raise_with_a_message(kw, err):
    args = {"emotion": "calm", "what": "art", "size": 64} | kw
    with pytest.raises(err):
        create(**args)


def test_both_parts_from_one_seed(tmp_path):
    r = create("tender", bars=2, candidates=1, rounds=1, size=64, seed=3)
    assert r.music is not None and r.art is not None and r.music.seed == derive_seed(3, "music")
    files = r.save(tmp_path)
    names = set(files)
    assert any(n.endswith(".mid") for n in names) and any(n.endswith(".wav") for n in names)
    meta = json.loads((tmp_path / "create.json").read_text())
    assert meta["readings"]["music"] is not None and meta["models"]["music"]
    assert "Music" in r.summary() or "music" in r.summary()


def test_an_arc_composes_its_phrases_and_paints_its_last_point(tmp_path):
    r = create("calm -> furious", bars=8, candidates=1, size=64, seed=4)
    furious = studio.Emotion.coerce("furious")
    assert r.emotion.va == pytest.approx(furious.va)  # the painting's target: where the arc arrives
    assert r.art.emotion.va == pytest.approx(furious.va)
    phrases = r.music.extra["arc"]["phrases"]
    assert [p["bars"] for p in phrases] == [[1, 4], [5, 8]]
    assert phrases[0]["target"]["valence"] == pytest.approx(studio.Emotion.coerce("calm").valence, abs=1e-3)
    r.save(tmp_path)
    meta = json.loads((tmp_path / "create.json").read_text())
    assert meta["emotion_asked"] == "calm -> furious" and [p["label"] for p in meta["arc"]] == ["calm", "furious"]
    assert any("last point" in n for n in meta["notes"])
    music = json.loads((tmp_path / "music.json").read_text())
    assert len(music["extra"]["arc"]["phrases"]) == 2
    # a plain (v, a) is one emotion, not an arc; a bad arc is one clear error
    assert create((0.6, -0.5), what="art", size=64, seed=1).arc is None
    with pytest.raises(ValueError, match="arc"):
        create("calm -> ", what="art", size=64)
