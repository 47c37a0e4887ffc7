"""Shared test set-up: offline, deterministic, and `data` tests skip where ../shared/data is absent."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def data_root():
    """The training/evaluation data folder; skips the test when it is not on this machine."""
    from studio.paths import data_root as _root

    root = _root(required=False)
    if root is None:
        pytest.skip("needs ../shared/data (set STUDIO_DATA); absent on this machine")
    return root


def pytest_collection_modifyitems(config, items):
    from studio.paths import data_root as _root

    if _root(required=False) is not None:
        return
    skip = pytest.mark.skip(reason="needs ../shared/data (set STUDIO_DATA); absent on this machine")
    for item in items:
        if "data" in item.keywords:
            item.add_marker(skip)
