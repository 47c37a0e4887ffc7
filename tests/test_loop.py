"""The closed loop with a tiny fake generator, mapper and critic (no checkpoints needed).

The fake generator plays the requested register 8 semitones too low, so the open-loop piece misses
a bright target and the loop has to re-aim to hit it.
"""

from __future__ import annotations

import numpy as np
import pytest
import symusic

import studio.loop as loop
from studio.attributes.music import MusicAttributes
from studio.critics.base import Reading


def fake_mapper(emotion, music=None):
    from studio.emotion import Emotion

    e = Emotion.coerce(emotion)
    overrides = dict(music or {})
    music = MusicAttributes(pitch_mean=60 + 20 * e.valence, note_density=2.0 + 1.5 * e.arousal, **overrides)
    return type("Targets", (), {"music": music, "emotion": e})()


class FakePipeline:
    """Stands in for MusicPipeline: same call signature, register and density follow the request."""

    calls: list

    def __init__(self, bias: float = -8.0):
        self.bias, self.calls = bias, []

    def __call__(self, attributes=None, bars=16, seed=None, num_pieces=1, progress=True, **kw):
        self.calls.append({"seed": seed, "num_pieces": num_pieces, "bars": bars})
        rng = np.random.default_rng(seed)
        out = []
        for _ in range(num_pieces):
            s = symusic.Score(480)
            tr = symusic.Track(program=0)
            per_beat = max(attributes.note_density + rng.normal(0, 0.3), 0.25)
            centre = attributes.pitch_mean + self.bias + rng.normal(0, 2.0)
            for i in range(int(bars * 4 * per_beat)):
                pitch = int(np.clip(round(centre + rng.normal(0, 3)), 21, 108))
                tr.notes.append(symusic.Note(int(i * 480 / per_beat), 240, pitch, 80))
            s.tracks.append(tr)
            out.append(type("Piece", (), {"score": s})())
        return out


def fake_critic(score) -> Reading:
    d = score.tracks[0].notes.numpy()
    v = float(np.clip((d["pitch"].mean() - 60) / 20, -1, 1))
    a = float(np.clip((len(d["pitch"]) / max(score.end() / 480, 1) - 2.0) / 1.5, -1, 1))
    p = {1: 0.25, 2: 0.25, 3: 0.25, 4: 0.25}
    return Reading(v, a, 0.9, p, "music", "fake")


def fake_judge(score):
    return None, fake_critic(score).emotion.va


@pytest.fixture
def fakes() -> dict:
    """The loop's collaborators, passed in as a caller would: mapper, attribute judge, no quality critic."""
    return {"mapper": fake_mapper, "judge": fake_judge, "quality": False}


def run(**kw):
    args = dict(emotion=(0.7, 0.2), bars=4, seed=3, candidates=3, rounds=4, progress=False, tolerance=0.05)
    args |= {"mapper": fake_mapper, "judge": fake_judge, "quality": False} | kw
    args.setdefault("pipeline", FakePipeline())
    return loop.compose(critic=args.pop("critic", fake_critic), **args)


def test_loop_improves_on_open_loop():
    closed = run()
    open_ = run(candidates=1, rounds=1)
    assert len(open_.rounds) == 1 and len(open_.rounds[0]["candidates"]) == 1
    d_closed = closed.reading.distance((0.7, 0.2))
    d_open = open_.reading.distance((0.7, 0.2))
    assert d_closed < d_open - 0.15  # the generator's bias is corrected by re-aiming
    aims = [r["aim"]["valence"] for r in closed.rounds]
    assert aims[1] > aims[0]  # the aim moved against the (too dark) error
    best = [r["best_distance"] for r in closed.rounds]
    assert best == sorted(best, reverse=True)


def test_rounds_are_recorded():
    res = run(rounds=2, tolerance=0.0)
    assert res.seed == 3 and res.bars == 4 and len(res.rounds) == 2
    r0 = res.rounds[0]
    assert {"round", "seed", "aim", "attributes", "candidates", "chosen", "why", "best_distance"} <= set(r0)
    assert len(r0["candidates"]) == 3 and r0["candidates"][r0["chosen"]]["distance"] == r0["chosen_distance"]
    assert res.rounds[-1]["why"] == "round budget spent"
    assert res.reading.critic == "fake"


def test_same_seed_same_output():
    a, b = run(), run()
    np.testing.assert_array_equal(a.score.tracks[0].notes.numpy()["pitch"], b.score.tracks[0].notes.numpy()["pitch"])
    assert [r["best_distance"] for r in a.rounds] == [r["best_distance"] for r in b.rounds]
    c = run(seed=4)
    assert c.rounds[0]["candidates"][0]["estimate"] != a.rounds[0]["candidates"][0]["estimate"]


def test_critic_errors_are_recorded_not_raised():
    def broken(score):
        raise RuntimeError("critic exploded")

    res = run(critic=broken, rounds=2)
    assert res.reading is None and len(res.rounds) >= 1
    assert "critic exploded" in res.rounds[0]["candidates"][0]["errors"][0]
    assert any("critic exploded" in n for n in res.notes)


def test_early_stop_and_progress_callback():
    seen = []
    res = run(tolerance=2.5, progress=lambda frac, msg: seen.append(frac))
    assert len(res.rounds) == 1 and "within tolerance" in res.rounds[0]["why"]
    assert seen and seen[-1] == pytest.approx(1 / 4)


def test_overrides_reach_the_generator():
    pipe = FakePipeline()
    res = run(pipeline=pipe, tempo=90.0, rounds=1)
    assert res.rounds[0]["attributes"]["tempo"] == 90.0
    assert pipe.calls[0]["num_pieces"] == 3


@pytest.mark.parametrize(
    "kw, exc",
    [
        ({"candidates": 0}, ValueError),
        ({"rounds": 11}, ValueError),
        ({"bars": "8"}, TypeError),
        ({"max_seconds": -1}, ValueError),
        ({"emotion": (3, 0)}, ValueError),
    ],
)
def test_bad_arguments(kw, exc):
    with pytest.raises(exc):
        run(**kw)


def test_loop_with_released_mapper_and_critic():
    """Real attributes_for, extract_attributes, estimate_emotion and critic; fake generator only."""
    res = loop.compose("furious", bars=4, seed=1, candidates=2, rounds=2, progress=False, pipeline=FakePipeline(0.0))
    cand = res.rounds[0]["candidates"][0]
    assert cand["errors"] == [] and cand["attribute_va"] is not None and cand["reading"]["kind"] == "music"
    assert res.reading is not None and res.reading.critic.startswith("music-critic")


def _pitch_spread(score) -> float:
    return float(score.tracks[0].notes.numpy()["pitch"].std())


def test_loop_chooses_by_the_quality_critic():
    """Same emotion reading for every candidate: the quality critic decides."""

    def flat_critic(score):
        return Reading(0.7, 0.2, 0.9, {1: 0.7, 2: 0.1, 3: 0.1, 4: 0.1}, "music", "flat")

    quality = lambda score: _pitch_spread(score) - 3.0  # noqa: E731
    res = run(critic=flat_critic, quality=quality, rounds=1, candidates=5, tolerance=0.0)
    cands = res.rounds[0]["candidates"]
    qs = [c["quality"] for c in cands]
    assert len(set(qs)) == 5 and res.rounds[0]["chosen"] == int(np.argmax(qs))
    assert _pitch_spread(res.score) == pytest.approx(max(qs) + 3.0, abs=1e-3)  # qualities are rounded
    without = run(critic=flat_critic, quality=False, rounds=1, candidates=5, tolerance=0.0)
    assert without.rounds[0]["candidates"][0]["quality"] is None and without.rounds[0]["chosen"] == 0


def test_stops_as_soon_as_good_enough_but_not_on_poor_quality():
    pipe = FakePipeline()
    res = run(tolerance=2.5, quality=lambda s: 0.5, pipeline=pipe)
    assert len(res.rounds) == 1 and "good enough" in res.rounds[0]["why"] and len(pipe.calls) == 1
    poor = run(tolerance=2.5, quality=lambda s: -1.0, rounds=3)
    assert len(poor.rounds) == 3 and poor.rounds[-1]["why"] == "round budget spent"


def test_falls_back_to_the_attribute_judge_where_the_critic_abstains():
    def abstaining(score):  # confidently wrong, but it says it does not know this piece
        return Reading(-0.9, -0.9, 0.1, {1: 0.1, 2: 0.1, 3: 0.7, 4: 0.1}, "music", "shy", details={"abstain": True})

    res = run(critic=abstaining, rounds=1)
    c = res.rounds[0]["candidates"][0]
    assert c["judge"] == "attributes" and c["estimate"] == c["attribute_va"] != [-0.9, -0.9]
    trusted = run(
        critic=lambda s: Reading(-0.9, -0.9, 0.9, {1: 0.1, 2: 0.1, 3: 0.7, 4: 0.1}, "music", "sure"), rounds=1
    )
    assert trusted.rounds[0]["candidates"][0]["judge"] == "critic"
    assert trusted.rounds[0]["candidates"][0]["estimate"] == [-0.9, -0.9]


def test_default_is_one_open_loop_candidate(fakes):
    pipe = FakePipeline()
    res = loop.compose((0.5, 0.5), bars=2, seed=1, progress=False, pipeline=pipe, critic=fake_critic, **fakes)
    assert len(res.rounds) == 1 and pipe.calls == [{"seed": res.rounds[0]["seed"], "num_pieces": 1, "bars": 2}]


def test_program_and_temperature_reach_the_piece():
    """The instrument choice rewrites the kept piece's tracks (drums kept), whatever the generator;
    the temperature reaches the generator only when asked for."""
    seen = []

    class Recording(FakePipeline):
        def __call__(self, **kw):
            seen.append(kw.get("temperature"))
            pieces = super().__call__(**kw)
            for p in pieces:  # a drum track rides along: it must stay a drum track
                p.score.tracks.append(symusic.Track(program=0, is_drum=True))
                p.score.tracks[-1].notes.append(symusic.Note(0, 120, 36, 90))
            return pieces

    res = run(pipeline=Recording(), rounds=1, program=40, temperature=0.7)
    assert seen == [0.7]
    assert [t.program for t in res.score.tracks if not t.is_drum] == [40]
    assert [t.program for t in res.score.tracks if t.is_drum] == [0]
    assert any("program 40" in n for n in res.notes)
    plain = run(pipeline=Recording(), rounds=1)
    assert seen[-1] is None and plain.score.tracks[0].program == 0
    with pytest.raises(ValueError, match="program"):
        run(program=128)


def test_program_reaches_an_arc_too(monkeypatch):
    import studio.arc

    def fake_arc(emotion, bars, seed, candidates, progress, pipeline, critic, temperature=None, **kw):
        s = symusic.Score(480)
        s.tracks.append(symusic.Track("Melody", 0, False))
        return type("R", (), {"score": s, "notes": []})()

    monkeypatch.setattr(studio.arc, "compose_arc", fake_arc)
    r = loop.compose(emotion="calm -> furious", bars=8, seed=1, program=40)
    assert r.score.tracks[0].program == 40 and "program 40" in r.notes[0]
    with pytest.raises(ValueError, match="program"):
        loop.compose(emotion="calm -> furious", bars=8, seed=1, program=-1)


def test_the_released_quality_critic_describes_the_released_generator():
    """The quality critic is a real-vs-generated discriminator of one generator's output (its weaknesses), so
    it is refitted whenever the default generator changes, and says which generator it was fitted against."""
    from studio.critics.music_quality import QualityCritic
    from studio.music.generators import default_pipeline

    assert QualityCritic.from_pretrained().config.get("generator") == default_pipeline().model_id
