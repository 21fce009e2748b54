"""Schema migrations and export/import archives of the memory store."""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import create_engine, inspect, text

from memory import MemoryInputError, MemoryStore, NewMemory
from memory.archive import export_archive, import_archive
from memory.migrate import current_revision, head_revision
from tests.memory_backends import BACKENDS, fresh_database


@pytest.fixture(params=BACKENDS)
def url(request, tmp_path):
    with fresh_database(request.param, tmp_path) as database_url:
        yield database_url


def populated(url, tmp_path, namespace="a", latent_space=None) -> MemoryStore:
    store = MemoryStore(url, namespace, 3, index_dir=tmp_path / "index", latent_space=latent_space)
    episode = store.begin_episode("tworooms", 7)
    store.remember_many(
        [
            NewMemory(
                episode,
                step,
                [0.25, -1.0],
                np.array([step, step / 3, -step], np.float32),
                f"step {step}",
                {"room": "left", "agent": [step, 2]},
                None if step == 0 else step / 7,
                ("red ball",) if step % 2 else (),
                timestamp=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=step),
            )
            for step in range(6)
        ]
    )
    store.end_episode(episode)
    store.add_chat_turn("user", "where is the red ball?")
    store.add_chat_turn("agent", "In the left room.")
    return store


def members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name != "manifest.json"}


def test_export_import_round_trips_exactly(url, tmp_path):
    source = populated(url, tmp_path)
    first = tmp_path / "first.zip"
    manifest = export_archive(source, first)
    assert manifest["counts"] == {"episodes": 1, "memories": 6, "chat_turns": 2}
    target = MemoryStore(url, "copy", 3, index_dir=tmp_path / "index")
    assert import_archive(target, first) == {"episodes": 1, "memories": 6, "chat_turns": 2}
    second = tmp_path / "second.zip"
    export_archive(target, second)
    assert members(first) == members(second)
    assert target.last_seen("red ball").step == 5
    assert target.search_vector(np.array([2, 2 / 3, -2], np.float32), k=1)[0].step == 2


def rewrite(path, name, data, *, fix_checksum):
    """A copy of the archive with one member replaced (and its manifest checksum updated, if asked)."""
    with zipfile.ZipFile(path) as source:
        contents = {member: source.read(member) for member in source.namelist()}
    contents[name] = data
    if fix_checksum:
        manifest = json.loads(contents["manifest.json"])
        manifest["sha256"][name] = hashlib.sha256(data).hexdigest()
        contents["manifest.json"] = json.dumps(manifest).encode()
    broken = path.with_name(f"broken-{name}-{fix_checksum}.zip")
    with zipfile.ZipFile(broken, "w") as target:
        for member, member_data in contents.items():
            target.writestr(member, member_data)
    return broken


def test_malformed_archives_are_refused_before_anything_is_written(url, tmp_path):
    archive = tmp_path / "a.zip"
    export_archive(populated(url, tmp_path), archive)
    target = MemoryStore(url, "target", 3, index_dir=tmp_path / "index")
    (tmp_path / "not.zip").write_text("hello")
    good_line, *_ = zipfile.ZipFile(archive).read("memories.jsonl").splitlines(keepends=True)
    cases = {
        tmp_path / "missing.zip": "no such archive",
        tmp_path / "not.zip": "not a zip",
        rewrite(archive, "memories.jsonl", b'{"episode": 1}\n', fix_checksum=False): "checksum",
        rewrite(archive, "manifest.json", b"[]", fix_checksum=False): "not a worldmind-memory archive",
        rewrite(archive, "memories.jsonl", good_line * 5 + b"{oops\n", fix_checksum=True): "line 6",
        rewrite(archive, "memories.jsonl", good_line * 6 + b'{"episode": 1}\n', fix_checksum=True): "malformed",
        rewrite(archive, "memories.jsonl", good_line * 5, fix_checksum=True): "5 memories but 6 latents",
    }
    for path, message in cases.items():
        with pytest.raises(MemoryInputError, match=message):
            import_archive(target, path)
    with pytest.raises(MemoryInputError, match="5-d"):
        import_archive(MemoryStore(url, "wide", 5, index_dir=tmp_path / "index"), archive)
    assert target.count() == 0 and target.episodes() == []


def test_a_database_from_before_migrations_is_stamped_and_upgraded(url, tmp_path):
    populated(url, tmp_path).close()
    engine = create_engine(url)
    with engine.begin() as connection:  # undo revisions 0002-0003 and the stamp: the first release's database
        for table in ("caption_embeddings", "index_states", "alembic_version"):
            connection.execute(text(f"DROP TABLE {table}"))
        connection.execute(text("ALTER TABLE namespaces DROP COLUMN latent_space"))
    assert current_revision(engine) is None
    store = MemoryStore(url, "a", 3, index_dir=tmp_path / "index", warn=lambda _: None)
    assert current_revision(engine) == head_revision() == "0003"
    assert inspect(engine).has_table("index_states") and store.count() == 6
    assert store.latent_space is None  # made before latent spaces were recorded
    engine.dispose()


def test_a_database_from_a_newer_worldmind_is_refused(url, tmp_path):
    populated(url, tmp_path).close()
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(MemoryInputError, match="revision '9999', newer than this worldmind"):
        MemoryStore(url, "a", 3, index_dir=tmp_path / "index")


def test_an_archive_carries_its_latent_space(url, tmp_path):
    source = populated(url, tmp_path, latent_space="model-a")
    archive = tmp_path / "a.zip"
    assert export_archive(source, archive)["latent_space"] == "model-a"
    fresh = MemoryStore(url, "fresh", 3, index_dir=tmp_path / "index")
    import_archive(fresh, archive)
    assert fresh.latent_space == "model-a"
    other = populated(url, tmp_path, namespace="other", latent_space="model-b")
    with pytest.raises(MemoryInputError, match="come from model-a"):
        import_archive(other, archive)
    assert other.count() == 6
