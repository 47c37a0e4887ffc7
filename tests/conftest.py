"""Shared test set-up: offline, deterministic, and `data` tests skip where ../shared/data is absent."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# Tests render with the small sf2 bank: decoding the default .sf3's piano takes seconds per render;
# test_render.py checks the .sf3 default itself.
if os.path.isfile("/usr/share/sounds/sf2/FluidR3_GM.sf2"):
    os.environ.setdefault("STUDIO_SOUNDFONT", "/usr/share/sounds/sf2/FluidR3_GM.sf2")
# One intra-op thread for torch (and BLAS), here and in the CLI subprocesses tests start, as the studio's
# surfaces use (studio.api.configure_threads): on the shared 2-core host two threads made an image-critic read
# take 0.06-4.5 s depending on the neighbour's load, one thread takes 0.11 s every time. Read when torch is
# first imported, which is after this file; an OMP_NUM_THREADS set by the caller is kept.
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(scope="session")
def data_root():
    """The training/evaluation data folder; skips the test when it is not on this machine."""
    from studio.paths import data_root as _root

    root = _root(required=False)
    if root is None:
        pytest.skip("needs ../shared/data (set STUDIO_DATA); absent on this machine")
    return root


# The slow tier: tests that are slow for what they are (a real Chromium, a real Ray cluster, CLI batches
# killed mid-run, hundreds of dataset images, audio at 192 kHz) run under `make test` / tools/run_tests.sh
# (which sets STUDIO_RUN_SLOW=1) or `pytest --run-slow`; a bare `pytest tests` skips them and says so.
RUN_SLOW_ENV = "STUDIO_RUN_SLOW"


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", help=f"also run tests marked slow (or set {RUN_SLOW_ENV}=1)")


def pytest_collection_modifyitems(config, items):
    from studio.paths import data_root as _root

    if not (config.getoption("--run-slow") or os.environ.get(RUN_SLOW_ENV) == "1"):
        slow = pytest.mark.skip(reason=f"slow tier: runs under `make test`, `pytest --run-slow` or {RUN_SLOW_ENV}=1")
        for item in items:
            if "slow" in item.keywords:
                item.add_marker(slow)
    if _root(required=False) is not None:
        return
    skip = pytest.mark.skip(reason="needs ../shared/data (set STUDIO_DATA); absent on this machine")
    for item in items:
        if "data" in item.keywords:
            item.add_marker(skip)


# ---- one tiny model per generator, built in-process once per session (diffusers' dummy components) ----
# Shared read-only; a test that trains or mutates a model builds its own with tests/tiny_models.py.
@pytest.fixture(scope="session")
def music_tokenizer():
    from studio.music.tokenizer import MusicTokenizer

    return MusicTokenizer()


@pytest.fixture(scope="session")
def tiny_music_pipeline(music_tokenizer):
    from tiny_models import build_tiny_music_pipeline

    return build_tiny_music_pipeline(music_tokenizer)


@pytest.fixture(scope="session")
def tiny_vqvae():
    from tiny_models import build_tiny_vqvae

    return build_tiny_vqvae()


@pytest.fixture(scope="session")
def tiny_sd_folder(tmp_path_factory):
    """A tiny random Stable Diffusion 1.x folder (``save_pretrained`` layout) for the diffusion painter."""
    pytest.importorskip("diffusers", reason="diffusers is the 'art' extra (pip install 'emotion-studio[art]')")
    from diffusers import StableDiffusionPipeline
    from tiny_models import tiny_sd_components

    tmp = tmp_path_factory.mktemp("tiny-sd")
    out = tmp / "weights"
    StableDiffusionPipeline(**tiny_sd_components(tmp)).save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def leadsheet_pipeline():
    """The released lead-sheet generator (small JSON/safetensors tables: loads in well under a second)."""
    from studio.music.generators import default_pipeline

    return default_pipeline(generator="leadsheet")
