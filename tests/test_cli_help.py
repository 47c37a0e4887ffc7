"""Every verb's --help quotes the limits the run-time checks enforce: both read studio/limits.py."""

from __future__ import annotations

import pytest

from studio import limits
from studio.cli import build_parser
from studio.music.conditions import RANGES  # the attribute ranges requests are checked against

L = limits
# verb -> the ranges its --help must show (formatted from the constants, never typed)
EXPECTED = {
    "compose": [f"1-{L.MAX_BARS}", f"1-{L.MAX_CANDIDATES}", f"1-{L.MAX_ROUNDS}"],
    "generate": [
        f"1-{L.MAX_BARS}",
        *(f"{RANGES[k][0]:g}-{RANGES[k][1]:g}" for k in ("tempo", "velocity_mean", "velocity_std")),
    ],
    "create": [f"1-{L.MAX_BARS}", f"{L.MIN_SIZE}-{L.MAX_SIZE}", f"1-{L.MAX_CANDIDATES}", f"1-{L.MAX_ROUNDS}"],
    "demo": [f"1-{L.MAX_BARS}", f"{L.MIN_SIZE}-{L.MAX_SIZE}", f"1-{L.MAX_CANDIDATES}", f"1-{L.MAX_ROUNDS}"],
    "paint": [f"{L.MIN_SIZE}-{L.MAX_SIZE}", f"1-{L.MAX_ART_CANDIDATES}"],
    "batch": [
        f"bars 1-{L.MAX_BARS}",
        f"size {L.MIN_SIZE}-{L.MAX_SIZE}",
        f"candidates 1-{L.MAX_CANDIDATES}",
        f"rounds 1-{L.MAX_ROUNDS}",
    ],
    "transform": [f"at most {L.MAX_TRANSFORM_BARS} bars"],
}


@pytest.fixture(scope="module")
def helps():
    import os

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "400"  # no wrapping: argparse would break "1-64" at its hyphen
    try:
        parser = build_parser()
        sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
        return {verb: " ".join(p.format_help().split()) for verb, p in sub.choices.items()}
    finally:
        if old is None:
            os.environ.pop("COLUMNS")
        else:
            os.environ["COLUMNS"] = old


@pytest.mark.parametrize("verb", sorted(EXPECTED))
def test_help_quotes_the_limits(helps, verb):
    missing = [r for r in EXPECTED[verb] if r not in helps[verb]]
    assert not missing, f"`studio {verb} --help` does not show {missing}: {helps[verb]}"


def test_no_help_quotes_a_stale_limit(helps):
    # the ranges the help texts used to show before they read studio/limits.py
    for verb, text in helps.items():
        for stale in ("1-256", "1-32 ", "1-20 ", "1-200 "):
            assert stale not in text, f"`studio {verb} --help` shows {stale!r}"


@pytest.mark.parametrize(
    "call, kwargs, limit",
    [
        ("compose", {"bars": L.MAX_BARS + 1}, L.MAX_BARS),
        ("compose", {"candidates": L.MAX_CANDIDATES + 1}, L.MAX_CANDIDATES),
        ("compose", {"rounds": L.MAX_ROUNDS + 1}, L.MAX_ROUNDS),
        ("create", {"bars": L.MAX_BARS + 1}, L.MAX_BARS),
        ("create", {"size": L.MAX_SIZE + 1}, L.MAX_SIZE),
        ("create", {"candidates": L.MAX_CANDIDATES + 1}, L.MAX_CANDIDATES),
        ("create", {"rounds": L.MAX_ROUNDS + 1}, L.MAX_ROUNDS),
        ("paint", {"size": L.MAX_SIZE + 1}, L.MAX_SIZE),
        ("paint", {"candidates": L.MAX_ART_CANDIDATES + 1}, L.MAX_ART_CANDIDATES),
        ("paint", {"steps": L.MAX_STEPS + 1}, L.MAX_STEPS),
    ],
)
def test_the_checks_enforce_the_same_limits(call, kwargs, limit):
    """One past each limit is refused, before any model loads, with the limit in the message."""
    import studio

    fn = getattr(studio, call)
    with pytest.raises(ValueError, match=rf"\b{limit}\b"):
        fn("tender", seed=0, progress=False, **kwargs)
