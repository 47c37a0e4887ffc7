"""Tiny random models, one per generator, built in-process in milliseconds (diffusers' dummy components).

tests/conftest.py shares one of each per session (``tiny_music_pipeline``, ``tiny_vqvae``); a test that trains
or mutates a model, or wants another seed, calls the builder here.
"""

from __future__ import annotations


def build_tiny_music_pipeline(tokenizer, seed: int = 0):
    """The REMI transformer generator with a 2-layer, 32-wide random model and fixed condition bins."""
    import numpy as np
    import torch

    from studio.music.conditions import ConditionBins
    from studio.music.model import MusicGenConfig, MusicTransformer
    from studio.music.pipeline import MusicPipeline

    torch.manual_seed(seed)
    model = MusicTransformer(MusicGenConfig(vocab_size=len(tokenizer), context=64, dim=32, layers=2, heads=2))
    edges = {a: list(np.linspace(0, 7, 7)) for a in ("note_density", "pitch_mean", "articulation", "polyphony")}
    edges.update(
        tempo=[66.0, 78.0, 90.0, 102.0, 114.0, 126.0, 144.0],
        velocity_mean=[45.0, 55.0, 63.0, 70.0, 77.0, 85.0, 95.0],
        chord_valence=list(np.linspace(-0.8, 0.8, 7)),
    )
    return MusicPipeline(model, tokenizer, ConditionBins(edges))


def build_tiny_vqvae(seed: int = 0):
    """The bar VQ-VAE behind studio.transform, 8 codes of 8 dims, random, in eval mode."""
    import torch

    from studio.music.vqvae import BarVQVAE, VQVAEConfig

    torch.manual_seed(seed)
    return BarVQVAE(VQVAEConfig(n_codes=2, codebook_size=8, code_dim=8, step_dim=8, hidden=32, cond_dim=4)).eval()


def tiny_midi(path, bars: int = 4):
    """C major: a melody track (C E G A ... one note per beat) over block chords (C, F, G, C)."""
    import symusic

    TPQ = 480
    s = symusic.Score(TPQ)
    s.tempos.append(symusic.Tempo(0, 100.0))
    mel, acc = symusic.Track("Melody", 0, False), symusic.Track("Piano", 0, False)
    line = [72, 76, 79, 81, 77, 76, 74, 72] * bars
    for i in range(bars * 4):
        mel.notes.append(symusic.Note(i * TPQ, TPQ // 2, line[i], 80))
    for b, root in enumerate([48, 53, 55, 48][:bars]):
        for iv in (0, 4, 7):
            for beat in range(4):
                acc.notes.append(symusic.Note((b * 4 + beat) * TPQ, TPQ, root + 12 + iv, 60))
    s.tracks.extend([mel, acc])
    s.dump_midi(str(path))
    return path
