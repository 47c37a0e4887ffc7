"""Free text -> valence/arousal/dominance.

Two fitted models share one checkpoint (``checkpoints/text-vad``, card in ``models/text-vad``):
all-MiniLM-L6-v2 sentence embeddings with a ridge head, and a hashed word/character-n-gram
lexicon that needs no encoder (used when the encoder package is missing or
``STUDIO_TEXT_MODEL=lexicon``).

    >>> from studio.text import analyze, estimate_vad
    >>> estimate_vad("a rainy farewell at dusk")      # Emotion(valence<0, arousal<0, ...)
    >>> print(analyze("wistful"))                       # named emotions resolve exactly
"""

from studio.text.analysis import Analysis, analyze, describe, estimate_vad

__all__ = ["Analysis", "analyze", "describe", "estimate_vad"]
