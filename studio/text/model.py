"""The released text -> VAD model: embedding head + hashed-lexicon fallback, one checkpoint folder.

``checkpoints/text-vad/`` holds ``config.json`` (:class:`TextVADConfig`), ``embedding_head.safetensors``
(``weight`` [3, 384], ``bias`` [3]) and ``lexicon.safetensors`` (``weight`` [3, n_buckets] float16,
``bias`` [3], ``seen`` packed Bloom filter of training words, uint8).

Which model runs is chosen by ``STUDIO_TEXT_MODEL``: ``auto`` (default: embedding when the MiniLM
package loads, else lexicon), ``embedding`` (error if unavailable) or ``lexicon``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from studio.text.embedding import ENCODER_NAME, EmbeddingHead, EncoderUnavailable
from studio.text.lexicon import HashedLexicon, LexiconConfig, content_words, tokenize

CHECKPOINT_NAME = "text-vad"
MODES = ("auto", "embedding", "lexicon")
_VOWEL_RE = re.compile(r"[aeiouy]")
log = logging.getLogger(__name__)


@dataclass
class TextVADConfig:
    """What the checkpoint is and how it was fitted (written as ``config.json``).

    Args:
        encoder: the sentence encoder the embedding head expects.
        embed_dim: its embedding size.
        lexicon: hashing settings of the lexicon model.
        emobank_stretch: per-axis stretch applied to EmoBank targets when fitting (see ``data.py``).
        fit: free-form record of the fit (alphas, data sizes, dev scores).
    """

    encoder: str = ENCODER_NAME
    embed_dim: int = 384
    lexicon: LexiconConfig = field(default_factory=LexiconConfig)
    emobank_stretch: list[float] = field(default_factory=lambda: [1.0, 1.0, 1.0])
    fit: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: dict) -> TextVADConfig:
        d = dict(d)
        d["lexicon"] = LexiconConfig(**d.get("lexicon", {}))
        return cls(**d)


@dataclass
class Estimate:
    """One text's estimate before it becomes an :class:`~studio.emotion.Emotion`.

    Args:
        vad: [3] in [-1, 1].
        method: "embedding" or "lexicon".
        confidence: in [0, 1].
        details: what the confidence is made of (latin share, known share, agreement).
    """

    vad: np.ndarray
    method: str
    confidence: float
    details: dict


def latin_share(text: str) -> float:
    """Share of the letters in ``text`` that are Latin script (the models were fitted on English)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(c.isascii() or "LATIN" in _uname(c) for c in letters) / len(letters)


def _uname(c: str) -> str:
    import unicodedata

    return unicodedata.name(c, "")


def combine(emb_vad: np.ndarray, lex_vad: np.ndarray, n_negated: int) -> np.ndarray:
    """The embedding estimate, with valence averaged with the lexicon's where negation occurs.

    MiniLM + a linear head reads "not" as unpleasant in itself: "I am not happy" comes out
    unpleasant (right) but so does "I am not angry" (wrong way). The lexicon flips the negated word
    explicitly, so for negated text the two valences are averaged (see the bench's negation check).

    Args:
        emb_vad: [3] embedding-head estimate.
        lex_vad: [3] lexicon estimate.
        n_negated: number of tokens in a negation scope.

    Returns:
        [3] VAD clipped to [-1, 1].
    """
    out = np.array(emb_vad, np.float64)
    if n_negated:
        out[0] = 0.5 * (out[0] + lex_vad[0])
    return np.clip(out, -1, 1)


class TextVAD:
    """Text -> VAD with both models loaded from one checkpoint folder.

    Args:
        config: the :class:`TextVADConfig`.
        head: the embedding ridge head (None if not in the checkpoint).
        lexicon: the hashed lexicon.
    """

    def __init__(self, config: TextVADConfig, head: EmbeddingHead | None, lexicon: HashedLexicon):
        self.config = config
        self.head = head
        self.lexicon = lexicon

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike | None = None) -> TextVAD:
        """Load ``checkpoints/text-vad`` (or ``path``)."""
        from safetensors.numpy import load_file

        from studio.paths import checkpoint

        root = Path(path) if path else checkpoint(CHECKPOINT_NAME)
        cfg_path = root / "config.json"
        if not cfg_path.is_file():
            raise FileNotFoundError(f"text model checkpoint not found at {root} (run tools/fit_text_vad.py)")
        config = TextVADConfig.from_dict(json.loads(cfg_path.read_text(encoding="utf-8")))
        lx = load_file(str(root / "lexicon.safetensors"))
        lexicon = HashedLexicon(lx["weight"], lx["bias"], lx["seen"], config.lexicon)
        head = None
        if (root / "embedding_head.safetensors").is_file():
            eh = load_file(str(root / "embedding_head.safetensors"))
            head = EmbeddingHead(eh["weight"], eh["bias"])
        return cls(config, head, lexicon)

    def save_pretrained(self, path: str | os.PathLike) -> Path:
        """Write ``config.json`` and the two safetensors files (atomically) under ``path``."""
        from safetensors.numpy import save_file

        from studio.io import atomic_path, write_json_atomic

        root = Path(path)
        root.mkdir(parents=True, exist_ok=True)
        cfg = asdict(self.config)
        write_json_atomic(root / "config.json", cfg)
        with atomic_path(root / "lexicon.safetensors") as tmp:
            save_file(
                {
                    "weight": np.ascontiguousarray(self.lexicon.weight, np.float16),
                    "bias": self.lexicon.bias.astype(np.float32),
                    "seen": np.packbits(self.lexicon.seen),
                },
                str(tmp),
            )
        if self.head is not None:
            with atomic_path(root / "embedding_head.safetensors") as tmp:
                save_file({"weight": np.ascontiguousarray(self.head.weight), "bias": self.head.bias}, str(tmp))
        return root

    def estimate(self, text: str, mode: str = "auto") -> Estimate:
        """Estimate VAD for one (already validated) text.

        Confidence: ``latin_share * (0.2 + 0.8 * known_share * (0.6 + 0.4 * agreement))`` for the
        embedding model, where ``known_share`` is the share of tokens seen in training and
        ``agreement = max(0, 1 - |embedding - lexicon| / 1.5)`` (Euclidean in VAD); and
        ``latin_share * (0.1 + 0.5 * known_share)`` for the lexicon alone (it is the weaker model).
        Text without any Latin-letter word gets the lexicon's neutral point and confidence <= 0.05.

        Args:
            text: the text.
            mode: "auto", "embedding" or "lexicon".

        Returns:
            an :class:`Estimate`.

        Raises:
            ValueError: unknown ``mode``, or ``mode="embedding"`` where the encoder cannot load.
        """
        if mode not in MODES:
            raise ValueError(f"STUDIO_TEXT_MODEL must be one of {MODES}, got {mode!r}")
        lex_vad, known, n_tok, n_neg = self.lexicon.predict(text)
        latin = latin_share(text)
        details = {"latin_share": round(latin, 3), "known_share": round(known, 3), "tokens": n_tok, "negated": n_neg}
        if n_tok == 0 and latin == 0.0 and not any(c.isalpha() for c in text):
            # punctuation/digits only: nothing to read an emotion from
            details["reason"] = "no letters"
            return Estimate(np.zeros(3), "lexicon", 0.02, details)
        known = self._content_known(text, known, n_tok, details)
        if mode == "embedding" and self.head is None:
            raise ValueError("STUDIO_TEXT_MODEL=embedding but the checkpoint has no embedding_head.safetensors")
        use_embedding = mode != "lexicon" and self.head is not None
        if use_embedding:
            try:
                emb_vad = combine(self.head.predict(text), lex_vad, n_neg)
            except EncoderUnavailable as e:
                if mode == "embedding":
                    raise ValueError(f"the sentence-embedding text model is unavailable: {e}") from e
                _warn_once(str(e))
                use_embedding = False
        if not use_embedding:
            conf = latin * (0.1 + 0.5 * known)
            return Estimate(lex_vad, "lexicon", float(np.clip(max(conf, 0.02), 0, 1)), details)
        agreement = max(0.0, 1.0 - float(np.linalg.norm(emb_vad - lex_vad)) / 1.5)
        details["agreement"] = round(agreement, 3)
        details["lexicon_vad"] = [round(float(x), 3) for x in lex_vad]
        conf = latin * (0.2 + 0.8 * known * (0.6 + 0.4 * agreement))
        return Estimate(emb_vad, "embedding", float(np.clip(max(conf, 0.02), 0, 1)), details)

    def _content_known(self, text: str, known: float, n_tok: int, details: dict) -> float:
        """``known`` lowered for degenerate text, with a ``note`` in ``details`` saying why.

        Single letters and function words are all "seen in training", so random letters
        ("p w nbjk") and filler ("the the the") looked well known. Only content words count here,
        and a text that mostly repeats itself counts by its distinct share.
        """
        words = content_words(text)
        if not words:
            details["note"] = "no content words" if n_tok else "no words"
            return 0.0
        # a 1-2 letter or vowel-less token is too often in the Bloom filter by chance ("fk", "yb")
        share = sum(len(w) > 2 and _VOWEL_RE.search(w) is not None and self.lexicon.known(w) for w in words) / len(
            words
        )
        toks = [t for t, _ in tokenize(text)]
        distinct = len(set(toks)) / len(toks)
        if len(toks) >= 3 and distinct <= 0.5:
            details["note"] = "repetitive text"
            share *= distinct
        elif share < 0.5:
            details["note"] = "few recognisable English words"
        details["content_known_share"] = round(share, 3)
        return min(known, share)


_WARNED = False
_MODEL: TextVAD | None = None
_MODEL_LOCK = threading.Lock()


def _warn_once(msg: str) -> None:
    global _WARNED
    if not _WARNED:
        log.warning("text model: sentence encoder unavailable (%s); using the hashed lexicon", msg)
        _WARNED = True


def get_model() -> TextVAD:
    """The process-wide :class:`TextVAD` from the released checkpoint (loaded once)."""
    global _MODEL
    if _MODEL is None:
        with _MODEL_LOCK:
            if _MODEL is None:
                _MODEL = TextVAD.from_pretrained()
    return _MODEL


def current_mode() -> str:
    """The mode from ``STUDIO_TEXT_MODEL`` (default ``auto``)."""
    return os.environ.get("STUDIO_TEXT_MODEL", "auto").strip().lower() or "auto"
