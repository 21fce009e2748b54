"""Export a namespace to one zip archive and import it back, exactly.

The archive holds JSON Lines for episodes, memories and chat turns, the latents as one `.npy`
array in memory order, and a manifest with each member's sha256. Database ids are not portable,
so records are numbered by their order in the archive; exporting an imported namespace gives the
same archive again. Access statistics (how often a memory was recalled) are not exported.

An archive to import is untrusted: `memory.archive_checks` reads and checks all of it, within
documented size limits, before one transaction writes it; an archive already imported is refused.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from rich.progress import track

from memory.archive_checks import FORMAT, VERSION, CheckedArchive, read_checked, refuse
from memory.errors import LatentSpaceError, MemoryInputError
from memory.store import MemoryStore
from memory.store_types import MemoryRecord


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows).encode()


def export_archive(store: MemoryStore, path: Path, progress: bool = False) -> dict[str, Any]:
    """Write the namespace to `path` atomically (no temporary file is left on failure); returns the manifest."""
    _check_destination(path)
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
    except OSError as exc:
        with suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise MemoryInputError(f"cannot write the archive {path}: {exc.strerror or exc}") from None
    return manifest


def _check_destination(path: Path) -> None:
    """Refuse a destination that cannot become a file before the namespace is read."""
    if path.is_dir():
        raise MemoryInputError(f"{path} is a directory; give the archive's file name (e.g. {path / 'memory.zip'})")
    if not path.parent.is_dir():
        raise MemoryInputError(f"cannot write {path}: there is no folder {path.parent}")


Archive = CheckedArchive  # what `read_archive` returns: checked in full, ready to import


def read_archive(path: Path) -> Archive:
    """Read an archive and check all of it (sizes, checksums, every record, the latents); writes nothing."""
    return read_checked(path)


def import_archive(
    store: MemoryStore, source: Path | Archive, on_progress: Callable[[int, int], None] | None = None
) -> dict[str, int]:
    """Add an archive's episodes, memories and chat to the store's namespace, in one transaction.

    `source` is a path, or an archive already read (so a large one is not read and hashed twice).
    Everything is checked before the first write; an archive whose episodes or chat turns the
    namespace already holds (imported before) is refused, so nothing is ever doubled."""
    archive = source if isinstance(source, CheckedArchive) else read_archive(source)
    path = archive.path
    if archive.latents.shape[1] != store.dim:
        raise refuse(path, f"latents have shape {archive.latents.shape}; this memory stores {store.dim}-d latents")
    _refuse_duplicates(store, archive)
    order = {key: position for position, key in enumerate(archive.episodes)}
    episodes = [row.model_dump(exclude={"key"}) for row in archive.episodes.values()]
    memories = [
        replace(memory, episode=order[memory.episode], latent=latent)
        for memory, latent in zip(archive.memories, archive.latents, strict=True)
    ]
    chat = [(turn.role, turn.text, turn.timestamp) for turn in archive.chat]
    space = archive.manifest.latent_space  # absent from archives made before spaces were recorded
    try:
        store.import_records(episodes, memories, chat, space, on_progress)
    except LatentSpaceError:
        raise refuse(
            path,
            f"its latents come from {space or 'an unrecorded world model'}, the namespace's from "
            f"{store.latent_space or 'an unrecorded world model'}; import it into a new namespace",
        ) from None
    return {"episodes": len(episodes), "memories": len(memories), "chat_turns": len(chat)}


def _refuse_duplicates(store: MemoryStore, archive: Archive) -> None:
    """Episodes (world, seed, start) and chat turns (role, text, time) of the archive that the
    namespace already holds mean it was imported before: importing again would double them."""
    held_episodes = {(e["world"], e["seed"], datetime.fromisoformat(e["started_at"])) for e in store.episodes()}
    episodes = sum((e.world, e.seed, e.started_at) in held_episodes for e in archive.episodes.values())
    held_chat = {(t["role"], t["text"], datetime.fromisoformat(t["timestamp"])) for t in store.chat_history(None)}
    turns = sum((t.role, t.text, t.timestamp) in held_chat for t in archive.chat if t.timestamp is not None)
    if episodes or turns:
        raise refuse(
            archive.path,
            f"namespace {store.namespace!r} already holds {episodes} of its {len(archive.episodes)} episodes and "
            f"{turns} of its {len(archive.chat)} chat turns: it was imported before; refused, nothing imported",
        )
