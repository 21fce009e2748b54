"""`memory import` checks the whole archive before it writes anything, and never imports one twice."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from tests.conftest import assert_usage_error
from tests.hostile.archives import (
    archive_members,
    chat_row,
    episode_row,
    memory_row,
    npy,
    rows,
    write_archive,
    write_zip,
)

NESTED = '{"room": ' + "[" * 40 + "]" * 40 + "}"
CASES = {
    # the manifest
    "latent_dim as a string": ({"latent_dim": "3"}, "latent_dim"),
    "latent_dim zero": ({"latent_dim": 0}, "latent_dim"),
    "latent_dim a trillion": ({"latent_dim": 10**12}, "latent_dim"),
    "latent_dim true": ({"latent_dim": True}, "latent_dim"),
    "latent_dim fractional": ({"latent_dim": 3.5}, "latent_dim"),
    "negative count": ({"counts": {"episodes": 1, "memories": -1, "chat_turns": 1}}, "counts.memories"),
    "counts that lie": ({"counts": {"episodes": 1, "memories": 1, "chat_turns": 1}}, "counts 1 memories"),
    "counts as a list": ({"counts": [1, 2, 1]}, "counts"),
    "version true": ({"version": True}, "version 1"),
    "version 2": ({"version": 2}, "version 1"),
    "checksums missing": ({"sha256": {}}, "sha256"),
    "latent space not a string": ({"latent_space": 5}, "latent_space"),
    # episodes
    "missing world": ({"episodes": [{k: v for k, v in episode_row().items() if k != "world"}]}, "world"),
    "world not a string": ({"episodes": [episode_row(world=5)]}, "world"),
    "non-numeric seed": ({"episodes": [episode_row(seed="seven")]}, "seed"),
    "seed as a numeric string": ({"episodes": [episode_row(seed="7")]}, "seed"),
    "seed beyond SQL integers": ({"episodes": [episode_row(seed=2**70)]}, "seed"),
    "bad start time": ({"episodes": [episode_row(started_at="yesterday")]}, "started_at"),
    "start time out of range": ({"episodes": [episode_row(started_at="9999-12-31T23:59:59-23:00")]}, "started_at"),
    "episode key twice": ({"episodes": [episode_row(), episode_row()]}, "appears twice"),
    # memories
    "step 1e30": ({"memories": [memory_row(0), '{"episode": 1, "step": 1e30}']}, "step"),
    "step negative": ({"memories": [memory_row(0), memory_row(1) | dict(step=-1)]}, "step"),
    "step beyond SQL integers": ({"memories": [memory_row(0), memory_row(1) | dict(step=2**40)]}, "step"),
    "step as a string": ({"memories": [memory_row(0), memory_row(1) | dict(step="1")]}, "step"),
    "caption a number": ({"memories": [memory_row(0), memory_row(1) | dict(caption=5)]}, "caption"),
    "action a word": ({"memories": [memory_row(0), memory_row(1) | dict(action="left")]}, "action"),
    "facts a list": ({"memories": [memory_row(0), memory_row(1) | dict(facts=[])]}, "facts"),
    "seen a string": ({"memories": [memory_row(0), memory_row(1) | dict(seen="red ball")]}, "seen"),
    "unknown episode": ({"memories": [memory_row(0), memory_row(1) | dict(episode=9)]}, "unknown episode 9"),
    "bad timestamp": ({"memories": [memory_row(0), memory_row(1) | dict(timestamp="soon")]}, "timestamp"),
    "extra field": ({"memories": [memory_row(0), memory_row(1) | dict(evil=True)]}, "evil"),
    "NaN surprise": (
        {"memories": [memory_row(0), json.dumps(memory_row(1)).replace('"surprise": 0.5', '"surprise": NaN')]},
        "NaN",
    ),
    "infinite importance": (
        {"memories": [memory_row(0), json.dumps(memory_row(1)).replace('"importance": 0.5', '"importance": 1e400')]},
        "out of range",
    ),
    "NaN inside facts": (
        {"memories": [memory_row(0), json.dumps(memory_row(1)).replace('{"room": "left"}', '{"x": NaN}')]},
        "NaN",
    ),
    "facts nested 40 deep": (
        {"memories": [memory_row(0), json.dumps(memory_row(1)).replace('{"room": "left"}', NESTED)]},
        "nested",
    ),
    "a 5000-digit number": (
        {"memories": [memory_row(0), json.dumps(memory_row(1)).replace('"left"', "9" * 5000)]},
        "not JSON",
    ),
    "not UTF-8": (
        {"memories": [memory_row(0), json.dumps(memory_row(1)).encode().replace(b"step 1", b"step \xff")]},
        "not JSON",
    ),
    "a line that is not an object": ({"memories": [memory_row(0), "[1, 2]"]}, "expected an object"),
    "a caption of 70 kB": ({"memories": [memory_row(0), memory_row(1) | dict(caption="x" * 70_000)]}, "longer than"),
    # chat
    "chat role unknown": ({"chat": [chat_row(role="root")]}, "role"),
    "chat text missing": ({"chat": [{"role": "user", "timestamp": None}]}, "text"),
    # latents
    "NaN latents": ({"latents": np.array([[0, 1, 2], [np.nan, 4, 5]], np.float32)}, "NaN"),
    "infinite latents": ({"latents": np.array([[0, 1, 2], [np.inf, 4, 5]], np.float32)}, "NaN or infinite"),
    "float64 latents": ({"latents": np.zeros((2, 3))}, "float32"),
    "latents of another size": ({"latents": np.zeros((2, 4), np.float32)}, "float32 rows of 3"),
    "latents missing a row": ({"latents": np.zeros((1, 3), np.float32)}, "2 memories but 1 latents"),
    "latents header claiming a billion rows": (
        {"latents": npy(np.zeros((2, 3), np.float32)).replace(b"(2, 3)", b"(999999999, 3)")},
        "latents",
    ),
    "latents not .npy": ({"latents": b"hello"}, "latents.npy is unreadable"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_bad_archive_is_refused_in_one_line_and_writes_nothing(cli_run, db, tmp_path, case):
    changes, message = CASES[case]
    archive = write_archive(tmp_path / "bad.zip", **changes)
    before = rows(db)
    for namespace in ("copy", "robot"):  # a new namespace is not even created
        assert_usage_error(cli_run("memory", "import", archive, "--db", db, "-n", namespace), message)
    assert rows(db) == before


def test_zip_directory_problems_are_refused(cli_run, db, tmp_path):
    good = archive_members()
    cases = {
        "unexpected member": write_zip(tmp_path / "extra.zip", good | {"evil.sh": b"rm -rf /"}),
        "missing member chat.jsonl": write_zip(
            tmp_path / "missing.zip", {k: v for k, v in good.items() if k != "chat.jsonl"}
        ),
        "manifest.json is not JSON": write_zip(tmp_path / "manifest.zip", good | {"manifest.json": b"{oops"}),
        "does not match its checksum": write_zip(tmp_path / "sum.zip", good | {"chat.jsonl": b""}),
        "is a directory": tmp_path,
        "not a zip": tmp_path / "hello.zip",
    }
    cases["not a zip"].write_bytes(b"PK\x03\x04 hello")
    with zipfile.ZipFile(tmp_path / "twice.zip", "w") as archive, pytest.warns(UserWarning, match="Duplicate"):
        for name, data in [*good.items(), ("chat.jsonl", good["chat.jsonl"])]:
            archive.writestr(name, data)
    cases["appears twice"] = tmp_path / "twice.zip"
    before = rows(db)
    for message, path in cases.items():
        assert_usage_error(cli_run("memory", "import", path, "--db", db, "-n", "copy"), message)
    assert rows(db) == before


def test_a_bad_archive_creates_no_database(cli_run, tmp_path):
    archive = write_archive(tmp_path / "bad.zip", episodes=[episode_row(seed="x")])
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    assert_usage_error(cli_run("memory", "import", archive, "--db", url), "seed")
    assert rows(url) is None


def test_importing_the_same_archive_twice_is_refused(cli_run, db, tmp_path):
    archive = write_archive(tmp_path / "good.zip")
    imported = cli_run("memory", "import", archive, "--db", db, "-n", "copy")
    assert imported.exit_code == 0, imported.output
    before = rows(db)
    assert_usage_error(
        cli_run("memory", "import", archive, "--db", db, "-n", "copy"),
        "already holds 1 of its 1 episodes",
        "imported before",
    )
    assert rows(db) == before
    chat_only = write_archive(tmp_path / "chat.zip", episodes=[], memories=[], latents=np.zeros((0, 3), np.float32))
    assert cli_run("memory", "import", chat_only, "--db", db, "-n", "talk").exit_code == 0
    assert_usage_error(cli_run("memory", "import", chat_only, "--db", db, "-n", "talk"), "1 of its 1 chat turns")
    assert cli_run("memory", "import", archive, "--db", db, "-n", "other").exit_code == 0  # another namespace: fine


def test_an_imported_archive_exports_back_the_same(cli_run, db, tmp_path):
    archive = write_archive(tmp_path / "good.zip")
    assert cli_run("memory", "import", archive, "--db", db, "-n", "copy").exit_code == 0
    exported = cli_run("memory", "export", tmp_path / "again.zip", "--db", db, "-n", "copy")
    assert exported.exit_code == 0, exported.output
    with zipfile.ZipFile(archive) as first, zipfile.ZipFile(tmp_path / "again.zip") as second:
        for name in ("memories.jsonl", "chat.jsonl", "latents.npy"):
            assert (
                [json.loads(x) for x in first.read(name).splitlines()]
                == [json.loads(x) for x in second.read(name).splitlines()]
                if name != "latents.npy"
                else first.read(name) == second.read(name)
            )
