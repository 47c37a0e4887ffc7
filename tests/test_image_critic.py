"""Image-emotion critic: readings, confidence on odd inputs, bad input, checkpoint round trip, and a
held-out OASIS floor (data-marked). Test images are synthetic and made here; OASIS is never shown."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from studio.critics.base import Reading
from studio.critics.image import ImageCritic, judge_image
from studio.critics.image_features import FEATURE_NAMES, extract_features


def scene(seed: int = 0, n: int = 160) -> Image.Image:
    """A photo-like test picture: sky gradient, a textured ground, a few blobs."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:n, 0:n] / n
    img = np.zeros((n, n, 3))
    img[..., 0], img[..., 1], img[..., 2] = 0.4 + 0.3 * y, 0.5 + 0.2 * y, 0.9 - 0.3 * y
    ground = y > 0.6
    img[ground] = np.array([0.35, 0.45, 0.2]) + rng.normal(0, 0.08, (ground.sum(), 3))
    for _ in range(5):
        cx, cy, r = rng.random(), rng.random() * 0.6 + 0.2, rng.random() * 0.1 + 0.05
        img[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = rng.random(3)
    return Image.fromarray((img.clip(0, 1) * 255).astype(np.uint8))


@pytest.fixture(scope="module")
def critic():
    return ImageCritic.from_pretrained()


def test_reading_shape_and_range(critic):
    r = critic(scene())
    assert isinstance(r, Reading) and r.kind == "image" and r.critic.startswith("image-critic")
    assert -1 <= r.valence <= 1 and -1 <= r.arousal <= 1 and -1 <= r.dominance <= 1
    assert 0 < r.confidence <= 1
    assert sum(r.quadrant_probs.values()) == pytest.approx(1.0)
    assert "Valdez" in r.details["dominance_source"]
    assert len(r.details["features"]) == len(FEATURE_NAMES)


def test_inputs_agree_path_pil_array_paintresult(critic, tmp_path):
    img = scene(1)
    img.save(tmp_path / "a.png")

    class Fake:  # anything with .image, like a PaintResult
        image = img

    vals = [critic(x).valence for x in (img, tmp_path / "a.png", str(tmp_path / "a.png"), np.asarray(img), Fake())]
    assert np.allclose(vals, vals[0])


def test_judge_dispatches_images_here():
    from studio.critics import judge

    r = judge(scene(2))
    assert r.kind == "image" and r.valence == judge_image(scene(2)).valence


def test_confidence_low_for_uniform_and_tiny(critic):
    normal = critic(scene(3)).confidence
    flat = critic(Image.new("RGB", (128, 128), (120, 130, 140)))
    tiny = critic(scene(3, n=160).resize((24, 24)))
    assert flat.confidence < 0.2 * normal and any("uniform" in n for n in flat.details["notes"])
    assert tiny.confidence < 0.6 * normal and any("small" in n for n in tiny.details["notes"])


def test_valdez_baseline_directions(critic):
    """The dominance prior and baseline follow Valdez & Mehrabian: brighter -> more pleasant, less dominant."""
    dark = extract_features(Image.new("RGB", (64, 64), (40, 40, 60)))
    bright = extract_features(Image.new("RGB", (64, 64), (230, 230, 250)))
    p_dark, p_bright = critic.valdez(dark[None])[0], critic.valdez(bright[None])[0]
    assert p_bright[0] > p_dark[0] and p_bright[2] < p_dark[2]


def test_features_invariant_to_scale():
    a = extract_features(scene(4, n=320))
    b = extract_features(scene(4, n=320).resize((160, 160), Image.Resampling.BILINEAR))
    i = FEATURE_NAMES.index("saturation_mean")
    assert abs(a[i] - b[i]) < 0.02 and np.all(np.isfinite(a))


def test_grey_cmyk_animated_are_read(critic, tmp_path):
    critic(scene(5).convert("L"))
    buf = io.BytesIO()
    scene(5).convert("CMYK").save(buf, "JPEG")
    buf.seek(0)
    assert critic(buf).kind == "image"
    frames = [scene(s) for s in (6, 7)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=100)
    r = critic(tmp_path / "anim.gif")
    assert any("animated" in n for n in r.details["notes"])


def _png_header_only(w: int, h: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IEND", b"")


def test_bad_input_errors(critic, tmp_path):
    huge = tmp_path / "huge.png"
    huge.write_bytes(_png_header_only(10_000, 10_000))  # 100 MP claimed: refused from the header
    with pytest.raises(ValueError, match="megapixels"):
        critic(huge)
    with pytest.raises(ValueError, match="at least 16 px"):
        critic(Image.new("RGB", (8, 8)))
    text = tmp_path / "notes.png"
    text.write_text("not an image at all")
    with pytest.raises(ValueError, match="PNG, JPEG"):
        critic(text)
    buf = io.BytesIO()
    scene(8).save(buf, "PNG")
    cut = tmp_path / "cut.png"
    cut.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(ValueError, match="truncated|not a readable"):
        critic(cut)
    with pytest.raises(FileNotFoundError):
        critic(tmp_path / "missing.png")
    with pytest.raises(TypeError):
        critic(3.5)


def test_checkpoint_round_trip(critic, tmp_path):
    critic.save_pretrained(tmp_path / "ck")
    again = ImageCritic.from_pretrained(tmp_path / "ck")
    assert again(scene(9)).valence == pytest.approx(critic(scene(9)).valence, abs=1e-5)
    (tmp_path / "ck" / "model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match="model.safetensors"):
        ImageCritic.from_pretrained(tmp_path / "ck")


@pytest.mark.data
def test_held_out_oasis_floor(data_root, critic):
    """On themes never used in fitting, the critic beats chance clearly on arousal and valence."""
    import sys

    from studio.paths import PROJECT_ROOT

    sys.path.insert(0, str(PROJECT_ROOT / "tools"))
    from fit_image_critic import is_test_family, load_oasis

    rows = [r for r in load_oasis(data_root) if is_test_family(r["family"])][::2]
    pred = np.array([[x.valence, x.arousal] for x in (critic(r["path"]) for r in rows)])
    y = np.array([[r["valence"], r["arousal"]] for r in rows])
    assert {r["family"] for r in rows} <= set(critic.config["data"]["test_families"])  # split unchanged
    assert np.corrcoef(pred[:, 0], y[:, 0])[0, 1] > 0.1
    assert np.corrcoef(pred[:, 1], y[:, 1])[0, 1] > 0.3
