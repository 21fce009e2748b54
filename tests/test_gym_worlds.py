"""Any gymnasium env as a world: frames, actions, facts, collection, training, bad input.

The envs are the tiny ones in tests/gym_envs.py, named in gymnasium's 'module:EnvId' form.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from agent_core.data import CollectionSpec, Dataset, collect_dataset
from agent_core.errors import WorldError
from agent_core.worlds import GymWorld, GymWorldSpec, make_world, world_key
from agent_core.worlds.gym_world import to_frame
from agent_core.worlds.policies import make_policy
from tests.conftest import assert_usage_error
from tests.gym_envs import HEIGHT, WIDTH, reached

DOT = "tests.gym_envs:worldmind-test/Dot-v0"
DISCRETE = "tests.gym_envs:worldmind-test/DotDiscrete-v0"


def test_render_frames_are_padded_square_and_resized():
    env = make_world(DOT)
    frame, facts = env.reset(seed=3)
    assert frame.shape == (64, 64, 3) and frame.dtype == np.uint8
    # 40x24 padded to 40x40: the 8-row black bands above and below scale to 12.8 rows of 64
    assert frame[:12].max() == 0 and frame[-12:].max() == 0
    ys, xs = np.nonzero(frame.max(axis=2) > 128)
    x, y = facts["pos"]
    assert abs(xs.mean() - (x + 0.5) * 64 / WIDTH) < 2.5
    assert abs(ys.mean() - (y + 0.5 + (WIDTH - HEIGHT) / 2) * 64 / WIDTH) < 2.5


def test_fits_differ_and_are_part_of_the_name():
    image = np.zeros((24, 40, 3), np.uint8)
    image[:, :4] = 255  # a band at the left edge: cut by crop, kept by pad and stretch
    assert to_frame(image, "crop").max() == 0
    assert to_frame(image, "pad")[:, :6].max() == 255 and to_frame(image, "pad")[:10].max() == 0
    assert to_frame(image, "stretch")[:, :4].min() == 255
    key = world_key(DOT, '{"speed": 2.0}', 2, "crop")
    assert GymWorldSpec.parse(key) == GymWorldSpec(DOT, {"speed": 2.0}, 2, "crop")
    assert world_key(DOT) == DOT


def test_box_actions_are_rescaled_and_repeated():
    plain, doubled = make_world(DOT), make_world(world_key(DOT, '{"speed": 0.5}', 4))
    for env in (plain, doubled):
        env.reset(seed=1)
    start = np.array(plain.facts()["pos"])
    _, _, _, _, facts = plain.step(np.array([0.5, 0.0]))  # 0.5 of [-1, 1] is 1.0 of [-2, 2]
    np.testing.assert_allclose(np.array(facts["pos"]) - start, [1.0, 0.0])
    _, _, _, _, facts = doubled.step(np.array([0.5, 0.0]))  # speed 0.5, repeated 4 times
    np.testing.assert_allclose(np.array(facts["pos"]) - start, [2.0, 0.0])
    np.testing.assert_allclose(plain.canonical(np.array([2.0, -1.0])), [1.0, -0.5])


def test_discrete_actions_are_one_hot_and_the_image_observation_is_used():
    env = make_world(DISCRETE)
    assert isinstance(env, GymWorld) and env.choices == 5
    assert env.describe_spaces()["frames_from"] == "observation"
    env.reset(seed=0)
    start = np.array(env.facts()["pos"])
    np.testing.assert_array_equal(env.action_vector(np.array([0.1, 0.2, 0.9, 0.0, 0.0])), np.eye(5)[2])
    _, _, _, _, facts = env.step(np.eye(5)[2])
    np.testing.assert_allclose(np.array(facts["pos"]) - start, [2.0, 0.0])
    actions = {int(np.argmax(make_policy("random", env, seed=s)({}))) for s in range(40)}
    assert actions == set(range(5))


def test_an_ended_episode_holds_its_last_frame():
    env = make_world("tests.gym_envs:worldmind-test/Short-v0")
    env.reset(seed=0)
    frames = [env.step(np.array([1.0, 0.0]))[0] for _ in range(6)]
    assert env.facts()["done"]
    assert not np.array_equal(frames[0], frames[2])
    np.testing.assert_array_equal(frames[2], frames[5])


def test_collected_data_keeps_numeric_info_and_expert_actions(tmp_path):
    spec = CollectionSpec(DOT, "tests.gym_envs:greedy_expert", episodes=3, steps=12, episodes_per_shard=2)
    collect_dataset(spec, tmp_path / "d")
    frames, actions, states = Dataset(tmp_path / "d").load_arrays()
    assert frames.shape == (3, 13, 64, 64, 3) and actions.shape == (3, 12, 2)
    assert set(states) == {"pos", "obs", "success"}  # the text label is dropped
    moves = np.diff(states["pos"], axis=1)
    np.testing.assert_allclose(moves, 2.0 * actions, atol=1e-4)  # recorded as canonical [-1, 1] actions
    assert np.abs(actions).max() <= 1.0 and np.abs(actions).max() > 0.9


def test_training_windows_stop_where_the_world_ended(tmp_path):
    from agent_core.model_training import load_training_data

    short = "tests.gym_envs:worldmind-test/Short-v0"  # ends after 3 steps, then holds its frame
    collect_dataset(CollectionSpec(short, "random", episodes=4, steps=8), tmp_path / "short")
    collect_dataset(CollectionSpec(DOT, "random", episodes=2, steps=8), tmp_path / "dot")
    np.testing.assert_array_equal(Dataset(tmp_path / "short").live_lengths(), [4, 4, 4, 4])
    data, _ = load_training_data(short, [tmp_path / "short"])
    frames, actions = data.sample(200, 3, np.random.default_rng(0))
    assert all(not np.array_equal(w[1], w[2]) for w in frames)  # every window moves: none is held
    assert frames.shape == (200, 3, 64, 64, 3) and actions.shape == (200, 2, 2)
    starts = {int(np.flatnonzero((data.frames[:, :4] == w[0]).all(axis=(2, 3, 4)).any(axis=0))[0]) for w in frames}
    assert starts == {0, 1}  # windows of 3 frames fit twice into the 4 frames before the end
    whole, _ = load_training_data(DOT, [tmp_path / "dot"])
    np.testing.assert_array_equal(whole.live, [9, 9])  # a world that never ends: every frame


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--world", "atlantis-v9"], ["unknown world", "atlantis-v9"]),
        (["--world", "nosuchmodule:Foo-v0"], ["unknown world", "nosuchmodule"]),
        (["--world", "tests.gym_envs:worldmind-test/Blind-v0"], ["no image observation and no rgb_array render"]),
        (["--world", "tests.gym_envs:worldmind-test/Multi-v0"], ["MultiDiscrete action space"]),
        (["--world", DOT, "--world-kwargs", '{"nope": 1}'], ["gymnasium cannot make", "nope"]),
        (["--world", DOT, "--world-kwargs", "[1]"], ["JSON object"]),
        (["--world", DOT, "--fit", "squash"], ["fit must be one of"]),
        (["--world", "tworooms", "--action-repeat", "2"], ["shipped world"]),
        (["--world", DOT, "--policy", "tests.gym_envs:nothing_here"], ["cannot load policy"]),
    ],
)
def test_bad_worlds_are_one_line(cli_run, tmp_path, args, fragments):
    result = cli_run("collect", "--out", tmp_path / "d", "--episodes", "2", "--steps", "3", *args)
    assert_usage_error(result, *fragments)
    assert not (tmp_path / "d").exists()


def test_a_policy_that_returns_no_function_is_one_line(cli_run, tmp_path):
    result = cli_run("collect", "--out", tmp_path / "d", "--world", DOT, "--policy", "tests.gym_envs:broken_policy")
    assert_usage_error(result, "broken_policy", "not act(obs, info)")


@pytest.mark.slow
def test_collect_train_probe_and_refuse_another_world(cli_run, tmp_path):
    data, checkpoint = tmp_path / "data", tmp_path / "ck"
    result = cli_run("collect", "--world", DOT, "--episodes", "24", "--steps", "24", "--out", data)
    assert result.exit_code == 0, result.stderr
    result = cli_run("train", "--world", DOT, "--data", data, "--steps", "60", "--out", checkpoint)
    assert result.exit_code == 0, result.stderr
    config = json.loads((checkpoint / "config.json").read_text())
    assert config["model"]["world"] == DOT and config["model"]["action_dim"] == 2
    result = cli_run("probe", "--world", DOT, "--checkpoint", checkpoint, "--json")
    r2 = json.loads(result.stdout)
    assert set(r2) >= {"pos", "obs"} and np.isfinite(r2["pos"])
    assert_usage_error(cli_run("probe", "--world", DISCRETE, "--checkpoint", checkpoint), "checkpoint for world")
    assert_usage_error(
        cli_run("probe", "--world", DOT, "--action-repeat", "2", "--checkpoint", checkpoint), "checkpoint for world"
    )
    result = cli_run("surprise", "--world", DOT, "--checkpoint", checkpoint, "--length", "20", "--json")
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)["surprise"]) > 0


def test_unknown_worlds_still_raise_world_error():
    with pytest.raises(WorldError, match="unknown world"):
        make_world("atlantis")


GOAL_FRAME = ["--protocol", "goal-frame", "--goal-offset", "10", "--budget", "20", "--seeds", "1", "--episodes", "4"]
DOT_TESTS = ["--expert", "tests.gym_envs:greedy_expert", "--success", "tests.gym_envs:reached"]


@pytest.mark.slow
@pytest.mark.parametrize("world", [DOT, DISCRETE])
def test_goal_frame_protocol_reports_planner_and_baselines(cli_run, tmp_path, world):
    data, checkpoint = tmp_path / "data", tmp_path / "ck"
    cli_run("collect", "--world", world, "--episodes", "16", "--steps", "20", "--out", data)
    result = cli_run("train", "--world", world, "--data", data, "--steps", "30", "--out", checkpoint)
    assert result.exit_code == 0, result.stderr
    greedy = ["--greedy", "tests.gym_envs:greedy_to_goal_frame"]
    result = cli_run("bench", "plan", "--world", world, "--checkpoint", checkpoint, *GOAL_FRAME, *DOT_TESTS, *greedy)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["protocol"] == "goal-frame" and report["goal_offset"] == 10 and report["budget"] == 20
    assert 0.0 <= report["success"] <= 1.0 and len(report["per_seed"]) == 1
    assert report["expert_success"] == 1.0  # replaying the expert's actions reaches the goal frame
    assert report["greedy_success"] == 1.0  # heading for the dot seen in the goal frame does too
    assert report["random_policy_success"] < 1.0
    assert report["ms_per_plan"] > 0 and report["model"]["parameters"] > 0
    by_probe = cli_run(
        "bench", "plan", "--world", world, "--checkpoint", checkpoint, *GOAL_FRAME, *DOT_TESTS, "--goal-probe", "pos"
    )  # fmt: skip
    assert by_probe.exit_code == 0, by_probe.stderr
    assert json.loads(by_probe.stdout)["planner"]["goal_probe"] == "pos"


def test_goal_frame_protocol_refuses_bad_input(cli_run, tmp_path):
    from agent_core.model_training import model_config
    from world_model import WorldModel

    checkpoint = tmp_path / "ck"
    WorldModel(model_config(DOT)).save(checkpoint)
    bench = ["bench", "plan", "--world", DOT, *GOAL_FRAME]
    assert_usage_error(cli_run(*bench), "--checkpoint")
    flagless = world_key(DOT, '{"flag": false}')
    WorldModel(model_config(flagless)).save(tmp_path / "flagless")
    no_flag = cli_run(
        "bench", "plan", "--world", DOT, "--world-kwargs", '{"flag": false}', *GOAL_FRAME,
        "--checkpoint", tmp_path / "flagless", "--expert", "tests.gym_envs:greedy_expert",
    )  # fmt: skip
    assert_usage_error(no_flag, "no 'success' flag", "--success")
    bad = cli_run(*bench, "--checkpoint", checkpoint, "--success", "tests.gym_envs:nope")
    assert_usage_error(bad, "cannot load success test")
    assert_usage_error(cli_run(*bench, "--checkpoint", checkpoint, "--protocol", "near"), "goal-frame")
    no_probe = cli_run(*bench, *DOT_TESTS, "--checkpoint", checkpoint, "--goal-probe", "nope")
    assert_usage_error(no_probe, "no 'nope' probe")
    other = cli_run("bench", "plan", "--world", DISCRETE, *GOAL_FRAME, "--checkpoint", checkpoint)
    assert_usage_error(other, "checkpoint for world")
    jitter_world, jitter_checkpoint = "tests.gym_envs:worldmind-test/Jitter-v0", tmp_path / "jitter"
    WorldModel(model_config(jitter_world)).save(jitter_checkpoint)
    jitter = cli_run(
        "bench", "plan", "--world", jitter_world, *GOAL_FRAME, *DOT_TESTS, "--checkpoint", jitter_checkpoint
    )
    assert_usage_error(jitter, "does not replay exactly")


def test_goal_frames_come_before_the_expert_episode_ends():
    from agent_core.benchmarks.goal_frame import make_goal_episodes

    ending = world_key(DOT, '{"limit": 14}')  # the env ends every episode after 14 steps
    expert = "tests.gym_envs:greedy_expert"
    inside, passed = make_goal_episodes(ending, expert, seed=0, count=12, offset=10)
    assert passed == 0 and all(len(e.actions) + 10 <= 14 for e in inside)
    assert all(not np.array_equal(e.goal_frame, e.start_frame) for e in inside)
    past, _ = make_goal_episodes(ending, expert, seed=0, count=12, offset=10, past_end=True)
    assert max(len(e.actions) for e in past) > 4  # LeWM's rule off: starts as late as offset - 1
    with pytest.raises(WorldError, match="no goal-frame pairs"):
        make_goal_episodes("tests.gym_envs:worldmind-test/Short-v0", expert, seed=0, count=2, offset=10)


def test_plan_to_a_goal_image_reads_it_as_the_world_sees_frames(cli_run, tmp_path):
    from PIL import Image

    from agent_core.model_training import model_config
    from world_model import WorldModel

    checkpoint = tmp_path / "ck"
    WorldModel(model_config(DOT)).save(checkpoint)
    env = make_world(DOT)
    env.reset(seed=5)
    Image.fromarray(env.env.render()).save(tmp_path / "here.png")  # the raw 40x24 render, not a frame
    env.reset(seed=6)
    Image.fromarray(env.env.render()).save(tmp_path / "there.png")
    plan = ["plan", "--world", DOT, "--checkpoint", checkpoint, "--seed", "5", "--budget", "6", "--json"]
    here = json.loads(cli_run(*plan, "--goal-image", tmp_path / "here.png").stdout)
    assert here["latent_distance"]["start"] == 0.0  # padded and resized exactly as the start frame
    there = cli_run(*plan, "--goal-image", tmp_path / "there.png")
    assert there.exit_code == 0, there.stderr
    record = json.loads(there.stdout)
    assert record["steps"] == 6 and record["latent_distance"]["start"] > 0.0 and record["ms_per_plan"] > 0
    (tmp_path / "notes.png").write_text("not a picture")
    assert_usage_error(cli_run(*plan, "--goal-image", tmp_path / "notes.png"), "cannot read", "notes.png")
    assert_usage_error(cli_run(*plan, "--goal-image", tmp_path / "missing.png"), "no image file", "missing.png")
    assert_usage_error(cli_run(*plan), "--goal-image")
    assert_usage_error(cli_run(*plan, "--goal", "3,4"), "--goal-image")
    tworooms = cli_run("plan", "--goal-image", tmp_path / "here.png")
    assert_usage_error(tworooms, "gymnasium worlds")


def test_a_start_in_the_held_end_state_counts_as_reached():
    from agent_core.benchmarks.goal_frame import GoalFrameSetup, make_goal_episodes, planner_episode
    from agent_core.model_training import model_config
    from world_model import WorldModel

    ending = world_key(DOT, '{"limit": 5}')  # every episode ends after 5 steps and holds its frame
    model = WorldModel(model_config(ending)).eval()
    drawn, _ = make_goal_episodes(ending, "tests.gym_envs:greedy_expert", 0, 10, 10, past_end=True)
    held = [e for e in drawn if len(e.actions) >= 5]  # the start is the goal: the world's end
    assert held
    for episode in held:
        outcome = planner_episode(model, ending, episode, 20, GoalFrameSetup(), reached)
        assert outcome["reached"] and outcome["steps"] == 0
