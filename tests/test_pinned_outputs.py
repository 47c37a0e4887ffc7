"""Same seed, same output: sha256 of a few verbs' deterministic content, pinned before a refactor.

What is hashed is content, never files (files carry timestamps and paths): the note list of a score,
the pixels of a painting, the ``create`` sidecar without its timings. A refactor that changes any of
these changed behaviour.

When a change is MEANT to alter an output (e.g. a new music generator), regenerate the table and
paste it over ``PINNED``::

    PYTHONPATH=$PWD .venv/bin/python tests/test_pinned_outputs.py --print

The ``music`` entries follow the released lead-sheet generator (studio/music/structured/), so a change
there legitimately changes ``compose_*`` and ``create_*``; ``paint_*``, ``transform_*`` and ``transformer_*``
(the 0.3.0 REMI generator, released and tiny) do not depend on it.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

# ---- the pinned hashes (regenerate with `python tests/test_pinned_outputs.py --print`) ----------------
PINNED = {
    "compose_tender_8_bars_seed_3": "57d1159033b5d7299a4c5834daa709c3db3d2f602b6bfa82eef8b07af1e3dd0a",
    "compose_loop_furious_4_bars_2x2_seed_5": "0c22d2d835e45db55b5fb75df5b39e27a87dc1ff6b38423f308cfa63e305a017",
    "paint_serene_96px_seed_3": "febdd8513df27b4fb368d0756ec7c70917021b8604c0260125e15baf1a1bd002",
    "paint_furious_64px_3_candidates_seed_11": "41f2b1ad2cde0e948390893ddd35bbe6fc2a516a6fe1e5749052eb4c2db662d7",
    "transform_sad_seed_3": "6cd4d8e410b98c825b65709645e95860b7e890e960aee5a83cae4c7f832c386e",
    "create_tender_4_bars_64px_seed_7": "931997e264e2f9e0d5a24fa941bc7c1eb77fb5e67b43a85fd32e65e75f508fac",
    "transformer_released_2_bars_2_pieces_guided_seed_5": "94ce383b522504830826d0b34ec878ba35eb2bc4cb388e7b1e5d299c2551b4bc",
    "transformer_tiny_6_bars_3_pieces_clamped_seed_2": "f3b6ee7041800d2a69006b9cfd556b3cb8c12cabb74681603c30a60908de150e",
}
# ---------------------------------------------------------------------------------------------------------

TPQ = 480


def _sha(obj) -> str:
    data = obj if isinstance(obj, bytes) else json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(data).hexdigest()


def _rounded(x, digits: int = 5):
    """Floats rounded so a last-bit difference in a critic's float math does not read as a change."""
    if isinstance(x, float):
        return round(x, digits)
    if isinstance(x, dict):
        return {str(k): _rounded(v, digits) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_rounded(v, digits) for v in x]
    return x


def _score_content(score) -> dict:
    return {
        "tpq": score.tpq,
        "tempos": [(t.time, round(t.qpm, 3)) for t in score.tempos],
        "tracks": [
            {
                "name": t.name,
                "program": t.program,
                "drum": t.is_drum,
                "notes": [(n.time, n.duration, n.pitch, n.velocity) for n in t.notes],
                # control changes (the pedal) are content too; a track without any hashes as before they counted
                **({"controls": [(c.time, c.number, c.value) for c in t.controls]} if len(t.controls) else {}),
            }
            for t in score.tracks
        ],
    }


def _image_content(image) -> bytes:
    import numpy as np

    arr = np.asarray(image.convert("RGB"), dtype=np.uint8)
    return repr(arr.shape).encode() + arr.tobytes()


def _create_content(result) -> dict:
    d = result.to_dict()
    d.pop("timings_s", None)
    d.pop("studio_version", None)
    return _rounded(d)


def _compute(name: str, tmp: Path) -> str:
    import studio

    if name == "compose_tender_8_bars_seed_3":
        return _sha(_score_content(studio.compose(emotion="tender", bars=8, seed=3, progress=False).score))
    if name == "compose_loop_furious_4_bars_2x2_seed_5":
        r = studio.compose(emotion="furious", bars=4, seed=5, candidates=2, rounds=2, progress=False)
        history = [{k: v for k, v in rd.items() if k != "seconds"} for rd in r.rounds]  # wall time: not content
        return _sha({"score": _score_content(r.score), "rounds": _rounded(history)})
    if name == "paint_serene_96px_seed_3":
        return _sha(_image_content(studio.paint("serene", seed=3, size=96, progress=False).image))
    if name == "paint_furious_64px_3_candidates_seed_11":
        r = studio.paint("furious", seed=11, size=64, candidates=3, progress=False)
        rounds = [{k: rd[k] for k in ("candidate", "seed", "aim", "chosen")} for rd in r.rounds]
        return _sha({"pixels": _sha(_image_content(r.image)), "rounds": rounds, "style": r.style})
    if name == "transform_sad_seed_3":
        from tiny_models import tiny_midi

        r = studio.transform(tiny_midi(tmp / "in.mid"), emotion="sad", seed=3)
        return _sha({"score": _score_content(r.score), "notes": r.notes, "asked": _rounded(r.attributes_requested)})
    if name == "create_tender_4_bars_64px_seed_7":
        r = studio.create(emotion="tender", bars=4, seed=7, size=64)
        return _sha(
            {
                "sidecar": _create_content(r),
                "notes": _score_content(r.music.score),
                "pixels": _sha(_image_content(r.art.image)),
            }
        )
    if name == "transformer_released_2_bars_2_pieces_guided_seed_5":  # the 0.3.0 REMI model, guidance on
        from studio.music.generators import default_pipeline

        pipe = default_pipeline(generator="transformer")
        asked = {"tempo": 90, "mode": 0.2, "note_density": 3.0, "key": 2}
        pieces = pipe(attributes=asked, bars=2, seed=5, num_pieces=2, progress=False, guidance=1.5)
        return _sha(
            [{"ids": list(map(int, p.ids)), "notes": p.notes, "score": _score_content(p.score)} for p in pieces]
        )
    if name == "transformer_tiny_6_bars_3_pieces_clamped_seed_2":  # context 64: evicts; 24 tokens a bar: clamps
        from tiny_models import build_tiny_music_pipeline

        from studio.music.tokenizer import MusicTokenizer

        pipe = build_tiny_music_pipeline(MusicTokenizer())
        pieces = pipe(
            attributes={"mode": 1.0, "key": 0, "note_density": 2.0},
            bars=6,
            seed=2,
            num_pieces=3,
            progress=False,
            guidance=2.0,
            max_tokens_per_bar=24,
        )
        return _sha([{"ids": list(map(int, p.ids)), "notes": p.notes} for p in pieces])
    raise KeyError(name)


@pytest.mark.parametrize("name", sorted(PINNED))
def test_pinned_output(name, tmp_path):
    expected = PINNED[name]
    got = _compute(name, tmp_path)
    assert got == expected, (
        f"{name}: output changed (sha256 {got[:16]}..., pinned {expected[:16]}...). If the change is intended, "
        "regenerate PINNED with `PYTHONPATH=$PWD .venv/bin/python tests/test_pinned_outputs.py --print`."
    )


if __name__ == "__main__":
    import tempfile

    if "--print" not in sys.argv[1:]:
        sys.exit("usage: python tests/test_pinned_outputs.py --print   (prints a PINNED table to paste above)")
    with tempfile.TemporaryDirectory() as d:
        print("PINNED = {")
        for key in PINNED:
            sub = Path(d) / key
            sub.mkdir()
            print(f'    "{key}": "{_compute(key, sub)}",')
        print("}")
