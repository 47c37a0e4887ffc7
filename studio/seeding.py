"""Seeds: every generation takes one and records it; ``None`` draws one and records that."""

from __future__ import annotations

import secrets

import numpy as np

from studio.limits import check_int

MAX_SEED = 2**31 - 1


def resolve_seed(seed: int | None) -> int:
    """Return a concrete seed: ``seed`` itself (validated) or a fresh random one."""
    if seed is None:
        return secrets.randbelow(MAX_SEED)
    return check_int("seed", seed, 0, MAX_SEED, " or None")


def numpy_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def torch_generator(seed: int, device: str = "cpu"):
    import torch

    g = torch.Generator(device=device)
    g.manual_seed(seed)
    return g


def derive_seed(seed: int, part: str, index: int = 0) -> int:
    """A deterministic sub-seed for ``part`` ("music", "art", "piece", ...) and ``index`` from one seed.

    Hash-derived rather than ``seed + k`` so neighbouring user seeds do not share sub-seeds.
    """
    import hashlib

    key = f"{int(seed)}:{part}" if index == 0 else f"{int(seed)}:{part}:{int(index)}"
    h = hashlib.sha256(key.encode()).digest()
    return int.from_bytes(h[:8], "little") % (MAX_SEED + 1)


def candidate_seed(seed: int, part: str, index: int) -> int:
    """Seed of candidate ``index`` of a search (``"round"`` of the composing loop, ``"painting"`` of the
    painter's): index 0 is ``seed`` itself, so one candidate is the plain call and a kept candidate's recorded
    seed re-makes it alone; later ones are :func:`derive_seed` sub-seeds."""
    return int(seed) if index == 0 else derive_seed(seed, part, index)
