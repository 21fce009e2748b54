"""`worldmind plan` and `worldmind bench plan`: bad input exits 2; an episode runs and draws."""

from __future__ import annotations

import json

import pytest

from agent_core import assembly
from agent_core.benchmarks.planning import PlanningSetup, benchmark_planning
from agent_core.planning import PlannerConfig
from tests.conftest import assert_usage_error
from tests.planning_models import LinearLatentModel


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan", "--goal", "70,3"], "outside the free space"),
        (["plan", "--goal", "32,20"], "outside the free space"),  # inside the middle wall
        (["plan", "--goal", "a,b"], "goal must be 'X,Y'"),
        (["plan", "--goal-object", "purple cow"], "unknown object 'purple cow'"),
        (["plan", "--goal-seed", "1", "--horizon", "0"], "'--horizon': Input should be greater than or equal to 1"),
        (["plan", "--goal-seed", "1", "--samples", "-4"], "'--samples': Input should be greater than or equal to 1"),
        (["plan", "--goal-seed", "1", "--planner", "astar"], "unknown planner"),
        (["plan", "--world", "bounce", "--goal-seed", "1"], "bounce has none"),
        (["bench", "plan", "--protocol", "medium"], "unknown protocol"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(cli_run, args, message):
    assert_usage_error(cli_run(*args), message)


def test_a_checkpoint_for_another_world_is_refused(cli_run, tmp_path):
    folder = tmp_path / "ckpt"
    folder.mkdir()
    model = {"world": "bounce", "action_dim": 0}
    (folder / "config.json").write_text(json.dumps({"format": "worldmind-world-model/1", "model": model}))
    result = cli_run("plan", "--goal-seed", "1", "--checkpoint", str(folder))
    assert_usage_error(result, "checkpoint for world 'bounce', not 'tworooms'")


def test_plan_runs_one_episode_and_saves_the_trace(cli_run, tmp_path, monkeypatch):
    monkeypatch.setattr(assembly, "load_world_model", lambda world, checkpoint: LinearLatentModel())
    png = tmp_path / "trace.png"
    result = cli_run(
        "plan",
        "--seed",
        "3",
        "--goal",
        "20,40",
        "--horizon",
        "6",
        "--samples",
        "64",
        "--iterations",
        "2",
        "--png",
        str(png),
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["goal"] == [20.0, 40.0]
    assert record["result"] in ("reached", "not reached")
    assert record["plans"] >= 1 and record["ms_per_plan"] > 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_benchmark_reports_protocols_baselines_and_sweep():
    setup = PlanningSetup(config=PlannerConfig(horizon=6, samples=32, iterations=2))
    report = benchmark_planning(LinearLatentModel(), ["near"], 1, 3, setup, sweep=[(16, 1)])
    assert {"success", "std", "per_seed", "expert_success"} <= set(report["near"])
    assert report["near"]["expert_success"] == report["expert_success"]
    assert report["expert_success"] == 1.0  # the expert reaches goals it walked to itself
    assert report["random_policy_success"] < report["expert_success"]
    assert report["ms_per_plan"] > 0
    assert report["sweep"][0]["samples"] == 16 and 0 <= report["sweep"][0]["success"] <= 1


def test_first_seed_evaluates_later_seeds():
    setup = PlanningSetup(config=PlannerConfig(horizon=4, samples=16, iterations=1))
    both = benchmark_planning(LinearLatentModel(), ["near"], 2, 2, setup)
    second = benchmark_planning(LinearLatentModel(), ["near"], 1, 2, setup, first_seed=1)
    assert second["near"]["per_seed"] == both["near"]["per_seed"][1:]
    assert second["first_seed"] == 1
