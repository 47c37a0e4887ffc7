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


def test_render_to_file_is_the_same_audio_as_render_audio_then_write_audio(tmp_path):
    import soundfile as sf

    from studio.render import render_to_file

    score = small_score(3.0)
    for ext in ("wav", "flac"):
        p, seconds = render_to_file(score, tmp_path / f"streamed.{ext}", sample_rate=SR)
        q = write_audio(tmp_path / f"whole.{ext}", render_audio(score, sample_rate=SR), SR)
        a, sr_a = sf.read(p, dtype="int16")
        b, sr_b = sf.read(q, dtype="int16")
        assert sr_a == sr_b == SR and a.shape == b.shape and np.array_equal(a, b)
        assert seconds == pytest.approx(len(a) / SR)
    assert sorted(x.name for x in tmp_path.iterdir()) == ["streamed.flac", "streamed.wav", "whole.flac", "whole.wav"]


_RSS_SCRIPT = """
import resource, sys, symusic
from studio.cli import main
d, n = sys.argv[1], int(sys.argv[2])
for name, count in (("warm", 1), ("long", n * 2)):
    s = symusic.Score(480)
    tr = symusic.Track(program=0)
    for i in range(count):
        tr.notes.append(symusic.Note(i * 480, 400, 60 + i % 12, 80))
    s.tracks.append(tr)
    s.dump_midi(f"{d}/{name}.mid")
main(["render", f"{d}/warm.mid", "--sample-rate", "192000"])  # imports, soundfont, buffers
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
main(["render", f"{d}/long.mid", "--sample-rate", "192000"])
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024)
"""


@pytest.mark.slow  # a subprocess rendering at 192 kHz
def test_rendering_memory_is_bounded_at_192_khz(tmp_path):
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-c", _RSS_SCRIPT, str(tmp_path), "60"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    grew_mb = float(r.stdout.strip().splitlines()[-1])
    # 60 s at 192 kHz is 44 MB as int16 and ~250 MB through float copies; in blocks it is a few MB
    assert grew_mb < 40, f"peak RSS grew {grew_mb:.0f} MB rendering 60 s at 192 kHz"


@pytest.mark.slow  # subprocesses killed mid-write
def test_no_partial_file_is_ever_visible_and_kill_9_leaves_nothing(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    # killed: 0.5 s into rendering a 20-minute piece at 192 kHz (seconds of work), never after it is done
    for kill_after, notes in ((None, "40"), (0.5, "600")):
        d = tmp_path / ("whole" if kill_after is None else "killed")
        d.mkdir()
        p = subprocess.Popen([sys.executable, "-c", _RSS_SCRIPT, str(d), notes], stdout=subprocess.DEVNULL)
        mids = {"warm.mid", "long.mid"}
        seen, t_warm = set(), None
        while p.poll() is None:
            seen |= {x.name for x in d.iterdir()}
            if t_warm is None and "warm.wav" in seen:
                t_warm = time.time()
            if kill_after is not None and t_warm is not None and time.time() - t_warm > kill_after:
                p.send_signal(signal.SIGKILL)
                p.wait()
                break
            time.sleep(0.005)
        seen |= {x.name for x in d.iterdir()}
        expected = mids | ({"warm.wav", "long.wav"} if kill_after is None else {"warm.wav"})
        assert seen <= mids | {"warm.wav", "long.wav"} and {x.name for x in d.iterdir()} == expected, seen


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
@pytest.mark.slow  # decodes the default .sf3 bank (seconds)
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


_FRESH_RENDER = """
import hashlib, sys
sys.path.insert(0, "tests")
from test_render import SR, small_score
from studio.render import render_audio
print(hashlib.sha1(render_audio(small_score(1.0), sample_rate=SR, soundfont=sys.argv[1]).tobytes()).hexdigest())
"""


def test_presets_kept_decoded_between_renders_give_the_same_samples():
    """The process keeps the presets it played decoded (the .sf3 piano takes ~1.3 s to decode); a render that
    finds them so is sample for sample the render of a fresh process, whatever was rendered between."""
    import hashlib
    import os
    import subprocess
    import sys

    from studio.paths import PROJECT_ROOT

    sf = "/usr/share/sounds/sf3/MuseScore_General.sf3"
    first = render_audio(small_score(1.0), sample_rate=SR, soundfont=sf)
    for program in (73, 19, 0):  # other presets, and a pedalled piano with bends, in between
        other = _pedal_score(True)
        other.tracks[0].program = program
        other.tracks[0].pitch_bends.append(symusic.PitchBend(100, 3000))
        render_audio(other, sample_rate=SR, soundfont=sf)
    again = render_audio(small_score(1.0), sample_rate=SR, soundfont=sf)
    np.testing.assert_array_equal(first, again)
    fresh = subprocess.run(  # with $CI set, as in CI: nothing but the hash reaches stdout
        [sys.executable, "-c", _FRESH_RENDER, sf],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "CI": "true"},
    )
    assert fresh.stdout.strip() == hashlib.sha1(again.tobytes()).hexdigest()


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


def _pedal_score(pedal: bool) -> symusic.Score:
    """A chord struck short (0.1 s) at 0 s, a soft closing note at 2.5 s; optionally the sustain pedal held 0-2 s."""
    s = symusic.Score(480)  # 960 ticks per second
    tr = symusic.Track(program=0)
    for p in (48, 55, 60, 64, 67):
        tr.notes.append(symusic.Note(0, 96, p, 100))
    tr.notes.append(symusic.Note(2400, 480, 72, 40))
    if pedal:
        tr.controls.append(symusic.ControlChange(0, 64, 127))
        tr.controls.append(symusic.ControlChange(1920, 64, 0))
    s.tracks.append(tr)
    return s


def test_the_sustain_pedal_holds_notes_written_short():
    """A performed piano file writes its notes short and holds them with the pedal; the render must too."""
    rms = lambda x, a, b: float(np.sqrt(np.mean(x[int(a * SR) : int(b * SR)] ** 2)))  # noqa: E731
    dry, held = (render_audio(_pedal_score(p), sample_rate=SR) for p in (False, True))
    # relative to each render's own attack, the chord still sounds a second later only with the pedal down
    assert rms(held, 1.0, 1.8) / rms(held, 0.0, 0.1) > 5 * rms(dry, 1.0, 1.8) / rms(dry, 0.0, 0.1)
    # and stops when the pedal comes up (the closing note at 2.5 s is soft)
    assert rms(held, 2.2, 2.4) < 0.2 * rms(held, 1.0, 1.8)


def test_pitch_bends_are_played():
    s = symusic.Score(480)
    tr = symusic.Track(program=19)  # church organ: a steady pitch
    tr.notes.append(symusic.Note(0, 1920, 69, 90))  # A4 for 2 s
    tr.pitch_bends.append(symusic.PitchBend(960, 8191))  # full bend up (2 semitones by default) from 1 s
    s.tracks.append(tr)
    audio = render_audio(s, sample_rate=SR).mean(1)

    def peak_hz(a: float, b: float) -> float:
        x = audio[int(a * SR) : int(b * SR)] * np.hanning(int(b * SR) - int(a * SR))
        spec = np.abs(np.fft.rfft(x, 8 * len(x)))
        hz = np.fft.rfftfreq(8 * len(x), 1 / SR)
        band = (hz > 380) & (hz < 560)
        return float(hz[band][np.argmax(spec[band])])

    assert peak_hz(0.3, 0.9) == pytest.approx(440.0, rel=0.02)
    assert peak_hz(1.3, 1.9) == pytest.approx(493.9, rel=0.02)
