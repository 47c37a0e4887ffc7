"""Hashed-lexicon text -> VAD model: the fallback that needs no sentence-embedding model.

A word is described by hashed sparse features (its whole form plus character 3-5-grams with
boundary marks), so a word never seen in training still gets an estimate from its morphology
("gloomily" shares "gloom"). A text is the mean of its tokens' feature vectors, which makes the
fitted linear model exactly the mean of per-token predictions; at inference tokens after a negator
("not", "never", "n't") have their valence deviation flipped and damped (VADER's factor 0.74).

The shipped weights are a ridge fit on the Glasgow words and EmoBank train sentences
(``tools/fit_text_vad.py``); the word table itself is never shipped, only the hashed weights and a
Bloom filter of the words seen in training (used for the confidence).
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

NEGATORS = frozenset("not no never nor neither nobody nothing nowhere without hardly cannot".split())
NEGATION_SCOPE = 3  # tokens after a negator that it flips
NEGATION_FACTOR = -0.74  # VADER (Hutto & Gilbert 2014): a negated word keeps ~3/4 of its strength, reversed
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?")
_CLAUSE_END = re.compile(r"[.,;:!?()\"]")
# words that carry no feeling on their own: text made only of these (or single letters) says nothing
FUNCTION_WORDS = frozenset(
    "a an the and or but if then of to in on at by for with from as into onto about over under up down "
    "is am are was were be been being do does did have has had it its this that these those there here "
    "i me my you your he him his she her we us our they them their so too very just than".split()
)


@dataclass
class LexiconConfig:
    """Feature hashing settings; saved in ``config.json`` so weights and features always agree.

    Args:
        n_buckets: size of the hashed feature space (a power of two).
        ngram_min: shortest character n-gram (word padded with ``<`` and ``>``).
        ngram_max: longest character n-gram.
        word_weight: weight of the whole-word feature relative to the n-grams (which share weight 1).
        seen_bits: size of the Bloom filter of training words (a power of two).
    """

    n_buckets: int = 1 << 15
    ngram_min: int = 3
    ngram_max: int = 5
    word_weight: float = 1.0
    seen_bits: int = 1 << 18


def fold(text: str) -> str:
    """Lower-case and strip accents ("Café" -> "cafe") so Latin-script text tokenises alike."""
    s = unicodedata.normalize("NFKD", text.lower().replace("\u2019", "'"))
    return "".join(c for c in s if not unicodedata.combining(c))


def tokenize(text: str) -> list[tuple[str, bool]]:
    """Split text into ``(word, negated)`` pairs; ``negated`` marks the scope after a negator.

    Args:
        text: any text; non-Latin letters produce no tokens.

    Returns:
        list of ``(token, negated)`` in order; negators themselves are kept (not negated).
    """
    out: list[tuple[str, bool]] = []
    for clause in _CLAUSE_END.split(fold(text)):
        scope = 0
        for tok in _TOKEN.findall(clause):
            if tok.endswith("n't"):
                out.append((tok, scope > 0))
                scope = NEGATION_SCOPE
                continue
            out.append((tok, scope > 0))
            scope = NEGATION_SCOPE if tok in NEGATORS else max(0, scope - 1)
    return out


def _bucket(s: str, n: int) -> int:
    return zlib.crc32(s.encode("utf-8")) & (n - 1)


def word_bucket(word: str, cfg: LexiconConfig) -> int:
    """Bucket of the whole-word feature."""
    return _bucket("w:" + word, cfg.n_buckets)


def seen_bits(word: str, cfg: LexiconConfig) -> tuple[int, int]:
    """The two bit positions of ``word`` in the "seen in training" Bloom filter.

    The feature buckets collide too often (~20k words in 32k buckets) to say whether a word was
    seen, so a separate 2-hash Bloom filter of ``cfg.seen_bits`` bits does (~2% false positives).
    """
    h = zlib.crc32(("s:" + word).encode("utf-8"))
    g = zlib.adler32(("s:" + word).encode("utf-8")) * 2654435761
    return h & (cfg.seen_bits - 1), (g >> 7) & (cfg.seen_bits - 1)


def content_words(text: str) -> list[str]:
    """Tokens of ``text`` that can carry a feeling: not function words, not single letters."""
    return [t for t, _ in tokenize(text) if len(t) > 1 and t not in FUNCTION_WORDS]


def make_seen_filter(words: Iterable[str], cfg: LexiconConfig) -> np.ndarray:
    """Packed Bloom filter [seen_bits / 8] uint8 of the training words."""
    bits = np.zeros(cfg.seen_bits, bool)
    for w in words:
        bits[list(seen_bits(w, cfg))] = True
    return np.packbits(bits)


def word_features(word: str, cfg: LexiconConfig) -> dict[int, float]:
    """Sparse hashed features of one word: whole word + char n-grams, L1-normalised per group.

    Returns:
        dict bucket -> value; the n-gram part sums to 1 and the word part to ``cfg.word_weight``.
    """
    feats: dict[int, float] = {word_bucket(word, cfg): cfg.word_weight}
    padded = f"<{word}>"
    grams = [
        padded[i : i + n] for n in range(cfg.ngram_min, cfg.ngram_max + 1) for i in range(max(1, len(padded) - n + 1))
    ]
    for g in grams:
        b = _bucket("c:" + g, cfg.n_buckets)
        feats[b] = feats.get(b, 0.0) + 1.0 / len(grams)
    return feats


def featurize(texts: Iterable[str], cfg: LexiconConfig):
    """Mean-of-tokens hashed features for many texts (used for fitting; ignores negation).

    Args:
        texts: N strings.

    Returns:
        ``scipy.sparse.csr_matrix`` [N, n_buckets] float32 and a bool array [N] (text had tokens).
    """
    from scipy import sparse

    rows, cols, vals, has = [], [], [], []
    for i, text in enumerate(texts):
        toks = [t for t, _ in tokenize(text)]
        has.append(bool(toks))
        acc: dict[int, float] = {}
        for t in toks:
            for b, v in word_features(t, cfg).items():
                acc[b] = acc.get(b, 0.0) + v / len(toks)
        rows += [i] * len(acc)
        cols += list(acc)
        vals += list(acc.values())
    x = sparse.csr_matrix((np.asarray(vals, np.float32), (rows, cols)), shape=(len(has), cfg.n_buckets))
    return x, np.asarray(has)


class HashedLexicon:
    """Linear VAD model over hashed word features.

    Args:
        weight: [3, n_buckets] float array (V, A, D rows).
        bias: [3] float array.
        seen: packed Bloom filter [seen_bits / 8] uint8 of the words that occurred in training.
        config: the :class:`LexiconConfig` the weights were fitted with.
    """

    def __init__(self, weight: np.ndarray, bias: np.ndarray, seen: np.ndarray, config: LexiconConfig):
        self.weight = np.ascontiguousarray(weight, np.float32)  # safetensors writes the raw buffer
        self.bias = np.asarray(bias, np.float32)
        self.seen = np.unpackbits(np.asarray(seen, np.uint8)).astype(bool)
        self.config = config

    def token_vad(self, word: str) -> np.ndarray:
        """Predicted [3] VAD of one token (before clipping)."""
        f = word_features(word, self.config)
        idx = np.fromiter(f.keys(), np.int64)
        return self.bias + self.weight[:, idx] @ np.fromiter(f.values(), np.float32)

    def known(self, word: str) -> bool:
        """Whether ``word`` was (probably: Bloom filter, ~2% false positives) seen in training."""
        return bool(self.seen[list(seen_bits(word, self.config))].all())

    def predict(self, text: str) -> tuple[np.ndarray, float, int, int]:
        """VAD of a text with the negation rule, and the share of tokens seen in training.

        Negators themselves are left out of the mean (their effect is the flip of the words they
        govern; fitted alone, "not" just reads as unpleasant, which would double-count it).

        Args:
            text: any text.

        Returns:
            ``(vad [3] clipped to [-1, 1], known_share in [0, 1], n_tokens, n_negated)``; a text
            without Latin-letter tokens gives the model's neutral point (its bias) and known_share 0.
        """
        toks = tokenize(text)
        if not toks:
            return np.clip(self.bias, -1, 1).astype(np.float64), 0.0, 0, 0
        preds, known, n_neg = [], 0, 0
        for tok, negated in toks:
            known += self.known(tok)
            if tok in NEGATORS or tok.endswith("n't"):
                continue
            p = self.token_vad(tok)
            if negated:
                p = p.copy()
                p[0] = self.bias[0] + NEGATION_FACTOR * (p[0] - self.bias[0])
                n_neg += 1
            preds.append(p)
        vad = np.mean(preds, axis=0) if preds else self.bias
        return np.clip(vad, -1, 1).astype(np.float64), known / len(toks), len(toks), n_neg
