"""Tests for the MIDI generator: tokenizer, model, sampling, pipeline, result (tiny random model)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import symusic
import torch

from studio.music.conditions import measure
from studio.music.data import CachedPiece, WindowSampler
from studio.music.model import MusicGenConfig
from studio.music.pipeline import SCALES, MusicPipeline
from studio.music.result import MusicResult
from studio.music.sampling import top_k_filter, top_p_filter
from studio.music.tokenizer import MusicTokenizer

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def tok(music_tokenizer) -> MusicTokenizer:
    return music_tokenizer


def small_score(bars: int = 4, tpq: int = 480) -> symusic.Score:
    """C major arpeggios and a bass note per beat, ``bars`` bars of 4/4 at 100 BPM."""
    s = symusic.Score(tpq)
    t = symusic.Track("piano", 0, False)
    for b in range(bars):
        for beat in range(4):
            start = (b * 4 + beat) * tpq
            t.notes.append(symusic.Note(start, tpq // 2, [60, 64, 67, 72][beat], 80))
            t.notes.append(symusic.Note(start, tpq, 48, 64))
    s.tracks.append(t)
    s.tempos.append(symusic.Tempo(0, 100.0))
    return s


def test_tokenizer_round_trip(tok):
    score = small_score()
    ids = tok.encode_body(score)
    assert (ids == tok.bar_id).sum() == 4
    back = tok.decode(ids.tolist())
    got = sorted((n.time, n.pitch, n.duration) for n in back.tracks[0].notes)
    want = sorted((n.time, n.pitch, n.duration) for n in score.tracks[0].notes)
    assert got == want


def test_condition_tokens_are_stripped_on_decode(tok):
    ids = tok.encode_body(small_score(2)).tolist()
    with_conds = (
        tok.prefix({"tempo": 3, "mode": "major"}) + ids[:1] + [tok.bar_left_id(2), tok.bar_dens_id(4)] + ids[1:]
    )
    a, b = tok.decode(ids), tok.decode(with_conds)
    assert [n.pitch for n in a.tracks[0].notes] == [n.pitch for n in b.tracks[0].notes]


def test_tokenizer_save_load_keeps_condition_vocab(tok, tmp_path):
    tok.save(tmp_path)
    again = MusicTokenizer.load(tmp_path)
    assert again.vocab == tok.vocab


def test_measure_reads_tempo_mode_density():
    m = measure(small_score())
    assert m["tempo"] == pytest.approx(100.0)
    assert m["key"] == 0 and m["mode"] > 0.5
    assert m["note_density"] == pytest.approx(2.0)


def test_window_sampler_masks_forced_tokens(tok, tiny_music_pipeline):
    ids = tok.encode_body(small_score(6))
    starts = np.flatnonzero(ids == tok.bar_id)
    piece = CachedPiece(ids, starts, np.full(len(starts), 2.0), measure(small_score(6)))
    pipe = tiny_music_pipeline
    s = WindowSampler([piece], tok, pipe.bins, ctx=128)
    x, y = s.sample(3, np.random.default_rng(0))
    assert x.shape == y.shape == (3, 128)
    forced = np.isin(x[:, 1:], tok.extra_ids)  # condition tokens as targets are never scored
    assert (y[:, :-1][forced] == -100).all()
    assert (y != -100).any()


def test_model_forward_shapes_and_kv_cache_matches(tok, tiny_music_pipeline):
    pipe = tiny_music_pipeline
    m = pipe.model
    x = torch.randint(0, len(tok), (2, 20))
    full, _ = m(x)
    assert full.shape == (2, 20, len(tok))
    logits, cache = m(x[:, :12])
    steps = [logits]
    for i in range(12, 20):
        lg, cache = m(x[:, i : i + 1], cache=cache, offset=i)
        steps.append(lg)
    torch.testing.assert_close(torch.cat(steps, 1), full, atol=1e-5, rtol=1e-4)


def test_lean_decode_step_matches_full_forward(tok, tiny_music_pipeline):
    m = tiny_music_pipeline.model.eval()
    x = torch.randint(0, len(tok), (3, 24))
    full, _ = m(x)
    cache = m.new_cache(3)
    out = [m.prefill(x[:, :10], cache)]
    out += [m.step(x[:, i], cache) for i in range(10, 24)]
    assert cache.length == 24
    torch.testing.assert_close(torch.stack(out, 1), full[:, 9:], atol=1e-5, rtol=1e-4)
    cache.length = m.config.context
    with pytest.raises(ValueError, match="full"):
        m.step(x[:, 0], cache)


def test_reweight_group_keeps_group_mass_and_moves_within():
    from studio.music.sampling import reweight_group

    lg = torch.randn(2, 10)
    ids = torch.tensor([2, 3, 4, 5])
    p0 = lg.softmax(-1)
    p1 = reweight_group(lg.clone(), ids, torch.tensor([-3.0, 0.0, 1.5, 0.0])).softmax(-1)
    torch.testing.assert_close(p1[:, ids].sum(-1), p0[:, ids].sum(-1))
    outside = torch.tensor([0, 1, 6, 7, 8, 9])
    torch.testing.assert_close(p1[:, outside], p0[:, outside])
    assert (p1[:, 2] < p0[:, 2]).all() and (p1[:, 4] > p0[:, 4]).all()


def test_scale_bias_shifts_pitches_into_the_scale_and_guidance_runs(tok, tiny_music_pipeline):
    pipe = tiny_music_pipeline
    scale = set(SCALES["major"])

    def in_scale_share(**kw):
        names = {i: t for t, i in tok.vocab.items()}
        pieces = pipe(attributes={"mode": 1.0, "key": 0}, bars=2, seed=3, num_pieces=4, progress=False, **kw)
        ids = [i for p in pieces for i in p.ids]  # before transposition: the model writes in C
        pcs = [int(names[i].split("_")[1]) % 12 for i in ids if names[i].startswith("Pitch_")]
        assert pcs, "the dummy model wrote no pitches"
        return np.mean([pc in scale for pc in pcs])

    assert in_scale_share(scale_bias=8.0) > in_scale_share(scale_bias=0.0) + 0.2
    pieces = pipe(
        attributes={"mode": 0.0, "note_density": 3.0}, bars=3, seed=1, num_pieces=2, progress=False, guidance=2.0
    )
    assert all(p.score.end() <= 3 * 4 * 480 for p in pieces)
    again = pipe(
        attributes={"mode": 0.0, "note_density": 3.0}, bars=3, seed=1, num_pieces=2, progress=False, guidance=2.0
    )
    assert [p.ids for p in pieces] == [p.ids for p in again]


class GrammarModel:
    """A stand-in decoder that writes valid REMI and, after each note, is equally happy to add
    another note at this onset, move to the next position, or (at the last position) close the bar:
    what the density guidance steers is then visible in the note count alone."""

    def __init__(self, tok: MusicTokenizer):
        self.tok, self.config = tok, MusicGenConfig(vocab_size=len(tok), context=4096)
        v = tok.vocab
        self.pitch, self.vel, self.dur = (
            v["Pitch_60"],
            v["Velocity_63"],
            next(i for t, i in v.items() if t.startswith("Duration_")),
        )
        self.pos = [v[f"Position_{k}"] for k in range(16)]

    def new_cache(self, batch):
        from studio.music.model import KVCache

        return KVCache(torch.zeros(1), torch.zeros(1))

    def _logits(self, ids: list[list[int]]) -> torch.Tensor:
        out = torch.full((len(ids), self.config.vocab_size), -30.0)
        for r, seq in enumerate(ids):
            last = seq[-1]
            p = max(
                (self.pos.index(t) for t in seq[len(seq) - seq[::-1].index(self.tok.bar_id) :] if t in self.pos),
                default=-1,
            )
            if last == self.pitch:
                out[r, self.vel] = 0
            elif last == self.vel:
                out[r, self.dur] = 0
            elif last in self.pos:
                out[r, self.pitch] = 0
            else:  # after the bar header or a Duration: another note, the next position, or the bar line
                if last == self.dur:
                    out[r, self.pitch] = 0
                out[r, self.pos[p + 1] if p < 15 else self.tok.bar_id] = 0
        return out

    def prefill(self, ids, cache):
        self.seqs = ids.tolist()
        return self._logits(self.seqs)

    def step(self, ids, cache):
        for s, t in zip(self.seqs, ids.tolist()):
            s.append(t)
        return self._logits(self.seqs)


def test_density_guidance_moves_note_count_toward_the_request(tok):
    from studio.music.sampling import generate_bars

    def notes_per_bar(target, gain):
        out = generate_bars(
            GrammarModel(tok),
            tok,
            tok.prefix({}),
            4,
            None,
            6,
            torch.Generator().manual_seed(0),
            notes_per_bar=target,
            density_gain=gain,
        )
        return np.mean([sum(t == tok.vocab["Pitch_60"] for t in ids) / 4 for ids in out.ids])

    free = notes_per_bar(None, 0.0)
    assert notes_per_bar(40.0, 6.0) > free + 5
    assert notes_per_bar(17.0, 6.0) < free - 2
    assert abs(notes_per_bar(24.0, 6.0) - 24.0) < abs(free - 24.0)


def test_filters():
    lg = torch.tensor([[1.0, 3.0, 2.0, 0.0]])
    assert torch.isinf(top_k_filter(lg, 2)).tolist() == [[True, False, False, True]]
    kept = ~torch.isinf(top_p_filter(lg, 0.5))
    assert kept.tolist() == [[False, True, False, False]]


@pytest.mark.parametrize("bars", [1, 5])
def test_exact_bar_count_and_notes_end_inside(tok, bars, tiny_music_pipeline):
    pipe = tiny_music_pipeline
    pieces = pipe(
        attributes={"tempo": 90, "mode": "minor"},
        bars=bars,
        seed=3,
        num_pieces=2,
        progress=False,
        max_tokens_per_bar=24,
    )
    assert len(pieces) == 2
    for p in pieces:
        assert sum(t == tok.bar_id for t in p.ids) == bars
        end = bars * 4 * p.score.ticks_per_quarter
        assert all(n.time + n.duration <= end for n in p.score.tracks[0].notes)
        assert p.score.tempos[0].qpm == pytest.approx(90.0)


def test_same_seed_same_output_and_greedy_deterministic(tok, tiny_music_pipeline):
    pipe = tiny_music_pipeline
    a = pipe(bars=2, seed=11, progress=False, max_tokens_per_bar=24)[0]
    b = pipe(bars=2, seed=11, progress=False, max_tokens_per_bar=24)[0]
    c = pipe(bars=2, seed=12, progress=False, max_tokens_per_bar=24)[0]
    assert a.ids == b.ids
    assert a.ids != c.ids
    g1 = pipe(bars=2, seed=1, temperature=0, progress=False, max_tokens_per_bar=24)[0]
    g2 = pipe(bars=2, seed=2, temperature=0, progress=False, max_tokens_per_bar=24)[0]
    assert g1.ids == g2.ids


def test_key_transposes_output(tok, tiny_music_pipeline):
    pipe = tiny_music_pipeline
    c = pipe(attributes={"key": 0}, bars=2, seed=5, progress=False, max_tokens_per_bar=24)[0]
    d = pipe(attributes={"key": 2}, bars=2, seed=5, progress=False, max_tokens_per_bar=24)[0]
    pc = [n.pitch for n in c.score.tracks[0].notes]
    pd = [n.pitch for n in d.score.tracks[0].notes]
    assert pd == [p + 2 for p in pc]


def test_runaway_bars_are_clamped_and_reported(tok, tiny_music_pipeline):
    pipe = tiny_music_pipeline
    p = pipe(bars=2, seed=0, max_tokens_per_bar=4, progress=False)[0]
    assert sum(t == tok.bar_id for t in p.ids) == 2
    assert any("closed" in n for n in p.notes)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"bars": 0}, r"bars must be an integer in \[1, 64\]"),
        ({"bars": 10000}, "bars must be"),
        ({"temperature": math.nan}, "temperature"),
        ({"top_k": 0}, "top_k"),
        ({"top_p": 1.5}, r"top_p must be in \(0, 1\]"),
        ({"top_p": 0.0}, "top_p"),
        ({"num_pieces": 0}, "num_pieces"),
        ({"guidance": 0.5}, r"guidance must be a number in \[1, 5\]"),
        ({"scale_bias": math.nan}, "scale_bias must be"),
        ({"scale_bias": -1}, "scale_bias must be"),
        ({"density_gain": 11}, r"density_gain must be a number in \[0, 10\]"),
        ({"attributes": {"mode": "happy"}}, "mode must be"),
        ({"attributes": {"tempo": math.inf}}, "tempo"),
        ({"attributes": {"colour": 3}}, "unknown"),
    ],
)
def test_bad_inputs_raise_clear_errors(tok, kwargs, match, tiny_music_pipeline):
    pipe = tiny_music_pipeline
    with pytest.raises((ValueError, TypeError), match=match):
        pipe(progress=False, **{"bars": 1, **kwargs})


def test_impossible_density_is_clamped_with_a_note(tok, tiny_music_pipeline):
    pipe = tiny_music_pipeline
    p = pipe(attributes={"tempo": 200, "note_density": 15}, bars=1, seed=0, progress=False, max_tokens_per_bar=24)[0]
    assert p.attributes_requested["note_density"] < 15
    assert any("notes/s" in n for n in p.notes)


def test_generate_cli_writes_files_and_rejects_bad_input(tok, tmp_path, capsys, tiny_music_pipeline):
    from studio.cli import main

    tiny_music_pipeline.save_pretrained(tmp_path / "ckpt")
    # the random dummy model writes no REMI grammar; density guidance could leave it without notes
    argv = ["generate", "-e", "sad", "--bars", "2", "--seed", "3", "--model", str(tmp_path / "ckpt"), "-q"]
    argv += ["--density-gain", "0"]
    assert main([*argv, "-o", str(tmp_path / "out"), "--no-audio", "--tempo", "80"]) == 0
    meta = json.loads((tmp_path / "out" / "music.json").read_text())
    assert meta["seed"] == 3 and meta["bars"] == 2
    assert meta["attributes_measured"]["tempo"] == pytest.approx(80.0, rel=0.01)
    assert main([*argv, "-o", str(tmp_path / "bad"), "--top-p", "2"]) == 2
    assert "top_p must be in (0, 1]" in capsys.readouterr().err


def test_save_load_pretrained_round_trip(tok, tmp_path, tiny_music_pipeline):
    pipe = tiny_music_pipeline
    pipe.save_pretrained(tmp_path)
    again = MusicPipeline.from_pretrained(tmp_path)
    a = pipe(bars=2, seed=4, progress=False, max_tokens_per_bar=24)[0]
    b = again(bars=2, seed=4, progress=False, max_tokens_per_bar=24)[0]
    assert a.ids == b.ids
    assert json.loads((tmp_path / "config.json").read_text())["model"]["dim"] == 32


def test_result_save_writes_midi_and_sidecar(tok, tmp_path, tiny_music_pipeline):
    pipe = tiny_music_pipeline
    p = pipe(bars=2, seed=9, progress=False, max_tokens_per_bar=24)[0]
    r = MusicResult(p.score, None, p.attributes_requested, None, 9, 2, pipe.model_id, notes=p.notes)
    paths = r.save(tmp_path, stem="x", audio=False)
    assert (
        paths["mid"].read_bytes() == r.midi_bytes() or symusic.Score(str(paths["mid"])).note_num() == p.score.note_num()
    )
    meta = json.loads(paths["json"].read_text())
    assert meta["seed"] == 9 and meta["bars"] == 2 and meta["model"] == "music-gen 0.1.0"
    with pytest.raises(ValueError, match="stem"):
        r.save(tmp_path, stem="../evil")


def test_train_cli_rejects_bad_budget(capsys):
    from studio.cli import main

    assert main(["train", "music", "--minutes", "0"]) == 2
    assert "--minutes must be > 0" in capsys.readouterr().err
    assert main(["train", "music", "--minutes", "1", "--lr", "0"]) == 2
    assert "--lr must be in (0, 0.1]" in capsys.readouterr().err


@pytest.mark.data
def test_prepare_cache_on_real_data_keeps_emopia_test_out(tmp_path, tok):
    from studio.music.data import list_sources, load_cache, prepare_cache
    from studio.paths import data_root

    root = data_root(required=False)
    if root is None:
        pytest.skip("needs ../shared/data (set STUDIO_DATA)")
    items = list_sources(root)
    test_clips = {r.split(",")[1].strip() for r in (root / "emopia/split/test_clip.csv").read_text().splitlines()[1:]}
    assert not any(pid.startswith("emopia/") and f"{pid.split('/')[1]}.mid" in test_clips for pid, _, _ in items)
    npz = prepare_cache(root, tmp_path, limit=2)
    pieces = load_cache(npz, tok)
    assert pieces["train"] and all(len(p.bar_starts) >= 2 for p in pieces["train"])
    assert json.loads((tmp_path / "bins.json").read_text())["num_bins"] == 8


def test_bars_for_seconds():
    from studio.music.oneshot import bars_for_seconds

    assert bars_for_seconds(32, 120) == 16  # 120 BPM: 2 s per bar
    assert bars_for_seconds(0.5, 60) == 1
    with pytest.raises(ValueError, match="at most 64 bars"):
        bars_for_seconds(3600, 120)
    with pytest.raises(ValueError, match="seconds must be a positive number"):
        bars_for_seconds(-1, 120)


def test_inference_does_not_import_the_training_code():
    """Loading and running the generator reads its checkpoint through studio.music.checkpoint; the training
    loop and its data pipeline stay out of the process."""
    import subprocess
    import sys

    code = (
        "import sys; from studio.music.pipeline import MusicPipeline; "
        "print(sorted(m for m in ('studio.music.train', 'studio.music.data') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
