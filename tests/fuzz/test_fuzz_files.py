"""Fuzzed MIDI files and images (byte mutation of real files, and structure mutation: valid
containers around odd content or headers): a result or a one-line StudioError, nothing else."""

from __future__ import annotations

import io
import struct
from functools import lru_cache

from fuzzlib import examples, outcome
from hypothesis import given
from hypothesis import strategies as st

import studio
from studio.critics.music import judge_music


@lru_cache(maxsize=1)
def seed_midi() -> bytes:
    import symusic

    s = symusic.Score(480)
    s.tempos.append(symusic.Tempo(0, 96.0))
    for prog, base in ((0, 60), (33, 36)):
        t = symusic.Track(f"p{prog}", prog, False)
        for i in range(24):
            t.notes.append(symusic.Note(i * 240, 200 + 40 * (i % 3), base + (i * 5) % 12, 60 + i))
        s.tracks.append(t)
    drums = symusic.Track("drums", 0, True)
    drums.notes.append(symusic.Note(0, 120, 36, 100))
    s.tracks.append(drums)
    return bytes(s.dumps_midi())


MUTATIONS = st.lists(
    st.tuples(st.sampled_from(["set", "insert", "delete", "truncate"]), st.integers(0, 1 << 16), st.integers(0, 255)),
    min_size=1,
    max_size=8,
)


def mutate(data: bytes, ops) -> bytes:
    for op, pos, byte in ops:
        pos %= max(len(data), 1)
        if op == "set":
            data = data[:pos] + bytes([byte]) + data[pos + 1 :]
        elif op == "insert":
            data = data[:pos] + bytes([byte]) + data[pos:]
        elif op == "delete":
            data = data[:pos] + data[pos + 1 :]
        else:
            data = data[:pos]
    return data


@st.composite
def structured_midi(draw) -> bytes:
    """A well-formed file around odd content: any tpq, note values at their limits, then header fields
    (format, track count, division) overwritten."""
    import symusic

    s = symusic.Score(draw(st.integers(1, 32767)))
    for _ in range(draw(st.integers(0, 3))):
        t = symusic.Track("t", draw(st.integers(0, 127)), draw(st.booleans()))
        for _ in range(draw(st.integers(0, 40))):
            t.notes.append(
                symusic.Note(
                    draw(st.integers(0, 1 << 20)),
                    draw(st.integers(0, 1 << 16)),
                    draw(st.integers(0, 127)),
                    draw(st.integers(0, 127)),
                )
            )
        s.tracks.append(t)
    if draw(st.booleans()):
        s.tempos.append(symusic.Tempo(draw(st.integers(0, 1 << 16)), draw(st.floats(1, 1000))))
    data = bytearray(s.dumps_midi())
    for offset in draw(st.lists(st.sampled_from([8, 10, 12]), max_size=2, unique=True)):
        data[offset : offset + 2] = struct.pack(">H", draw(st.integers(0, 0xFFFF)))
    return bytes(data)


def _check_music(data: bytes) -> None:
    outcome("midi-attributes", studio.extract_attributes, data)
    kind, reading = outcome("midi-critic", judge_music, data)
    if kind == "result":
        assert 0 <= reading.confidence <= 1


@examples(fast=20, share=0.5)
@given(MUTATIONS)
def test_fuzz_midi_bytes(ops):
    _check_music(mutate(seed_midi(), ops))


@examples(fast=20, share=0.5)
@given(structured_midi())
def test_fuzz_midi_structure(data):
    _check_music(data)


@examples(fast=1, share=0.01)
@given(structured_midi())
def test_fuzz_midi_transform(data):
    outcome("midi-transform", studio.transform, data, emotion="sad", seed=1)


@lru_cache(maxsize=1)
def seed_png() -> bytes:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (48, 64, 3), np.uint8)).save(buf, "PNG")
    return buf.getvalue()


@st.composite
def structured_image(draw) -> bytes:
    import numpy as np
    from PIL import Image

    mode = draw(st.sampled_from(["1", "L", "P", "RGB", "RGBA", "CMYK", "I;16", "I", "F", "LA"]))
    fmt = draw(st.sampled_from(["PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF"]))
    w, h = draw(st.integers(1, 80)), draw(st.integers(1, 80))
    arr = np.random.default_rng(draw(st.integers(0, 1000))).integers(0, 255, (h, w, 3), np.uint8)
    img = (
        Image.fromarray(arr).convert(mode)
        if mode not in ("I;16",)
        else Image.fromarray(arr[..., 0].astype(np.uint16) * 257, "I;16")
    )
    buf = io.BytesIO()
    try:
        img.save(buf, fmt)
    except (OSError, ValueError, KeyError):  # PIL cannot write this mode in this format: send a PNG of it
        buf = io.BytesIO()
        img.convert("RGB").save(buf, "PNG")
    return buf.getvalue()


def _check_image(data: bytes, suffix: str) -> None:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"img{suffix}"
        p.write_bytes(data)
        kind, reading = outcome("image-critic", studio.judge, p)
    if kind == "result":
        assert -1 <= reading.valence <= 1 and -1 <= reading.arousal <= 1


@examples(fast=15, share=0.1)
@given(MUTATIONS, st.sampled_from([".png", ".jpg", ".bin"]))
def test_fuzz_image_bytes(ops, suffix):
    _check_image(mutate(seed_png(), ops), suffix)


@examples(fast=15, share=0.1)
@given(structured_image())
def test_fuzz_image_structure(data):
    _check_image(data, ".png")
