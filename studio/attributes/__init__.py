"""Attributes: measurable descriptions of music (``music``) and images (``visual``).

Each is both extracted from data and accepted as a generation condition.
"""

from studio.attributes.music import (
    ATTRIBUTES as MUSIC_ATTRIBUTES,
)
from studio.attributes.music import (
    MusicAttribute,
    MusicAttributes,
    extract_attributes,
    extract_bar_attributes,
)

__all__ = ["MUSIC_ATTRIBUTES", "MusicAttribute", "MusicAttributes", "extract_attributes", "extract_bar_attributes"]
