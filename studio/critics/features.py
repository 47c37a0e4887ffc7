"""Moved to :mod:`studio.critics.music_features` (the music critic's features, beside ``image_features``).

Kept as a re-export so older imports (``from studio.critics.features import note_features``) still work.
"""

from studio.critics.music_features import FEATURE_NAMES, NUM_FEATURES, note_features  # noqa: F401

__all__ = ["FEATURE_NAMES", "NUM_FEATURES", "note_features"]
