"""Rendering: offline FluidSynth audio, WAV/FLAC writing, piano-roll and circumplex PNGs."""

from __future__ import annotations

import numpy as np
import pytest
import symusic

from studio.render import TAIL_SECONDS, circumplex_png, normalize, piano_roll_png, render_audio, write_audio

SR = 22050


def small_score(seconds: float = 2.0, velocity: int = 90) -> symusic.Score:
    s = symusic.Score(480)  # 120 BPM default: 960 ticks per second
    tr = symusic.Track(program=0)
    n = int(seconds * 4)
    for i in range(n):
        tr.notes.append(symusic.Note(i * 240, 240, 60 + (i % 8), velocity))
    s.tracks.append(tr)
    return s


def test_render_shape_loudness_peak_and_tail():
    audio = render_audio(small_score(2.0), sample_rate=SR)
    assert audio.dtype == np.float32 and audio.ndim == 2 and audio.shape[1] == 2
    assert len(audio) == pytest.approx((2.0 + TAIL_SECONDS) * SR, abs=SR * 0.02)
    assert np.abs(audio).max() <= 0.95 + 1e-6
    rms = float(np.sqrt(np.mean(audio**2)))
    assert 0.03 < rms <= 0.1 + 1e-4
    assert np.abs(audio[int(2.1 * SR) : int(2.4 * SR)]).max() > 1e-3  # the release rings into the tail


def test_render_is_deterministic_and_loudness_independent_of_velocity():
    a = render_audio(small_score(velocity=90), sample_rate=SR)
    b = render_audio(small_score(velocity=90), sample_rate=SR)
    np.testing.assert_array_equal(a, b)
    soft = render_audio(small_score(velocity=30), sample_rate=SR)
    assert np.sqrt(np.mean(soft**2)) == pytest.approx(np.sqrt(np.mean(a**2)), rel=0.35)


def test_normalize_respects_peak_ceiling():
    x = np.zeros((1000, 2), np.float32)
    x[10] = 1.0  # one spike: RMS target would need a huge gain
    y = normalize(x, target_rms=0.1, ceiling=0.9)
    assert np.abs(y).max() == pytest.approx(0.9, abs=1e-6)
    silent = normalize(np.zeros((10, 2), np.float32))
    assert not silent.any()


def test_write_audio_roundtrip_and_errors(tmp_path):
    import soundfile as sf

    audio = render_audio(small_score(1.0), sample_rate=SR)
    for ext in ("wav", "flac"):
        p = write_audio(tmp_path / f"a.{ext}", audio, SR)
        data, sr = sf.read(str(p))
        assert sr == SR and data.shape == audio.shape
    with pytest.raises(ValueError, match="must end in"):
        write_audio(tmp_path / "a.mp3", audio, SR)
    with pytest.raises(ValueError, match="shape"):
        write_audio(tmp_path / "b.wav", np.zeros((0, 2)), SR)
    with pytest.raises(ValueError, match="NaN"):
        write_audio(tmp_path / "c.wav", np.full((10, 2), np.nan), SR)
    assert sorted(q.name for q in tmp_path.iterdir()) == ["a.flac", "a.wav"]  # nothing half-written left


def test_render_bad_input():
    with pytest.raises(ValueError, match="sample_rate"):
        render_audio(small_score(), sample_rate=100)
    with pytest.raises(ValueError, match="capped"):
        render_audio(small_score(30.0), sample_rate=SR, max_seconds=10)
    with pytest.raises(ValueError):
        render_audio(b"not midi")


def test_pictures(tmp_path):
    from PIL import Image

    from studio.critics.base import Reading

    roll = piano_roll_png(small_score(), tmp_path / "roll.png", title="test", emotion="tender")
    circ = circumplex_png(
        "tender",
        [(0.1, 0.5), Reading(0.4, 0.1, 0.8, {1: 0.7, 2: 0.1, 3: 0.1, 4: 0.1}, "music", "x")],
        tmp_path / "circ.png",
        candidates=[(0.0, 0.0)],
    )
    for p in (roll, circ):
        im = Image.open(p)
        assert im.size[0] > 300 and im.size[1] > 300
    with pytest.raises(ValueError, match=".png"):
        piano_roll_png(small_score(), tmp_path / "roll.jpg")


def test_render_cli(tmp_path):
    from studio.cli import main

    mid = tmp_path / "p.mid"
    small_score().dump_midi(str(mid))
    assert (
        main(
            [
                "render",
                str(mid),
                "-o",
                str(tmp_path / "p.wav"),
                "--png",
                str(tmp_path / "p.png"),
                "--sample-rate",
                str(SR),
            ]
        )
        == 0
    )
    assert (tmp_path / "p.wav").stat().st_size > 1000 and (tmp_path / "p.png").exists()


def test_soundfont_order_prefers_musescore_general_and_keeps_fallbacks(monkeypatch, tmp_path):
    """The MuseScore General bank is the default where installed; the others remain fallbacks."""
    import studio.render as render

    monkeypatch.delenv("STUDIO_SOUNDFONT", raising=False)
    assert render.SOUNDFONTS[0].endswith("MuseScore_General.sf3")
    assert any(p.endswith("FluidR3_GM.sf2") for p in render.SOUNDFONTS[1:])
    first, second = tmp_path / "a.sf3", tmp_path / "b.sf2"
    second.write_bytes(b"x")
    monkeypatch.setattr(render, "SOUNDFONTS", (str(first), str(second)))
    assert render.find_soundfont() == second  # the first is not installed: fall back
    first.write_bytes(b"x")
    assert render.find_soundfont() == first
    monkeypatch.setenv("STUDIO_SOUNDFONT", str(second))
    assert render.find_soundfont() == second  # the user's choice wins


@pytest.mark.skipif(
    not __import__("os").path.isfile("/usr/share/sounds/sf3/MuseScore_General.sf3"),
    reason="musescore-general-soundfont not installed",
)
def test_the_sf3_default_renders_the_program_asked():
    """FluidSynth reads the Vorbis-compressed bank; a flute and a piano sound different."""
    sf = "/usr/share/sounds/sf3/MuseScore_General.sf3"
    piano = render_audio(small_score(1.0), sample_rate=SR, soundfont=sf)
    flute_score = small_score(1.0)
    flute_score.tracks[0].program = 73
    flute = render_audio(flute_score, sample_rate=SR, soundfont=sf)
    assert np.sqrt(np.mean(piano**2)) > 0.03 and np.sqrt(np.mean(flute**2)) > 0.03
    n = min(len(piano), len(flute))
    assert np.abs(piano[:n] - flute[:n]).mean() > 0.01


def test_circumplex_marks_the_kept_round_and_extra_readings(tmp_path):
    from PIL import Image

    def count(path, rgb):
        im = np.asarray(Image.open(path).convert("RGB")).astype(int)
        return int((np.abs(im - np.array(rgb)).sum(-1) < 40).sum())

    pts = [(0.1, 0.5), (0.4, 0.1), (-0.3, 0.2)]
    plain = circumplex_png("tender", pts, tmp_path / "plain.png")
    kept = circumplex_png("tender", pts, tmp_path / "kept.png", kept=1, marks={"image critic": (0.5, -0.5)})
    assert count(kept, (0x1B, 0x8A, 0x3A)) > 50 and count(plain, (0x1B, 0x8A, 0x3A)) == 0  # the green ring
    assert count(kept, (0xD0, 0x8C, 0x2C)) > 30 and count(plain, (0xD0, 0x8C, 0x2C)) == 0  # the orange square
