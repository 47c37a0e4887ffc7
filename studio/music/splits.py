"""Which music files are held out: the one definition every trainer, fitter and benchmark reads.

* POP909: songs whose number is divisible by ``VALIDATION_EVERY`` (5 %) are validation; no generator,
  VQ-VAE or table fit reads them, and the musicality benchmarks compare against them.
* Nottingham: tunes whose name hashes (CRC-32) to a multiple of ``VALIDATION_EVERY``.
* EMOPIA keeps its own split files (``emopia/split/*_clip.csv``); its test clips are the critic's report set.
"""

from __future__ import annotations

import zlib

VALIDATION_EVERY = 20


def pop909_is_validation(song: int) -> bool:
    """Whether POP909 song ``song`` (its folder number) is held out."""
    return int(song) % VALIDATION_EVERY == 0


def nottingham_is_validation(stem: str) -> bool:
    """Whether the Nottingham tune with file name ``stem`` is held out."""
    return zlib.crc32(stem.encode()) % VALIDATION_EVERY == 0
