"""Text -> VAD: directions on real phrases, negation, bad input, the lexicon-only path, the verb."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from studio.emotion import MAX_TEXT_CHARS, Emotion, named_emotions, named_match
from studio.errors import StudioError
from studio.text import Analysis, analyze, estimate_vad
from studio.text import analysis as analyze_mod
from studio.text import embedding as embedding_mod
from studio.text.model import TextVAD


@pytest.fixture(scope="module", autouse=True)
def _encoder():
    """Load MiniLM once for the module (single thread: the test machine is shared)."""
    torch.set_num_threads(1)
    embedding_mod.load_encoder()


@pytest.fixture(autouse=True)
def _fresh_cache():
    analyze_mod._estimate_cached.cache_clear()
    yield
    analyze_mod._estimate_cached.cache_clear()


@pytest.fixture
def lexicon_only(monkeypatch):
    monkeypatch.setenv("STUDIO_TEXT_MODEL", "lexicon")


@pytest.mark.parametrize("mode", ["auto", "lexicon"])
def test_directions_on_real_phrases(mode, monkeypatch):
    monkeypatch.setenv("STUDIO_TEXT_MODEL", mode)
    joy, grief = estimate_vad("joyful celebration"), estimate_vad("funeral grief")
    riot, sleepy = estimate_vad("furious riot"), estimate_vad("sleepy afternoon")
    assert joy.valence > 0.2 > -0.2 > grief.valence
    assert riot.arousal > sleepy.arousal
    assert riot.valence < 0 and sleepy.arousal < 0
    expected = "embedding" if mode == "auto" else "lexicon"
    assert analyze("joyful celebration").method == expected


@pytest.mark.parametrize("mode", ["auto", "lexicon"])
def test_negation_moves_valence_the_right_way(mode, monkeypatch):
    monkeypatch.setenv("STUDIO_TEXT_MODEL", mode)
    assert estimate_vad("I am not happy").valence < 0 < estimate_vad("I am happy").valence
    assert estimate_vad("I am not sad").valence > estimate_vad("I am sad").valence


def test_estimate_is_an_emotion_in_range_with_label_and_confidence():
    e = estimate_vad("  a rainy   farewell at dusk ")
    assert isinstance(e, Emotion) and all(-1 <= x <= 1 for x in e.vad)
    assert e.label == "a rainy farewell at dusk"
    assert 0.5 <= e.confidence <= 1
    long = estimate_vad("the sea " * 100)
    assert len(long.label) <= 80 and long.label.endswith("\u2026")


def test_emotion_coerce_free_text_goes_through_the_model():
    e = Emotion.coerce("a rainy farewell at dusk")
    assert e.label == "a rainy farewell at dusk" and e.confidence is not None
    assert e.vad == pytest.approx(estimate_vad("a rainy farewell at dusk").vad)
    assert e.valence < 0.1 and e.arousal < 0.1  # a quiet, wistful phrase, not a happy/excited one


def test_deterministic_across_calls_and_fresh_loads():
    a = estimate_vad("the storm tore the roof off the barn")
    analyze_mod._estimate_cached.cache_clear()
    b = estimate_vad("the storm tore the roof off the barn")
    c = TextVAD.from_pretrained().estimate("the storm tore the roof off the barn")
    assert a.vad == b.vad and a.confidence == b.confidence
    np.testing.assert_allclose(c.vad, a.vad, atol=1e-6)


@pytest.mark.parametrize("bad", ["", "   \n\t "])
def test_empty_text_is_rejected(bad):
    with pytest.raises(ValueError, match="empty"):
        estimate_vad(bad)
    with pytest.raises(ValueError, match="empty"):
        analyze(bad)


def test_overlong_text_names_the_limit():
    with pytest.raises(ValueError, match=str(MAX_TEXT_CHARS)):
        analyze("grief " * 1000)


@pytest.mark.parametrize("text", ["我很高兴", "مرحبا بالعالم"])
def test_non_latin_text_gives_a_low_confidence_estimate(text):
    res = analyze(text)
    assert res.confidence <= 0.1 and "low confidence" in res.explanation
    assert all(-1 <= x <= 1 for x in res.emotion.vad)


def test_punctuation_only_is_neutral_and_unknown_words_are_unsure():
    p = analyze("!!! ??? ...")
    assert p.emotion.vad == (0.0, 0.0, 0.0) and p.confidence < 0.1
    u = analyze("xqzv blorfle zzkt")
    assert u.confidence < 0.3 and max(abs(x) for x in u.emotion.vad) < 0.4
    assert analyze("happy memories of summer").confidence > 0.6


def test_lexicon_only_path(lexicon_only):
    res = analyze("a rainy farewell at dusk")
    assert res.method == "lexicon" and res.details["latin_share"] == 1.0
    assert res.confidence <= 0.6


def test_fallback_when_encoder_is_missing(monkeypatch):
    def broken():
        raise embedding_mod.EncoderUnavailable("package not installed (simulated)")

    monkeypatch.setattr(embedding_mod, "load_encoder", broken)
    assert analyze("joyful celebration").method == "lexicon"
    analyze_mod._estimate_cached.cache_clear()
    monkeypatch.setenv("STUDIO_TEXT_MODEL", "embedding")
    with pytest.raises(ValueError, match="unavailable"):
        estimate_vad("joyful celebration")


def test_bad_mode_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("STUDIO_TEXT_MODEL", "bert-large")
    with pytest.raises(ValueError, match="STUDIO_TEXT_MODEL"):
        estimate_vad("joyful celebration")


def test_analyze_named_numeric_and_text():
    named = analyze("  Wistful ")
    assert named.method == "named" and named.emotion == named_emotions()["wistful"] and named.confidence == 1.0
    assert named.nearest[0] == ("wistful", 0.0)
    num = analyze((0.6, 0.7))
    assert num.method == "numeric" and num.emotion.vad == (0.6, 0.7, 0.0)
    assert "high arousal" in num.explanation and "pleasant" in num.explanation
    text = analyze("funeral grief", k=4)
    assert isinstance(text, Analysis) and len(text.nearest) == 4
    assert text.explanation.startswith("closest to ") and "unpleasant" in text.explanation
    d = json.loads(json.dumps(text.to_dict()))
    assert d["method"] == "embedding" and d["input"] == "funeral grief" and "valence" in d["emotion"]
    assert "funeral grief" in str(text) and "confidence" in str(text)
    with pytest.raises(TypeError):
        analyze(None)


def test_checkpoint_round_trip_and_size(tmp_path):
    model = TextVAD.from_pretrained()
    out = model.save_pretrained(tmp_path / "tv")
    assert sum(f.stat().st_size for f in out.iterdir()) < 400_000
    again = TextVAD.from_pretrained(out)
    for mode in ("embedding", "lexicon"):
        np.testing.assert_allclose(
            again.estimate("quiet snow", mode).vad, model.estimate("quiet snow", mode).vad, atol=1e-6
        )


def test_cli_verb(capsys):
    from studio.cli import main

    assert main(["analyze", "--json", "a", "rainy", "farewell", "at", "dusk"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["input"] == "a rainy farewell at dusk" and d["method"] == "embedding" and len(d["nearest"]) == 3
    assert main(["analyze", "0.5,-0.2"]) == 0
    assert "numeric" in capsys.readouterr().out
    assert main(["analyze", "   "]) == 2
    assert "error: emotion text is empty" in capsys.readouterr().err


@pytest.mark.data
def test_heldout_glasgow_words_correlate(data_root):
    from studio.text.data import load_glasgow, pearson

    train, test = load_glasgow(data_root, "train"), load_glasgow(data_root, "test")
    assert not set(train.texts) & set(test.texts) and 0.15 < len(test) / (len(train) + len(test)) < 0.25
    words = test.texts[:300]
    model = TextVAD.from_pretrained()
    pred = model.head(embedding_mod.embed(words))
    r = pearson(pred, test.vad[:300])
    assert r[0] > 0.65 and r[1] > 0.4


@pytest.mark.parametrize("text", ["the the the", "ok ok ok ok", "il sfwv yb fk", "p w qzt", "xkqzv wprtl mbnfq"])
def test_degenerate_or_gibberish_text_gets_low_confidence_and_a_note(text):
    a = analyze(text)
    assert a.confidence < 0.3, (text, a.confidence, a.details)
    assert "low confidence (" in a.explanation


def test_ansi_escapes_never_reach_the_label_or_the_printed_reading():
    a = analyze("\x1b[31mfurious\x1b[0m rage at the \x1b]0;title\x07injustice")
    assert "\x1b" not in a.emotion.label and "\x07" not in str(a)
    assert a.emotion.label == "furious rage at the injustice"


@pytest.mark.parametrize("typed, name", [("furiuos", "furious"), ("Anxios", "anxious"), ("lonley", "lonely")])
def test_a_misspelt_emotion_word_is_read_as_the_named_emotion_and_says_so(typed, name):
    assert Emotion.coerce(typed) == named_emotions()[name]  # not free text: "furiuos" read as text was calm
    a = analyze(typed)
    assert a.method == "named" and a.emotion == named_emotions()[name]
    assert f"read {typed!r} as {name!r}" in a.explanation and a.details["read_as"] == name


def test_a_known_word_near_an_emotion_name_stays_text():
    assert named_match("contest") is None  # close to "content", but a word the text model knows
    assert analyze("contest").method != "named"
    assert named_match("xyzzy") is None and named_match("a furiuos storm") is None


def test_an_arc_is_read_point_by_point_not_as_one_text(capsys):
    with pytest.raises(StudioError, match=r"arc of 2 emotions.*'calm', 'furious'"):
        analyze("calm -> furious")  # read as text it was one muddled reading (Q2, 'mysterious')
    from studio.cli import main

    assert main(["analyze", "calm", "→", "furiuos"]) == 0
    out = capsys.readouterr().out
    assert "arc point 1 of 2" in out and "'calm'" in out and "read 'furiuos' as 'furious'" in out


def test_a_reader_that_stops_early_ends_the_command_quietly(monkeypatch):
    import os
    import sys

    from studio.cli import main

    read, write = os.pipe()
    os.close(read)  # the reader is gone (`studio emotions | head -1` after its line)
    out = os.fdopen(write, "w", buffering=1)
    monkeypatch.setattr(sys, "stdout", out)
    assert main(["emotions"]) == 141
    out.close()  # the pipe now points at /dev/null: closing raises nothing either
