"""Tiny random models, one per generator, built in-process in milliseconds (diffusers' dummy components).

tests/conftest.py shares one of each per session (``tiny_music_pipeline``, ``tiny_vqvae``, ``tiny_sd_folder``); a test that trains
or mutates a model, or wants another seed, calls the builder here.
"""

from __future__ import annotations

import json


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


# ---- the diffusion painter: tiny random SD 1.x components (diffusers' own dummy components) ----
def _bytes_to_unicode() -> list[str]:
    """GPT-2/CLIP's printable stand-ins for the 256 byte values."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def tiny_tokenizer(tmp_path):
    """A CLIPTokenizer from a byte-level vocab.json (one token per byte, with and without '</w>') and an
    empty merges.txt written here: no hub."""
    import inspect

    from transformers import CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for c in _bytes_to_unicode():
        vocab.setdefault(c, len(vocab))
        vocab.setdefault(c + "</w>", len(vocab))
    (tmp_path / "vocab.json").write_text(json.dumps(vocab))
    (tmp_path / "merges.txt").write_text("#version: 0.2\n")
    if "vocab_file" in inspect.signature(CLIPTokenizer.__init__).parameters:  # transformers 4.x: file paths
        tok = CLIPTokenizer(str(tmp_path / "vocab.json"), str(tmp_path / "merges.txt"))
    else:  # transformers 5.x: the vocab and merges themselves
        tok = CLIPTokenizer(vocab=json.loads((tmp_path / "vocab.json").read_text()), merges=[])
    tok.model_max_length = 32
    return tok


def text_encoder_config(vocab_size: int, **kw):
    from transformers import CLIPTextConfig

    return CLIPTextConfig(
        bos_token_id=0,
        eos_token_id=1,
        pad_token_id=1,
        hidden_size=32,
        intermediate_size=37,
        num_attention_heads=4,
        num_hidden_layers=2,
        vocab_size=vocab_size,
        max_position_embeddings=32,
        **kw,
    )


def tiny_vae():
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        block_out_channels=[4, 8],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
        up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"],
        latent_channels=4,
        norm_num_groups=2,
    )


def tiny_unet(**family):
    """A tiny ``UNet2DConditionModel`` (one plain and one cross-attention block, 16-pixel latents); ``family``: the
    SD 1.x or SDXL specifics (widths, attention, text conditioning)."""
    from diffusers import UNet2DConditionModel

    common = {
        "layers_per_block": 1,
        "sample_size": 16,
        "in_channels": 4,
        "out_channels": 4,
        "down_block_types": ("DownBlock2D", "CrossAttnDownBlock2D"),
        "up_block_types": ("CrossAttnUpBlock2D", "UpBlock2D"),
    }
    return UNet2DConditionModel(**common, **family)


def tiny_sd_components(tmp_path):
    """Tiny SD 1.x components (after diffusers' tests/pipelines/stable_diffusion get_dummy_components)."""
    import torch
    from diffusers import DDIMScheduler
    from transformers import CLIPTextModel

    torch.manual_seed(0)
    unet = tiny_unet(block_out_channels=(4, 8), cross_attention_dim=32, norm_num_groups=2)
    scheduler = DDIMScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False, set_alpha_to_one=False
    )
    tokenizer = tiny_tokenizer(tmp_path)
    text_encoder = CLIPTextModel(text_encoder_config(len(tokenizer)))
    return {
        "unet": unet,
        "scheduler": scheduler,
        "vae": tiny_vae(),
        "text_encoder": text_encoder,
        "tokenizer": tokenizer,
        "safety_checker": None,
        "feature_extractor": None,
        "image_encoder": None,
        "requires_safety_checker": False,
    }
