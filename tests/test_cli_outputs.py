"""`-o` pointing at an existing file: every verb says so in one line BEFORE doing any work."""

from __future__ import annotations

import pytest

from studio.cli import main


def _no_work(*args, **kwargs):
    raise AssertionError("the work started before the output path was checked")


@pytest.mark.parametrize(
    "verb, argv, work",
    [
        ("compose", ["compose", "-e", "tender", "-o", "{f}"], ("studio.loop", "compose")),
        ("generate", ["generate", "-e", "tender", "-o", "{f}"], ("studio.music.oneshot", "generate")),
        ("transform", ["transform", "{mid}", "--emotion", "sad", "-o", "{f}"], ("studio.music.transform", "transform")),
        ("create", ["create", "-e", "tender", "-o", "{f}"], ("studio.api", "create")),
        ("paint", ["paint", "-e", "tender", "-o", "{f}"], ("studio.art", "paint")),
        (
            "render --png",
            ["render", "{mid}", "-o", "{d}/a.wav", "--png", "{f}/roll.png"],
            ("studio.render", "render_to_file"),
        ),
        ("render -o", ["render", "{mid}", "-o", "{f}/a.wav"], ("studio.render", "render_to_file")),
    ],
)
def test_output_at_an_existing_file_is_refused_before_the_work(tmp_path, monkeypatch, capsys, verb, argv, work):
    import importlib

    f = tmp_path / "taken"
    f.write_text("not a folder")
    mid = tmp_path / "in.mid"
    mid.write_bytes(b"MThd")  # never read: the check comes first
    monkeypatch.setattr(importlib.import_module(work[0]), work[1], _no_work)
    if verb == "generate":
        monkeypatch.setattr(importlib.import_module("studio.music.generators"), "default_pipeline", _no_work)
    args = [a.format(f=f, mid=mid, d=tmp_path) for a in argv]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not a folder" in err and str(f) in err, err
    assert f.read_text() == "not a folder" and not (tmp_path / "a.wav").exists()
