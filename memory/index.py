"""The FAISS side of memory: one vector index per namespace, rebuildable from SQL at any time.

Three kinds, chosen in `IndexSettings`:
- `flat`: exact search, supports removal (IndexIDMap2 over IndexFlatL2); the default.
- `ivf`: inverted lists over k-means cells, probing a few cells per query; supports removal.
- `hnsw`: a navigable small-world graph; FAISS cannot remove from it, so deleted ids become
  tombstones filtered at search time (by over-fetching) until the next rebuild compacts them.

Files are written atomically (temporary file, fsync, rename) and identified by a checksum that the
store records in SQL, so a torn, stale or foreign file is detected on open.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from memory.errors import MemoryInputError
from memory.index_settings import IndexSettings

IVF_REGROWTH = 4  # retrain IVF cells once the index holds this many times what they were trained on
IVF_MIN_TRAINING = 1000  # below this, an IVF index is not worth training: it stays exact (flat)


class IndexFileError(Exception):
    """The index file is missing, unreadable, or not the one SQL says was written."""


class VectorIndex:
    """Ids and vectors of one namespace; `ids()` and `search()` never return a removed id."""

    def __init__(self, dim: int, settings: IndexSettings, index: Any = None) -> None:
        self.dim = dim
        self.settings = settings
        self.tombstones: set[int] = set()
        self.index: Any = index if index is not None else self._empty(train_on=None)
        self.trained_size = int(self.index.ntotal)
        self.configure_search(self.settings)

    # -- construction --------------------------------------------------------------------
    def _empty(self, train_on: np.ndarray | None) -> Any:
        kind = self.settings.kind
        if kind == "hnsw":
            graph = faiss.IndexHNSWFlat(self.dim, self.settings.hnsw_neighbors)
            graph.hnsw.efConstruction = self.settings.hnsw_build_depth
            return faiss.IndexIDMap2(graph)
        if kind == "ivf" and train_on is not None and len(train_on) >= IVF_MIN_TRAINING:
            lists = self.settings.ivf_lists or max(1, int(2 * math.sqrt(len(train_on))))
            lists = min(lists, max(1, len(train_on) // 39))  # FAISS wants ~39 points per cell
            ivf = faiss.IndexIVFFlat(faiss.IndexFlatL2(self.dim), self.dim, lists)
            sample = train_on[np.random.default_rng(0).permutation(len(train_on))[: lists * 64]]
            ivf.train(np.ascontiguousarray(sample))
            ivf.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]  # reconstruct and remove by id
            return ivf
        return faiss.IndexIDMap2(faiss.IndexFlatL2(self.dim))

    def configure_search(self, settings: IndexSettings) -> None:
        """Apply the search-time settings (IVF cells probed, HNSW search depth); no rebuild needed."""
        self.settings = settings
        inner = faiss.downcast_index(self.index.index) if isinstance(self.index, faiss.IndexIDMap2) else None
        if isinstance(inner, faiss.IndexHNSWFlat):
            inner.hnsw.efSearch = self.settings.hnsw_search_depth
        if isinstance(self.index, faiss.IndexIVFFlat):
            self.index.nprobe = self.settings.ivf_probes

    def rebuild(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Start over from these vectors (IVF retrains its cells on them)."""
        self.index = self._empty(train_on=vectors)
        self.configure_search(self.settings)
        self.tombstones.clear()
        self.trained_size = len(vectors)
        self.add(ids, vectors)

    @property
    def kind(self) -> str:
        """The kind actually built: an IVF index stays flat until it has vectors to train on."""
        if isinstance(self.index, faiss.IndexIVFFlat):
            return "ivf"
        inner = faiss.downcast_index(self.index.index)
        return "hnsw" if isinstance(inner, faiss.IndexHNSWFlat) else "flat"

    # -- contents ------------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self.index.ntotal) - len(self.tombstones)

    def ids(self) -> np.ndarray:
        if isinstance(self.index, faiss.IndexIVFFlat):
            stored = self._ivf_ids()
        else:
            stored = faiss.vector_to_array(self.index.id_map).astype(np.int64)
        if self.tombstones:
            stored = stored[~np.isin(stored, np.fromiter(self.tombstones, np.int64))]
        return stored

    def _ivf_ids(self) -> np.ndarray:
        invlists = self.index.invlists
        parts = [
            faiss.rev_swig_ptr(invlists.get_ids(cell), invlists.list_size(cell)).copy()
            for cell in range(invlists.nlist)
            if invlists.list_size(cell) > 0
        ]
        return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids) == 0:
            return
        if self.tombstones.intersection(int(i) for i in ids):  # a reused id: compact the graph first
            self.compact()
        self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))

    def remove(self, ids: Iterable[int]) -> None:
        wanted = np.fromiter(ids, dtype=np.int64)
        if wanted.size == 0:
            return
        if self.kind == "hnsw":
            present = wanted[np.isin(wanted, self.ids())]
            self.tombstones.update(int(i) for i in present)
        else:
            self.index.remove_ids(wanted)

    @property
    def needs_rebuild(self) -> bool:
        """HNSW: too many tombstones. IVF: grown well past the data its cells were trained on."""
        if self.settings.kind == "hnsw":
            return self.index.ntotal > 0 and len(self.tombstones) > self.settings.rebuild_fraction * self.index.ntotal
        if self.settings.kind == "ivf":
            return len(self) > IVF_REGROWTH * max(self.trained_size, IVF_MIN_TRAINING)
        return False

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The k nearest live ids with squared L2 distances, nearest first."""
        if len(self) == 0 or k <= 0:
            return []
        fetch = min(int(self.index.ntotal), k + len(self.tombstones))
        distances, ids = self.index.search(np.asarray(vector, np.float32).reshape(1, -1), fetch)
        found = [
            (int(i), float(d))
            for i, d in zip(ids[0], distances[0], strict=True)
            if i >= 0 and int(i) not in self.tombstones
        ]
        return found[:k]

    # -- files ---------------------------------------------------------------------------
    def compact(self) -> None:
        """Rebuild without the tombstoned vectors (HNSW only has any)."""
        if self.tombstones:
            keep = self.ids()
            self.rebuild(keep, self._vectors(keep))

    def save(self, path: Path) -> str:
        """Write atomically and return the file's checksum; tombstones are compacted first."""
        self.compact()
        data = faiss.serialize_index(self.index).tobytes()  # hashed in memory: the file is written once
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with temporary.open("wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
            directory = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        except OSError as exc:
            with suppress(OSError):
                temporary.unlink(missing_ok=True)
            raise MemoryInputError(f"cannot write the index file {path}: {exc.strerror or exc}") from None
        return hashlib.sha256(data).hexdigest()

    def _vectors(self, ids: np.ndarray) -> np.ndarray:
        if len(ids) == 0:
            return np.zeros((0, self.dim), np.float32)
        return self.index.reconstruct_batch(np.asarray(ids, np.int64))

    @classmethod
    def load(cls, path: Path, dim: int, settings: IndexSettings, checksum: str) -> VectorIndex:
        try:
            data = path.read_bytes()  # read once: hashed, then deserialized
        except FileNotFoundError:
            raise IndexFileError(f"index file {path} is missing") from None
        except IsADirectoryError:  # nothing could be written there either: refused, not rebuilt
            raise MemoryInputError(f"index file {path} is a directory; move it away to have it rebuilt") from None
        except OSError as exc:  # no permission, a file where its folder should be: rebuilding cannot fix that
            raise MemoryInputError(
                f"index file {path} cannot be read ({exc.strerror}); move it away: the index is rebuilt from SQL"
            ) from None
        if hashlib.sha256(data).hexdigest() != checksum:
            raise IndexFileError(f"index file {path} does not match the checksum recorded in SQL")
        try:
            index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
        except RuntimeError as exc:
            raise IndexFileError(f"index file {path} is unreadable: {exc}") from None
        if index.d != dim:
            raise IndexFileError(f"index file {path} holds {index.d}-d vectors, not {dim}-d")
        return cls(dim, settings, index)
