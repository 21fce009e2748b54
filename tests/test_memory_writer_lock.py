"""One writer per namespace, between real processes: a second writer is refused (exit 2, one line,
nothing changed) while reading commands keep working, and a killed writer's lock is released."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from memory import MemoryInputError, MemoryStore, NamespaceBusyError, NewMemory
from tests.memory_backends import BACKENDS, fresh_database

ROOT = Path(__file__).resolve().parents[1]

HOLDER = """
import sys
import numpy as np
from memory import MemoryStore
url, namespace, role = sys.argv[1:]
store = MemoryStore(url, namespace, 4, writer=role == "writer", warn=lambda _: None)
if store.writer:  # a memory in SQL that the index file will only hold once this writer closes
    episode = store.begin_episode("tworooms", 7)
    store.remember(episode, 0, [], np.full(4, 9.0, np.float32), "written by the holder", {}, None)
print("ready", flush=True)
sys.stdin.read()
store.close()
"""


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'memory.sqlite'}"
    store = MemoryStore(url, "robot", 4)
    episode = store.begin_episode("tworooms", 0)
    store.remember_many(
        [NewMemory(episode, step, [], np.full(4, step, np.float32), f"step {step}", {}, None) for step in range(4)]
    )
    store.close()
    return url


@pytest.fixture
def hold(db):
    """Start a process that opens the namespace (as `writer` or `reader`) and keeps it open."""
    started: list[subprocess.Popen] = []

    def start(role: str, url: str = db) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, url, "robot", role],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), "WORLDMIND_THREADS": "1"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        assert process.stdout is not None and process.stdout.readline() == "ready\n", process.communicate()[1]
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate()


def finish(process: subprocess.Popen) -> None:
    """Let a holder close its store and exit normally."""
    _, stderr = process.communicate(input="", timeout=60)
    assert process.returncode == 0, stderr


def data(result):
    assert result.exit_code in (0, 1), result.stderr
    return json.loads(result.stdout)


def test_a_second_writer_is_refused_and_changes_nothing_while_reads_work(cli_run, db, hold, tmp_path):
    index_file = next((tmp_path / "memory.sqlite.index").glob("*.faiss"))
    saved = index_file.read_bytes()
    writer = hold("writer")
    archive = tmp_path / "robot.zip"

    stats = data(cli_run("memory", "stats", "--db", db, "-n", "robot", "--json"))
    assert stats["memories"] == 5 and stats["episodes"] == 2  # the holder's memory, completed from SQL
    listed = data(cli_run("memory", "list", "--db", db, "-n", "robot", "--json"))
    assert listed[0]["caption"] == "written by the holder"
    assert data(cli_run("memory", "show", str(listed[0]["id"]), "--db", db, "-n", "robot", "--json"))["step"] == 0
    assert len(data(cli_run("memory", "search", "step", "--words", "--db", db, "-n", "robot", "--json"))) == 4
    assert cli_run("memory", "export", archive, "--db", db, "-n", "robot").exit_code == 0
    check = cli_run("memory", "check", "--db", db, "-n", "robot", "--json")
    report = json.loads(check.stdout)
    assert check.exit_code == 1 and report["missing_from_index_file"] == 1
    assert report["other_writer"] == f"pid {writer.pid}"
    assert report["repairs"][0].startswith(f"cannot repair while another process (pid {writer.pid}) writes")
    assert "repaired" not in check.stderr

    for command in (
        ("forget", "--all", "--yes"),
        ("forget", str(listed[-1]["id"]), "--yes"),
        ("rebuild", "--kind", "hnsw"),
        ("import", archive),
    ):
        refused = cli_run("memory", *command, "--db", db, "-n", "robot")
        assert refused.exit_code == 2, (command, refused.stderr)
        assert refused.stderr.strip().count("\n") == 0
        assert f"namespace 'robot' is being written by pid {writer.pid}" in refused.stderr
    with pytest.raises(NamespaceBusyError, match="'robot'"):
        MemoryStore(db, "robot", 4)
    assert data(cli_run("memory", "stats", "--db", db, "-n", "robot", "--json")) == stats
    assert index_file.read_bytes() == saved

    finish(writer)  # closing saves the index and lets the next writer in
    assert data(cli_run("memory", "check", "--db", db, "-n", "robot", "--json"))["consistent"]
    assert cli_run("memory", "rebuild", "--db", db, "-n", "robot").exit_code == 0


def test_a_killed_writers_lock_is_released(cli_run, db, hold):
    writer = hold("writer")
    assert cli_run("memory", "rebuild", "--db", db, "-n", "robot").exit_code == 2
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=60)
    rebuilt = cli_run("memory", "rebuild", "--db", db, "-n", "robot")
    assert rebuilt.exit_code == 0, rebuilt.stderr
    assert data(cli_run("memory", "check", "--db", db, "-n", "robot", "--json"))["memories"] == 5


def test_a_reading_process_does_not_block_a_writer(cli_run, db, hold):
    reader = hold("reader")
    first = data(cli_run("memory", "list", "--db", db, "-n", "robot", "--json"))[-1]["id"]
    assert cli_run("memory", "forget", str(first), "--db", db, "-n", "robot", "--yes").exit_code == 0
    store = MemoryStore(db, "robot", 4)
    assert store.count() == 3
    store.close()
    finish(reader)
    assert data(cli_run("memory", "check", "--db", db, "-n", "robot", "--json"))["consistent"]


def test_one_process_shares_its_lock_and_a_reader_cannot_write(db):
    first, second = MemoryStore(db, "robot", 4), MemoryStore(db, "robot", 4)  # one process, one writer
    first.close()
    reader = MemoryStore(db, "robot", writer=False)
    assert reader.check()["other_writer"] is None  # this process is the writer
    with pytest.raises(MemoryInputError, match="read-only"):
        reader.begin_episode("tworooms", 1)
    with pytest.raises(MemoryInputError, match="read-only"):
        reader.rebuild_index()
    assert reader.recall(text="step", k=1)[0].access_count == 0  # recalling still counts the access
    reader.close()
    second.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_backend_refuses_a_second_writer_process_until_the_first_dies(backend, hold, tmp_path):
    """PostgreSQL uses an advisory lock (writers on other hosts share the server), SQLite a file lock."""
    with fresh_database(backend, tmp_path / "other") as url:
        MemoryStore(url, "robot", 4).close()
        writer = hold("writer", url)
        with pytest.raises(NamespaceBusyError, match="namespace 'robot' is being written by"):
            MemoryStore(url, "robot", 4)
        reader = MemoryStore(url, "robot", writer=False, warn=lambda _: None)
        assert reader.count() == 1 and reader.check()["other_writer"] is not None
        reader.close()
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=60)
        store = MemoryStore(url, "robot", 4, warn=lambda _: None)
        assert store.count() == 1 and store.check()["other_writer"] is None
        store.close()
