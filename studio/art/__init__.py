"""Art: emotion -> painting. ``paint()`` (in :mod:`studio.art.painting`) is the public entry; the CPU painter
needs nothing but numpy.

>>> from studio.art import paint
>>> result = paint("serene", seed=3, size=256, progress=False)
>>> result.save("out/")  # painting.png + painting.json

The verb lives in ``painting.py``, not ``paint.py``: a submodule named ``paint`` would share its name with the
function this package re-exports, so ``studio.art.paint`` would be the module or the function depending on
import order (and ``import studio.art.paint as m`` would hand back the function).
"""

from __future__ import annotations

from studio.art.painting import (  # noqa: F401
    BACKENDS,
    MAX_SIZE,
    MIN_SIZE,
    PaintResult,
    paint,
)

__all__ = ["paint", "PaintResult", "MIN_SIZE", "MAX_SIZE", "BACKENDS"]
