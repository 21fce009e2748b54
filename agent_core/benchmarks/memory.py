"""Memory benchmark: insert rate, search latency and recall per index kind, rebuild time, crash safety.

Latents are structured, as the agent's are: the shipped tworooms encoder applied to frames of
random-policy episodes (random vectors make approximate indexes look far worse than they are on
real data; `source="random"` is there to show that). Queries are latents of held-out episodes;
recall@10 is measured against exact search over the same vectors in the same run.

The crash test runs a writer process that commits batches (and saves the index now and then),
kills it with SIGKILL at a random moment, reopens the store, and counts memories the writer had
reported committed but that are gone, and reopens whose index disagrees with SQL.
"""

from __future__ import annotations

import hashlib
import json
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from memory import IndexSettings, MemoryInputError, MemoryStore, NewMemory, sqlite_url

QUERY_SEED_BASE = 8_000_000  # episodes for queries, disjoint from the stored ones
EPISODE_STEPS = 200
INSERT_BATCH = 10_000
IVF_PROBES = (4, 8, 16, 32, 64)
HNSW_DEPTHS = (16, 32, 64, 128)
Progress = Callable[[str, int, int], None]  # (stage, done, total)


def _frames(seeds: range) -> Iterator[np.ndarray]:
    """Frames of random-policy tworooms episodes, one episode at a time."""
    from agent_core.data.episodes import run_episode

    for seed in seeds:
        yield run_episode("tworooms", "random", seed, EPISODE_STEPS - 1).frames


def model_latents(count: int, first_seed: int, progress: Progress, checkpoint_hash: str, cache: Path) -> np.ndarray:
    """`count` latents from the shipped tworooms encoder, cached on disk (encoding is the slow part)."""
    path = cache / f"bench-latents-{checkpoint_hash[:12]}-{first_seed}-{count}.npy"
    if path.exists():
        return np.load(path)
    import torch

    from agent_core.assembly import load_world_model

    model = load_world_model("tworooms")
    episodes = -(-count // EPISODE_STEPS)
    chunks = []
    with torch.inference_mode():
        for done, frames in enumerate(_frames(range(first_seed, first_seed + episodes)), start=1):
            chunks.append(model.encode(frames).numpy().astype(np.float32))
            progress("encoding frames", done * EPISODE_STEPS, episodes * EPISODE_STEPS)
    latents = np.concatenate(chunks)[:count]
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, latents)
    return latents


def random_latents(count: int, dim: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(count, dim)).astype(np.float32)


def _memories(episode: int, latents: np.ndarray, first_step: int) -> list[NewMemory]:
    return [
        NewMemory(
            episode,
            first_step + i,
            [0.0, 0.0],
            latent,
            "I am in the left room and I see the red ball",
            {"room": "left", "agent": [10.0, 20.0]},
            0.1,
            ("red ball",),
        )
        for i, latent in enumerate(latents)
    ]


def _percentiles_ms(samples: list[float]) -> dict[str, float]:
    values = np.asarray(samples) * 1000.0
    return {"p50_ms": round(float(np.percentile(values, 50)), 3), "p99_ms": round(float(np.percentile(values, 99)), 3)}


def _recall(found: list[list[int]], truth: np.ndarray) -> float:
    hits = [len(set(f) & set(t.tolist())) / len(t) for f, t in zip(found, truth, strict=True)]
    return round(float(np.mean(hits)), 4)


def _search_figures(store: MemoryStore, queries: np.ndarray, truth_ids: np.ndarray, k: int) -> dict[str, Any]:
    """Latency of the index alone and of a full store search (index + SQL rows), and recall@k."""
    index_times, found = [], []
    for query in queries:
        start = time.perf_counter()
        hits = store.index.search(query, k)
        index_times.append(time.perf_counter() - start)
        found.append([i for i, _ in hits])
    store_times = []
    for query in queries[: min(len(queries), 200)]:
        start = time.perf_counter()
        store.search_vector(query, k)
        store_times.append(time.perf_counter() - start)
    return {
        "index_search": _percentiles_ms(index_times),
        "store_search": _percentiles_ms(store_times),
        f"recall@{k}": _recall(found, truth_ids),
    }


def benchmark_memory(
    count: int = 1_000_000,
    kinds: tuple[str, ...] = ("flat", "ivf", "hnsw"),
    queries: int = 1000,
    source: str = "model",
    dim: int | None = None,
    crash_rounds: int = 20,
    k: int = 10,
    workdir: Path | None = None,
    cache: Path | None = None,
    progress: Progress = lambda stage, done, total: None,
) -> dict[str, Any]:
    vectors, query_vectors, dim = _latents(count, queries, source, dim, progress, cache)
    report: dict[str, Any] = {"memories": count, "dim": dim, "source": source, "queries": queries}
    with _workspace(workdir) as folder:
        url = sqlite_url(folder / "bench.sqlite")
        store = MemoryStore(url, "bench", dim, index=IndexSettings(kind="flat"), warn=lambda _: None)
        episode = store.begin_episode("tworooms", 0)
        start = time.perf_counter()
        for first in range(0, count, INSERT_BATCH):
            store.remember_many(_memories(episode, vectors[first : first + INSERT_BATCH], first))
            progress("inserting", min(first + INSERT_BATCH, count), count)
        report["insert_per_s"] = round(count / (time.perf_counter() - start))
        exact = faiss.IndexFlatL2(dim)
        exact.add(vectors)
        _, truth_rows = exact.search(query_vectors, k)
        ids = store.ids()  # rows were inserted in order, so row i of `vectors` has ids[i]
        truth_ids = ids[truth_rows]
        report["indexes"] = {}
        for kind in kinds:
            progress(f"building {kind}", 0, 1)
            start = time.perf_counter()
            store.rebuild_index(IndexSettings(kind=kind))
            figures: dict[str, Any] = {"rebuild_s": round(time.perf_counter() - start, 2)}
            figures.update(_search_figures(store, query_vectors, truth_ids, k))
            if kind in ("ivf", "hnsw"):
                figures["sweep"] = {}
                for value in IVF_PROBES if kind == "ivf" else HNSW_DEPTHS:
                    current = store.index.settings
                    tuned = (
                        replace(current, ivf_probes=value)
                        if kind == "ivf"
                        else replace(current, hnsw_search_depth=value)
                    )
                    store.index.configure_search(tuned)
                    name = f"nprobe={value}" if kind == "ivf" else f"efSearch={value}"
                    figures["sweep"][name] = _search_figures(store, query_vectors, truth_ids, k)
            report["indexes"][kind] = figures
            progress(f"building {kind}", 1, 1)
        store.close()
        if "flat" in report["indexes"]:  # speed against exact search measured in this run
            exact_ms = report["indexes"]["flat"]["index_search"]["p50_ms"]
            for figures in report["indexes"].values():
                figures["speedup_vs_flat"] = round(exact_ms / max(figures["index_search"]["p50_ms"], 1e-6), 1)
        report["crash"] = crash_test(folder / "crash.sqlite", vectors, crash_rounds, progress)
    return report


def _latents(
    count: int, queries: int, source: str, dim: int | None, progress: Progress, cache: Path | None
) -> tuple[np.ndarray, np.ndarray, int]:
    if source == "random":
        size = dim or 64
        return random_latents(count, size, 0), random_latents(queries, size, 1), size
    from agent_core.assembly import shipped_checkpoint
    from agent_core.runtime import data_dir

    checkpoint = shipped_checkpoint("tworooms")
    latent_dim = json.loads((checkpoint / "config.json").read_text())["model"]["latent_dim"]
    if dim is not None and dim != latent_dim:
        raise MemoryInputError(f"the shipped model's latents have {latent_dim} values, not --dim {dim}")
    checkpoint_hash = hashlib.sha256((checkpoint / "model.safetensors").read_bytes()).hexdigest()
    folder = cache or data_dir() / "cache"
    stored = model_latents(count, 0, progress, checkpoint_hash, folder)
    held_out = model_latents(queries, QUERY_SEED_BASE, progress, checkpoint_hash, folder)
    return stored, held_out, stored.shape[1]


@contextmanager
def _workspace(folder: Path | None) -> Iterator[Path]:
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        yield folder
        return
    with tempfile.TemporaryDirectory(prefix="worldmind-bench-memory-") as temporary:
        yield Path(temporary)


# -- crash safety ------------------------------------------------------------------------------
WRITER_BATCH = 200


def crash_writer(url: str, vectors_path: str, first: int) -> None:
    """Runs in the child process: commit batches forever, report each committed range on stdout."""
    vectors = np.load(vectors_path, mmap_mode="r")
    store = MemoryStore(url, "crash", vectors.shape[1], warn=lambda _: None)
    episode = store.begin_episode("tworooms", first)
    for batch in range(10**9):
        rows = np.asarray(vectors[(batch * WRITER_BATCH) % (len(vectors) - WRITER_BATCH) :][:WRITER_BATCH])
        ids = store.remember_many(_memories(episode, rows, batch * WRITER_BATCH))
        print(ids[0], ids[-1], flush=True)
        if batch % 10 == 9:
            store.save_index()


def crash_test(path: Path, vectors: np.ndarray, rounds: int, progress: Progress, seed: int = 0) -> dict[str, Any]:
    url = sqlite_url(path)
    sample = path.with_suffix(".vectors.npy")
    np.save(sample, vectors[: 20 * WRITER_BATCH])
    chooser = random.Random(seed)
    committed: set[int] = set()
    lost, inconsistent, warned = 0, 0, 0
    for round_index in range(rounds):
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from agent_core.benchmarks.memory import crash_writer; "
                "crash_writer(sys.argv[1], sys.argv[2], int(sys.argv[3]))",
                url,
                str(sample),
                str(round_index),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(chooser.uniform(0.8, 3.0))
        child.send_signal(signal.SIGKILL)
        output, _ = child.communicate()
        for line in output.splitlines():
            parts = line.split()
            if len(parts) == 2:  # a line cut by the kill is not a report
                committed.update(range(int(parts[0]), int(parts[1]) + 1))
        warnings: list[str] = []
        store = MemoryStore(url, "crash", vectors.shape[1], warn=warnings.append)
        warned += bool(warnings)
        present = set(store.ids().tolist())
        lost += len(committed - present)
        report = store.check()
        if not report["consistent"] or len(store.index) != store.count():
            inconsistent += 1
        store.close()
        progress("crash test", round_index + 1, rounds)
    return {
        "rounds": rounds,
        "committed_reported": len(committed),
        "lost_committed": lost,
        "inconsistent_reopens": inconsistent,
        "reopens_that_repaired_the_index": warned,
    }
