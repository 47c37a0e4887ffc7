"""`studio compose` end to end on the released generator and critic (2 bars, so it stays fast)."""

from __future__ import annotations

import json

import pytest

from studio.paths import checkpoint

pytestmark = pytest.mark.skipif(
    not (checkpoint("music-gen") / "config.json").is_file(), reason="needs the released checkpoints/music-gen"
)


def test_compose_cli_writes_everything_and_reproduces(tmp_path, capsys):
    import torch

    from studio.cli import main

    torch.set_num_threads(1)
    argv = ["compose", "--emotion", "a rainy farewell at dusk", "--bars", "2", "--seed", "7", "--candidates", "2"]
    argv += ["--rounds", "2", "--tolerance", "0", "--quiet"]
    assert main([*argv, "-o", str(tmp_path / "a")]) == 0
    assert main([*argv, "-o", str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "round 2" in out and "seed 7" in out
    names = {p.name for p in (tmp_path / "a").iterdir()}
    assert (
        {"circumplex.png"} <= names
        and any(n.endswith(".mid") for n in names)
        and any(n.endswith(".wav") for n in names)
    )
    side = json.loads(next((tmp_path / "a").glob("*.json")).read_text())
    assert side["seed"] == 7 and len(side["rounds"]) == 2 and len(side["rounds"][0]["candidates"]) == 2
    mid_a, mid_b = next((tmp_path / "a").glob("*.mid")), next((tmp_path / "b").glob("*.mid"))
    assert mid_a.read_bytes() == mid_b.read_bytes()  # same seed, same piece


def test_compose_cli_bad_arguments(capsys):
    from studio.cli import main

    assert main(["compose", "--emotion", "tender", "--candidates", "0", "--quiet"]) == 2
    assert "candidates" in capsys.readouterr().err
    assert main(["compose", "--emotion", "", "--quiet"]) == 2
