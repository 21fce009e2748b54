"""Reading datasets: verified shards, whole arrays for small sets, lazy windows for large ones."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from agent_core.data.collect import FORMAT, MANIFEST, sha256_file
from agent_core.errors import DatasetError

T = TypeVar("T")


@dataclass(frozen=True)
class Window:
    """T frames, the T-1 action blocks between them, and the states at those frames."""

    frames: np.ndarray  # [T, 64, 64, 3] uint8
    actions: np.ndarray  # [T-1, A * frameskip] float32
    states: dict[str, np.ndarray]  # each [T, ...]


@dataclass(frozen=True)
class Shard:
    seeds: np.ndarray
    frames: np.ndarray  # [E, S+1, 64, 64, 3]
    actions: np.ndarray  # [E, S, A]
    states: dict[str, np.ndarray]
    facts_json: bytes

    @property
    def facts(self) -> list[list[dict[str, Any]]]:
        return json.loads(self.facts_json)


class Dataset:
    """A collected dataset folder. Every shard is checked against the manifest's sha256."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        manifest_path = self.path / MANIFEST
        if not manifest_path.is_file():
            raise DatasetError(f"no dataset at {self.path} (missing {MANIFEST})")
        try:
            self.manifest: dict[str, Any] = json.loads(manifest_path.read_text())
            if self.manifest.get("format") != FORMAT:
                raise ValueError(f"format {self.manifest.get('format')!r}")
            self.shard_records: list[dict[str, Any]] = list(self.manifest["shards"])
        except (ValueError, KeyError, TypeError) as exc:
            raise DatasetError(f"{manifest_path} is not a valid worldmind manifest ({exc})") from exc

    @property
    def world(self) -> str:
        return str(self.manifest["world"])

    @cached_property
    def manifest_sha256(self) -> str:
        """Identifies the exact data a model was trained on (recorded in checkpoints)."""
        return sha256_file(self.path / MANIFEST)

    @property
    def episodes(self) -> int:
        return sum(int(s["episodes"]) for s in self.shard_records)

    def expect_world(self, world: str) -> None:
        if self.world != world:
            raise DatasetError(f"dataset {self.path} is for world {self.world!r}, not {world!r}")

    def _read_shard(self, index: int, read: Callable[[Any], T]) -> T:
        """`read(npz)` on shard `index` once its checksum is verified; unreadable -> DatasetError."""
        record = self.shard_records[index]
        path = self.path / record["file"]
        if not path.is_file():
            raise DatasetError(f"shard {path} is missing")
        if sha256_file(path) != record["sha256"]:
            raise DatasetError(f"shard {path} is corrupt or truncated (checksum mismatch)")
        try:
            with np.load(path) as data:
                return read(data)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            raise DatasetError(f"shard {path} cannot be read: {exc}") from exc

    def load_shard(self, index: int) -> Shard:
        return self._read_shard(
            index,
            lambda data: Shard(
                seeds=data["seeds"],
                frames=data["frames"],
                actions=data["actions"],
                states={k[len("state_") :]: data[k] for k in data.files if k.startswith("state_")},
                facts_json=data["facts_json"].tobytes(),
            ),
        )

    def shards(self) -> Iterator[Shard]:
        for index in range(len(self.shard_records)):
            yield self.load_shard(index)

    def load_arrays(self, max_episodes: int | None = None) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """(frames [N,T,...], actions [N,T-1,A], states {name: [N,T,...]}) for small datasets."""
        frames, actions, states = [], [], []
        count = 0
        for shard in self.shards():
            frames.append(shard.frames)
            actions.append(shard.actions)
            states.append(shard.states)
            count += len(shard.seeds)
            if max_episodes is not None and count >= max_episodes:
                break
        if not frames:
            raise DatasetError(f"dataset {self.path} has no shards yet")
        n = max_episodes if max_episodes is not None else count
        keys = [k for k in states[0] if all(k in s and s[k].shape[2:] == states[0][k].shape[2:] for s in states)]
        return (
            np.concatenate(frames)[:n],
            np.concatenate(actions)[:n],
            {k: np.concatenate([s[k] for s in states])[:n] for k in keys},
        )

    def live_lengths(self, max_episodes: int | None = None) -> np.ndarray:
        """Frames per episode up to the one where the world ended (its own end included): a
        gymnasium world that terminates holds its last frame (`facts["done"]`) until the
        fixed-length episode is over, and those held frames are no transitions."""
        lengths: list[int] = []
        for index in range(len(self.shard_records)):
            for facts in self._read_shard(index, lambda data: json.loads(data["facts_json"].tobytes())):
                ended = [step for step, fact in enumerate(facts) if fact.get("done")]
                lengths.append(ended[0] + 1 if ended else len(facts))
            if max_episodes is not None and len(lengths) >= max_episodes:
                break
        return np.array(lengths[:max_episodes], dtype=np.int64)

    def windows(self, length: int, frameskip: int = 1, shuffle: bool = True, seed: int = 0) -> Iterator[Window]:
        """Every window of `length` frames `frameskip` apart, one shard in memory at a time.

        With `shuffle`, shards are visited in random order and windows within a shard too.
        The actions between two kept frames are concatenated into one action block.
        """
        if length < 2 or frameskip < 1:
            raise DatasetError("windows need length >= 2 and frameskip >= 1")
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(self.shard_records)) if shuffle else range(len(self.shard_records))
        span = (length - 1) * frameskip
        for index in order:
            shard = self.load_shard(int(index))
            episodes, frames_per_episode = shard.frames.shape[:2]
            starts = [(e, t) for e in range(episodes) for t in range(frames_per_episode - span)]
            if shuffle:
                rng.shuffle(starts)
            for e, t in starts:
                kept = slice(t, t + span + 1, frameskip)
                blocks = shard.actions[e, t : t + span].reshape(length - 1, -1)
                yield Window(
                    frames=shard.frames[e, kept],
                    actions=blocks,
                    states={k: v[e, kept] for k, v in shard.states.items()},
                )
