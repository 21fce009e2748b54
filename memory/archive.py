"""Export a namespace to one zip archive and import it back, exactly.

The archive holds JSON Lines for episodes, memories and chat turns, the latents as one `.npy`
array in memory order, and a manifest with each member's sha256. Database ids are not portable,
so records are numbered by their order in the archive; exporting an imported namespace gives the
same archive again. Access statistics (how often a memory was recalled) are not exported.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from rich.progress import track

from memory.errors import LatentSpaceError, MemoryInputError
from memory.store import MemoryStore
from memory.store_types import MemoryRecord, NewMemory

FORMAT = "worldmind-memory"
VERSION = 1
MEMBERS = ("episodes.jsonl", "memories.jsonl", "chat.jsonl", "latents.npy")
_WRITE_BATCH = 5000


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows).encode()


def export_archive(store: MemoryStore, path: Path, progress: bool = False) -> dict[str, Any]:
    """Write the namespace to `path` atomically; returns the manifest."""
    episodes = store.episodes()
    episode_keys = {e["id"]: key for key, e in enumerate(episodes, start=1)}
    memory_rows, latents = [], []
    records: Iterable[MemoryRecord] = store.scan()
    if progress:
        records = track(records, total=store.count(), description="exporting", transient=True)
    for record in records:
        memory_rows.append(
            {
                "episode": episode_keys[record.episode],
                "step": record.step,
                "timestamp": record.timestamp,
                "action": record.action,
                "caption": record.caption,
                "facts": record.facts,
                "surprise": record.surprise,
                "importance": record.importance,
                "seen": list(record.seen),
            }
        )
        latents.append(record.latent)
    vectors = np.stack(latents) if latents else np.zeros((0, store.dim), np.float32)
    buffer = io.BytesIO()
    np.save(buffer, vectors.astype(np.float32), allow_pickle=False)
    episode_rows = [{k: v for k, v in e.items() if k != "id"} | {"key": episode_keys[e["id"]]} for e in episodes]
    chat = store.chat_history(limit=None)
    contents = {
        "episodes.jsonl": _jsonl(episode_rows),
        "memories.jsonl": _jsonl(memory_rows),
        "chat.jsonl": _jsonl(chat),
        "latents.npy": buffer.getvalue(),
    }
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "namespace": store.namespace,
        "latent_dim": store.dim,
        "latent_space": store.latent_space,
        "counts": {"episodes": len(episode_rows), "memories": len(memory_rows), "chat_turns": len(chat)},
        "sha256": {name: hashlib.sha256(data).hexdigest() for name, data in contents.items()},
    }
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
            for name, data in contents.items():
                archive.writestr(name, data)
        temporary.replace(path)
    except OSError as exc:  # a folder at `path`, a missing folder, a full disk: no temporary file left
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise MemoryInputError(f"cannot write the archive {path}: {exc.strerror}") from None
    return manifest


@dataclass(frozen=True)
class Archive:
    """An archive read and checked against its manifest, ready to import."""

    path: Path
    members: dict[str, bytes]
    manifest: dict[str, Any]

    @property
    def latent_dim(self) -> int:
        """The latent size it holds (to open a store for importing it)."""
        return int(self.manifest["latent_dim"])


def read_archive(path: Path) -> Archive:
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read("manifest.json"))
            contents = {name: archive.read(name) for name in MEMBERS}
    except FileNotFoundError:
        raise MemoryInputError(f"{path}: no such archive") from None
    except zipfile.BadZipFile:
        raise MemoryInputError(f"{path}: not a zip archive") from None
    except KeyError as exc:
        raise MemoryInputError(f"{path}: missing member {exc.args[0]}") from None
    except json.JSONDecodeError as exc:
        raise MemoryInputError(f"{path}: manifest.json is not JSON ({exc.msg})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise MemoryInputError(f"{path}: not a {FORMAT} archive of version {VERSION}")
    for name, data in contents.items():
        if hashlib.sha256(data).hexdigest() != manifest.get("sha256", {}).get(name):
            raise MemoryInputError(f"{path}: {name} does not match its checksum in the manifest")
    if not isinstance(manifest.get("latent_dim"), int):
        raise MemoryInputError(f"{path}: the manifest has no latent_dim")
    return Archive(path, contents, manifest)


def _lines(path: Path, name: str, data: bytes) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(data.decode().splitlines(), start=1):
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise MemoryInputError(f"{path}: {name} line {number}: {exc.msg}") from None
        if not isinstance(row, dict):
            raise MemoryInputError(f"{path}: {name} line {number}: expected an object")
        yield number, row


def _time(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def import_archive(store: MemoryStore, source: Path | Archive, progress: bool = False) -> dict[str, int]:
    """Add an archive's episodes, memories and chat to the store's namespace; validated before any write.

    `source` is a path, or an archive already read (so a large one is not read and hashed twice)."""
    archive = source if isinstance(source, Archive) else read_archive(source)
    path, contents = archive.path, archive.members
    try:
        latents = np.load(io.BytesIO(contents["latents.npy"]), allow_pickle=False)
    except ValueError as exc:
        raise MemoryInputError(f"{path}: latents.npy is unreadable ({exc})") from None
    if latents.ndim != 2 or latents.shape[1] != store.dim:
        raise MemoryInputError(f"{path}: latents have shape {latents.shape}; this memory stores {store.dim}-d latents")
    try:
        episodes = {row["key"]: row for _, row in _lines(path, "episodes.jsonl", contents["episodes.jsonl"])}
        for row in episodes.values():
            _time(row["started_at"]), _time(row.get("ended_at"))
        memories = [
            _parse_memory(path, number, row, episodes)
            for number, row in _lines(path, "memories.jsonl", contents["memories.jsonl"])
        ]
        chat = [
            (row["role"], row["text"], _time(row["timestamp"]))
            for _, row in _lines(path, "chat.jsonl", contents["chat.jsonl"])
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise MemoryInputError(f"{path}: malformed record ({type(exc).__name__}: {exc})") from None
    if len(memories) != len(latents):
        raise MemoryInputError(f"{path}: {len(memories)} memories but {len(latents)} latents")
    space = archive.manifest.get("latent_space")  # absent from archives made before spaces were recorded
    try:
        store.adopt_latent_space(space)  # the first write: refused unless the namespace is empty or of that space
    except LatentSpaceError:
        raise MemoryInputError(
            f"{path}: its latents come from {space or 'an unrecorded world model'}, the namespace's from "
            f"{store.latent_space or 'an unrecorded world model'}; import it into a new namespace"
        ) from None
    new_episode = {
        key: store.begin_episode(
            row["world"], int(row["seed"]), _time(row["started_at"]), _time(row.get("ended_at")), row.get("summary")
        )
        for key, row in episodes.items()
    }
    pairs: Iterable[tuple[NewMemory, np.ndarray]] = zip(memories, latents, strict=True)
    if progress:
        pairs = track(pairs, total=len(memories), description="importing", transient=True)
    batch: list[NewMemory] = []
    for memory, latent in pairs:
        batch.append(replace(memory, episode=new_episode[memory.episode], latent=latent))
        if len(batch) >= _WRITE_BATCH:
            store.remember_many(batch)
            batch = []
    store.remember_many(batch)
    for role, text, timestamp in chat:
        store.add_chat_turn(role, text, timestamp)
    return {"episodes": len(episodes), "memories": len(memories), "chat_turns": len(chat)}


def _parse_memory(path: Path, number: int, row: dict[str, Any], episodes: dict[int, Any]) -> NewMemory:
    """Validate one memory line; its episode stays the archive's key until the episodes are written."""
    if row.get("episode") not in episodes:
        raise MemoryInputError(f"{path}: memories.jsonl line {number}: unknown episode {row.get('episode')}")
    return NewMemory(
        episode=row["episode"],
        step=int(row["step"]),
        action=list(row["action"]),
        latent=np.zeros(0, np.float32),
        caption=str(row["caption"]),
        facts=dict(row["facts"]),
        surprise=None if row["surprise"] is None else float(row["surprise"]),
        seen=tuple(str(name) for name in row["seen"]),
        importance=float(row["importance"]),
        timestamp=_time(row["timestamp"]),
    )
