"""Collecting datasets: shards written atomically, a manifest updated after each shard.

A shard is only listed in the manifest once its file is complete and renamed into place, so an
interrupted collection leaves a consistent, readable dataset, and running the same command
again resumes with the shards that are missing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from agent_core.data.episodes import common_states, run_episode
from agent_core.errors import DatasetError, WorldError
from agent_core.worlds import make_world
from agent_core.worlds.policies import POLICIES, is_external, make_policy

MANIFEST = "manifest.json"
FORMAT = "worldmind-dataset/1"


@dataclass(frozen=True)
class CollectionSpec:
    """Everything that determines a dataset's content; a resume must match it exactly."""

    world: str
    policy: str
    episodes: int
    steps: int
    seed: int = 0
    noise: float = 0.3
    episodes_per_shard: int = 16

    def validate(self) -> None:
        world = make_world(self.world)  # raises WorldError for an unknown world
        try:
            if is_external(self.policy):  # refused before any shard: a bad module or factory
                world.reset(seed=self.seed)
                make_policy(self.policy, world, seed=self.seed)
        finally:
            world.close()
        if is_external(self.policy):
            pass
        elif self.policy not in POLICIES:
            raise WorldError(f"unknown policy {self.policy!r}; known: {', '.join(POLICIES)}")
        if self.policy == "noisy-expert" and self.world != "tworooms":
            raise WorldError("the noisy-expert policy exists for tworooms only")
        for name in ("episodes", "steps", "episodes_per_shard"):
            if getattr(self, name) < 1:
                raise WorldError(f"{name} must be a positive integer, got {getattr(self, name)}")
        if self.seed < 0:
            raise WorldError(f"invalid seed {self.seed}: a seed is a non-negative integer")

    @property
    def shard_count(self) -> int:
        return -(-self.episodes // self.episodes_per_shard)

    def shard_seeds(self, index: int) -> list[int]:
        first = index * self.episodes_per_shard
        last = min(first + self.episodes_per_shard, self.episodes)
        return [self.seed + i for i in range(first, last)]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Write through a temporary file, fsync it, then rename it over `path`."""
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    tmp.replace(path)


def _write_shard(spec: CollectionSpec, index: int, out: Path) -> dict[str, Any]:
    """Collect one shard's episodes and write them as one compressed .npz file."""
    episodes = [run_episode(spec.world, spec.policy, s, spec.steps, spec.noise) for s in spec.shard_seeds(index)]
    arrays: dict[str, np.ndarray] = {
        "seeds": np.array([e.seed for e in episodes], dtype=np.int64),
        "frames": np.stack([e.frames for e in episodes]),
        "actions": np.stack([e.actions for e in episodes]),
        "facts_json": np.frombuffer(json.dumps([e.facts for e in episodes]).encode(), np.uint8),
    }
    for key in common_states([e.states for e in episodes]):
        arrays[f"state_{key}"] = np.stack([e.states[key] for e in episodes])
    return write_shard(out, index, arrays)


def write_shard(folder: Path, index: int, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Write one shard (`seeds`, `frames`, `actions`, `facts_json`, states) atomically; returns its
    manifest record, checksum included."""
    path = folder / f"shard-{index:05d}.npz"

    def write(tmp: Path) -> None:
        with tmp.open("wb") as handle:
            np.savez_compressed(handle, **arrays)  # type: ignore[arg-type]

    write_atomically(path, write)
    return {
        "index": index,
        "file": path.name,
        "episodes": len(arrays["seeds"]),
        "seeds": arrays["seeds"].tolist(),
        "sha256": sha256_file(path),
    }


def _action_dim(world: str) -> int:
    env = make_world(world)
    env.close()
    return int(np.prod(env.action_space.shape or (0,)))


def _save_manifest(out: Path, spec: CollectionSpec, shards: dict[int, dict[str, Any]]) -> None:
    manifest = {
        "format": FORMAT,
        "spec": asdict(spec),
        "world": spec.world,
        "action_dim": _action_dim(spec.world),
        "complete": len(shards) == spec.shard_count,
        "shards": [shards[i] for i in sorted(shards)],
    }
    write_atomically(out / MANIFEST, lambda tmp: tmp.write_text(json.dumps(manifest, indent=1)))


def _prepare_output(out: Path, spec: CollectionSpec, force: bool) -> dict[int, dict[str, Any]]:
    """Return the shards already done (for a resume); refuse to clobber another dataset."""
    manifest_path = out / MANIFEST
    if force and out.exists():
        shutil.rmtree(out)
    if manifest_path.exists():
        try:
            manifest = json.loads(manifest_path.read_text())
            same_spec = manifest["spec"] == asdict(spec)
            complete = bool(manifest["complete"])
        except (ValueError, KeyError, TypeError) as exc:
            raise DatasetError(f"{manifest_path} is not a worldmind manifest; use --force to replace it") from exc
        if complete or not same_spec:
            what = "a complete dataset" if complete else "a dataset collected with other settings"
            raise DatasetError(f"{out} already holds {what}; use --force to overwrite it")
        return {shard["index"]: shard for shard in manifest["shards"]}
    if out.exists() and any(out.iterdir()):
        raise DatasetError(f"{out} is not empty and holds no dataset; use --force or another folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise DatasetError(f"cannot write to {out}: {exc.strerror or exc}") from exc
    return {}


def collect_dataset(
    spec: CollectionSpec,
    out: Path,
    workers: int = 1,
    force: bool = False,
    on_shard: Callable[[int, int], None] | None = None,
) -> Path:
    """Collect (or resume collecting) the dataset described by `spec` into `out`.

    `on_shard(done, total)` is called after each shard lands, for progress display.
    """
    spec.validate()
    if workers < 1:
        raise WorldError(f"workers must be a positive integer, got {workers}")
    done = _prepare_output(out, spec, force)
    todo = [i for i in range(spec.shard_count) if i not in done]
    _save_manifest(out, spec, done)
    if on_shard:
        on_shard(len(done), spec.shard_count)
    if workers == 1 or len(todo) <= 1:
        for index in todo:
            done[index] = _write_shard(spec, index, out)
            _save_manifest(out, spec, done)
            if on_shard:
                on_shard(len(done), spec.shard_count)
    else:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(_write_shard, spec, index, out) for index in todo]
            for future in as_completed(futures):
                record = future.result()
                done[record["index"]] = record
                _save_manifest(out, spec, done)
                if on_shard:
                    on_shard(len(done), spec.shard_count)
    return out
