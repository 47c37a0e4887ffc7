"""studio.transform: re-aiming a MIDI with a tiny random bar VQ-VAE built in-process."""

from __future__ import annotations

import numpy as np
import pytest
import symusic
import torch
from tiny_models import build_tiny_vqvae, tiny_midi

from studio.music.transform import transform
from studio.music.vqvae import STEPS, BarVQVAE, center_register, estimate_key, notes_to_rolls, roll_stats

TPQ = 480


def tiny_model(seed: int = 0) -> BarVQVAE:
    return build_tiny_vqvae(seed)


@pytest.fixture
def midi(tmp_path):
    return tiny_midi(tmp_path / "in.mid")


def _notes(track):
    return [(n.start, n.duration, n.pitch, n.velocity) for n in track.notes]


def test_keeps_melody_rhythm_and_maps_major_to_minor(midi, tiny_vqvae):
    out = transform(midi, emotion=(-0.8, -0.6), seed=1, model=tiny_vqvae)
    src_mel = symusic.Score(str(midi)).tracks[0]
    mel = out.score.tracks[0]
    assert [n.start for n in mel.notes] == [n.start for n in src_mel.notes]
    # sad target -> minor: the major third E (76) becomes Eb, other degrees keep their letter
    assert out.attributes_requested["mode"] < 0.5
    rel = sorted({(n.pitch - mel.notes[0].pitch) % 12 for n in mel.notes})
    assert 3 in rel and 4 not in rel
    assert out.seed == 1 and out.model.startswith("music-vqvae") and out.bars == 4


def test_same_seed_same_output_and_strength_zero_is_identity(midi, tiny_vqvae):
    m = tiny_vqvae
    a = transform(midi, emotion="sad", seed=3, model=m)
    b = transform(midi, emotion="sad", seed=3, model=m)
    assert [_notes(t) for t in a.score.tracks] == [_notes(t) for t in b.score.tracks]
    z = transform(midi, emotion="sad", strength=0, seed=3, model=m)
    src = symusic.Score(str(midi))
    assert sorted(_notes(z.score.tracks[0]) + _notes(z.score.tracks[1])) == sorted(
        _notes(src.tracks[0]) + _notes(src.tracks[1])
    )
    assert z.score.tempos[0].qpm == pytest.approx(100.0, rel=1e-3)


def test_accompaniment_stays_under_the_melody(midi):
    out = transform(midi, emotion="joyful", seed=0, model=tiny_model(1))
    mel = out.score.tracks[0].notes
    for n in out.score.tracks[1].notes if len(out.score.tracks) > 1 else []:
        sounding = [m.pitch for m in mel if m.start <= n.start < m.end]
        assert all(n.pitch < p for p in sounding)


def test_strength_interpolates_targets(midi, tiny_vqvae):
    m = tiny_vqvae
    half, full = (transform(midi, emotion="furious", strength=x, seed=0, model=m) for x in (0.5, 1.0))
    src = half.extra["source_attributes"]
    for k in ("tempo", "velocity_mean", "note_density"):
        a, b = half.attributes_requested[k] - src[k], full.attributes_requested[k] - src[k]
        assert a == pytest.approx(b / 2, rel=1e-3, abs=1e-3)
    assert half.extra["emotion_targets"]["tempo"] == pytest.approx(full.attributes_requested["tempo"], rel=1e-3)


@pytest.mark.parametrize("strength", [-0.1, 1.5, float("nan"), "strong"])
def test_bad_strength(midi, strength, tiny_vqvae):
    with pytest.raises(ValueError, match="strength"):
        transform(midi, emotion="sad", strength=strength, model=tiny_vqvae)


def test_bad_midi(tmp_path, tiny_vqvae):
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"not a midi file at all")
    with pytest.raises(ValueError):
        transform(bad, emotion="sad", model=tiny_vqvae)
    empty = symusic.Score(TPQ)
    with pytest.raises(ValueError, match="no pitched notes"):
        transform(empty, emotion="sad", model=tiny_vqvae)
    drums = symusic.Score(TPQ)
    t = symusic.Track("Drums", 0, True)
    t.notes.append(symusic.Note(0, TPQ, 36, 100))
    drums.tracks.append(t)
    with pytest.raises(ValueError, match="no pitched notes"):
        transform(drums, emotion="sad", model=tiny_vqvae)
    huge = symusic.Score(TPQ)
    t = symusic.Track("Piano", 0, False)
    t.notes.append(symusic.Note(0, TPQ, 60, 100))
    t.notes.append(symusic.Note(4 * TPQ * 5000, TPQ, 60, 100))
    huge.tracks.append(t)
    with pytest.raises(ValueError, match="bars"):
        transform(huge, emotion="sad", model=tiny_vqvae)


def test_rolls_conditions_and_key():
    notes = np.array([[0, 4, 60], [4, 8, 64], [8, 20, 67]])
    rolls = notes_to_rolls(notes, 2)
    assert rolls.shape == (2, 2, STEPS, 88)
    assert rolls[0, 0].sum() == 3 and rolls[1, 1].sum() == 4 and rolls[1, 0].sum() == 0  # G sounds on
    st = roll_stats(rolls[0])
    assert st["count"] == 3 and st["rhythm"] == 3 and st["register"] == pytest.approx(191 / 3)
    assert abs(np.nonzero(center_register(rolls[0])[0])[1].mean() + 21 - 60) <= 1
    pitches = np.array([60, 62, 64, 65, 67, 69, 71, 72, 64, 67])
    assert estimate_key(pitches, np.ones(10)) == (0, 0)
    assert estimate_key(pitches - 3 + np.isin(pitches % 12, [4, 9, 11]) * 0, np.ones(10))[0] == 9


def test_vqvae_learns_and_round_trips(tmp_path):
    m = tiny_model().train()
    g = torch.Generator().manual_seed(0)
    roll = (torch.rand(16, 2, STEPS, 88, generator=g) < 0.03).to(torch.uint8)
    cond = torch.zeros(16, 5, dtype=torch.long)
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    first = float(m(roll, roll, cond)["recon"].detach())
    for _ in range(30):
        loss = m(roll, roll, cond)
        opt.zero_grad()
        loss["loss"].backward()
        opt.step()
    assert float(m(roll, roll, cond)["recon"].detach()) < first
    m.eval()
    m.save_pretrained(tmp_path / "ck")
    m2 = BarVQVAE.from_pretrained(tmp_path / "ck")
    codes = m.encode(roll)
    assert codes.shape == (16, 2) and int(codes.max()) < 8
    assert torch.equal(m.decode(codes, cond), m2.decode(m2.encode(roll), cond))


def test_cli_writes_files(midi, tmp_path):
    from studio.cli import main

    tiny_model().save_pretrained(tmp_path / "ck")
    rc = main(
        [
            "transform",
            str(midi),
            "--emotion",
            "sad",
            "-o",
            str(tmp_path / "out"),
            "--seed",
            "1",
            "--strength",
            "0.8",
            "--no-audio",
            "--checkpoint",
            str(tmp_path / "ck"),
        ]
    )
    assert rc == 0
    assert list((tmp_path / "out").glob("*.mid")) and list((tmp_path / "out").glob("*.json"))


def test_released_checkpoint(midi):
    from studio.paths import checkpoint

    if not (checkpoint("music-vqvae") / "model.safetensors").is_file():
        pytest.skip("checkpoints/music-vqvae not present")
    m = BarVQVAE.from_pretrained()
    assert m.config.n_codes >= 1 and m.config.extra.get("metrics", {}).get("note_f1", 0) > 0.1
    out = transform(midi, emotion="sad", seed=2, model=m)
    assert len(out.score.tracks) == 2 and len(out.score.tracks[1].notes) > 0


@pytest.mark.data
def test_emopia_test_clip_keeps_top_voice():
    from studio.paths import checkpoint, data_root

    root = data_root(required=False)
    if root is None or not (checkpoint("music-vqvae") / "model.safetensors").is_file():
        pytest.skip("needs ../shared/data (EMOPIA) and checkpoints/music-vqvae")
    clip = root / "emopia" / "midis" / "Q1_GY3f6ckBVkA_2.mid"  # an EMOPIA test clip
    src = symusic.Score(str(clip))
    out = transform(clip, emotion=(-0.6, -0.6), seed=0)
    stretch = out.extra["time_stretch"]
    src_on = np.array(sorted({n.start for t in src.to("second").tracks for n in t.notes}))
    mel_on = np.array([n.start / stretch for n in out.score.to("second").tracks[0].notes])
    nearest = np.abs(src_on[None, :] - mel_on[:, None]).min(1)
    assert len(mel_on) > 20 and nearest.max() < 0.01  # every melody onset is a source onset
    gap = lambda x: abs(x - out.attributes_requested["tempo"])  # noqa: E731
    assert gap(out.attributes_measured.tempo) < gap(out.extra["source_attributes"]["tempo"])


def test_result_carries_the_critic_reading_before_and_after(midi, tmp_path, tiny_vqvae):
    """The re-aim tab shows both readings, so the API has to make them: the source's and the result's."""
    from studio.critics.music import judge_music

    out = transform(midi, emotion="furious", seed=2, model=tiny_vqvae)
    assert out.reading_before is not None and out.reading is not None
    assert out.reading_before.valence == pytest.approx(judge_music(str(midi)).valence)
    assert out.reading.valence == pytest.approx(judge_music(out.score).valence)
    meta = __import__("json").loads(open(out.save(tmp_path, audio=False)["json"]).read())
    assert meta["reading_before"]["valence"] == pytest.approx(out.reading_before.valence, abs=1e-3)
    assert meta["reading"]["arousal"] == pytest.approx(out.reading.arousal, abs=1e-3)


def test_the_sources_pedalling_is_kept(tmp_path, tiny_vqvae):
    """A performed melody is written short and held by the sustain pedal: the re-aimed piece keeps the pedal
    (it is played, see studio.render), so the before/after comparison is heard on the same terms."""
    src = symusic.Score(str(tiny_midi(tmp_path / "plain.mid")))
    down_up = [(0, 64, 127), (4 * TPQ - 10, 64, 0), (4 * TPQ, 64, 127), (8 * TPQ - 10, 64, 0), (0, 67, 100)]
    for t, number, value in down_up:
        src.tracks[1].controls.append(symusic.ControlChange(t, number, value))
    src.tracks[1].controls.append(symusic.ControlChange(0, 7, 90))  # volume: not a pedal, not carried
    src.dump_midi(str(tmp_path / "pedal.mid"))
    out = transform(tmp_path / "pedal.mid", emotion="sad", seed=2, model=tiny_vqvae)
    assert len(out.score.tracks) == 2  # melody and accompaniment: each carries the pedal (a MIDI file gives
    # each track its own channel, and a player that keeps them apart would otherwise play one hand dry)
    for tr in out.score.tracks:
        assert sorted((c.time, c.number, c.value) for c in tr.controls) == sorted(down_up)
    again = symusic.Score.from_midi(out.score.dumps_midi())  # and it survives the MIDI file
    for tr in again.tracks:
        assert sorted((c.time, c.number, c.value) for c in tr.controls) == sorted(down_up)


def test_dynamics_move_to_the_targets_spread_and_the_accompaniment_follows_the_metre(midi, tiny_vqvae):
    from studio.attributes.music import extract_attributes
    from studio.mapping import attributes_for

    src = extract_attributes(symusic.Score(str(midi)))
    target = attributes_for("furious").music
    out = transform(midi, emotion="furious", seed=4, model=tiny_vqvae)
    want = out.attributes_requested["velocity_std"]
    assert want == pytest.approx(target.velocity_std, abs=1e-3) and abs(want - src.velocity_std) > 1.0
    assert out.attributes_measured.velocity_std == pytest.approx(want, abs=1.0)
    assert out.attributes_measured.velocity_mean == pytest.approx(out.attributes_requested["velocity_mean"], abs=1.0)
    half = transform(midi, emotion="furious", strength=0.5, seed=4, model=tiny_vqvae)
    assert half.attributes_requested["velocity_std"] == pytest.approx(
        (src.velocity_std + target.velocity_std) / 2, abs=1e-3
    )
    # the re-decoded accompaniment is accented by the metre, not one level per bar
    acc = out.score.tracks[1].notes
    by_bar: dict[int, set] = {}
    for n in acc:
        by_bar.setdefault(n.time // (4 * TPQ), set()).add(n.velocity)
    assert any(len(v) > 1 for v in by_bar.values())
