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
NO_OVERRIDES = [None] * N + [False] * N


def _sel(x, y):
    return gr.SelectData(target=None, data={"index": [x, y], "value": None, "selected": True})


def test_build_demo_constructs_without_launching():
    demo = app.build_demo()
    assert isinstance(demo, gr.Blocks)
    assert demo.enable_queue if hasattr(demo, "enable_queue") else True
    ids = {getattr(b, "elem_id", None) for b in demo.blocks.values()}
    assert {"picker", "generate", "audio", "painting", "circumplex", "readout"} <= ids


def test_picker_pixels_round_trip_to_valence_arousal():
    for v, a in [(0.0, 0.0), (0.6, -0.5), (-1.0, 1.0), (0.25, 0.75)]:
        assert app.px_to_va(*app._to_px(v, a)) == pytest.approx((v, a), abs=1e-3)
    assert app.px_to_va(-50, -50) == (-1.0, 1.0)  # clicks outside the circle clip to the square
    v, a, img, label = app.on_pick(_sel(*app._to_px(0.6, -0.5)))
    assert (v, a) == pytest.approx((0.6, -0.5), abs=0.01)
    assert img.size == (app.PICKER_SIZE, app.PICKER_SIZE) and label == ""
    # the marker is drawn where the click was: red pixels there, none on the blank picker
    x, y = (int(round(t)) for t in app._to_px(0.6, -0.5))
    assert img.getpixel((x, y))[0] > 150 and img.getpixel((x, y))[1] < 80


def test_word_and_describe():
    v, a, d, img, label = app.on_word("furious")
    e = named_emotions()["furious"]
    assert (v, a, d) == (e.valence, e.arousal, e.dominance) and label == "furious"
    md = app.describe(v, a, d, label)
    assert "furious" in md and "Q2" in md
    with pytest.raises(gr.Error):
        app.on_word("not-a-word")
    with pytest.raises(gr.Error):
        app.on_text("   ")
    with pytest.raises(gr.Error, match="valence"):
        app.describe(3.0, 0.0, 0.0, None)


def test_prefill_follows_the_mapping_but_keeps_overrides():
    pytest.importorskip("studio.mapping")
    if not hasattr(__import__("studio.mapping", fromlist=["x"]), "attributes_for"):
        pytest.skip("attributes_for has not landed")
    calm = app.prefill(0.6, -0.6, 0.0, *NO_OVERRIDES)
    angry = app.prefill(-0.8, 0.8, 0.3, *NO_OVERRIDES)
    names = [f[0] for f in app.FADERS]
    assert angry[names.index("tempo")] > calm[names.index("tempo")]
    values = list(calm)
    flags = [n == "tempo" for n in names]
    kept = app.prefill(-0.8, 0.8, 0.3, *values, *flags)
    assert kept[names.index("tempo")] == calm[names.index("tempo")]
    assert kept[names.index("brightness")] == angry[names.index("brightness")]


def _generate(what="art", seed=11, randomise=False, size=128, bars=4, flags=None):
    vals_flags = flags or NO_OVERRIDES
    return app.generate(0.6, -0.5, 0.0, "calm", what, bars, 1, 1, size, "auto", seed, randomise, *vals_flags)


def test_generate_painting_writes_files_and_readout():
    audio, midi, roll, painting, circ, readout, seed, sidecar = _generate()
    assert seed == 11 and "seed used: **11**" in readout
    assert painting.endswith(".png") and os.path.getsize(painting) > 1000
    assert os.path.getsize(circ) > 1000
    meta = json.load(open(sidecar))
    assert meta["seed"] == 11 and meta["emotion"]["valence"] == pytest.approx(0.6)
    # the same seed gives the same painting
    again = _generate()[3]
    assert open(painting, "rb").read() == open(again, "rb").read()


def test_visual_override_reaches_the_painter():
    names = [f[0] for f in app.FADERS]
    values = [None] * N
    values[names.index("brightness")] = 0.15
    flags = [n == "brightness" for n in names]
    sidecar = _generate(flags=values + flags)[-1]
    assert json.load(open(sidecar))["attributes"]["visual"]["brightness"] == pytest.approx(0.15, abs=1e-3)


def test_bad_input_is_a_gradio_error_with_the_api_message():
    with pytest.raises(gr.Error, match="bars"):
        app.generate(0.1, 0.1, 0.0, None, "art", 0, 1, 1, 128, "auto", 1, False, *NO_OVERRIDES)
    with pytest.raises(gr.Error, match="style"):
        app.generate(0.1, 0.1, 0.0, None, "art", 4, 1, 1, 128, "cubist-nonsense", 1, False, *NO_OVERRIDES)
    with pytest.raises(gr.Error):
        app.paint_photo(None, 0.1, 0.1, 0.0, None, 128, "auto", 1, False)
    with pytest.raises(gr.Error):
        app.reaim_midi(None, 0.1, 0.1, 0.0, None, 0.5, 1, False)


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
            if i == 7:  # one bad request among good ones
                app.generate(0.1, 0.1, 0.0, None, "art", 4, 1, 1, 5, "auto", 1, False, *NO_OVERRIDES)
            else:
                results[i] = _generate(seed=100 + i, size=96)
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
        assert results[i][6] == 100 + i and os.path.isfile(results[i][3])
    assert isinstance(errors[7], gr.Error) and "size" in str(errors[7])


def _fake_compose(emotion, bars=16, seed=None, candidates=4, rounds=3, progress=False, **overrides):
    """Stands in for the loop (whose trained generator is a checkpoint): a real score, real critic."""
    import symusic

    from studio.emotion import Emotion
    from studio.music.result import MusicResult

    s = symusic.Score(480)
    t = symusic.Track("piano", 0, False)
    for i in range(4 * bars):
        t.notes.append(symusic.Note(i * 480, 400, 60 + (i * 5) % 12, 70))
    s.tracks.append(t)
    s.tempos.append(symusic.Tempo(0, float(overrides.get("tempo", 100.0))))
    reading = studio_judge(s)
    hist = [
        {
            "round": r + 1,
            "chosen": 0,
            "candidates": [{"reading": reading.to_dict(), "estimate": [reading.valence, reading.arousal]}],
        }
        for r in range(rounds)
    ]
    if callable(progress):
        progress(1.0, "done")
    return MusicResult(s, Emotion.coerce(emotion), dict(overrides), None, seed, bars, "fake-loop", [], reading, hist)


def studio_judge(score):
    import studio

    return studio.judge(score)


def test_generate_music_and_painting_with_a_stand_in_loop(monkeypatch):
    pytest.importorskip("studio.music.result")
    import studio.loop

    monkeypatch.setattr(studio.loop, "compose", _fake_compose)
    names = [f[0] for f in app.FADERS]
    values = [None] * N
    values[names.index("tempo")] = 132
    flags = [n == "tempo" for n in names]
    audio, midi, roll, painting, circ, readout, seed, sidecar = app.generate(
        0.6, 0.6, 0.0, "excited", "both", 2, 1, 2, 96, "auto", 3, False, *values, *flags
    )
    assert audio.endswith("music.wav") and midi.endswith("music.mid") and roll.endswith("music.png")
    assert painting.endswith("painting.png") and os.path.getsize(circ) > 1000
    assert "Music critic" in readout and "2 round(s)" in readout and "Image critic" in readout
    meta = json.load(open(sidecar))
    assert meta["attributes"]["music_requested"]["tempo"] == 132.0  # the override reached the loop
    assert {"music.mid", "music.wav", "painting.png", "create.json"} <= set(meta["files"])


def test_reaim_an_uploaded_midi(tmp_path):
    pytest.importorskip("studio.music.transform")
    from studio.paths import checkpoint

    if not (checkpoint("music-vqvae") / "config.json").is_file():
        pytest.skip("the re-aiming model (checkpoints/music-vqvae) is not present")
    midi = tmp_path / "in.mid"
    _fake_compose("calm", bars=4, seed=1, rounds=1).score.dump_midi(str(midi))
    audio, mid, roll, text = app.reaim_midi(str(midi), -0.7, 0.7, 0.2, "furious", 0.8, 4, False)
    assert mid.endswith(".mid") and os.path.getsize(mid) > 50
    assert "seed used: **4**" in text
    with pytest.raises(gr.Error):
        bad = tmp_path / "bad.mid"
        bad.write_bytes(b"not a midi file")
        app.reaim_midi(str(bad), 0.1, 0.1, 0.0, None, 0.5, 1, False)
