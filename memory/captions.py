"""Natural-language search over captions with a sentence embedder (MiniLM when it is installed).

Captions repeat (the agent describes the same room and objects many times), so embeddings are
kept per distinct caption in SQL, and a small inner-product index over them is rebuilt on open.
"""

from __future__ import annotations

from typing import Protocol

import faiss
import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import sessionmaker

from memory.schema import CaptionEmbedding


class TextEmbedder(Protocol):
    """Maps sentences to unit-length vectors; `name` tells apart embeddings of different models."""

    name: str

    def embed(self, texts: list[str]) -> np.ndarray: ...


class CaptionIndex:
    def __init__(self, sessions: sessionmaker, namespace_id: int, embedder: TextEmbedder) -> None:
        self.sessions = sessions
        self.namespace_id = namespace_id
        self.embedder = embedder
        self.reload()

    def reload(self) -> None:
        with self.sessions() as session:
            rows = session.execute(
                select(CaptionEmbedding.caption, CaptionEmbedding.vector).where(
                    CaptionEmbedding.namespace_id == self.namespace_id,
                    CaptionEmbedding.model == self.embedder.name,
                )
            ).all()
        self.captions = [caption for caption, _ in rows]
        self.known = set(self.captions)
        self.index: faiss.IndexFlatIP | None = None
        if rows:
            vectors = np.stack([np.frombuffer(vector, dtype=np.float32) for _, vector in rows])
            self._append_vectors(vectors)

    def _append_vectors(self, vectors: np.ndarray) -> None:
        if self.index is None:
            self.index = faiss.IndexFlatIP(vectors.shape[1])
        self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def add(self, captions: set[str]) -> None:
        """Embed and store the captions not seen before."""
        new = sorted(captions - self.known)
        if not new:
            return
        vectors = np.asarray(self.embedder.embed(new), dtype=np.float32)
        with self.sessions.begin() as session:
            session.execute(
                insert(CaptionEmbedding),
                [
                    {
                        "namespace_id": self.namespace_id,
                        "caption": c,
                        "model": self.embedder.name,
                        "vector": v.tobytes(),
                    }
                    for c, v in zip(new, vectors, strict=True)
                ],
            )
        self.captions.extend(new)
        self.known.update(new)
        self._append_vectors(vectors)

    def search(self, text: str, limit: int) -> dict[str, float]:
        """The captions most similar in meaning to `text`, with cosine similarity."""
        if self.index is None or not text.strip():
            return {}
        query = np.asarray(self.embedder.embed([text]), dtype=np.float32)
        scores, rows = self.index.search(query, min(limit, len(self.captions)))
        return {self.captions[r]: float(s) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0}
