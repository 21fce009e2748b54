"""The experience map: travel distances around walls learned only from where the agent has been."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from agent_core.planning import CEMPlanner, Goal, PlannerConfig, Rollout, TravelFieldCost, run_episode
from agent_core.planning.experience_map import ExperienceMap, explore
from agent_core.worlds import make_world
from tests.planning_models import LinearLatentModel

GOAL = np.array([55.0, 10.0])


def two_rooms_walked() -> ExperienceMap:
    """Walks every 3 px in a left room (x < 30) and a right room (x > 34), joined only through
    a door at y = 50; the 2-px gaps between the walks are ground the walker missed by chance."""
    experience = ExperienceMap()
    for y in range(5, 60, 3):
        experience.add_path([np.array([x, float(y)]) for x in np.arange(2.0, 29.5, 1.5)])
        experience.add_path([np.array([x, float(y)]) for x in np.arange(35.0, 62.0, 1.5)])
    for x in [*range(2, 30, 3), *range(35, 62, 3)]:
        experience.add_path([np.array([float(x), y]) for y in np.arange(2.0, 62.0, 1.5)])
    experience.add_path([np.array([x, 50.0]) for x in np.arange(20.0, 45.0, 1.5)])  # through the door
    return experience


def at(grid: np.ndarray, x: float, y: float):
    return grid[int(y), int(x)]


def test_the_travel_distance_goes_round_the_wall_through_the_door():
    field = two_rooms_walked().travel_field(GOAL)
    via_door = np.hypot(32 - 10, 50 - 10) + np.hypot(55 - 32, 50 - 10)  # 92 px; straight: 45 px
    assert 0.95 * via_door <= at(field, 10, 10) < 1.1 * via_door
    assert at(field, 45, 10) < 11  # same room: the straight line


def test_ground_is_walked_ground_with_a_pixel_of_margin_not_the_wall_and_the_goal():
    ground = two_rooms_walked().ground(np.array([32.0, 20.0]))  # a goal frame shown inside the wall
    assert at(ground, 15.5, 15.5)  # beside a walk
    assert not at(ground, 32, 10) and not at(ground, 32, 40)
    assert at(ground, 32, 20) and at(ground, 33, 20)


def walked_cost() -> tuple[ExperienceMap, TravelFieldCost, LinearLatentModel]:
    """The two walked rooms, the travel cost to GOAL over them, a model moving 1 px per unit."""
    experience = two_rooms_walked()
    return experience, TravelFieldCost(experience, GOAL), LinearLatentModel(step=1.0)


def cost_of(cost: TravelFieldCost, model: LinearLatentModel, start, moves, origin=None) -> list[float]:
    """The cost of candidate move sequences [N,T,2] (pixels per step) imagined from `start`."""
    actions = torch.as_tensor(moves, dtype=torch.float32) / model.step
    history = model.latent_at(start)[None, None].expand(len(actions), 1, -1)
    known = {} if origin is None else {"agent_pos": np.asarray(origin)}
    return cost(Rollout(model, actions, model.rollout(history, actions), model.latent_at(start), known)).tolist()


def test_a_path_imagined_through_the_wall_pays_for_the_unwalked_ground():
    _experience, cost, model = walked_cost()
    stay, through_wall, towards_door = [[0.0, 0.0]] * 4, [[8.0, 0.0]] * 4, [[0.0, 8.0]] * 4
    costs = cost_of(cost, model, [26.0, 10.0], [stay, through_wall, towards_door])
    assert costs[2] < costs[0] < costs[1]


def test_beyond_a_wall_an_imagined_path_gains_nothing():
    _experience, cost, model = walked_cost()
    just_through, on_to_the_goal = [[8.0, 0.0]] + [[0.0, 0.0]] * 3, [[8.0, 0.0]] * 3 + [[5.0, 0.0]]
    costs = cost_of(cost, model, [26.0, 10.0], [just_through, on_to_the_goal])
    assert costs[0] == pytest.approx(costs[1])


def test_imagined_motion_is_laid_from_where_the_agent_knows_it_is():
    _experience, cost, model = walked_cost()
    right = [[8.0, 0.0]] * 4
    believed_past_the_wall = cost_of(cost, model, [36.0, 10.0], [right])[0]
    known_before_it = cost_of(cost, model, [36.0, 10.0], [right], origin=[26.0, 10.0])[0]
    assert known_before_it == pytest.approx(cost_of(cost, model, [26.0, 10.0], [right])[0], rel=1e-5)
    assert known_before_it > believed_past_the_wall + 100


def test_a_bump_blocks_its_cell_and_costs_see_it():
    experience, cost, model = walked_cost()
    along_the_walk = [[0.0, 3.0]] * 2
    before = cost_of(cost, model, [10.0, 10.0], [along_the_walk])[0]
    experience.add_bump(np.array([10.0, 11.5]), np.array([0.0, 1.0]))
    assert not at(experience.ground(GOAL), 10, 12.5)
    assert cost_of(cost, model, [10.0, 10.0], [along_the_walk])[0] > before + 10


def test_an_episode_records_a_bump_where_the_model_walks_into_a_wall():
    env = make_world("tworooms")
    env.reset(seed=3, options={"agent": (27.0, 5.0)})
    experience = ExperienceMap()
    experience.walked[:] = True  # experience that wrongly knows no walls: only bumps can teach it
    goal_position = np.array([40.0, 5.0])
    goal = Goal(None, goal_position, "across the wall")
    planner = CEMPlanner(PlannerConfig(horizon=3, samples=32, iterations=2), action_dim=4)
    cost = goal.cost(experience=experience)
    run_episode(env, LinearLatentModel(frameskip=2), planner, cost, goal_position, 12, experience=experience)
    columns = np.nonzero(experience.bumped.any(axis=0))[0]
    assert len(columns) and columns.min() >= 29 and columns.max() <= 34


def test_exploring_a_world_walks_through_its_door_and_nowhere_else_in_the_wall():
    env = make_world("tworooms")
    env.reset(seed=3)
    door = env.facts()["door"]
    experience = explore(env, world_seed=3, steps=3000, seed=0)
    rows = np.nonzero(experience.walked[:, int(door["x"])])[0] + 0.5
    assert len(rows) and door["y0"] <= rows.min() and rows.max() <= door["y1"]


def test_a_model_that_ignores_walls_reaches_the_other_room_with_experience():
    """The analytic model imagines walking through walls, as a learned one does near them."""
    env = make_world("tworooms")
    experience = explore(make_world("tworooms"), world_seed=3, steps=3000, seed=0)
    start, goal_position = (10.0, 32.0), np.array([54.0, 32.0])
    goal = Goal(None, goal_position, "the other room")
    config = PlannerConfig(horizon=8, samples=64, iterations=3)
    outcomes = []
    for known in (None, experience):
        env.reset(seed=3, options={"agent": start})
        planner = CEMPlanner(config, action_dim=2)
        outcomes.append(run_episode(env, LinearLatentModel(), planner, goal.cost(experience=known), goal_position, 150))
    straight, experienced = outcomes
    assert not straight.reached and straight.closest_distance > 15  # stuck against the wall
    assert experienced.reached
