"""The episodic memory store on SQLite: scoping, retrieval, persistence, forgetting."""

from __future__ import annotations

import numpy as np
import pytest

from memory import MemoryInputError, MemoryStore
from memory.store import sqlite_url


def facts(room="left", visible=("red ball",)):
    return {
        "room": room,
        "agent": [1, 2],
        "visible": list(visible),
        "objects": {"red ball": {"position": [3, 4], "room": room, "color": [1, 2, 3]}},
    }


@pytest.fixture
def url(tmp_path):
    return sqlite_url(tmp_path / "m.sqlite")


def fill(store: MemoryStore, n: int = 5) -> list[int]:
    episode = store.begin_episode("tworooms", 0)
    return [
        store.remember(
            episode,
            i,
            [0.0, 0.0],
            np.full(4, i, np.float32),
            f"step {i}",
            facts(),
            float(i),
            ["red ball"] if i % 2 == 0 else [],
        )
        for i in range(n)
    ]


def test_namespaces_never_see_each_other(url):
    alice, bob = MemoryStore(url, "alice", 4), MemoryStore(url, "bob", 4)
    fill(alice)
    assert alice.count() == 5 and bob.count() == 0
    assert bob.search_vector(np.zeros(4)) == [] and bob.last_seen("red ball") is None
    with pytest.raises(MemoryInputError):
        bob.get(alice.recent(1)[0].id)


def test_retrieval_by_vector_text_object_and_surprise(url):
    store = MemoryStore(url, "a", 4)
    ids = fill(store)
    nearest = store.search_vector(np.full(4, 3.1, np.float32), k=2)
    assert [m.id for m in nearest] == [ids[3], ids[4]] and nearest[0].distance < nearest[1].distance
    assert [m.step for m in store.search_text("STEP 4")] == [4]
    assert store.last_seen("red ball").step == 4
    assert [m.step for m in store.most_surprising(2)] == [4, 3]


def test_memories_and_chat_survive_a_restart(url):
    store = MemoryStore(url, "a", 4)
    fill(store)
    store.add_chat_turn("user", "hello")
    store.close()
    again = MemoryStore(url, "a", 4)
    assert again.count() == 5 and again.index.ntotal == 5
    assert again.chat_history()[-1]["text"] == "hello"
    assert again.last_episode()[1:] == ("tworooms", 0)


def test_forgetting_removes_rows_and_vectors(url):
    store = MemoryStore(url, "a", 4)
    other = MemoryStore(url, "b", 4)
    fill(store)
    fill(other)
    assert store.forget_all() == 5
    assert store.count() == 0 and store.index.ntotal == 0 and store.search_vector(np.zeros(4)) == []
    assert other.count() == 5


def test_episode_summary_on_close(url):
    store = MemoryStore(url, "a", 4)
    fill(store)
    episode = store.last_episode()[0]
    store.end_episode(episode)
    with pytest.raises(MemoryInputError, match="unknown episode"):
        store.end_episode(episode + 100)


def test_bad_input_is_refused_with_nothing_lost(url, tmp_path):
    store = MemoryStore(url, "a", 4)
    fill(store)
    with pytest.raises(MemoryInputError, match="4"):
        store.remember(store.last_episode()[0], 9, [], np.zeros(3), "x", {}, None)
    with pytest.raises(MemoryInputError, match="values"):
        store.search_vector(np.zeros(7))
    assert store.count() == 5
    with pytest.raises(MemoryInputError, match="bad database URL"):
        MemoryStore("notadb://x", "a", 4)
