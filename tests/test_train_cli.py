"""`studio train VERB`: one retraining command per shipped model (no full fits here: they take minutes)."""

from __future__ import annotations

import json

import pytest
from test_structured import _song

from studio.cli import main
from studio.commands.train import DEFAULT_OUT

VERBS = ("leadsheet", "music", "vqvae", "music-critic", "music-quality", "mapper", "text-vad", "image-critic")


def test_train_help_lists_every_verb_and_each_verb_has_help(capsys):
    assert set(DEFAULT_OUT) == set(VERBS)
    with pytest.raises(SystemExit) as e:
        main(["train", "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for verb in VERBS:
        assert f"    {verb}" in out
    for verb in VERBS:
        with pytest.raises(SystemExit) as e:
            main(["train", verb, "--help"])
        assert e.value.code == 0
        out = "".join(capsys.readouterr().out.split())  # help text wraps lines
        assert f"studiotrain{verb}" in out and "--data" in out and str(DEFAULT_OUT[verb]) in out


@pytest.mark.parametrize("verb", VERBS)
def test_missing_data_folder_is_a_one_line_error_before_any_work(verb, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["train", verb, "--data", str(tmp_path / "absent"), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "data folder not found" in err and "absent" in err
    assert not out.exists()


def test_options_after_dash_dash_reach_the_fitters_own_parser(tmp_path, capsys):
    # an unknown option is refused by the underlying argparse main, i.e. it was forwarded
    with pytest.raises(SystemExit) as e:
        main(["train", "vqvae", "--data", str(tmp_path), "--out", str(tmp_path / "o"), "--", "--no-such-option"])
    assert e.value.code == 2 and "--no-such-option" in capsys.readouterr().err
    assert main(["train", "mapper", "--data", str(tmp_path), "--", "--x"]) == 2
    assert "takes no fitter options" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_train_leadsheet_fits_a_tiny_pop909_folder(tmp_path, capsys):
    root = tmp_path / "data"
    for n, tonic in ((1, 0), (2, 7), (3, 2), (20, 5)):  # song 020 is validation: never read
        _song(root / "pop909" / "POP909" / f"{n:03d}", tonic)
    out = tmp_path / "leadsheet"
    assert main(["train", "leadsheet", "--data", str(root), "--out", str(out)]) == 0
    assert f"wrote {out} (3 songs" in capsys.readouterr().out
    meta = json.loads((out / "config.json").read_text())
    assert meta["songs"] == 3 and meta["command"].startswith("studio ")
    assert (out / "tables.safetensors").is_file()


def test_a_retrain_builds_the_shape_its_checkpoint_records(tmp_path):
    """`studio train music` reads the released shape from the checkpoint's config.json, not from a copy."""
    import json

    from studio.music.checkpoint import released_shape

    model = {"vocab_size": 99, "context": 128, "dim": 96, "layers": 3, "heads": 3, "mlp_ratio": 4}
    (tmp_path / "config.json").write_text(json.dumps({"model": model}))
    assert released_shape(tmp_path) == {"dim": 96, "layers": 3, "heads": 3, "context": 128}
    from studio.paths import checkpoint

    released = json.loads((checkpoint("music-gen") / "config.json").read_text())["model"]
    assert released_shape() == {k: released[k] for k in ("dim", "layers", "heads", "context")}
