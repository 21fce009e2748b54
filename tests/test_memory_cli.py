"""`worldmind memory ...` as a user runs it: JSON on stdout, messages on stderr, exit codes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from memory import MemoryStore, NewMemory
from tests.conftest import assert_usage_error


@pytest.fixture
def db(tmp_path):
    """A database with one namespace holding two episodes of memories."""
    url = f"sqlite:///{tmp_path / 'memory.sqlite'}"
    store = MemoryStore(url, "robot", 4)
    for seed in (0, 1):
        episode = store.begin_episode("tworooms", seed)
        store.remember_many(
            [
                NewMemory(
                    episode,
                    step,
                    [0.0, 0.0],
                    np.full(4, step + 10 * seed, np.float32),
                    f"I see the {'red ball' if step % 2 else 'green key'} in the left room",
                    {"room": "left"},
                    float(step),
                    ("red ball",) if step % 2 else ("green key",),
                )
                for step in range(4)
            ]
        )
        store.end_episode(episode)
    store.add_chat_turn("user", "hello")
    store.close()
    return url


def data(result):
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_stats_list_show_and_namespaces(cli_run, db):
    assert data(cli_run("memory", "namespaces", "--db", db, "--json")) == ["robot"]
    stats = data(cli_run("memory", "stats", "--db", db, "-n", "robot", "--json"))
    assert stats["memories"] == 8 and stats["episodes"] == 2 and stats["chat_turns"] == 1
    assert stats["latent_dim"] == 4 and stats["index_vectors"] == 8
    listed = data(cli_run("memory", "list", "--db", db, "-n", "robot", "--seen", "red ball", "--json"))
    assert [m["step"] for m in listed] == [3, 1, 3, 1] and all(m["seen"] == ["red ball"] for m in listed)
    assert len(data(cli_run("memory", "list", "--db", db, "-n", "robot", "--limit", "3", "--json"))) == 3
    shown = data(cli_run("memory", "show", str(listed[0]["id"]), "--db", db, "-n", "robot", "--json"))
    assert shown["facts"] == {"room": "left"} and "latent" not in shown
    table = cli_run("memory", "list", "--db", db, "-n", "robot")
    assert table.exit_code == 0 and "red ball" in table.stdout


def test_search_by_text_and_by_similar_latent(cli_run, db):
    found = data(cli_run("memory", "search", "green key", "--db", db, "-n", "robot", "--k", "2", "--json"))
    assert len(found) == 2 and all("green key" in m["caption"] for m in found)
    assert all(set(m["why"]) == {"relevance", "recency", "importance"} for m in found)
    anchor = data(cli_run("memory", "list", "--db", db, "-n", "robot", "--episode", "1", "--json"))[-1]
    like = data(cli_run("memory", "search", "--like", str(anchor["id"]), "--db", db, "-n", "robot", "--json"))
    assert anchor["id"] not in [m["id"] for m in like] and like[0]["episode"] == 1


def test_forget_asks_unless_yes_and_removes_vectors(cli_run, db):
    first = data(cli_run("memory", "list", "--db", db, "-n", "robot", "--json"))[0]["id"]
    refused = cli_run("memory", "forget", str(first), "--db", db, "-n", "robot")
    assert_usage_error(refused, "--yes")
    assert cli_run("memory", "forget", str(first), "--db", db, "-n", "robot", input="n\n").exit_code != 0
    assert cli_run("memory", "forget", str(first), "--db", db, "-n", "robot", "--yes").exit_code == 0
    assert data(cli_run("memory", "stats", "--db", db, "-n", "robot", "--json"))["memories"] == 7
    assert cli_run("memory", "forget", "--episode", "1", "--db", db, "-n", "robot", "--yes").exit_code == 0
    stats = data(cli_run("memory", "stats", "--db", db, "-n", "robot", "--json"))
    assert stats["memories"] == 3 and stats["episodes"] == 1 and stats["index_vectors"] == 3
    assert data(cli_run("memory", "check", "--db", db, "-n", "robot", "--json"))["consistent"]
    assert cli_run("memory", "forget", "--all", "--db", db, "-n", "robot", "--yes").exit_code == 0
    assert data(cli_run("memory", "stats", "--db", db, "-n", "robot", "--json"))["memories"] == 0


def test_export_then_import_into_another_database(cli_run, db, tmp_path):
    archive = tmp_path / "robot.zip"
    assert cli_run("memory", "export", archive, "--db", db, "-n", "robot").exit_code == 0
    again = cli_run("memory", "export", archive, "--db", db, "-n", "robot")
    assert_usage_error(again, "--force")
    other = f"sqlite:///{tmp_path / 'other.sqlite'}"
    assert cli_run("memory", "import", archive, "--db", other, "-n", "copy").exit_code == 0
    assert data(cli_run("memory", "stats", "--db", other, "-n", "copy", "--json"))["memories"] == 8
    bad = tmp_path / "bad.zip"
    bad.write_text("not an archive")
    result = cli_run("memory", "import", bad, "--db", other, "-n", "copy")
    assert_usage_error(result, "not a zip")


def test_check_finds_a_damaged_index_and_rebuild_repairs_it(cli_run, db, tmp_path):
    assert data(cli_run("memory", "check", "--db", db, "-n", "robot", "--json"))["consistent"]
    index_file = next((tmp_path / "memory.sqlite.index").glob("*.faiss"))
    index_file.write_bytes(b"truncated")
    damaged = cli_run("memory", "check", "--db", db, "-n", "robot", "--json")
    assert damaged.exit_code == 1 and json.loads(damaged.stdout)["repairs"]
    rebuilt = cli_run("memory", "rebuild", "--db", db, "-n", "robot", "--kind", "hnsw")
    assert rebuilt.exit_code == 0 and "hnsw" in rebuilt.stderr
    report = data(cli_run("memory", "check", "--db", db, "-n", "robot", "--json"))
    assert report["consistent"] and report["index_kind"] == "hnsw"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("stats", "-n", "nobody"), "no namespace 'nobody'"),
        (("show", "999", "-n", "robot"), "no memory #999"),
        (("list", "-n", "robot", "--since", "yesterday"), "not an ISO date"),
        (("search", "-n", "robot"), "either TEXT or --like"),
        (("rebuild", "-n", "robot", "--kind", "lsh"), "unknown index kind"),
        (("forget", "-n", "robot", "--yes"), "exactly one of"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(cli_run, db, args, message):
    assert_usage_error(cli_run("memory", *args, "--db", db), message)


def test_a_bad_database_url_is_refused(cli_run):
    result = cli_run("memory", "stats", "--db", "nonsense://", "-n", "x")
    assert_usage_error(result, "bad database URL")
