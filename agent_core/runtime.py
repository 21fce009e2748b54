"""Process-wide runtime settings that several commands share: CPU threads, data directory."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from platformdirs import user_data_dir

_threads: int | None = None  # the process's thread setting, for the language model too


def apply_thread_setting(threads: int | None) -> None:
    """Use `threads` CPU threads for torch (and faiss, which shares its OpenMP runtime) and for
    the llama.cpp language model; None keeps their defaults (torch: all cores, llama.cpp: 2).

    torch is not imported for this: a command that never needs it (`ask` about memory) must not
    pay a second or more for the import. Before torch loads, the setting goes to OpenMP's
    environment variable, which torch and faiss read when they load."""
    global _threads
    _threads = threads
    if threads is None:
        return
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
    else:
        os.environ["OMP_NUM_THREADS"] = str(threads)


def thread_setting() -> int | None:
    """The threads asked for with `--threads` / WORLDMIND_THREADS, or None."""
    return _threads


def data_dir() -> Path:
    """Where worldmind keeps its database and caches (WORLDMIND_HOME overrides)."""
    return Path(os.environ.get("WORLDMIND_HOME") or user_data_dir("worldmind", appauthor=False))


def default_db_url() -> str:
    """The memory database when none is given: SQLite in the data directory."""
    return f"sqlite:///{data_dir() / 'memory.sqlite'}"
