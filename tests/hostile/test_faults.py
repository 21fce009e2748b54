"""Faults of the machine, not of the input (issue 22): a read-only, full or damaged database, a
data folder that cannot be a folder, a folder where a file should be. Each is one line on stderr,
exit 2, and leaves what is stored as it was."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from memory import MemoryStore, NewMemory
from tests.conftest import assert_usage_error

NAMESPACE = "robot"
MEMORIES = 200
ROOT = os.geteuid() == 0


def make_database(path: Path, note: str = "") -> str:
    """A SQLite database of one namespace: one episode of MEMORIES memories and its index file."""
    url = f"sqlite:///{path}"
    store = MemoryStore(url, NAMESPACE, 4)
    episode = store.begin_episode("tworooms", 0, summary={"note": note})
    store.remember_many(
        [
            NewMemory(
                episode,
                step,
                [0.0, 0.0],
                np.full(4, step, np.float32),
                f"step {step}: I see the red ball in the left room " + "and nothing else " * 8,
                {"room": "left"},
                float(step),
                ("red ball",),
            )
            for step in range(MEMORIES)
        ]
    )
    if not note:
        store.end_episode(episode)
    store.add_chat_turn("user", "hello")
    store.close()
    return url


def stored(path: Path) -> dict[str, object]:
    """Everything a command could change: the rows (while SQLite can read them), the database
    file's bytes and the index files' bytes."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            rows: object = list(connection.iterdump())
        connection.close()
    except sqlite3.DatabaseError as exc:
        rows = f"unreadable: {exc}"
    index = path.with_name(path.name + ".index")
    files = {p.name: p.read_bytes() if p.is_file() else "a folder" for p in sorted(index.glob("*.faiss"))}
    return {"rows": rows, "database": path.read_bytes(), "index": files}


@pytest.fixture
def database(tmp_path) -> tuple[Path, str]:
    path = tmp_path / "db" / "memory.sqlite"
    return path, make_database(path)


@pytest.fixture
def archive(cli_run, database, tmp_path) -> Path:
    """The namespace exported: importing it again writes MEMORIES rows."""
    target = tmp_path / "robot.zip"
    assert cli_run("memory", "export", target, "--db", database[1], "-n", NAMESPACE).exit_code == 0
    return target


# -- a database that cannot be written ---------------------------------------------------------
def read_only(path: Path, url: str, how: str) -> str:
    """The URL under which the database cannot be written. Root ignores permission bits, so the
    `uri` case opens the same file read-only through SQLite itself: the same refusal for everyone."""
    if how == "uri":
        return f"sqlite:///file:{path}?mode=ro&uri=true"
    if ROOT:
        pytest.skip("root writes through permission bits; the `uri` case covers root")
    if how == "file":
        path.chmod(0o444)
    else:
        path.parent.chmod(0o555)
    return url


@pytest.mark.parametrize("how", ["uri", "file", "folder"])
@pytest.mark.parametrize("command", ["forget", "import"])
def test_a_read_only_database_is_one_line(cli_run, database, archive, how, command):
    path, url = database
    before = stored(path)
    url = read_only(path, url, how)
    try:
        if command == "forget":
            result = cli_run("memory", "forget", "--all", "--yes", "--db", url, "-n", NAMESPACE)
        else:
            result = cli_run("memory", "import", archive, "--db", url, "-n", "copy")  # new: not a re-import
        line = assert_usage_error(result)
    finally:
        path.chmod(0o644)
        path.parent.chmod(0o755)
    assert "memory.sqlite" in line and ("readonly" in line or "unable to open" in line), line
    assert stored(path) == before


def test_an_agent_on_a_read_only_database_is_one_line(cli_run, database):
    path, _ = database
    before = stored(path)
    url = f"sqlite:///file:{path}?mode=ro&uri=true"
    line = assert_usage_error(cli_run("ask", "where is the red ball?", "--llm", "keyword-test-double", "--db", url))
    assert "memory.sqlite" in line and "readonly" in line
    assert stored(path) == before


@contextmanager
def disk_full() -> Iterator[None]:
    """A real SQLITE_FULL: every connection may not grow its database file past its present size."""

    def cap(connection, _) -> None:
        cursor = connection.cursor()
        pages = cursor.execute("PRAGMA page_count").fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count={pages}")
        cursor.close()

    event.listen(Engine, "connect", cap)
    try:
        yield
    finally:
        event.remove(Engine, "connect", cap)


def test_a_full_disk_is_one_line_naming_the_database(cli_run, database, tmp_path):
    """The archive's episode is the import's first row, and too large for the pages the database
    has: the disk is full before anything is written (an import commits episodes, then memories)."""
    path, url = database
    other = make_database(tmp_path / "other.sqlite", note="a long day " * 1000)
    archive = tmp_path / "other.zip"
    assert cli_run("memory", "export", archive, "--db", other, "-n", NAMESPACE).exit_code == 0
    before = stored(path)
    with disk_full():
        line = assert_usage_error(cli_run("memory", "import", archive, "--db", url, "-n", NAMESPACE))
    assert str(path) in line and "database or disk is full" in line
    assert stored(path) == before


def test_an_unreachable_server_is_one_line_without_its_password(cli_run):
    url = "postgresql+psycopg://worldmind:s3cret@127.0.0.1:1/worldmind"
    for command in (("memory", "namespaces"), ("memory", "stats", "-n", NAMESPACE)):
        line = assert_usage_error(cli_run(*command, "--db", url))
        assert "127.0.0.1" in line and "s3cret" not in line


def test_masked_url_masks_credentials():
    from memory.database import masked_url

    assert masked_url("postgresql://me:s3cret@db.example/wm") == "postgresql://me:***@db.example/wm"
    assert masked_url("sqlite:///file:/x/m.sqlite?mode=ro&uri=true") == "sqlite:///file:/x/m.sqlite?mode=ro&uri=true"
    assert "s3cret" not in masked_url("postgresql://me:s3cret@[::1/wm")


# -- a damaged database --------------------------------------------------------------------------
def damage(path: Path, name: str) -> None:
    """Overwrite the page header of table or index `name`'s root page, as a bad sector would."""
    with sqlite3.connect(path) as connection:
        (root,) = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (name,)).fetchone()
        (size,) = connection.execute("PRAGMA page_size").fetchone()
    connection.close()
    data = bytearray(path.read_bytes())
    data[(root - 1) * size : (root - 1) * size + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))


def orphan_index_entries(path: Path) -> None:
    """Rows gone from `memories` while its namespace index still lists them (integrity_check:
    "wrong # of entries"): the index is told it is partial, so deleting the rows leaves it alone."""
    index = "ix_memories_namespace_id"

    def declare(sql: str) -> None:
        with sqlite3.connect(path) as connection:
            connection.execute("PRAGMA writable_schema=ON")
            connection.execute("UPDATE sqlite_master SET sql = ? WHERE name = ?", (sql, index))
        connection.close()

    with sqlite3.connect(path) as connection:
        (sql,) = connection.execute("SELECT sql FROM sqlite_master WHERE name = ?", (index,)).fetchone()
    connection.close()
    declare(sql + " WHERE id < 0")
    with sqlite3.connect(path) as connection:
        connection.execute("DELETE FROM sightings WHERE memory_id BETWEEN 150 AND 160")
        connection.execute("DELETE FROM memories WHERE id BETWEEN 150 AND 160")
    connection.close()
    declare(sql)


DAMAGED_COMMANDS = [
    ("memory", "stats"),
    ("memory", "list"),
    ("memory", "show", "1"),
    ("memory", "search", "red ball", "--words"),
    ("memory", "search", "--like", "1"),
    ("memory", "forget", "--all", "--yes"),
    ("memory", "export", "{tmp}/out.zip"),
    ("memory", "import", "{tmp}/robot.zip"),
    ("memory", "rebuild"),
    ("memory", "check"),
]


@pytest.mark.parametrize("command", DAMAGED_COMMANDS, ids=lambda c: "-".join(c[1:3]))
def test_a_damaged_database_is_one_line_for_every_command(cli_run, database, archive, tmp_path, command):
    path, url = database
    damage(path, "memories")
    before = stored(path)
    result = cli_run(*(part.format(tmp=tmp_path) for part in command), "--db", url, "-n", NAMESPACE)
    line = assert_usage_error(result)
    assert str(path) in line and "malformed" in line
    assert stored(path) == before
    assert not (tmp_path / "out.zip").exists() and not list(tmp_path.glob(".*.tmp"))


def test_check_reports_a_damaged_database_that_still_reads(cli_run, database):
    path, url = database
    damage(path, "ix_memories_timestamp")  # an index no check query reads
    before = stored(path)
    result = cli_run("memory", "check", "--db", url, "-n", NAMESPACE, "--json")
    assert result.exit_code == 1, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert not report["consistent"] and report["database_integrity"] != "ok"
    assert "damaged" in report["repairs"][0]
    assert stored(path) == before


def test_rows_an_index_lists_but_the_table_lacks_are_one_line(cli_run, database):
    path, url = database
    orphan_index_entries(path)
    before = stored(path)
    line = assert_usage_error(cli_run("memory", "rebuild", "--db", url, "-n", NAMESPACE))
    assert "11 memories" in line and "damaged" in line
    report = json.loads(cli_run("memory", "check", "--db", url, "-n", NAMESPACE, "--json").stdout)
    assert not report["consistent"] and "wrong # of entries" in report["database_integrity"]
    assert stored(path) == before


# -- a data folder or index file that cannot be what it should -----------------------------------
@contextmanager
def as_a_user() -> Iterator[None]:
    """Drop root for the block (effective uid only, restored after): permission bits then apply."""
    if not ROOT:
        yield
        return
    try:
        nobody = pwd.getpwnam("nobody").pw_uid
    except KeyError:
        pytest.skip("running as root and there is no 'nobody' user to drop to")
    os.seteuid(nobody)
    try:
        yield
    finally:
        os.seteuid(0)


@pytest.mark.parametrize(
    "command",
    [("memory", "stats", "-n", NAMESPACE), ("ask", "where?", "--llm", "keyword-test-double")],
    ids=["memory", "ask"],
)
def test_a_read_only_home_is_one_line(cli_run, monkeypatch, command):
    assert cli_run(*command).exit_code in (0, 2)  # warm up: imports done while root can read every module
    top = Path(tempfile.mkdtemp(prefix="worldmind-ro-"))  # outside pytest's 0700 folder: a user can enter it
    try:
        top.chmod(0o755)
        (top / "home").mkdir(mode=0o555)
        monkeypatch.delenv("WORLDMIND_HOME")
        monkeypatch.delenv("XDG_DATA_HOME", raising=False)
        monkeypatch.setenv("HOME", str(top / "home"))
        with as_a_user():
            line = assert_usage_error(cli_run(*command))
        assert str(top / "home") in line and "Permission denied" in line
        assert list((top / "home").iterdir()) == []
    finally:
        shutil.rmtree(top)


@pytest.mark.parametrize(
    "command",
    [("memory", "stats", "-n", NAMESPACE), ("ask", "where?", "--llm", "keyword-test-double")],
    ids=["memory", "ask"],
)
def test_a_data_folder_that_is_a_file_is_one_line(cli_run, monkeypatch, tmp_path, command):
    home = tmp_path / "not-a-folder"
    home.write_text("a file")
    monkeypatch.setenv("WORLDMIND_HOME", str(home))
    line = assert_usage_error(cli_run(*command))
    assert str(home) in line and "not a folder" in line
    assert home.read_text() == "a file"


@pytest.mark.parametrize("where", ["index-file-is-a-folder", "index-folder-is-a-file"])
@pytest.mark.parametrize(
    "command",
    [("memory", "stats"), ("memory", "check"), ("memory", "rebuild"), ("memory", "forget", "--all", "--yes")],
    ids=lambda command: command[1],
)
def test_an_index_path_that_is_the_wrong_kind_of_thing_is_one_line(cli_run, database, where, command):
    path, url = database
    folder = path.with_name(path.name + ".index")
    if where == "index-file-is-a-folder":
        (folder / "namespace-1.faiss").unlink()
        (folder / "namespace-1.faiss").mkdir()
    else:
        shutil.rmtree(folder)
        folder.write_text("a file")
    before = stored(path)
    line = assert_usage_error(cli_run(*command, "--db", url, "-n", NAMESPACE))
    assert str(folder) in line
    assert stored(path) == before


# -- an archive that cannot be written ---------------------------------------------------------
@pytest.mark.parametrize("target", ["a-folder", "missing-folder/robot.zip"])
def test_export_that_cannot_write_its_archive_is_one_line_and_leaves_no_temporary_file(
    cli_run, database, tmp_path, target
):
    path, url = database
    out = tmp_path / "out"
    (out / "a-folder").mkdir(parents=True)
    before = stored(path)
    line = assert_usage_error(cli_run("memory", "export", out / target, "--force", "--db", url, "-n", NAMESPACE))
    assert str(out / target) in line
    assert [p.relative_to(out).as_posix() for p in out.rglob("*")] == ["a-folder"]
    assert stored(path) == before


# -- a checkpoint config with values of the wrong type -------------------------------------------
SHIPPED = Path(__file__).resolve().parents[2] / "world_model" / "checkpoints" / "tworooms"


def in_model(field: str, value: object):
    return lambda document: document | {"model": document["model"] | {field: value}}


BAD_CONFIGS = {
    "a-list": (lambda document: [document], "not a worldmind world-model checkpoint"),
    "probes-an-int": (lambda document: document | {"probes": 3}, "probes"),
    "fractional-latent-dim": (in_model("latent_dim", 128.5), "latent_dim"),
    "frameskip-0": (in_model("frameskip", 0), "frameskip"),
    "threshold-a-word": (lambda document: document | {"surprise_threshold": "high"}, "surprise_threshold"),
    "threshold-nan": (lambda document: document | {"surprise_threshold": float("nan")}, "surprise_threshold"),
}
AGENT_COMMANDS = {
    "chat": (("chat", "--llm", "keyword-test-double", "--plain"), "/wait 8\n/quit\n"),
    "ask": (("ask", "where is the red ball?", "--llm", "keyword-test-double"), None),
    "plan": (("plan", "--goal-seed", "1", "--experience", "0"), None),
    "probe": (("probe",), None),
}


@pytest.mark.parametrize("command", AGENT_COMMANDS, ids=str)
@pytest.mark.parametrize("config", BAD_CONFIGS, ids=str)
def test_a_checkpoint_config_of_the_wrong_types_is_one_line(cli_run, tmp_path, config, command):
    checkpoint = tmp_path / "checkpoint"
    shutil.copytree(SHIPPED, checkpoint)
    edit, field = BAD_CONFIGS[config]
    document = edit(json.loads((checkpoint / "config.json").read_text()))
    (checkpoint / "config.json").write_text(json.dumps(document))  # NaN is written as JSON's NaN
    arguments, typed = AGENT_COMMANDS[command]
    line = assert_usage_error(cli_run(*arguments, "--checkpoint", checkpoint, input=typed))
    assert str(checkpoint / "config.json") in line and field in line
    assert not (tmp_path / "home" / "memory.sqlite").exists()  # refused before the memory opened
