"""Zip bombs: refused from the zip directory and the manifest's caps, before anything big is read."""

from __future__ import annotations

import tracemalloc

import pytest

from tests.conftest import assert_usage_error
from tests.hostile.archives import archive_members, deflated, deflated_zeros, rows, write_raw_zip

GIB = 1 << 30
PEAK_LIMIT = 256 << 20  # what the whole in-process command may allocate while refusing


def bomb(path, member, size, declared=None, **manifest_changes):
    """A valid archive but for `member`: `size` zero bytes deflated (declared as `declared` bytes)."""
    members = {name: deflated(data) for name, data in archive_members(**manifest_changes).items()}
    data, crc = deflated_zeros(size)
    members[member] = (data, crc, size if declared is None else declared)
    return write_raw_zip(path, members)


def import_measured(cli_run, archive, db):
    tracemalloc.start()
    try:
        result = cli_run("memory", "import", archive, "--db", db, "-n", "copy")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, peak


@pytest.mark.parametrize("member", ["latents.npy", "memories.jsonl"])
def test_a_2_gib_member_in_a_2_mb_archive_is_refused_without_reading_it(cli_run, db, tmp_path, member):
    archive = bomb(tmp_path / "bomb.zip", member, 2 * GIB)
    assert archive.stat().st_size < 3 << 20
    before = rows(db)
    result, peak = import_measured(cli_run, archive, db)
    assert_usage_error(result, member, "its manifest allows at most")
    assert peak < PEAK_LIMIT, f"{peak / 2**20:.0f} MiB used to refuse a bomb"
    assert rows(db) == before


def test_a_member_within_inflated_manifest_counts_is_refused_by_its_compression_ratio(cli_run, db, tmp_path):
    counts = {"episodes": 1, "memories": 100_000, "chat_turns": 1}  # a lie that would allow 400 MB of latents
    archive = bomb(tmp_path / "bomb.zip", "latents.npy", 256 << 20, counts=counts, dim=1024)
    before = rows(db)
    result, peak = import_measured(cli_run, archive, db)
    assert_usage_error(result, "expands", "times")
    assert peak < PEAK_LIMIT
    assert rows(db) == before


def test_a_member_that_expands_past_its_declared_size_is_cut_off(cli_run, db, tmp_path):
    archive = bomb(tmp_path / "liar.zip", "latents.npy", 2 * GIB, declared=200)  # the directory lies
    before = rows(db)
    result, peak = import_measured(cli_run, archive, db)
    assert_usage_error(result, "latents.npy")
    assert peak < PEAK_LIMIT
    assert rows(db) == before
