"""Searching memories by the meaning of their captions (sentence embeddings cached per caption)."""

from __future__ import annotations

import numpy as np
import pytest

from language.embeddings import load_sentence_embedder
from memory import MemoryStore, NewMemory

SYNONYMS = {"crimson": "red", "sphere": "ball", "scarlet": "red"}
CAPTIONS = ["I see the red ball in the left room", "I see the green key in the right room", "the room is empty"]


class SynonymEmbedder:
    """Bag of words with a few synonyms folded together: enough to tell meaning from spelling."""

    name = "synonyms"

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.embedded.extend(texts)
        vocabulary = sorted({SYNONYMS.get(w, w) for t in CAPTIONS for w in t.lower().split()})
        vectors = np.zeros((len(texts), len(vocabulary)), np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                word = SYNONYMS.get(word, word)
                if word in vocabulary:
                    vectors[row, vocabulary.index(word)] = 1.0
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-6)


def stored(tmp_path, embedder) -> MemoryStore:
    store = MemoryStore(f"sqlite:///{tmp_path / 'm.sqlite'}", "a", 2, text_embedder=embedder)
    episode = store.begin_episode("tworooms", 0)
    store.remember_many([NewMemory(episode, i, [], np.full(2, i, np.float32), CAPTIONS[i % 3], {}) for i in range(9)])
    return store


def test_captions_are_found_by_meaning_and_embedded_once(tmp_path):
    embedder = SynonymEmbedder()
    store = stored(tmp_path, embedder)
    found = store.search_text("crimson sphere", limit=3)
    assert [r.caption for r in found] == [CAPTIONS[0]] * 3 and [r.step for r in found] == [6, 3, 0]
    assert store.search_text("scarlet sphere", limit=1)[0].caption == CAPTIONS[0]
    assert sorted(embedder.embedded[:3]) == sorted(CAPTIONS)  # three distinct captions, embedded once
    assert embedder.embedded[3:] == ["crimson sphere", "scarlet sphere"]
    assert store.recall(text="crimson sphere", k=1)[0].caption == CAPTIONS[0]


@pytest.mark.skipif(load_sentence_embedder() is None, reason="the MiniLM package (text extra) is not installed")
def test_minilm_ranks_a_paraphrase_first(tmp_path):
    store = stored(tmp_path, load_sentence_embedder())
    assert store.search_text("where was the crimson sphere?", limit=1)[0].caption == CAPTIONS[0]
    assert store.search_text("a key that is green", limit=1)[0].caption == CAPTIONS[1]
