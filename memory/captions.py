"""Natural-language search over captions with a sentence embedder (MiniLM when it is installed).

Captions repeat (the agent describes the same room and objects many times), so embeddings are
kept per distinct caption in SQL. They are computed at search time for captions not embedded yet,
so writing memories never waits for the embedder, and the agent need not load it at all.
"""

from __future__ import annotations

from typing import Protocol

import faiss
import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import sessionmaker

from memory.schema import CaptionEmbedding, Memory


class TextEmbedder(Protocol):
    """Maps sentences to unit-length vectors; `name` tells apart embeddings of different models."""

    name: str

    def embed(self, texts: list[str]) -> np.ndarray: ...


class CaptionIndex:
    def __init__(self, sessions: sessionmaker, namespace_id: int, embedder: TextEmbedder) -> None:
        self.sessions = sessions
        self.namespace_id = namespace_id
        self.embedder = embedder
        self.captions: list[str] = []
        self.index: faiss.IndexFlatIP | None = None

    def sync(self) -> None:
        """Embed the namespace's captions that have no embedding yet, then load them all."""
        with self.sessions() as session:
            embedded = select(CaptionEmbedding.caption).where(
                CaptionEmbedding.namespace_id == self.namespace_id, CaptionEmbedding.model == self.embedder.name
            )
            new = sorted(
                session.scalars(
                    select(Memory.caption)
                    .where(Memory.namespace_id == self.namespace_id, Memory.caption.not_in(embedded))
                    .distinct()
                )
            )
        if new:
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
        with self.sessions() as session:
            rows = session.execute(
                select(CaptionEmbedding.caption, CaptionEmbedding.vector).where(
                    CaptionEmbedding.namespace_id == self.namespace_id, CaptionEmbedding.model == self.embedder.name
                )
            ).all()
        self.captions = [caption for caption, _ in rows]
        self.index = None
        if rows:
            vectors = np.stack([np.frombuffer(vector, dtype=np.float32) for _, vector in rows])
            self.index = faiss.IndexFlatIP(vectors.shape[1])
            self.index.add(np.ascontiguousarray(vectors))

    def search(self, text: str, limit: int) -> dict[str, float]:
        """The captions most similar in meaning to `text`, with cosine similarity."""
        self.sync()
        if self.index is None or not text.strip():
            return {}
        query = np.asarray(self.embedder.embed([text]), dtype=np.float32)
        scores, rows = self.index.search(query, min(limit, len(self.captions)))
        return {self.captions[r]: float(s) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0}
