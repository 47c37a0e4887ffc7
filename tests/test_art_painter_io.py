"""Loading user photos: every bad input gives a clear ValueError and nothing is half-written."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from studio.art import paint
from studio.art.imageio import ACCEPTED_FORMATS, fit_size, load_image
from studio.cli import main


def _png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _claim_size(png: bytes, w: int, h: int) -> bytes:
    """Rewrite a PNG's header to claim w x h (a decompression bomb that costs nothing to make)."""
    ihdr = bytearray(png[16:29])
    ihdr[0:8] = struct.pack(">II", w, h)
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + bytes(ihdr)) & 0xFFFFFFFF)
    return png[:16] + bytes(ihdr) + crc + png[33:]


@pytest.fixture
def rgb():
    arr = (np.random.default_rng(0).random((40, 50, 3)) * 255).astype(np.uint8)
    return Image.fromarray(arr)


def test_huge_image_refused_before_decoding(tmp_path, rgb):
    p = tmp_path / "bomb.png"
    p.write_bytes(_claim_size(_png_bytes(rgb), 10_000, 10_000))  # 100 MP claimed, 10 KB on disk
    with pytest.raises(ValueError, match="100.0 megapixels; at most 40"):
        load_image(p)


def test_tiny_image_refused(tmp_path):
    p = tmp_path / "tiny.png"
    Image.new("RGB", (8, 30)).save(p)
    with pytest.raises(ValueError, match="8x30; images need at least 16 px"):
        load_image(p)


def test_not_an_image_and_missing_file(tmp_path):
    p = tmp_path / "notes.jpg"
    p.write_text("definitely not a jpeg")
    with pytest.raises(ValueError, match="not a readable image; accepted formats: PNG, JPEG"):
        load_image(p)
    with pytest.raises(FileNotFoundError, match="image not found"):
        load_image(tmp_path / "absent.png")
    with pytest.raises(ValueError, match="is a folder"):
        load_image(tmp_path)
    with pytest.raises(TypeError, match="cannot load an image from int"):
        load_image(42)


def test_truncated_file(tmp_path, rgb):
    data = io.BytesIO()
    rgb.resize((200, 200)).save(data, format="JPEG", quality=90)
    p = tmp_path / "cut.jpg"
    p.write_bytes(data.getvalue()[: len(data.getvalue()) // 2])
    with pytest.raises(ValueError, match="truncated"):
        load_image(p)


@pytest.mark.parametrize("mode", ["L", "CMYK", "RGBA", "P", "LA", "I;16"])
def test_modes_become_rgb_with_a_note(tmp_path, rgb, mode):
    img = rgb.convert(mode) if mode != "I;16" else Image.fromarray(np.asarray(rgb)[..., 0].astype(np.uint16) * 200)
    ext = "tiff" if mode in ("CMYK", "I;16") else "png"
    p = tmp_path / f"x.{ext}"
    img.save(p)
    notes: list[str] = []
    out = load_image(p, notes=notes)
    assert out.mode == "RGB" and out.size == (50, 40)
    if mode != "P":
        assert notes, f"no note for mode {mode}"


def test_alpha_flattened_on_white():
    img = Image.new("RGBA", (20, 20), (255, 0, 0, 0))
    out = load_image(img)
    assert out.getpixel((5, 5)) == (255, 255, 255)


def test_animated_gif_first_frame(tmp_path):
    frames = [Image.new("RGB", (32, 32), c) for c in ((255, 0, 0), (0, 0, 255))]
    p = tmp_path / "anim.gif"
    frames[0].save(p, save_all=True, append_images=frames[1:], duration=100, loop=0)
    notes: list[str] = []
    out = load_image(p, notes=notes)
    assert out.getpixel((3, 3))[0] > 200 and "first frame" in notes[0]


def test_arrays_and_fit_size(rgb):
    assert load_image(np.zeros((20, 30), np.uint8)).size == (30, 20)
    assert load_image(np.ones((20, 30, 3), np.float32)).getpixel((0, 0)) == (255, 255, 255)
    with pytest.raises(ValueError, match=r"\[h, w, 3\]"):
        load_image(np.zeros((20, 30, 5)))
    assert fit_size(rgb, 100, multiple=8).size == (96, 80)
    assert fit_size(rgb, 100, multiple=1).size == (100, 80)
    assert "PNG" in ACCEPTED_FORMATS


def test_bad_photo_leaves_nothing_written(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    out = tmp_path / "out"
    code = main(["paint", "--emotion", "serene", "--photo", str(bad), "--size", "64", "-o", str(out), "--quiet"])
    assert code == 2 and not out.exists()


def test_cli_paint_writes_png_and_json(tmp_path, capsys):
    out = tmp_path / "o"
    code = main(["paint", "--emotion", "0.6,-0.3", "--seed", "4", "--size", "64", "-o", str(out), "--quiet"])
    assert code == 0
    assert (out / "painting.png").exists() and (out / "painting.json").exists()
    assert "seed=4" in capsys.readouterr().out
    assert main(["paint", "--emotion", "serene", "--size", "10", "-o", str(out), "--quiet"]) == 2
    assert "size must be an integer in [64, 2048] pixels, got 10" in capsys.readouterr().err


def test_paint_from_photo_file_notes_conversion(tmp_path, rgb):
    p = tmp_path / "grey.png"
    rgb.convert("L").save(p)
    r = paint("joyful", seed=1, size=64, photo=p, progress=False)
    assert r.photo == str(p) and any("greyscale" in n for n in r.notes)
    assert r.image.size == (64, 51)


def test_cli_paint_grid_writes_one_contact_sheet(tmp_path, capsys):
    import json

    from studio.art.sheet import CIRCUMPLEX_GRID, THUMB

    out = tmp_path / "g"
    code = main(["paint", "--grid", "--seed", "2", "--size", "64", "--candidates", "1", "-o", str(out), "--quiet"])
    assert code == 0, capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["painting_grid.json", "painting_grid.png"]
    sheet = Image.open(out / "painting_grid.png")
    assert sheet.width == 4 * (THUMB + 16) and sheet.height > 3 * THUMB
    meta = json.loads((out / "painting_grid.json").read_text())
    assert [tuple(p["emotion"][k] for k in ("valence", "arousal")) for p in meta["paintings"]] == [
        pytest.approx(v, abs=1e-3) for v in CIRCUMPLEX_GRID
    ]
    assert all(p["seed"] == 2 and p["reading"]["critic"] == "image-critic 2.1" for p in meta["paintings"])
    # the sheet shows each painting: thumbnail cells differ from one another
    cells = [
        np.asarray(sheet.crop((8 + i * (THUMB + 16), 8, 8 + i * (THUMB + 16) + THUMB, 8 + THUMB))) for i in range(4)
    ]
    assert min(np.abs(cells[0].astype(int) - c.astype(int)).mean() for c in cells[1:]) > 5
    assert "median critic distance" in capsys.readouterr().out
    assert main(["paint", "--grid", "--emotion", "serene", "-o", str(out), "--quiet"]) == 2
    assert "leave out --emotion" in capsys.readouterr().err
    assert main(["paint", "-o", str(out), "--quiet"]) == 2
    assert "--grid" in capsys.readouterr().err
