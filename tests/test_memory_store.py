"""The episodic memory store, on SQLite and on PostgreSQL: scoping, retrieval, persistence, forgetting."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from memory import (
    IndexSettings,
    LatentSpaceError,
    MemoryFilter,
    MemoryInputError,
    MemoryStore,
    NewMemory,
    RetrievalWeights,
    namespaces,
)
from tests.memory_backends import BACKENDS, fresh_database


def facts(room="left"):
    return {"room": room, "agent": [1, 2], "objects": {"red ball": {"position": [3, 4], "room": room}}}


@pytest.fixture(params=BACKENDS)
def url(request, tmp_path):
    with fresh_database(request.param, tmp_path) as database_url:
        yield database_url


@pytest.fixture
def open_store(url, tmp_path):
    opened: list[MemoryStore] = []

    def _open(namespace="a", dim=4, **options):
        options.setdefault("index_dir", tmp_path / "index")
        store = MemoryStore(url, namespace, dim, **options)
        opened.append(store)
        return store

    yield _open
    for store in opened:
        store.engine.dispose()


def fill(store: MemoryStore, n: int = 5, episode: int | None = None) -> list[int]:
    episode = episode or store.begin_episode("tworooms", 0)
    return store.remember_many(
        [
            NewMemory(
                episode,
                i,
                [0.0, 1.0],
                np.full(store.dim, i, np.float32),
                f"step {i} in the left room",
                facts(),
                float(i),
                ("red ball",) if i % 2 == 0 else (),
            )
            for i in range(n)
        ]
    )


def test_namespaces_never_see_each_other(open_store, url):
    alice, bob = open_store("alice"), open_store("bob")
    fill(alice)
    assert alice.count() == 5 and bob.count() == 0
    assert bob.search_vector(np.zeros(4)) == [] and bob.last_seen("red ball") is None
    assert bob.search_text("step") == [] and bob.recall(text="step") == []
    with pytest.raises(MemoryInputError):
        bob.get(alice.recent(1)[0].id)
    with pytest.raises(MemoryInputError, match="no memory"):
        bob.forget([alice.recent(1)[0].id])
    assert alice.count() == 5
    assert namespaces(url) == ["alice", "bob"]
    with pytest.raises(MemoryInputError, match=r"no namespace 'carol'.*alice, bob"):
        open_store("carol", create=False)


def test_retrieval_by_vector_text_object_surprise_and_filters(open_store):
    store = open_store()
    ids = fill(store)
    nearest = store.search_vector(np.full(4, 3.1, np.float32), k=2)
    assert [m.id for m in nearest] == [ids[3], ids[4]] and nearest[0].distance < nearest[1].distance
    assert [m.id for m in store.search_similar(ids[2], k=2)] in ([ids[1], ids[3]], [ids[3], ids[1]])
    assert [m.step for m in store.search_text("STEP 4")] == [4]
    assert store.last_seen("red ball").step == 4
    assert [m.step for m in store.most_surprising(2)] == [4, 3]
    only_seen = store.search_vector(np.full(4, 3.1, np.float32), k=2, where=MemoryFilter(seen="red ball"))
    assert [m.step for m in only_seen] == [4, 2]
    assert [m.step for m in store.browse(MemoryFilter(min_surprise=3.0))] == [4, 3]
    future = datetime.now(UTC) + timedelta(hours=1)
    assert store.browse(MemoryFilter(since=future)) == [] and store.count(MemoryFilter(until=future)) == 5
    record = store.get(ids[0])
    assert record.seen == ("red ball",) and record.facts == facts() and record.action == [0.0, 1.0]


def test_recall_mixes_relevance_recency_and_importance(open_store):
    store = open_store()
    episode = store.begin_episode("tworooms", 0)
    old = datetime.now(UTC) - timedelta(days=1)
    near_old, far_surprising = store.remember_many(
        [
            NewMemory(episode, 0, [0, 0], np.zeros(4), "near but old", {}, 0.0, timestamp=old),
            NewMemory(episode, 1, [0, 0], np.full(4, 0.5), "farther but surprising", {}, 5.0),
        ]
    )
    relevance_only = store.recall(np.zeros(4), k=2, weights=RetrievalWeights(recency=0, importance=0))
    assert [r.id for r in relevance_only] == [near_old, far_surprising]
    balanced = store.recall(np.zeros(4), k=2)
    assert [r.id for r in balanced] == [far_surprising, near_old]
    assert set(balanced[0].why) == {"relevance", "recency", "importance"}
    assert store.get(far_surprising).access_count == 2


def test_memories_chat_and_index_survive_a_restart(open_store):
    store = open_store()
    fill(store)
    store.add_chat_turn("user", "hello")
    store.close()
    warnings: list[str] = []
    again = open_store(warn=warnings.append)
    assert warnings == []  # the saved index file was loaded, not rebuilt
    assert again.count() == 5 and len(again.index) == 5
    assert again.chat_history()[-1]["text"] == "hello"
    assert again.last_episode()[1:] == ("tworooms", 0)
    assert again.check()["consistent"]


@pytest.mark.parametrize("damage", ["delete", "truncate", "stale"])
def test_a_damaged_or_stale_index_is_rebuilt_with_a_warning(open_store, damage):
    store = open_store()
    ids = fill(store)
    store.close()
    writer = open_store()
    nearest_to_zero = ids[0]
    if damage == "delete":
        writer.index_path.unlink()
    elif damage == "truncate":
        writer.index_path.write_bytes(writer.index_path.read_bytes()[:50])
    else:  # a crash after SQL committed but before the index was saved
        nearest_to_zero = fill(writer, 3)[0]
        writer.forget([ids[0]])
        writer.engine.dispose()
    warnings: list[str] = []
    again = open_store(warn=warnings.append)
    assert len(warnings) == 1
    expected = 7 if damage == "stale" else 5
    assert again.count() == expected and len(again.index) == expected
    assert again.check()["consistent"]
    assert again.search_vector(np.zeros(4), k=1)[0].id == nearest_to_zero


def test_check_reports_what_it_would_repair(open_store):
    store = open_store()
    fill(store)
    store.close()
    store = open_store()
    store.index_path.write_bytes(b"garbage")
    report = store.check()
    assert not report["consistent"] and "rebuild the index from SQL" in report["repairs"][0]
    assert report["memories"] == 5 and report["index_file_vectors"] == 0
    store.rebuild_index()
    assert store.check()["consistent"]
    behind = open_store()
    fill(behind, 3)
    behind.engine.dispose()  # dies with its rows committed, its index file unsaved
    assert open_store(writer=False, warn=lambda _: None).check()["repairs"] == [
        "add 3 missing vectors and drop 0 deleted ones, then save the index"
    ]


@pytest.mark.parametrize("kind", ["flat", "ivf", "hnsw"])
def test_every_index_kind_finds_neighbours_and_forgets(open_store, kind):
    store = open_store(dim=8, index=IndexSettings(kind=kind, ivf_lists=4, ivf_probes=4))
    episode = store.begin_episode("tworooms", 0)
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(1200, 8)).astype(np.float32)
    ids = store.remember_many([NewMemory(episode, i, [], v, f"m{i}", {}) for i, v in enumerate(vectors)])
    store.rebuild_index()  # IVF trains its cells on what is stored
    assert store.index.kind == kind
    assert store.search_vector(vectors[7], k=1)[0].id == ids[7]
    store.forget([ids[7]])
    assert ids[7] not in [r.id for r in store.search_vector(vectors[7], k=5)]
    store.close()
    again = open_store(dim=8, index=IndexSettings(kind=kind, ivf_lists=4, ivf_probes=4))
    assert len(again.index) == 1199 and again.check()["consistent"]


def test_forgetting_by_id_episode_age_and_namespace(open_store):
    store, other = open_store("a"), open_store("b")
    first = fill(store)
    second_episode = store.begin_episode("tworooms", 1)
    fill(store, episode=second_episode)
    fill(other)
    assert store.forget(first[:2]) == 2 and store.count() == 8
    assert all(r.id not in first[:2] for r in store.search_vector(np.zeros(4), k=10))
    with pytest.raises(MemoryInputError, match="empty filter"):
        store.forget_matching(MemoryFilter())
    assert store.forget_episode(second_episode) == 5
    assert [e["seed"] for e in store.episodes()] == [0]
    assert store.forget_matching(MemoryFilter(until=datetime.now(UTC) + timedelta(seconds=5))) == 3
    store.add_chat_turn("user", "hi")
    fill(store)
    assert store.forget_all() == 5
    assert store.count() == 0 and len(store.index) == 0 and store.chat_history() == []
    assert other.count() == 5 and len(other.index) == 5


def test_episode_summary_names_objects_and_peaks(open_store):
    store = open_store()
    fill(store)
    episode = store.last_episode()[0]
    store.end_episode(episode)
    summary = store.episodes()[0]["summary"]
    assert summary["memories"] == 5 and summary["objects_seen"] == ["red ball"]
    assert [p["step"] for p in summary["most_surprising"]] == [4, 3, 2]
    with pytest.raises(MemoryInputError, match="no episode"):
        store.end_episode(episode + 100)


def test_bad_input_is_refused_with_nothing_lost(open_store):
    store = open_store()
    fill(store)
    with pytest.raises(MemoryInputError, match="4"):
        store.remember(store.last_episode()[0], 9, [], np.zeros(3), "x", {}, None)
    with pytest.raises(MemoryInputError, match="NaN"):
        store.remember(store.last_episode()[0], 9, [], np.full(4, np.nan), "x", {}, None)
    with pytest.raises(MemoryInputError, match="values"):
        store.search_vector(np.zeros(7))
    with pytest.raises(MemoryInputError, match="no episode"):
        store.remember(10_000, 9, [], np.zeros(4), "x", {}, None)
    assert store.count() == 5
    with pytest.raises(MemoryInputError, match="8-d"):
        open_store(dim=8)
    with pytest.raises(MemoryInputError, match="bad database URL"):
        MemoryStore("notadb://x", "a", 4)


def test_a_reader_sees_a_concurrent_writer_commits(open_store):
    writer, reader = open_store(), open_store(writer=False)
    episode = writer.begin_episode("tworooms", 0)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for step in range(40):
                writer.remember(episode, step, [], np.full(4, step, np.float32), "w", {}, None)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    thread = threading.Thread(target=write)
    thread.start()
    counts = []
    while thread.is_alive():
        counts.append(reader.count())
    thread.join()
    assert errors == []
    assert counts == sorted(counts) and reader.count() == 40


def test_an_ivf_index_retrains_as_it_grows_and_hnsw_compacts_tombstones(open_store):
    ivf = open_store("ivf", dim=8, index=IndexSettings(kind="ivf"))
    episode = ivf.begin_episode("tworooms", 0)
    vectors = np.random.default_rng(1).normal(size=(4200, 8)).astype(np.float32)
    ivf.remember_many([NewMemory(episode, i, [], v, "m", {}) for i, v in enumerate(vectors[:900])])
    assert ivf.index.kind == "flat"  # too few vectors to train cells on: stays exact
    ivf.remember_many([NewMemory(episode, i, [], v, "m", {}) for i, v in enumerate(vectors[900:])])
    assert ivf.index.kind == "ivf" and ivf.index.trained_size == 4200
    hnsw = open_store("hnsw", dim=8, index=IndexSettings(kind="hnsw", rebuild_fraction=0.2))
    episode = hnsw.begin_episode("tworooms", 0)
    ids = hnsw.remember_many([NewMemory(episode, i, [], v, "m", {}) for i, v in enumerate(vectors[:100])])
    hnsw.forget(ids[:15])
    assert len(hnsw.index.tombstones) == 15 and len(hnsw.index) == 85
    hnsw.forget(ids[15:25])
    assert hnsw.index.tombstones == set() and hnsw.index.index.ntotal == 75


def test_latents_of_another_encoder_are_refused_until_re_encoded(open_store):
    store = open_store(latent_space="model-a")
    ids = fill(store, 5)
    store.close()
    assert open_store(latent_space="model-a").count() == 5
    with pytest.raises(LatentSpaceError, match="holds 5 memories encoded by model-a"):
        open_store(dim=6, latent_space="model-b")
    assert open_store("empty", latent_space="model-b").latent_space == "model-b"  # nothing to re-encode

    old = open_store(dim=None)
    with pytest.raises(MemoryInputError, match="shape"):  # a failing re-encoding changes nothing
        old.reencode(lambda records: np.zeros((len(records) + 1, 6)), "model-b")
    assert old.latent_space == "model-a" and old.get(ids[2]).latent.tolist() == [2.0] * 4
    progress = []
    moved = old.reencode(
        lambda records: np.stack([np.full(6, -r.step, np.float32) for r in records]),
        "model-b",
        lambda done, total: progress.append((done, total)),
    )
    old.close()
    assert moved == 5 and progress[-1] == (5, 5)
    store = open_store(dim=6, latent_space="model-b")
    assert store.get(ids[3]).latent.tolist() == [-3.0] * 6
    assert store.search_vector(np.full(6, -2.0, np.float32), k=1)[0].id == ids[2]
