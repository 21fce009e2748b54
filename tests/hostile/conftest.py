"""A database that hostile input must leave exactly as it was."""

from __future__ import annotations

import numpy as np
import pytest

from memory import MemoryStore, NewMemory


@pytest.fixture
def db(tmp_path):
    """A SQLite database whose namespace 'robot' holds one episode of two 3-d memories and a chat turn."""
    url = f"sqlite:///{tmp_path / 'memory.sqlite'}"
    store = MemoryStore(url, "robot", 3)
    episode = store.begin_episode("tworooms", 1)
    store.remember_many(
        [
            NewMemory(episode, step, [0.0, 0.0], np.full(3, step, np.float32), f"robot {step}", {}, 0.1)
            for step in (0, 1)
        ]
    )
    store.add_chat_turn("user", "hello")
    store.close()
    return url
