"""The Gradio studio: constructs without launching; handlers work on their own and under load."""

import json
import os
import threading

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
gr = pytest.importorskip("gradio", reason="gradio not installed (the ui extra)")

import app  # noqa: E402
from studio.emotion import named_emotions  # noqa: E402

N = len(app.FADERS)
NAMES = app.FADER_NAMES
BLANK = [None] * N


def _sel(x, y):
    return gr.SelectData(target=None, data={"index": [x, y], "value": None, "selected": True})


def _needs_mapping():
    if app.mapped_values(0.0, 0.0, 0.0) is None:
        pytest.skip("attributes_for has not landed")


def test_build_demo_constructs_without_launching():
    demo = app.build_demo()
    assert isinstance(demo, gr.Blocks)
    ids = {getattr(b, "elem_id", None) for b in demo.blocks.values()}
    want = {"picker", "generate", "audio", "painting", "circumplex", "readout", "status", "style", "instrument"}
    want |= {"key", "seconds", "variations", "more-like-this", "pick-a", "pick-b", "orig-audio", "re-audio"}
    assert want <= ids
    assert {f"reset-{n}" for n in NAMES} <= ids  # every fader has its own ↺


def test_picker_pixels_round_trip_and_a_click_clears_stale_state():
    for v, a in [(0.0, 0.0), (0.6, -0.5), (-1.0, 1.0), (0.25, 0.75)]:
        assert app.px_to_va(*app._to_px(v, a)) == pytest.approx((v, a), abs=1e-3)
    assert app.px_to_va(-50, -50) == (-1.0, 1.0)  # clicks outside the circle clip to the square
    v, a, d, img, label, word = app.on_pick(_sel(*app._to_px(0.6, -0.5)))
    assert (v, a) == pytest.approx((0.6, -0.5), abs=0.01)
    assert img.size == (app.PICKER_SIZE, app.PICKER_SIZE) and label == ""
    # dominance does not carry over from the previous word; the word box names the nearest word
    assert d == 0.0
    nearest = named_emotions()
    best = min(nearest, key=lambda n: (nearest[n].valence - v) ** 2 + (nearest[n].arousal - a) ** 2)
    assert word == f"≈ {best}"
    x, y = (int(round(t)) for t in app._to_px(0.6, -0.5))
    assert img.getpixel((x, y))[0] > 150 and img.getpixel((x, y))[1] < 80


def test_word_text_and_describe():
    v, a, d, img, label, word = app.on_word("furious")
    e = named_emotions()["furious"]
    assert (v, a, d) == (e.valence, e.arousal, e.dominance) and label == word == "furious"
    assert app.on_word("≈ furious")[:3] == (v, a, d)  # the box's own "nearest" text reads back
    md = app.describe(v, a, d, label)
    assert "furious" in md and "Q2" in md
    with pytest.raises(gr.Error):
        app.on_word("not-a-word")
    with pytest.raises(gr.Error):
        app.on_text("   ")
    with pytest.raises(gr.Error, match="valence"):
        app.describe(3.0, 0.0, 0.0, None)


def test_free_text_shows_its_confidence_and_the_word_box_follows():
    v, a, d, _img, label, word = app.on_text("a rainy farewell at dusk")
    assert label == "a rainy farewell at dusk" and word.startswith("≈ ")
    md = app.describe(v, a, d, label)
    assert "confidence" in md
    gib = app.describe(*app.on_text("qzxv wkpf jjrt")[:3], "qzxv wkpf jjrt")
    assert "uncertain" in gib  # gibberish is not read as if it meant something


def test_faders_follow_the_emotion_until_moved_and_reset_to_the_current_emotion():
    _needs_mapping()
    calm = app.prefill(0.6, -0.6, 0.0, [], None, *BLANK)["to"]
    angry_plan = app.prefill(-0.8, 0.8, 0.3, [], None, *BLANK)
    angry = angry_plan["to"]
    assert angry["tempo"] > calm["tempo"] and set(angry) == set(NAMES)  # nothing touched: all follow
    assert angry_plan["sent"] == dict(zip(NAMES, BLANK))  # what the faders showed, for the browser's check
    for name, _lab, lo, hi, step in app.FADERS:  # shown at the fader's step
        val = angry[name]
        assert lo <= val <= hi and abs(round((val - lo) / step) * step + lo - val) < 1e-9, name
    # the user moves tempo: it is marked, kept when the emotion changes, and said so above Generate
    touched, upd, note = app.mark_touched("tempo", [], 186)
    assert touched == ["tempo"] and "your value" in upd["label"] and "tempo" in note
    assert upd["value"] == 186  # the user's value goes back with the label, so the page cannot revert it
    values = [calm[n] for n in NAMES]
    values[NAMES.index("tempo")] = 186
    kept = app.prefill(-0.8, 0.8, 0.3, touched, None, *values)["to"]
    assert "tempo" not in kept and kept["brightness"] == angry["brightness"]
    # ↺ restores the *current* emotion's value (not an earlier one) and the fader follows again
    upd, touched, note = app.reset_fader("tempo", -0.8, 0.8, 0.3, touched)
    assert upd["value"] == angry["tempo"] and touched == [] and note == ""
    assert "your value" not in upd["label"]


def test_a_value_typed_before_the_server_hears_of_it_is_not_overwritten():
    """The browser applies a refill only where a fader still shows what the previous refill put there: a value
    typed after the next refill's request went out, but before the server marked the fader touched, is kept."""
    _needs_mapping()
    calm_plan = app.prefill(0.6, -0.6, 0.0, [], None, *BLANK)
    shown = [calm_plan["to"][n] for n in NAMES]  # the calm refill landed
    shown[NAMES.index("tempo")] = 150.0  # typed; the refill for the next emotion reads it, "touched" not yet set
    angry = app.prefill(-0.8, 0.8, 0.3, [], calm_plan, *shown)
    assert angry["sent"]["tempo"] == calm_plan["to"]["tempo"] != 150.0
    # FOLLOW_JS's rule: a fader takes the new value only where it shows what was sent
    assert "Number(shown[i]) === Number(plan.sent[n])" in app.FOLLOW_JS
    follow = {n: angry["to"][n] if v == angry["sent"][n] else v for n, v in zip(NAMES, shown)}
    assert follow["tempo"] == 150.0 and all(follow[n] == angry["to"][n] for n in NAMES if n != "tempo")


def test_only_touched_faders_are_used_and_with_the_value_on_screen():
    values = [None] * N
    values[NAMES.index("tempo")] = 186.0
    values[NAMES.index("brightness")] = 0.15
    values[NAMES.index("mode")] = 0.9  # on screen but never touched: the emotion decides it
    music, visual = app.fader_overrides(values, ["tempo", "brightness"])
    assert music == {"tempo": 186.0} and visual == {"brightness": 0.15}


def test_length_in_seconds_and_bars_agree():
    assert app.seconds_for(8, 120) == 16.0
    assert app.bars_for(16, 120) == 8
    assert app.bars_for(3600, 120) == app.BARS_RANGE[1]  # clipped to the slider
    with pytest.raises(gr.Error, match="seconds"):
        app.bars_for(-3, 120)


def _generate(what="art", seed=11, randomise=False, size=128, bars=4, values=None, touched=(), **kw):
    args = dict(temperature=1.0, instrument=next(iter(app.INSTRUMENTS)), key=app.KEYS[0], variations=1)
    args |= kw
    outputs, entries = app.generate(
        0.6,
        -0.5,
        0.0,
        "calm",
        what,
        bars,
        1,
        1,
        size,
        "auto",
        seed,
        randomise,
        args["temperature"],
        args["instrument"],
        args["key"],
        args["variations"],
        list(touched),
        *(values or BLANK),
        arc=args.get("arc"),
    )
    return outputs, entries


def test_generate_painting_writes_files_and_readout():
    (audio, midi, sidecar, roll, painting, circ, readout, seed), entries = _generate()
    assert seed == 11 and "seed used: **11**" in readout and "image critic reads" in readout
    assert painting.endswith(".png") and os.path.getsize(painting) > 1000
    assert os.path.getsize(circ) > 1000
    meta = json.load(open(sidecar))
    assert meta["seed"] == 11 and meta["emotion"]["valence"] == pytest.approx(0.6)
    assert len(entries) == 1 and entries[0]["painting"] == painting
    again = _generate()[0][4]  # the same seed gives the same painting
    assert open(painting, "rb").read() == open(again, "rb").read()


def test_a_moved_visual_fader_reaches_the_painter():
    values = [None] * N
    values[NAMES.index("brightness")] = 0.15
    sidecar = _generate(values=values, touched=["brightness"])[0][2]
    assert json.load(open(sidecar))["attributes"]["visual"]["brightness"] == pytest.approx(0.15, abs=1e-3)


def test_bad_input_is_one_clear_gradio_error():
    with pytest.raises(gr.Error, match="bars"):
        _generate(bars=0)
    with pytest.raises(gr.Error, match="size"):
        _generate(size=5)
    with pytest.raises(gr.Error, match="instrument"):
        _generate(instrument="kazoo")
    with pytest.raises(gr.Error, match="variations"):
        _generate(variations=9)
    with pytest.raises(gr.Error):
        app.paint_photo(None, 0.1, 0.1, 0.0, None, 128, "auto", 1, False)
    with pytest.raises(gr.Error):
        app.reaim_midi(None, 0.1, 0.1, 0.0, None, 0.5, 1, False)
    with pytest.raises(gr.Error, match="generate something first"):
        app.more_like_this(None)


def test_paint_photo(tmp_path):
    from PIL import Image

    photo = tmp_path / "photo.png"
    Image.new("RGB", (160, 120), (30, 120, 200)).save(photo)
    img, text = app.paint_photo(str(photo), -0.7, 0.7, 0.2, "furious", 128, "auto", 5, False)
    assert max(img.size) == 128 and "seed used: **5**" in text


def test_eight_concurrent_requests_complete_or_fail_cleanly():
    results, errors = [None] * 8, [None] * 8

    def work(i):
        try:
            results[i] = _generate(seed=100 + i, size=64 if i < 7 else 5)[0]  # 64: the smallest painting
        except Exception as e:  # noqa: BLE001 - recorded and checked below
            errors[i] = e

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    for i in range(7):
        assert errors[i] is None, errors[i]
        assert results[i][7] == 100 + i and os.path.isfile(results[i][4])
    assert isinstance(errors[7], gr.Error) and "size" in str(errors[7])


def _fake_compose(emotion, bars=16, seed=None, candidates=4, rounds=3, progress=False, program=None, **overrides):
    """Stands in for the loop (whose trained generator is a checkpoint): a real score, real critic,
    and a history where round 1 is kept although later rounds ran (as in the reported bug)."""
    import symusic

    from studio.emotion import Emotion
    from studio.music.result import MusicResult, set_program

    for k in ("temperature", "max_seconds", "pipeline"):
        overrides.pop(k, None)
    s = symusic.Score(480)
    t = symusic.Track("piano", 0, False)
    for i in range(4 * bars):
        t.notes.append(symusic.Note(i * 480, 400, 60 + (i * 5) % 12, 70))
    s.tracks.append(t)
    s.tempos.append(symusic.Tempo(0, float(overrides.get("tempo", 100.0))))
    reading = studio_judge(s)
    hist = []
    for r in range(rounds):
        est = [reading.valence + 0.3 * r, reading.arousal]
        hist.append(
            {
                "round": r + 1,
                "chosen": 0,
                "candidates": [{"reading": reading.to_dict(), "estimate": est, "distance": 0.3 + 0.1 * r}],
                "improved_best": r == 0,
                "best_distance": 0.3,
                "why": "round budget spent" if r == rounds - 1 else "re-aiming against the error",
            }
        )
    if callable(progress):
        progress(1.0, "done")
    notes = [n for n in [set_program(s, program)] if n]
    requested = studio_attributes(emotion, overrides)
    return MusicResult(s, Emotion.coerce(emotion), requested, None, seed, bars, "fake-loop", notes, reading, hist)


def studio_attributes(emotion, overrides):
    """What the loop would ask the generator for: the mapping's targets with the overrides in."""
    import studio

    return studio.attributes_for(emotion, music=overrides).music


def studio_judge(score):
    import studio

    return studio.judge(score)


@pytest.fixture
def stand_in_loop(monkeypatch):
    import studio.loop

    monkeypatch.setattr(studio.loop, "compose", _fake_compose)


def test_music_moved_fader_key_instrument_and_kept_round(stand_in_loop):
    values = [None] * N
    values[NAMES.index("tempo")] = 132
    (audio, midi, sidecar, roll, painting, circ, readout, seed), _ = _generate(
        what="both", bars=2, seed=3, values=values, touched=["tempo"], instrument="flute", key="D"
    )
    assert audio.endswith("music.wav") and midi.endswith("music.mid") and roll.endswith("music.png")
    assert painting.endswith("painting.png") and os.path.getsize(circ) > 1000
    meta = json.load(open(sidecar))
    assert meta["attributes"]["music_requested"]["tempo"] == 132.0  # the moved fader is the value used
    assert meta["attributes"]["music_requested"]["key"] == 2  # D
    assert meta["settings"]["program"] == app.INSTRUMENTS["flute"]
    import symusic

    assert {t.program for t in symusic.Score(midi).tracks} == {73}
    # one distance everywhere (the loop's), and the kept round is named
    assert "distance **0.30**" in readout and "round 1 of 1" in readout
    assert "music critic reads" in readout and "image critic reads" in readout


def test_kept_round_is_marked_on_the_plot_and_in_the_readout(stand_in_loop):
    from studio.api import create

    r = create((0.6, -0.5), bars=2, seed=1, rounds=3, candidates=1, what="both", size=96)
    text, circ = app.readout(r.emotion, r)
    assert "round 1 of 3" in text and "stopped: round budget spent" in text and "distance **0.30**" in text
    import numpy as np
    from PIL import Image

    im = np.asarray(Image.open(circ).convert("RGB")).astype(int)
    assert (np.abs(im - np.array([0x1B, 0x8A, 0x3A])).sum(-1) < 40).sum() > 50  # the green "kept" ring
    assert (np.abs(im - np.array([0xD0, 0x8C, 0x2C])).sum(-1) < 40).sum() > 30  # the image critic's reading


def test_variations_and_more_like_this(stand_in_loop):
    _needs_mapping()
    (_a, _m, sidecar, *_rest, seed), entries = _generate(what="music", bars=2, seed=40, variations=3)
    assert [e["seed"] for e in entries] == [40, 41, 42]
    assert len({e["sidecar"] for e in entries}) == 3 and all(os.path.isfile(e["audio"]) for e in entries)
    out = app.more_like_this(entries[1])
    values, touched, note, new_seed, randomise = out[:N], out[N], out[N + 1], out[N + 2], out[N + 3]
    meta = json.load(open(entries[1]["sidecar"]))
    assert new_seed == 42 and randomise is False and "tempo" in touched and "tempo" in note
    shown = values[NAMES.index("tempo")]["value"]
    assert shown == round(meta["attributes"]["music_requested"]["tempo"])


def test_reaim_shows_before_and_after_readings_and_the_original(tmp_path):
    from studio.paths import checkpoint

    if not (checkpoint("music-vqvae") / "config.json").is_file():
        pytest.skip("the re-aiming model (checkpoints/music-vqvae) is not present")
    midi = tmp_path / "in.mid"
    _fake_compose("calm", bars=4, seed=1, rounds=1).score.dump_midi(str(midi))
    orig, audio, mid, roll, sidecar, text = app.reaim_midi(str(midi), -0.7, 0.7, 0.2, "furious", 0.8, 4, False)
    assert mid.endswith(".mid") and os.path.getsize(mid) > 50 and os.path.getsize(orig) > 1000
    assert "seed used: **4**" in text and "*furious*" in text
    assert "before (your MIDI)" in text and "after (re-aimed)" in text and "What changed" in text
    meta = json.load(open(sidecar))
    assert meta["reading_before"] is not None and meta["reading"] is not None
    assert f"{meta['reading']['valence']:+.2f}" in text and f"{meta['reading_before']['valence']:+.2f}" in text
    with pytest.raises(gr.Error):
        bad = tmp_path / "bad.mid"
        bad.write_bytes(b"not a midi file")
        app.reaim_midi(str(bad), 0.1, 0.1, 0.0, None, 0.5, 1, False)


def test_arc_mode_two_clicks_then_generate_composes_the_arc(tmp_path):
    calm, furious = named_emotions()["calm"], named_emotions()["furious"]
    pts, img, note = app.on_arc_toggle(True, 0.0, 0.0)
    assert pts == [] and "starts" in note
    out = app.on_pick_arc(True, pts, _sel(*app._to_px(*calm.va)))
    pts, note = out[6], out[7]
    assert len(pts) == 1 and "ends" in note
    with pytest.raises(gr.Error, match="twice"):  # one click is not an arc yet
        _generate(what="music", bars=8, arc=pts)
    out = app.on_pick_arc(True, pts, _sel(*app._to_px(*furious.va)))
    (v, a, _d, img, _label, _word, pts, note) = out
    assert len(pts) == 2 and (v, a) == pytest.approx(furious.va, abs=0.01) and "→" in note
    assert str(app.ARC_MIN_BARS) in note
    # the picker draws the start (green) and the end (red)
    for (pv, pa), colour in zip(pts, [(27, 138, 58), (192, 40, 40)]):
        x, y = (int(round(t)) for t in app._to_px(pv, pa))
        assert sum(abs(c - k) for c, k in zip(img.getpixel((x, y)), colour)) < 40
    (audio, _midi, sidecar, _roll, painting, _circ, readout, _seed), entries = _generate(what="both", bars=8, arc=pts)
    meta = json.load(open(sidecar))
    phrases = json.load(open(sidecar.replace("create.json", "music.json")))["extra"]["arc"]["phrases"]
    assert [p["bars"] for p in phrases] == [[1, 4], [5, 8]] and len(meta["arc"]) == 2
    assert meta["emotion"]["valence"] == pytest.approx(furious.valence, abs=0.01)  # painted for the end
    for p in phrases:  # the readout lists every phrase: its bars, target and reading
        t = p["target"]
        row = f"| {p['bars'][0]}-{p['bars'][1]} | {t['valence']:+.2f} | {t['arousal']:+.2f} | "
        row += f"{p['attribute_va'][0]:+.2f} | {p['attribute_va'][1]:+.2f}"
        assert row in readout
    assert os.path.isfile(audio) and os.path.isfile(painting) and entries[0]["emotion"].startswith("arc ")
    # a third click starts a new arc; leaving arc mode is one emotion again
    assert len(app.on_pick_arc(True, pts, _sel(10, 10))[6]) == 1
    assert app.on_pick_arc(False, pts, _sel(10, 10))[6:] == (None, "")
    assert app.on_arc_toggle(False, 0.1, 0.2)[0] is None and app.on_arc_toggle(False, 0.1, 0.2)[2] == ""
