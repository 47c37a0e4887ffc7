"""Fuzzed emotions, free text and job files: a result or a one-line StudioError, nothing else."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from fuzzlib import examples, outcome
from hypothesis import given
from hypothesis import strategies as st

from studio.batch import COLUMNS, load_jobs
from studio.emotion import Emotion, named_emotions, parse_emotion_arg
from studio.text import analyze

NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-1, 1),
    st.integers(-(10**30), 10**30),
    st.booleans(),
)
NUMERIC_TEXT = st.from_regex(r"\A[-+ ()\[\],;.0-9eEnaifNAIF]{0,24}\Z")
NASTY_TEXT = st.lists(
    st.one_of(st.characters(), st.sampled_from(["\x1b[31m", "\x1b]0;t\x07", "\x00", "\u202e", "\r\n", "the "])),
    max_size=30,
).map("".join)
TEXT = st.one_of(st.text(max_size=120), NASTY_TEXT, NUMERIC_TEXT, st.sampled_from(sorted(named_emotions())))
EMOTION_INPUTS = st.one_of(
    st.none(),
    NUMBERS,
    st.lists(NUMBERS, max_size=5),
    st.tuples(NUMBERS, NUMBERS),
    st.tuples(NUMBERS, NUMBERS, NUMBERS),
    st.dictionaries(
        st.sampled_from(["valence", "arousal", "dominance", "label", "x"]),
        st.one_of(NUMBERS, st.text(max_size=12), st.none()),
        max_size=5,
    ),
    TEXT,
    st.binary(max_size=16),
)


@examples(fast=60, share=0.4)
@given(EMOTION_INPUTS)
def test_fuzz_emotion_coerce(x):
    kind, e = outcome("emotion", Emotion.coerce, x)
    if kind == "result":
        assert all(-1 <= v <= 1 for v in e.vad) and (e.label is None or "\x1b" not in e.label)


@examples(fast=40, share=0.3)
@given(TEXT)
def test_fuzz_text_analyze(text):
    kind, a = outcome("text", analyze, text)
    if kind == "result":
        assert 0 <= a.confidence <= 1 and "\x1b" not in str(a)
        if isinstance(parse_emotion_arg(text), tuple):
            assert a.method == "numeric"  # numbers are never read as free text


CELL = st.one_of(
    st.text(max_size=30),
    NUMERIC_TEXT,
    st.integers(-5, 3000).map(str),
    st.sampled_from(
        ["tender", "furious", "calm", "art", "music", "both", "manifest.jsonl", "summary.json", "..", "a/b"]
    ),
)


@st.composite
def job_files(draw) -> tuple[str, bytes]:
    """A jobs file: well-formed-ish rows of fuzzed cells, then optionally byte-mangled."""
    suffix = draw(st.sampled_from([".csv", ".tsv", ".jsonl"]))
    cols = draw(st.lists(st.sampled_from([*COLUMNS, "extra", ""]), min_size=0, max_size=6))
    if draw(st.booleans()):
        cols = ["emotion", *cols]
    rows = draw(st.lists(st.lists(CELL, min_size=0, max_size=len(cols) + 1), max_size=4))
    if suffix == ".jsonl":
        lines = []
        for r in rows:
            obj = {c: v for c, v in zip(cols, r)}
            lines.append(json.dumps(obj) if draw(st.booleans()) else json.dumps(draw(st.one_of(NUMBERS, CELL))))
        data = ("\n".join(lines) + "\n").encode()
    else:
        sep = "\t" if suffix == ".tsv" else ","
        esc = lambda v: '"' + v.replace('"', '""') + '"' if draw(st.booleans()) else v  # noqa: E731
        data = "\n".join(sep.join(esc(v) for v in line) for line in [cols, *rows]).encode("utf-8", "surrogatepass")
    for pos, byte in draw(st.lists(st.tuples(st.integers(0, max(len(data), 1)), st.integers(0, 255)), max_size=3)):
        data = data[:pos] + bytes([byte]) + data[pos + 1 :]
    return suffix, data


@examples(fast=40, share=0.3)
@given(job_files())
def test_fuzz_job_files(job_file):
    suffix, data = job_file
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"jobs{suffix}"
        p.write_bytes(data)
        kind, value = outcome("jobs", load_jobs, p)
    if kind == "result":
        jobs, problems = value
        assert all("\n" not in pr["error"] for pr in problems)
        assert len({j.name for j in jobs}) == len(jobs)
