"""Paths that cannot be written or read, and ids no SQL integer holds: one line, exit 2, nothing changed."""

from __future__ import annotations

from tests.conftest import assert_usage_error
from tests.hostile.archives import rows


def test_export_into_a_directory_or_a_missing_folder_is_refused_and_leaves_no_temporary(cli_run, db, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    assert_usage_error(cli_run("memory", "export", folder, "--db", db, "-n", "robot", "--force"), "is a directory")
    assert_usage_error(
        cli_run("memory", "export", tmp_path / "missing" / "a.zip", "--db", db, "-n", "robot"), "no folder"
    )
    assert list(folder.iterdir()) == [] and not (tmp_path / "missing").exists()
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*.tmp"))


def test_import_of_a_directory_is_refused(cli_run, db, tmp_path):
    before = rows(db)
    assert_usage_error(cli_run("memory", "import", tmp_path, "--db", db, "-n", "copy"), "is a directory")
    assert rows(db) == before


def test_an_index_path_that_is_a_directory_is_refused(cli_run, db, tmp_path):
    index = tmp_path / "memory.sqlite.index" / "namespace-1.faiss"
    index.unlink()
    index.mkdir()
    before = rows(db)
    assert_usage_error(cli_run("memory", "list", "--db", db, "-n", "robot"), "index file", "is a directory")
    assert rows(db) == before and index.is_dir() and not list(index.parent.glob(".*.tmp"))


def test_ids_beyond_64_bits_are_refused(cli_run, db):
    huge = "99999999999999999999"
    before = rows(db)
    assert_usage_error(cli_run("memory", "show", huge, "--db", db, "-n", "robot"), f"no memory {huge}")
    assert_usage_error(cli_run("memory", "search", "--like", huge, "--db", db, "-n", "robot"), f"no memory {huge}")
    assert_usage_error(cli_run("memory", "forget", huge, "--yes", "--db", db, "-n", "robot"), f"no memory {huge}")
    assert_usage_error(cli_run("memory", "list", "--episode", huge, "--db", db, "-n", "robot"), f"no episode {huge}")
    assert_usage_error(
        cli_run("memory", "forget", "--episode", f"-{huge}", "--yes", "--db", db, "-n", "robot"), "no episode"
    )
    assert rows(db) == before
