"""Process-wide runtime settings that several commands share: torch threads, data directory."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir


def apply_thread_setting(threads: int | None) -> None:
    """Set torch's intra-op threads; None keeps torch's default (all cores)."""
    if threads is None:
        return
    import torch

    torch.set_num_threads(threads)


def data_dir() -> Path:
    """Where worldmind keeps its database and caches (WORLDMIND_HOME overrides)."""
    return Path(os.environ.get("WORLDMIND_HOME") or user_data_dir("worldmind", appauthor=False))


def default_db_url() -> str:
    """The memory database when none is given: SQLite in the data directory."""
    return f"sqlite:///{data_dir() / 'memory.sqlite'}"
