"""The foundation commands as a user runs them: output, files, exit codes."""

from __future__ import annotations

import json

from agent_core.data import Dataset
from tests.conftest import assert_usage_error


def test_worlds_json_lists_both_worlds_with_spaces(cli_run):
    result = cli_run("worlds", "--json")
    assert result.exit_code == 0
    worlds = {w["name"]: w for w in json.loads(result.stdout)}
    assert set(worlds) == {"tworooms", "bounce"}
    assert worlds["tworooms"]["action"]["shape"] == [2]
    assert worlds["tworooms"]["observation"]["shape"] == [64, 64, 3]


def test_world_show_draws_facts_and_png(cli_run, tmp_path):
    shown = cli_run("world", "show", "tworooms", "--seed", "3")
    assert shown.exit_code == 0 and "\u2580" in shown.stdout
    facts = json.loads(cli_run("world", "show", "tworooms", "--seed", "3", "--json").stdout)
    assert facts["room"] in {"left", "right"}
    png = tmp_path / "w.png"
    assert cli_run("world", "show", "bounce", "--png", png).exit_code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_unknown_world_is_one_line_and_exit_2(cli_run):
    assert_usage_error(cli_run("world", "show", "atlantis"), "unknown world")


def test_collect_then_refuse_overwrite_then_force(cli_run, tmp_path):
    out = tmp_path / "ds"
    args = ("collect", "--world", "tworooms", "--episodes", "3", "--steps", "5", "--out", out)
    assert cli_run(*args).exit_code == 0
    assert Dataset(out).episodes == 3
    again = cli_run(*args)
    assert_usage_error(again, "--force")
    assert Dataset(out).episodes == 3
    assert cli_run(*args, "--force", "--episodes", "2").exit_code == 0


def test_collect_bad_input_exits_2(cli_run, tmp_path):
    assert_usage_error(cli_run("collect", "--episodes", "-1", "--out", tmp_path / "x"), "--episodes")
    assert_usage_error(cli_run("collect", "--world", "mars", "--out", tmp_path / "y"))
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert_usage_error(cli_run("collect", "--episodes", "1", "--out", blocker / "ds"))


def test_bench_worlds_prints_json(cli_run):
    result = cli_run("bench", "worlds", "--steps", "200")
    data = json.loads(result.stdout)
    assert data["tworooms_steps_per_s"] > 0 and data["bounce_frames_per_s"] > 0
    assert data["collect_steps_per_s"] > 0


def test_bench_no_json_prints_a_table_of_the_same_figures(cli_run):
    result = cli_run("bench", "worlds", "--steps", "200", "--no-json")
    assert result.exit_code == 0
    assert not result.stdout.lstrip().startswith("{")
    rows = dict(line.split() for line in result.stdout.splitlines()[1:] if line.strip())
    assert float(rows["tworooms_steps_per_s"]) > 0 and float(rows["bounce_frames_per_s"]) > 0


def test_nested_figures_flatten_to_dotted_keys():
    from cli.console import flatten

    report = {"bounce": {"events": {"vanish": {"jepa": {"auroc": 0.9}}}, "sizes": [1, 2]}, "runs": [{"ok": True}]}
    assert flatten(report) == {"bounce.events.vanish.jepa.auroc": 0.9, "bounce.sizes": [1, 2], "runs.0.ok": True}
