"""Building archives by hand (valid, malformed, or zip bombs) and checking what the CLI did with them."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import struct
import zipfile
import zlib
from contextlib import closing
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from memory.archive import FORMAT, VERSION


def rows(url: str) -> dict[str, list[tuple]] | None:
    """Every row of every table of a SQLite database (None if the file does not exist)."""
    path = Path(url.removeprefix("sqlite:///"))
    if not path.exists():
        return None
    with closing(sqlite3.connect(path)) as connection:
        tables = [t for (t,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return {t: connection.execute(f'SELECT * FROM "{t}" ORDER BY rowid').fetchall() for t in tables}


def episode_row(key: int = 1, **changes: Any) -> dict[str, Any]:
    row = {
        "key": key,
        "world": "tworooms",
        "seed": 7,
        "started_at": f"2026-01-0{key}T00:00:00+00:00",
        "ended_at": None,
        "summary": {"memories": 2},
    }
    return row | changes


def memory_row(step: int = 0, **changes: Any) -> dict[str, Any]:
    row = {
        "episode": 1,
        "step": step,
        "timestamp": f"2026-01-01T00:00:0{step}+00:00",
        "action": [0.25, -1.0],
        "caption": f"step {step}",
        "facts": {"room": "left"},
        "surprise": 0.5,
        "importance": 0.5,
        "seen": ["red ball"],
    }
    return row | changes


def chat_row(**changes: Any) -> dict[str, Any]:
    return {"role": "user", "text": "where is the red ball?", "timestamp": "2026-01-01T00:01:00+00:00"} | changes


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def jsonl(items: list[Any]) -> bytes:
    """Rows as JSON Lines; a str or bytes item is written as it is (to write what json.dumps would not)."""
    lines = [
        item.encode() if isinstance(item, str) else item if isinstance(item, bytes) else json.dumps(item).encode()
        for item in items
    ]
    return b"".join(line + b"\n" for line in lines)


def archive_members(
    episodes: list[Any] | None = None,
    memories: list[Any] | None = None,
    chat: list[Any] | None = None,
    latents: np.ndarray | bytes | None = None,
    dim: int = 3,
    **manifest_changes: Any,
) -> dict[str, bytes]:
    """The members of an archive, its manifest's counts and checksums agreeing with what is given."""
    episodes = [episode_row()] if episodes is None else episodes
    memories = [memory_row(0), memory_row(1)] if memories is None else memories
    chat = [chat_row()] if chat is None else chat
    if latents is None:
        latents = np.arange(len(memories) * dim, dtype=np.float32).reshape(len(memories), dim)
    contents = {
        "episodes.jsonl": jsonl(episodes),
        "memories.jsonl": jsonl(memories),
        "chat.jsonl": jsonl(chat),
        "latents.npy": latents if isinstance(latents, bytes) else npy(latents),
    }
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "namespace": "source",
        "latent_dim": dim,
        "latent_space": None,
        "counts": {"episodes": len(episodes), "memories": len(memories), "chat_turns": len(chat)},
        "sha256": {name: hashlib.sha256(data).hexdigest() for name, data in contents.items()},
    } | manifest_changes
    return {"manifest.json": json.dumps(manifest).encode(), **contents}


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def write_archive(path: Path, **kwargs: Any) -> Path:
    return write_zip(path, archive_members(**kwargs))


@lru_cache(maxsize=2)
def deflated_zeros(size: int) -> tuple[bytes, int]:
    """A raw deflate stream of `size` zero bytes and their CRC-32, made without compressing them all:
    after a full flush, every further MiB of zeros compresses to the same bytes."""
    chunk = bytes(1 << 20)
    assert size % len(chunk) == 0
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first, second, third = (compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH) for _ in range(3))
    assert second == third
    crc = 0
    for _ in range(size // len(chunk)):
        crc = zlib.crc32(chunk, crc)
    return first + second * (size // len(chunk) - 1) + compressor.flush(), crc


def write_raw_zip(path: Path, members: dict[str, tuple[bytes, int, int]]) -> Path:
    """A zip of already deflated members, name -> (deflated bytes, CRC-32, size it declares)."""
    with path.open("wb") as handle:
        directory = b""
        for name, (data, crc, size) in members.items():
            offset, encoded = handle.tell(), name.encode()
            handle.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), size, len(encoded), 0))
            handle.write(encoded + data)
            directory += struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0,
                crc,
                len(data),
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            directory += encoded
        start = handle.tell()
        handle.write(directory)
        handle.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(directory), start, 0))
    return path


def deflated(data: bytes) -> tuple[bytes, int, int]:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(), zlib.crc32(data), len(data)
