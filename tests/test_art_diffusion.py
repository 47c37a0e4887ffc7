"""Diffusion painter: tiny random SD components built in-process (as diffusers' own tests do), saved,
loaded back through DiffusionPainter.from_pretrained, and run for 2 steps on CPU. No hub, no GPU."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("diffusers", reason="diffusers is the 'art' extra (pip install 'emotion-studio[art]')")
pytest.importorskip("transformers", reason="transformers is the 'art' extra")

import torch  # noqa: E402
from PIL import Image  # noqa: E402
from tiny_models import text_encoder_config, tiny_tokenizer, tiny_unet, tiny_vae  # noqa: E402

from studio.art.diffusion import DiffusionPainter, DiffusionResult, detect_family, output_size  # noqa: E402
from studio.art.diffusion_prompt import hue_word, prompt_from_attributes  # noqa: E402


@pytest.fixture(scope="module")
def painter(tiny_sd_folder):
    torch.set_num_threads(1)
    p = DiffusionPainter.from_pretrained(tiny_sd_folder, device="cpu")
    p.set_progress_bar_config(disable=True)
    return p


def test_sd_family_loads_from_local_folder(painter, tiny_sd_folder):
    assert painter.family == "sd"
    assert type(painter.text2img).__name__ == "StableDiffusionPipeline"
    assert type(painter.img2img).__name__ == "StableDiffusionImg2ImgPipeline"
    assert painter.img2img.unet is painter.text2img.unet  # shared, not a second copy
    assert painter.text2img.unet.dtype == torch.float32


def test_text2img_size_and_seed_reproducible(painter):
    seen = []
    a = painter("tender", seed=3, steps=2, height=32, width=48)
    b = painter("tender", seed=3, steps=2, height=32, width=48, progress=lambda f, m: seen.append((f, m)))
    assert seen == [(0.5, "denoising step 1 of 2"), (1.0, "denoising step 2 of 2")]  # as every generator reports
    c = painter("tender", seed=4, steps=2, height=32, width=48)
    assert isinstance(a, DiffusionResult) and a.mode == "text2img" and a.seed == 3 and a.family == "sd"
    assert a.image.size == (48, 32) and a.images[0] is a.image
    assert np.array_equal(np.asarray(a.image), np.asarray(b.image))
    assert not np.array_equal(np.asarray(a.image), np.asarray(c.image))
    assert "tender" in a.prompt or "serene" in a.prompt
    assert a.negative_prompt


def test_img2img_from_canvas(painter):
    canvas = Image.fromarray(np.tile(np.linspace(0, 255, 64, dtype=np.uint8)[None, :, None], (64, 1, 3)))
    kw = dict(photo=canvas, strength=0.5, seed=1, steps=2, height=32, width=32)
    a, b = painter((-0.7, 0.6), **kw), painter((-0.7, 0.6), **kw)
    assert a.mode == "img2img" and a.strength == 0.5 and a.image.size == (32, 32)
    assert np.array_equal(np.asarray(a.image), np.asarray(b.image))
    text_only = painter((-0.7, 0.6), seed=1, steps=2, height=32, width=32)
    assert not np.array_equal(np.asarray(a.image), np.asarray(text_only.image))  # the canvas mattered
    with pytest.raises(ValueError, match="strength"):
        painter("calm", photo=canvas, strength=0.0, steps=2, height=32, width=32)


def test_output_size():
    assert output_size(None, None, None) == (512, 512)
    assert output_size((640, 480), None, None) == (512, 384)  # init aspect, 512 on the long side
    assert output_size((640, 480), 64, 96) == (96, 64)
    with pytest.raises(ValueError, match="multiples of 8"):
        output_size(None, 30, 32)


def test_save_pretrained_round_trip(painter, tmp_path):
    painter.save_pretrained(tmp_path / "again")
    again = DiffusionPainter.from_pretrained(tmp_path / "again", device="cpu")
    again.set_progress_bar_config(disable=True)
    kw = dict(seed=2, steps=2, height=32, width=32)
    assert np.array_equal(np.asarray(again("calm", **kw).image), np.asarray(painter("calm", **kw).image))


def test_seed_recorded_when_drawn(painter):
    r = painter("calm", steps=1, height=32, width=32)
    assert isinstance(r.seed, int) and r.seed >= 0


def test_errors_for_wrong_folders(tmp_path, tiny_sd_folder, monkeypatch):
    with pytest.raises(FileNotFoundError, match="not found"):
        DiffusionPainter.from_pretrained(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="model_index.json"):
        DiffusionPainter.from_pretrained(tmp_path)
    (tmp_path / "model_index.json").write_text(json.dumps({"_class_name": "KandinskyPipeline"}))
    with pytest.raises(ValueError, match="unknown diffusion family"):
        DiffusionPainter.from_pretrained(tmp_path)
    index = json.loads((tiny_sd_folder / "model_index.json").read_text())
    (tmp_path / "model_index.json").write_text(json.dumps(index))
    with pytest.raises(ValueError, match="missing component folders.*unet"):
        DiffusionPainter.from_pretrained(tmp_path)
    monkeypatch.delenv("STUDIO_DIFFUSION_WEIGHTS", raising=False)
    with pytest.raises(ValueError, match="STUDIO_DIFFUSION_WEIGHTS"):
        DiffusionPainter.from_pretrained()


@pytest.mark.parametrize(
    "cls_name, family, components",
    [
        ("StableDiffusionXLPipeline", "sdxl", ["unet", "vae", "text_encoder", "text_encoder_2", "tokenizer_2"]),
        ("StableDiffusion3Pipeline", "sd3", ["transformer", "vae", "text_encoder_3", "tokenizer_3"]),
        ("FluxPipeline", "flux", ["transformer", "vae", "text_encoder_2", "tokenizer_2"]),
    ],
)
def test_family_detection(tmp_path, cls_name, family, components):
    index = {"_class_name": cls_name, "_diffusers_version": "0.30.0"}
    index.update({c: ["diffusers", "X"] for c in components})
    index["scheduler"] = ["diffusers", "FlowMatchEulerDiscreteScheduler"]
    (tmp_path / "model_index.json").write_text(json.dumps(index))
    with pytest.raises(ValueError, match="missing component folders"):
        detect_family(tmp_path)
    for c in [*components, "scheduler"]:
        (tmp_path / c).mkdir()
    assert detect_family(tmp_path)[0] == family


def test_prompt_from_attributes_reads_the_attributes():
    calm, _ = prompt_from_attributes({"palette_hues": [220.0], "saturation": 0.2, "angularity": 0.1}, (0.6, -0.6))
    angry, neg = prompt_from_attributes(
        {"colour": {"palette_hues": [5.0], "saturation": 0.8}, "line": {"angularity": 0.9}}, (-0.8, 0.7)
    )
    assert "sky blue" in calm and "muted" in calm and "curves" in calm and "serene" in calm
    assert "crimson red" in angry and "vivid" in angry and "angular" in angry and "furious" in angry
    assert "serene" in neg and "watermark" in neg
    assert hue_word(359.0) == hue_word(2.0) == "crimson red"
    with pytest.raises(TypeError):
        prompt_from_attributes(42, "calm")


def test_prompt_accepts_visual_attributes_dataclass():
    from studio.mapping.visual import visual_attributes_for

    prompt, negative = prompt_from_attributes(visual_attributes_for("furious"), "furious")
    assert "palette of" in prompt and negative


def get_dummy_sdxl_components(tmp_path):
    """Tiny SDXL components (after diffusers' tests/pipelines/stable_diffusion_xl get_dummy_components)."""
    from diffusers import EulerDiscreteScheduler
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    torch.manual_seed(0)
    unet = tiny_unet(
        block_out_channels=(2, 4),
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=8,
        transformer_layers_per_block=(1, 1),
        projection_class_embeddings_input_dim=80,  # 6 time ids x 8 + 32 pooled text
        cross_attention_dim=64,  # two 32-wide text encoders, concatenated
        norm_num_groups=1,
    )
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, steps_offset=1, beta_schedule="scaled_linear", timestep_spacing="leading"
    )
    tokenizer = tiny_tokenizer(tmp_path)
    cfg = text_encoder_config(len(tokenizer), projection_dim=32)
    return {
        "unet": unet,
        "scheduler": scheduler,
        "vae": tiny_vae(),
        "text_encoder": CLIPTextModel(cfg),
        "tokenizer": tokenizer,
        "text_encoder_2": CLIPTextModelWithProjection(cfg),
        "tokenizer_2": tokenizer,
        "image_encoder": None,
        "feature_extractor": None,
    }


def test_sdxl_family_end_to_end(tmp_path):
    from diffusers import StableDiffusionXLPipeline

    StableDiffusionXLPipeline(**get_dummy_sdxl_components(tmp_path)).save_pretrained(tmp_path / "sdxl")
    p = DiffusionPainter.from_pretrained(tmp_path / "sdxl", device="cpu")
    p.set_progress_bar_config(disable=True)
    assert p.family == "sdxl" and type(p.img2img).__name__ == "StableDiffusionXLImg2ImgPipeline"
    a = p("excited", seed=5, steps=2, height=32, width=32)
    assert a.image.size == (32, 32) and a.family == "sdxl"
    c = p("excited", photo=a.image, strength=0.5, seed=5, steps=2, height=32, width=32)
    assert c.mode == "img2img" and c.image.size == (32, 32)


def tiny_t5(vocab_size: int):
    from transformers import T5Config, T5EncoderModel

    cfg = T5Config(vocab_size=vocab_size, d_model=32, d_kv=8, d_ff=37, num_layers=2, num_heads=4, pad_token_id=1)
    return T5EncoderModel(cfg)


def tiny_flow_vae(latent_channels: int):
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        sample_size=32,
        in_channels=3,
        out_channels=3,
        block_out_channels=(4,),
        layers_per_block=1,
        latent_channels=latent_channels,
        norm_num_groups=1,
        use_quant_conv=False,
        use_post_quant_conv=False,
        shift_factor=0.0609,
        scaling_factor=1.5035,
    )


def get_dummy_flux_components(tmp_path):
    """Tiny FLUX components (after diffusers' tests/pipelines/flux). The byte-level CLIP tokenizer stands in
    for the T5 tokenizer too: the pipeline only asks it for ids, and no sentencepiece model is needed."""
    from diffusers import FlowMatchEulerDiscreteScheduler, FluxTransformer2DModel
    from transformers import CLIPTextModel

    torch.manual_seed(0)
    tok = tiny_tokenizer(tmp_path)
    transformer = FluxTransformer2DModel(
        patch_size=1,
        in_channels=4,
        num_layers=1,
        num_single_layers=1,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=32,
        pooled_projection_dim=32,
        axes_dims_rope=[4, 4, 8],
    )
    return {
        "transformer": transformer,
        "text_encoder": CLIPTextModel(text_encoder_config(len(tok))),
        "text_encoder_2": tiny_t5(len(tok)),
        "tokenizer": tok,
        "tokenizer_2": tok,
        "vae": tiny_flow_vae(1),
        "scheduler": FlowMatchEulerDiscreteScheduler(),
        "image_encoder": None,
        "feature_extractor": None,
    }


def get_dummy_sd3_components(tmp_path):
    """Tiny SD3 components (after diffusers' tests/pipelines/stable_diffusion_3)."""
    from diffusers import FlowMatchEulerDiscreteScheduler, SD3Transformer2DModel
    from transformers import CLIPTextModelWithProjection

    torch.manual_seed(0)
    tok = tiny_tokenizer(tmp_path)
    transformer = SD3Transformer2DModel(
        sample_size=32,
        patch_size=1,
        in_channels=4,
        num_layers=1,
        attention_head_dim=8,
        num_attention_heads=4,
        caption_projection_dim=32,
        joint_attention_dim=32,
        pooled_projection_dim=64,
        out_channels=4,
    )
    cfg = text_encoder_config(len(tok), projection_dim=32)
    return {
        "transformer": transformer,
        "text_encoder": CLIPTextModelWithProjection(cfg),
        "text_encoder_2": CLIPTextModelWithProjection(cfg),
        "text_encoder_3": tiny_t5(len(tok)),
        "tokenizer": tok,
        "tokenizer_2": tok,
        "tokenizer_3": tok,
        "vae": tiny_flow_vae(4),
        "scheduler": FlowMatchEulerDiscreteScheduler(),
        "image_encoder": None,
        "feature_extractor": None,
    }


@pytest.mark.parametrize("family, cls_name", [("flux", "FluxPipeline"), ("sd3", "StableDiffusion3Pipeline")])
def test_flow_families_end_to_end(tmp_path, family, cls_name):
    import diffusers

    make = get_dummy_flux_components if family == "flux" else get_dummy_sd3_components
    getattr(diffusers, cls_name)(**make(tmp_path)).save_pretrained(tmp_path / family)
    p = DiffusionPainter.from_pretrained(tmp_path / family, device="cpu")
    p.set_progress_bar_config(disable=True)
    assert p.family == family and type(p.img2img).__name__.endswith("Img2ImgPipeline")
    a = p("excited", seed=5, steps=2, height=32, width=32)
    assert a.image.size == (32, 32) and a.family == family
    assert (a.negative_prompt == "") == (family == "flux")  # FLUX is guidance-distilled: no negative prompt
    c = p("excited", photo=a.image, strength=0.5, seed=5, steps=2, height=32, width=32)
    assert c.mode == "img2img" and c.image.size == (32, 32)


def test_missing_diffusers_is_a_clear_error(tiny_sd_folder, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "diffusers", None)  # as if the 'art' extra were not installed
    with pytest.raises(ImportError, match="art"):
        DiffusionPainter.from_pretrained(tiny_sd_folder, device="cpu")


def test_paint_diffusers_backend_reads_env_weights_and_seeds_from_the_painter(tiny_sd_folder, monkeypatch, tmp_path):
    import studio
    from studio.art.diffusion import WEIGHTS_ENV

    monkeypatch.setenv(WEIGHTS_ENV, str(tiny_sd_folder))
    a = studio.paint("serene", seed=4, size=64, backend="diffusers", strength=0.5, steps=2, progress=False)
    b = studio.paint("serene", seed=4, size=64, backend="diffusers", strength=0.5, steps=2, progress=False)
    c = studio.paint("furious", seed=4, size=64, backend="diffusers", strength=0.5, steps=2, progress=False)
    assert a.image.size == (64, 64) and a.backend == "diffusers" and a.seed == 4
    assert np.array_equal(np.asarray(a.image), np.asarray(b.image))
    # the painter's canvas for another emotion is another img2img source, so another picture
    assert not np.array_equal(np.asarray(a.image), np.asarray(c.image))
    a.save(tmp_path)
    assert (tmp_path / "painting.png").is_file() and (tmp_path / "painting.json").is_file()
    monkeypatch.delenv(WEIGHTS_ENV)
    with pytest.raises(ValueError, match=WEIGHTS_ENV):
        studio.paint("serene", seed=4, size=64, backend="diffusers", steps=2, progress=False)
