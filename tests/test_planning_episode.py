"""A planning episode end to end in tworooms: encode, plan, act, re-encode, replan."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from agent_core.planning import (
    CEMPlanner,
    LatentPlanner,
    MPPIPlanner,
    PlannerConfig,
    PlanningError,
    goal_from_frame,
    goal_from_latent,
    goal_from_object,
    run_episode,
)
from agent_core.worlds import make_world
from tests.planning_models import LinearLatentModel

OBJECTS = ("red ball", "blue box", "green key")


def left_room_episode(seed: int = 3):
    env = make_world("tworooms")
    env.reset(seed=seed, options={"agent": (8.0, 10.0)})
    return env, np.array([22.0, 40.0])


@pytest.mark.parametrize(("planner_cls", "frameskip"), [(CEMPlanner, 1), (MPPIPlanner, 1), (CEMPlanner, 3)])
def test_mpc_reaches_a_goal_frame(planner_cls, frameskip):
    env, goal_position = left_room_episode()
    model = LinearLatentModel(frameskip=frameskip)
    goal = goal_from_frame(model, env.frame_with_agent_at(goal_position))
    np.testing.assert_allclose(goal.position, goal_position, atol=0.5)
    config = PlannerConfig(horizon=6, samples=64, iterations=3)
    planner = planner_cls(config, action_dim=2 * frameskip)
    result = run_episode(env, model, planner, goal.cost(), goal_position, budget=60, execute=2)
    assert result.reached
    assert result.steps <= 25  # the straight line is 17 steps of 2 px
    assert result.to_dict()["result"] == "reached"
    assert len(result.imagined) == len(result.plan_seconds) >= result.steps / (2 * frameskip)
    assert result.trace[0] == [8.0, 10.0]


def test_an_unreachable_goal_ends_not_reached_with_the_closest_distance():
    env, goal_position = left_room_episode()
    model = LinearLatentModel()
    goal = goal_from_latent(model.latent_at(goal_position))
    planner = CEMPlanner(PlannerConfig(horizon=4, samples=32, iterations=2), action_dim=2)
    result = run_episode(env, model, planner, goal.cost(), goal_position, budget=5)
    assert not result.reached and result.steps == 5
    start_distance = float(np.linalg.norm(goal_position - [8.0, 10.0]))
    assert start_distance - 10.5 <= result.closest_distance < start_distance - 8
    assert result.to_dict()["result"] == "not reached"


def test_object_goals_resolve_through_the_probe():
    model = LinearLatentModel()
    goal = goal_from_object(model, model.latent_at([5.0, 5.0]), "Blue Box", OBJECTS)
    np.testing.assert_allclose(goal.position, [50.0, 50.0])
    assert goal.latent is None
    planner = CEMPlanner(PlannerConfig(horizon=5, samples=64, iterations=4), action_dim=2)
    plan = planner.plan(model, model.latent_at([40.0, 40.0]), goal.cost(last_only=True))
    remaining = np.linalg.norm(plan.positions["agent_pos"][-1] - [50.0, 50.0])
    assert remaining < 14.15 - 8.0  # 10 px of travel available, most of it towards the box
    with pytest.raises(PlanningError, match="unknown object 'purple cow'"):
        goal_from_object(model, torch.zeros(16), "purple cow", OBJECTS)


def test_a_goal_frame_cost_can_add_the_probe_distance():
    model = LinearLatentModel()
    goal = goal_from_frame(model, make_world("tworooms").reset(seed=3, options={"agent": (20.0, 40.0)})[0])
    planner = CEMPlanner(PlannerConfig(horizon=1, samples=64, iterations=4), action_dim=2)
    start = model.latent_at([20.0, 38.0])
    latent_only = planner.plan(model, start, goal.cost())
    mixed = planner.plan(model, start, goal.cost(position_weight=10.0))
    # same optimum (the latent is the position), but the probe term adds 10 x the distance
    assert mixed.cost > latent_only.cost
    np.testing.assert_allclose(mixed.positions["agent_pos"][0], [20.0, 40.0], atol=0.2)


def test_the_agents_planner_heads_for_a_goal_position_and_warm_starts():
    model = LinearLatentModel(frameskip=2)
    planner = LatentPlanner(model, "mppi", PlannerConfig(horizon=4, samples=64, iterations=3))
    latents = model.latent_at([[20.0, 20.0]]).numpy()
    first = planner.plan(latents, np.zeros((0, 4)), np.array([40.0, 20.0]))
    assert first.actions.shape == (4, 4)
    assert first.imagined[-1][0] > 20.0 + 8.0  # most of 4 blocks x 2 steps x 2 px to the right
    assert planner.previous is not None
    planner.reset()
    assert planner.previous is None
