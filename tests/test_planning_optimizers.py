"""CEM, MPPI and categorical CEM on problems whose optimum is known."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from agent_core.planning import (
    ActionBounds,
    ActionMagnitudeCost,
    CategoricalCEMPlanner,
    CEMPlanner,
    Cost,
    GoalLatentCost,
    MPPIPlanner,
    PlannerConfig,
    PlanningError,
    Rollout,
    make_planner,
    mppi_weights,
)
from tests.planning_models import LinearLatentModel

START = np.array([20.0, 30.0])


class QuadraticActionCost(Cost):
    """sum ||a_t - target_t||^2: a quadratic with a unique optimum at `target`."""

    def __init__(self, target: torch.Tensor) -> None:
        self.target = target
        self.seen: list[torch.Tensor] = []

    def __call__(self, rollout: Rollout) -> torch.Tensor:
        self.seen.append(rollout.actions.clone())
        return (rollout.actions - self.target).pow(2).sum(dim=(1, 2))


def plan(planner_cls, cost, model=None, warm=None, **config):
    model = model or LinearLatentModel()
    planner = planner_cls(PlannerConfig(**config), action_dim=2)
    return planner.plan(model, model.latent_at(START)[None], cost, warm)


@pytest.mark.parametrize("planner_cls", [CEMPlanner, MPPIPlanner])
def test_finds_the_optimum_of_a_known_quadratic(planner_cls):
    target = torch.tensor([[0.3, -0.4], [-0.5, 0.2], [0.0, 0.6]])
    result = plan(planner_cls, QuadraticActionCost(target), horizon=3, samples=256, iterations=8)
    np.testing.assert_allclose(result.actions, target.numpy(), atol=0.05)
    assert result.cost < 0.01


def test_cem_reaches_a_goal_latent_one_step_away():
    model = LinearLatentModel()
    goal = model.latent_at(START + 2.0 * np.array([0.6, -0.3]))
    result = plan(CEMPlanner, GoalLatentCost(goal), model, horizon=1, iterations=8)
    np.testing.assert_allclose(result.actions[0], [0.6, -0.3], atol=0.03)
    np.testing.assert_allclose(result.positions["agent_pos"][0], [21.2, 29.4], atol=0.1)
    assert result.latents.shape == (1, 16)


def test_mppi_weights_follow_the_softmax_formula():
    costs = torch.tensor([3.0, 1.0, 2.0, 5.0])
    weights = mppi_weights(costs, temperature=0.5)
    expected = torch.exp(-(costs - 1.0) / (0.5 * 4.0))
    torch.testing.assert_close(weights, expected / expected.sum())
    assert int(weights.argmax()) == 1
    assert mppi_weights(costs, 0.01)[1] > 0.99  # a cold temperature picks the best sample


@pytest.mark.parametrize("planner_cls", [CEMPlanner, MPPIPlanner])
def test_every_candidate_and_the_plan_respect_the_bounds(planner_cls):
    cost = QuadraticActionCost(torch.full((4, 2), 3.0))  # optimum outside the bounds
    bounds = ActionBounds(low=-0.5, high=0.8, max_norm=0.9)
    result = plan(planner_cls, cost, horizon=4, iterations=6, bounds=bounds)
    seen = torch.cat(cost.seen)
    assert seen.min() >= -0.5 and seen.max() <= 0.8
    assert seen.norm(dim=-1).max() <= 0.9 + 1e-5
    norms = np.linalg.norm(result.actions, axis=-1)
    assert np.all(norms <= 0.9 + 1e-5) and np.all(norms > 0.8)


def test_the_time_budget_stops_iterating():
    model = LinearLatentModel(delay_s=0.05)
    cost = QuadraticActionCost(torch.zeros(2, 2))
    result = plan(CEMPlanner, cost, model, horizon=2, iterations=100, time_budget_s=0.2)
    assert 1 <= result.iterations < 100
    assert result.seconds < 0.2 + 3 * 0.05 + 0.2  # at most the iteration in flight overshoots


def test_warm_start_seeds_the_search_with_the_shifted_previous_plan():
    first = plan(CEMPlanner, QuadraticActionCost(torch.zeros(3, 2)), horizon=3, iterations=1)
    first.actions = np.array([[0.1, 0.0], [0.2, 0.0], [0.3, 0.0]], dtype=np.float32)
    warm = first.warm_start(1)
    torch.testing.assert_close(warm, torch.tensor([[0.2, 0.0], [0.3, 0.0], [0.0, 0.0]]))
    # one sample, one iteration: the candidate evaluated is the warm-start mean itself
    again = plan(
        CEMPlanner,
        QuadraticActionCost(torch.zeros(3, 2)),
        warm=warm,
        horizon=3,
        samples=1,
        elites=1,
        iterations=1,
    )
    np.testing.assert_allclose(again.actions, warm.numpy())


def test_categorical_cem_picks_the_discrete_action_towards_the_goal():
    model = LinearLatentModel()
    choices = torch.tensor([[0.0, 0.0], [1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    planner = CategoricalCEMPlanner(PlannerConfig(horizon=3, samples=64, elites=8), choices)
    goal = model.latent_at(START + np.array([4.0, -2.0]))
    result = planner.plan(model, model.latent_at(START)[None], GoalLatentCost(goal, last_only=True))
    assert sorted(map(tuple, result.actions.tolist())) == [(0.0, -1.0), (1.0, 0.0), (1.0, 0.0)]
    np.testing.assert_allclose(result.positions["agent_pos"][-1], START + np.array([4.0, -2.0]), atol=1e-4)


def test_costs_compose_as_weighted_sums():
    model = LinearLatentModel()
    actions = torch.rand(5, 3, 2)
    rollout = Rollout(model, actions, model.rollout(model.latent_at(START)[None, None].expand(5, 1, -1), actions))
    goal = GoalLatentCost(model.latent_at(START + 3))
    effort = ActionMagnitudeCost()
    torch.testing.assert_close((2.0 * goal + effort)(rollout), 2 * goal(rollout) + effort(rollout))


@pytest.mark.parametrize(
    "bad", [{"horizon": 0}, {"samples": -1}, {"iterations": 0}, {"elites": 500}, {"temperature": 0}]
)
def test_bad_planner_settings_are_rejected(bad):
    with pytest.raises(PlanningError):
        PlannerConfig(**bad)


def test_unknown_planner_name_is_rejected():
    with pytest.raises(PlanningError, match="unknown planner"):
        make_planner("astar", PlannerConfig(), 2)


def test_a_held_heading_repeats_one_searched_action_over_the_model_step():
    model = LinearLatentModel(frameskip=4)
    goal = model.latent_at(START + 4 * 2.0 * np.array([0.6, -0.3]))  # one step of four equal moves away
    planner = CEMPlanner(PlannerConfig(horizon=1, iterations=8, hold=4), action_dim=8)
    result = planner.plan(model, model.latent_at(START)[None], GoalLatentCost(goal))
    moves = result.actions[0].reshape(4, 2)
    np.testing.assert_array_equal(moves, np.repeat(moves[:1], 4, axis=0))
    np.testing.assert_allclose(moves[0], [0.6, -0.3], atol=0.03)
    warm = planner.plan(model, model.latent_at(START)[None], GoalLatentCost(goal), torch.as_tensor(result.actions))
    assert warm.cost <= result.cost + 1e-6


def test_a_held_heading_must_divide_the_action():
    with pytest.raises(PlanningError, match="hold"):
        CEMPlanner(PlannerConfig(hold=3), action_dim=8)
