"""What a memory archive may hold, checked in full before an import writes anything.

An archive is untrusted input. Its zip directory is checked before any member is read: only the
five expected members, stored or deflated, unencrypted, each no larger than the manifest allows
(latents: memories x latent_dim x 4 bytes plus the .npy header; JSON Lines: MAX_LINE_BYTES per
record), MAX_ARCHIVE_BYTES in all, and expanding at most MAX_RATIO times once past RATIO_FLOOR.
Members are then read in chunks, hashed and cut off at their declared size, and every record is
validated (types, ranges, finite numbers, known episodes, counts agreeing with the manifest).
Every refusal is a MemoryInputError naming the archive and what is wrong with it.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from tokenize import TokenError
from typing import Annotated, Any, Literal, TypeVar

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from memory.errors import MemoryInputError
from memory.store_types import NewMemory

FORMAT = "worldmind-memory"
VERSION = 1
MANIFEST = "manifest.json"
MEMBERS = ("episodes.jsonl", "memories.jsonl", "chat.jsonl", "latents.npy")

MAX_LATENT_DIM = 65_536
MAX_RECORDS = 10_000_000  # episodes, memories or chat turns in one archive
MAX_LINE_BYTES = 1 << 16  # one JSON Lines record
MAX_JSON_DEPTH = 32  # nesting of facts and summaries
MAX_MANIFEST_BYTES = 1 << 16
NPY_HEADER_BYTES = 4096  # room for the .npy header in front of the latents
MAX_ARCHIVE_BYTES = 1 << 33  # 8 GiB uncompressed, all members together
MAX_RATIO = 100  # uncompressed / compressed size of the whole archive ...
RATIO_FLOOR = 1 << 26  # ... checked once it expands past 64 MiB
_CHUNK = 1 << 20
_INT32 = 2**31 - 1

_Strict = ConfigDict(strict=True, extra="forbid")
Finite = Annotated[float, Field(allow_inf_nan=False)]
Name = Annotated[str, Field(min_length=1, max_length=100)]


def _utc(value: Any) -> datetime:
    """An ISO time from the archive, as UTC (a time without a zone is taken to be UTC)."""
    if not isinstance(value, str):
        raise ValueError("expected an ISO time string")
    moment = datetime.fromisoformat(value)
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("time out of range") from None


Time = Annotated[datetime, BeforeValidator(_utc)]


class Counts(BaseModel):
    model_config = _Strict
    episodes: Annotated[int, Field(ge=0, le=MAX_RECORDS)]
    memories: Annotated[int, Field(ge=0, le=MAX_RECORDS)]
    chat_turns: Annotated[int, Field(ge=0, le=MAX_RECORDS)]


class Manifest(BaseModel):
    model_config = _Strict
    format: str
    version: int
    namespace: Annotated[str, Field(max_length=200)]
    latent_dim: Annotated[int, Field(ge=1, le=MAX_LATENT_DIM)]
    latent_space: Annotated[str, Field(min_length=1, max_length=100)] | None = None  # absent before spaces
    counts: Counts
    sha256: dict[Literal[MEMBERS], Annotated[str, Field(pattern="^[0-9a-f]{64}$")]]  # type: ignore[valid-type]


class EpisodeRow(BaseModel):
    model_config = _Strict
    key: Annotated[int, Field(ge=0, lt=2**63)]
    world: Name
    seed: Annotated[int, Field(ge=0, le=_INT32)]
    started_at: Time
    ended_at: Time | None = None
    summary: dict[str, Any] | None = None


class MemoryRow(BaseModel):
    model_config = _Strict
    episode: int
    step: Annotated[int, Field(ge=0, le=_INT32)]
    timestamp: Time | None
    action: Annotated[list[Finite], Field(max_length=1024)]
    caption: str
    facts: dict[str, Any]
    surprise: Finite | None
    importance: Finite
    seen: Annotated[list[Name], Field(max_length=1024)]


class ChatRow(BaseModel):
    model_config = _Strict
    role: Literal["user", "agent"]
    text: str
    timestamp: Time | None


Row = TypeVar("Row", bound=BaseModel)


@dataclass(frozen=True)
class CheckedArchive:
    """Everything an import writes, already validated: episodes by archive key, memories naming
    their episode by that key, chat turns, and one latent row per memory."""

    path: Path
    manifest: Manifest
    episodes: dict[int, EpisodeRow]
    memories: list[NewMemory]
    chat: list[ChatRow]
    latents: np.ndarray


def refuse(path: Path, problem: str) -> MemoryInputError:
    return MemoryInputError(f"{path}: {problem}")


def read_checked(path: Path) -> CheckedArchive:
    """Read and validate the archive at `path`; MemoryInputError if anything is wrong with it."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = _directory(path, archive)
            manifest = _manifest(path, archive, infos[MANIFEST])
            _check_sizes(path, manifest, infos)
            contents = {name: _member(path, archive, infos[name], manifest.sha256[name]) for name in MEMBERS}
    except FileNotFoundError:
        raise refuse(path, "no such archive") from None
    except IsADirectoryError:
        raise refuse(path, "is a directory, not an archive") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
        raise refuse(path, f"not a zip archive, or a corrupt one ({one_line(exc)})") from None
    except OSError as exc:
        raise refuse(path, f"cannot be read ({exc.strerror or one_line(exc)})") from None
    episodes: dict[int, EpisodeRow] = {}
    for number, row in _rows(path, "episodes.jsonl", contents["episodes.jsonl"], EpisodeRow):
        if row.key in episodes:
            raise refuse(path, f"episodes.jsonl line {number}: episode key {row.key} appears twice")
        episodes[row.key] = row
    memories = []
    for number, memory in _rows(path, "memories.jsonl", contents["memories.jsonl"], MemoryRow):
        if memory.episode not in episodes:
            raise refuse(path, f"memories.jsonl line {number}: unknown episode {memory.episode}")
        memories.append(_new_memory(memory))
    chat = [row for _, row in _rows(path, "chat.jsonl", contents["chat.jsonl"], ChatRow)]
    latents = _latents(path, contents["latents.npy"], manifest.latent_dim)
    if len(memories) != len(latents):
        raise refuse(path, f"{len(memories)} memories but {len(latents)} latents")
    found = {"episodes": len(episodes), "memories": len(memories), "chat_turns": len(chat)}
    for kind, count in found.items():
        if getattr(manifest.counts, kind) != count:
            raise refuse(
                path, f"the manifest counts {getattr(manifest.counts, kind)} {kind}, the archive holds {count}"
            )
    return CheckedArchive(path, manifest, episodes, memories, chat, latents)


def one_line(exc: object) -> str:
    return " ".join(str(exc).split())


def _directory(path: Path, archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    infos = archive.infolist()
    names = [info.filename for info in infos]
    unexpected = sorted(set(names) - {MANIFEST, *MEMBERS})
    if unexpected or len(names) != len(set(names)):
        what = f"unexpected member {unexpected[0]!r}" if unexpected else "a member that appears twice"
        raise refuse(path, f"not a {FORMAT} archive: it holds {what}")
    missing = [name for name in (MANIFEST, *MEMBERS) if name not in names]
    if missing:
        raise refuse(path, f"missing member {missing[0]}")
    for info in infos:
        if info.flag_bits & 0x1:
            raise refuse(path, f"{info.filename} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise refuse(path, f"{info.filename} is compressed with method {info.compress_type}, not deflate")
    return {info.filename: info for info in infos}


def _manifest(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Manifest:
    data = _read_capped(path, archive, info, MAX_MANIFEST_BYTES)
    try:
        raw = _json(data)
    except (ValueError, RecursionError) as exc:
        raise refuse(path, f"manifest.json is not JSON ({one_line(exc)})") from None
    if (
        not (isinstance(raw, dict) and raw.get("format") == FORMAT and type(raw.get("version")) is int)
        or raw.get("version") != VERSION
    ):
        raise refuse(path, f"not a {FORMAT} archive of version {VERSION}")
    try:
        manifest = Manifest.model_validate(raw)
    except ValidationError as exc:
        raise refuse(path, f"manifest.json: {_first_error(exc)}") from None
    if set(manifest.sha256) != set(MEMBERS):
        raise refuse(path, "manifest.json: sha256 must list every member")
    return manifest


def member_caps(manifest: Manifest) -> dict[str, int]:
    """The largest size each member may have, from what the manifest says the archive holds."""
    counts = manifest.counts
    return {
        "episodes.jsonl": counts.episodes * MAX_LINE_BYTES,
        "memories.jsonl": counts.memories * MAX_LINE_BYTES,
        "chat.jsonl": counts.chat_turns * MAX_LINE_BYTES,
        "latents.npy": NPY_HEADER_BYTES + counts.memories * manifest.latent_dim * 4,
    }


def _check_sizes(path: Path, manifest: Manifest, infos: dict[str, zipfile.ZipInfo]) -> None:
    for name, cap in member_caps(manifest).items():
        if infos[name].file_size > cap:
            raise refuse(path, f"{name} expands to {infos[name].file_size} bytes; its manifest allows at most {cap}")
    expanded = sum(info.file_size for info in infos.values())
    packed = sum(info.compress_size for info in infos.values())
    if expanded > MAX_ARCHIVE_BYTES:
        raise refuse(path, f"expands to {expanded} bytes; archives may hold at most {MAX_ARCHIVE_BYTES}")
    if expanded > RATIO_FLOOR and expanded > MAX_RATIO * max(packed, 1):
        raise refuse(path, f"expands {expanded // max(packed, 1)} times (at most {MAX_RATIO}): a zip bomb?")


def _read_capped(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    """The member's bytes, read in chunks and cut off past `cap` or past its declared size."""
    limit = min(cap, info.file_size)
    if info.file_size > cap:
        raise refuse(path, f"{info.filename} is larger than {cap} bytes")
    data = bytearray()
    with archive.open(info) as member:
        while chunk := member.read(_CHUNK):
            data += chunk
            if len(data) > limit:
                raise refuse(path, f"{info.filename} holds more than its declared {limit} bytes")
    return bytes(data)


def _member(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, checksum: str) -> bytes:
    data = _read_capped(path, archive, info, info.file_size)
    if hashlib.sha256(data).hexdigest() != checksum:
        raise refuse(path, f"{info.filename} does not match its checksum in the manifest")
    return data


def _json(data: bytes | str) -> Any:
    """Strict JSON: no NaN or infinities, no numbers too large for a float, nesting bounded."""
    value = json.loads(data, parse_constant=_no_constant, parse_float=_finite)
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
            stack += [(child, depth + 1) for child in (item.values() if isinstance(item, dict) else item)]
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _finite(text: str) -> float:
    value = float(text)
    if not np.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def _rows(path: Path, name: str, data: bytes, model: type[Row]) -> Iterator[tuple[int, Row]]:
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_BYTES:
            raise refuse(path, f"{name} line {number}: longer than {MAX_LINE_BYTES} bytes")
        try:
            raw = _json(line)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise refuse(path, f"{name} line {number}: not JSON ({one_line(exc)})") from None
        if not isinstance(raw, dict):
            raise refuse(path, f"{name} line {number}: expected an object")
        try:
            yield number, model.model_validate(raw)
        except ValidationError as exc:
            raise refuse(path, f"{name} line {number}: malformed record ({_first_error(exc)})") from None


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "record"
    return f"{where}: {first['msg']}" + (f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else "")


def _new_memory(row: MemoryRow) -> NewMemory:
    """A memory to write; its episode stays the archive's key and its latent is filled in on import."""
    return NewMemory(
        episode=row.episode,
        step=row.step,
        action=row.action,
        latent=np.zeros(0, np.float32),
        caption=row.caption,
        facts=row.facts,
        surprise=row.surprise,
        seen=tuple(row.seen),
        importance=row.importance,
        timestamp=row.timestamp,
    )


def _latents(path: Path, data: bytes, dim: int) -> np.ndarray:
    """The latents as float32 rows of the manifest's size; the header is checked before the array exists."""
    stream = io.BytesIO(data)
    try:
        major, _ = np.lib.format.read_magic(stream)
        if major not in (1, 2):
            raise ValueError(f".npy format version {major}")
        read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
        shape, fortran_order, dtype = read_header(stream, max_header_size=NPY_HEADER_BYTES)
    except (ValueError, SyntaxError, TypeError, TokenError, RecursionError) as exc:  # numpy parses the header
        raise refuse(path, f"latents.npy is unreadable ({one_line(exc)})") from None
    if len(shape) != 2 or fortran_order or dtype != np.dtype("<f4") or shape[1] != dim:
        raise refuse(path, f"latents.npy holds {dtype} latents of shape {shape}, not float32 rows of {dim}")
    payload = data[stream.tell() :]
    if len(payload) != shape[0] * dim * 4:
        raise refuse(path, f"latents.npy holds {len(payload)} bytes of latents, not {shape[0]} x {dim} x 4")
    latents = np.frombuffer(payload, dtype="<f4").reshape(shape[0], dim)
    if not np.all(np.isfinite(latents)):
        raise refuse(path, "latents.npy holds NaN or infinite values")
    return latents
