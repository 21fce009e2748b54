"""The memory benchmark end to end at a tiny size: figures present, nothing lost in the crash test."""

from __future__ import annotations

import json


def test_bench_memory_reports_every_kind_and_survives_kills(cli_run, tmp_path):
    result = cli_run(
        "bench", "memory", "--n", "3000", "--queries", "20", "--source", "random", "--dim", "8",
        "--crash-rounds", "2", "--workdir", tmp_path / "bench",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["memories"] == 3000 and report["insert_per_s"] > 0
    assert set(report["indexes"]) == {"flat", "ivf", "hnsw"}
    assert report["indexes"]["flat"]["recall@10"] == 1.0
    assert set(report["indexes"]["ivf"]["sweep"]) == {"nprobe=4", "nprobe=8", "nprobe=16", "nprobe=32", "nprobe=64"}
    crash = report["crash"]
    assert crash["rounds"] == 2 and crash["committed_reported"] > 0
    assert crash["lost_committed"] == 0 and crash["inconsistent_reopens"] == 0
