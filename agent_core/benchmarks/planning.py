"""Planning protocols for tworooms: "near" (LeWM / stable-worldmodel) and "far" (PLDM / eb_jepa).

near: start and goal are taken 25 steps apart on a held-out noisy-expert trajectory; 50 steps
of budget. far: start and goal drawn uniformly in opposite rooms; 200 steps of budget. Success
means the true agent ends within the success radius of the goal position. The planner only sees
the goal *frame*; the random policy and the expert are scored on the same episodes in the same
run, so the planner's number can be read against a floor and a ceiling.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from agent_core.planning import (
    PlannerConfig,
    goal_from_frame,
    make_planner,
    run_episode,
)
from agent_core.planning.experience_map import explore
from agent_core.planning.mpc import SUCCESS_RADIUS
from agent_core.planning.world_model_protocol import LatentWorldModel, model_timing
from agent_core.worlds import TwoRoomsEnv, make_world
from agent_core.worlds.policies import NoisyExpertPolicy, Policy, RandomPolicy

HELD_OUT_SEED_BASE = 9_000_000  # far from the seeds data collection uses (0, 1, 2, ...)
PROTOCOLS = {"near": {"gap": 25, "budget": 50}, "far": {"budget": 200}}
EXPERT_NOISE = 0.3
SWEEP = [(32, 1), (32, 4), (128, 1), (128, 4), (512, 4)]  # (samples, iterations)


@dataclass(frozen=True)
class Episode:
    world_seed: int
    start: np.ndarray
    goal: np.ndarray


@dataclass(frozen=True)
class PlanningSetup:
    """How the planner is run in the protocols (kept together so the sweep can vary it)."""

    planner: str = "cem"
    config: PlannerConfig = field(
        default_factory=lambda: PlannerConfig(horizon=10, samples=128, iterations=4, time_budget_s=0.1)
    )
    execute: int = 1
    position_weight: float = 2.0  # weight of the agent-probe distance added to the latent cost
    experience_steps: int = 0  # random-walk steps in the episode's world that build an experience map (0: none)


def make_episodes(protocol: str, seed: int, count: int) -> list[Episode]:
    """The protocol's episodes for one evaluation seed (deterministic)."""
    episodes = []
    for index in range(count):
        world_seed = HELD_OUT_SEED_BASE + 1000 * seed + index
        env = _world()
        env.reset(seed=world_seed)
        rng = np.random.default_rng(world_seed)
        if protocol == "near":
            episodes.append(_near_episode(env, world_seed, rng))
        else:
            start_room = "left" if rng.random() < 0.5 else "right"
            start = _point_in_room(env, start_room, rng)
            goal = _point_in_room(env, "right" if start_room == "left" else "left", rng)
            episodes.append(Episode(world_seed, start, goal))
    return episodes


def _world() -> TwoRoomsEnv:
    env = make_world("tworooms")
    assert isinstance(env, TwoRoomsEnv)
    return env


def _near_episode(env: TwoRoomsEnv, world_seed: int, rng: np.random.Generator) -> Episode:
    expert = NoisyExpertPolicy(env, noise=EXPERT_NOISE, seed=world_seed)
    facts = env.facts()
    warmup = int(rng.integers(0, 25))
    positions = [np.asarray(facts["agent"])]
    for _ in range(warmup + PROTOCOLS["near"]["gap"]):
        _, _, _, _, facts = env.step(expert(facts))
        positions.append(np.asarray(facts["agent"]))
    return Episode(world_seed, positions[warmup], positions[-1])


def _point_in_room(env: TwoRoomsEnv, room: str, rng: np.random.Generator) -> np.ndarray:
    while True:
        point = env.random_free_point(margin=1.0, rng=rng)
        if env.room_of(point) == room:
            return point


def _start(episode: Episode) -> TwoRoomsEnv:
    env = _world()
    env.reset(seed=episode.world_seed, options={"agent": tuple(episode.start)})
    return env


def policy_success(episode: Episode, budget: int, make_policy: Callable[[TwoRoomsEnv], Policy]) -> bool:
    """Whether a behaviour policy gets within the success radius within the budget."""
    env = _start(episode)
    policy = make_policy(env)
    facts = env.facts()
    for _ in range(budget):
        _, _, _, _, facts = env.step(policy(facts))
        if np.linalg.norm(np.asarray(facts["agent"]) - episode.goal) <= SUCCESS_RADIUS:
            return True
    return False


def _random_policy(seed: int) -> Callable[[TwoRoomsEnv], Policy]:
    return lambda env: RandomPolicy(env, seed=seed)


def _expert(episode: Episode) -> Callable[[TwoRoomsEnv], Policy]:
    """The noisy expert walking straight to this episode's goal (the protocol's ceiling)."""
    return lambda env: NoisyExpertPolicy(env, noise=EXPERT_NOISE, seed=episode.world_seed, target=episode.goal)


def planner_episode(model: LatentWorldModel, episode: Episode, budget: int, setup: PlanningSetup) -> dict[str, Any]:
    """One MPC episode towards the goal frame; returns the episode result as a dict."""
    env = _start(episode)
    goal = goal_from_frame(model, env.frame_with_agent_at(episode.goal))
    frameskip, _ = model_timing(model)
    planner = make_planner(setup.planner, setup.config, action_dim=2 * frameskip)
    experience = None
    if setup.experience_steps:
        experience = explore(_world(), episode.world_seed, setup.experience_steps, seed=episode.world_seed)
    cost = goal.cost(position_weight=setup.position_weight, experience=experience)
    result = run_episode(env, model, planner, cost, episode.goal, budget, setup.execute, experience=experience)
    return {"reached": result.reached, "seconds": result.plan_seconds}


def _mean_std(per_seed: list[float]) -> dict[str, float]:
    return {"success": round(float(np.mean(per_seed)), 4), "std": round(float(np.std(per_seed)), 4)}


def benchmark_planning(
    model: LatentWorldModel,
    protocols: list[str],
    seeds: int,
    episodes: int,
    setup: PlanningSetup,
    sweep: list[tuple[int, int]] | None = None,
    on_episode: Callable[[], None] | None = None,
    sweep_episodes: int = 20,
    first_seed: int = 0,
) -> dict[str, Any]:
    """Run the protocols, the baselines and the samples x iterations sweep; JSON-ready dict.

    Evaluation seeds are first_seed, first_seed + 1, ...: settings tuned on some seeds can be
    checked on others."""
    report: dict[str, Any] = {}
    seconds: list[float] = []
    pooled: dict[str, list[bool]] = {"random": [], "expert": []}
    for protocol in protocols:
        budget = PROTOCOLS[protocol]["budget"]
        per_seed = []
        baselines: dict[str, list[bool]] = {"random": [], "expert": []}
        for seed in range(first_seed, first_seed + seeds):
            wins = []
            for episode in make_episodes(protocol, seed, episodes):
                outcome = planner_episode(model, episode, budget, setup)
                wins.append(outcome["reached"])
                seconds += outcome["seconds"]
                baselines["random"].append(policy_success(episode, budget, _random_policy(seed)))
                baselines["expert"].append(policy_success(episode, budget, _expert(episode)))
                if on_episode:
                    on_episode()
            per_seed.append(float(np.mean(wins)))
        report[protocol] = {
            **_mean_std(per_seed),
            "per_seed": per_seed,
            "random_policy_success": round(float(np.mean(baselines["random"])), 4),
            "expert_success": round(float(np.mean(baselines["expert"])), 4),
        }
        pooled["random"] += baselines["random"]
        pooled["expert"] += baselines["expert"]
    report["ms_per_plan"] = round(1000 * float(np.mean(seconds)), 2) if seconds else None
    report["random_policy_success"] = round(float(np.mean(pooled["random"])), 4)  # all protocols
    report["expert_success"] = round(float(np.mean(pooled["expert"])), 4)
    report["episodes_per_seed"] = episodes
    report["seeds"] = seeds
    report["first_seed"] = first_seed
    report["planner"] = {
        "name": setup.planner,
        "horizon": setup.config.horizon,
        "samples": setup.config.samples,
        "iterations": setup.config.iterations,
        "execute": setup.execute,
        "position_weight": setup.position_weight,
        "time_budget_s": setup.config.time_budget_s,
        "experience_steps": setup.experience_steps,
    }
    if sweep:
        report["sweep"] = [
            _sweep_point(model, setup, samples, iterations, sweep_episodes, on_episode) for samples, iterations in sweep
        ]
    return report


def _sweep_point(
    model: LatentWorldModel,
    setup: PlanningSetup,
    samples: int,
    iterations: int,
    episodes: int,
    on_episode: Callable[[], None] | None,
) -> dict[str, Any]:
    """Success on the near protocol (seed 0) with one samples x iterations setting, no budget."""
    config = replace(
        setup.config,
        samples=samples,
        iterations=iterations,
        elites=min(setup.config.elites, samples),
        time_budget_s=None,
    )
    point_setup = replace(setup, config=config)
    wins, seconds = [], []
    for episode in make_episodes("near", 0, episodes):
        outcome = planner_episode(model, episode, PROTOCOLS["near"]["budget"], point_setup)
        wins.append(outcome["reached"])
        seconds += outcome["seconds"]
        if on_episode:
            on_episode()
    return {
        "samples": samples,
        "iterations": iterations,
        "success": round(float(np.mean(wins)), 4),
        "ms_per_plan": round(1000 * float(np.mean(seconds)), 2),
    }
