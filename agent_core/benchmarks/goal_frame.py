"""The goal-frame protocol (LeWM's) on any gymnasium world.

For each evaluation seed s, the world is reset with seeds 9_000_000 + 1000 s + i, i = 0, 1, ...
(seeds no collection uses) and the expert policy acts for up to 2 offset - 1 world steps,
stopping where the env ends the episode; warmup is drawn uniformly from that seed among
0..offset-1 where `warmup + offset` comes before the end, and a seed with none is passed over
(as LeWM draws pairs from recorded episodes that stop at the env's end; `goals_past_end` keeps
them, with the held last frame as the goal). The frame at `warmup` is the start, the frame at
`warmup + offset` the goal. The world is put in the start state by resetting it with the
same seed and replaying the expert's actions (refused if the env does not replay exactly).
The agent then plans with MPC in latent space towards the goal frame's latent (sum over the
horizon of the distance of each imagined latent to it; with `goal_probe`, of the position a probe
reads from each to the one it reads from the goal frame), executing `execute` model steps per
plan, for at most `budget` world steps. An episode succeeds when the success test holds after
any step: `success(goal_info, info)` on the env's own `info` at the goal frame and now (the
env's `info["success"]` / `info["is_success"]` when no test is given).

In the same run, on the same episodes: a uniform random policy, the expert's own actions from
the start (a check that the goal is reachable and the test accepts it), and, when given, a
greedy goal-frame policy.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch

from agent_core.errors import WorldError
from agent_core.planning import PlannerConfig, PlanningError, make_planner
from agent_core.planning.bounds import ActionBounds
from agent_core.planning.costs import Cost, GoalLatentCost, ProbePositionCost
from agent_core.planning.optimizers import CategoricalCEMPlanner, SamplingPlanner
from agent_core.planning.world_model_protocol import LatentWorldModel, model_timing, probe_tensor
from agent_core.worlds import GymWorld, make_world
from agent_core.worlds.policies import Policy, RandomPolicy, load_callable, make_policy

HELD_OUT_SEED_BASE = 9_000_000
SUCCESS_KEYS = ("success", "is_success")
SuccessTest = Callable[[dict[str, Any], dict[str, Any]], bool]


@dataclass(frozen=True)
class GoalEpisode:
    world_seed: int
    actions: np.ndarray  # [warmup, A] canonical actions that lead from the reset to the start
    expert_actions: np.ndarray  # [offset, A] the expert's actions from start to goal
    start_frame: np.ndarray
    goal_frame: np.ndarray
    goal_info: dict[str, Any]
    start_info: dict[str, Any]  # the env's info at the start (for scoring subsets of episodes)


@dataclass(frozen=True)
class GoalFrameSetup:
    planner: str = "cem"
    config: PlannerConfig = field(
        default_factory=lambda: PlannerConfig(horizon=10, samples=128, iterations=4, time_budget_s=0.1)
    )
    execute: int = 1
    goal_probe: str | None = None  # plan towards the goal frame's position by this probe, not its latent


def success_test(name: str | None) -> SuccessTest:
    """`module:callable` as success(goal_info, info) -> bool, or the env's own success flag."""
    if name:
        return load_callable(name, "success test")

    def own(goal_info: dict[str, Any], info: dict[str, Any]) -> bool:
        for key in SUCCESS_KEYS:
            if key in info:
                return bool(info[key])
        raise WorldError("the env's info has no 'success' flag: give --success module:callable")

    return own


def check_success_test(world: str, name: str | None) -> None:
    """Refuse, before any episode, a success test that does not load or a missing success flag."""
    success_test(name)
    if name:
        return
    env = gym_world(world)
    try:
        env.reset(seed=HELD_OUT_SEED_BASE)
        if not any(key in env.last_info for key in SUCCESS_KEYS):
            raise WorldError("the env's info has no 'success' flag: give --success module:callable")
    finally:
        env.close()


def gym_world(world: str) -> GymWorld:
    """`world` made, refused unless it is a gymnasium world."""
    env = make_world(world)
    if not isinstance(env, GymWorld):
        env.close()
        raise WorldError(f"the goal-frame protocol runs on gymnasium worlds; {world} has its near/far protocols")
    return env


def make_goal_episodes(
    world: str, expert: str, seed: int, count: int, offset: int, past_end: bool = False
) -> tuple[list[GoalEpisode], int]:
    """The protocol's episodes for one evaluation seed (deterministic), and how many world
    seeds were passed over because the expert's episode ended before a goal `offset` steps
    after some start: LeWM draws start and goal from recorded episodes, which stop where the
    env ends them, so a goal is never the frame a finished episode holds. With `past_end`
    such goals are kept (the held frame is the goal; the start may already be there)."""
    episodes: list[GoalEpisode] = []
    passed = 0
    env = gym_world(world)
    try:
        while len(episodes) < count:
            world_seed = HELD_OUT_SEED_BASE + 1000 * seed + len(episodes) + passed
            if passed + len(episodes) >= 1000:
                raise WorldError(
                    f"the expert's episodes end within {offset} steps of every start: no goal-frame pairs "
                    f"(pass goals past the end, or a shorter --goal-offset)"
                )
            episode = _goal_episode(env, expert, world_seed, offset, past_end)
            if episode is None:
                passed += 1
            else:
                episodes.append(episode)
    finally:
        env.close()
    return episodes, passed


def _goal_episode(env: GymWorld, expert: str, world_seed: int, offset: int, past_end: bool) -> GoalEpisode | None:
    """The expert's run from `world_seed`: start uniform in 0..offset-1 among those whose goal
    comes before the episode ends (unless `past_end`); None when there is none."""
    frame, facts = env.reset(seed=world_seed)
    policy = make_policy(expert, env, seed=world_seed)
    frames, actions, infos = [frame], [], [dict(env.last_info)]
    for _ in range(2 * offset - 1):
        if facts["done"] and not past_end:
            break
        action = env.action_vector(policy(facts))
        frame, _, _, _, facts = env.step(action)
        frames.append(frame)
        actions.append(action)
        infos.append(dict(env.last_info))
    last_start = min(offset - 1, len(frames) - 1 - offset)
    if last_start < 0:
        return None
    warmup = int(np.random.default_rng(world_seed).integers(0, last_start + 1))
    return GoalEpisode(
        world_seed,
        np.array(actions, dtype=np.float32)[:warmup],
        np.array(actions[warmup : warmup + offset], dtype=np.float32),
        frames[warmup],
        frames[warmup + offset],
        infos[warmup + offset],
        infos[warmup],
    )


def _at_start(world: str, episode: GoalEpisode) -> GymWorld:
    """The world in the episode's start state: reset with its seed, the expert's actions replayed."""
    env = gym_world(world)
    frame, _ = env.reset(seed=episode.world_seed)
    for action in episode.actions:
        frame, *_ = env.step(action)
    if not np.array_equal(frame, episode.start_frame):
        env.close()
        raise WorldError(f"{world} does not replay exactly from a seed: the goal-frame protocol cannot restore starts")
    return env


def policy_success(
    world: str, episode: GoalEpisode, budget: int, make: Callable[[GymWorld], Policy], success: SuccessTest
) -> bool:
    env = _at_start(world, episode)
    try:
        policy = make(env)
        facts = env.facts()
        for _ in range(budget):
            _, _, _, _, facts = env.step(env.action_vector(policy(facts)))
            if success(episode.goal_info, env.last_info):
                return True
        return False
    finally:
        env.close()


class _Replay:
    """The expert's own actions from the start (run for at most as many steps as it took)."""

    def __init__(self, actions: np.ndarray) -> None:
        self.actions = list(actions)

    def __call__(self, facts: dict[str, Any]) -> np.ndarray:
        return self.actions.pop(0)


class _GreedyPolicy:
    """A user's greedy goal-frame policy: factory(env, seed, goal_frame) -> act(obs, info)."""

    def __init__(self, env: GymWorld, name: str, seed: int, goal_frame: np.ndarray) -> None:
        self.world = env
        self.act = load_callable(name, "greedy policy")(env.env, seed, goal_frame)

    def __call__(self, facts: dict[str, Any]) -> np.ndarray:
        return self.world.canonical(self.act(self.world.last_observation, self.world.last_info))


def make_search(model: LatentWorldModel, env: GymWorld, setup: GoalFrameSetup) -> SamplingPlanner:
    """CEM/MPPI over [-1, 1] boxes, or categorical CEM over discrete actions held for a model step."""
    frameskip, _ = model_timing(model)
    if env.choices is not None:
        choices = torch.eye(env.choices).repeat(1, frameskip)
        return CategoricalCEMPlanner(setup.config, choices)
    per_step = int(np.prod(env.action_space.shape or (0,)))
    config = replace(setup.config, bounds=ActionBounds(-1.0, 1.0, None, per_step))
    return make_planner(setup.planner, config, action_dim=per_step * frameskip)


def pursue_goal_frame(
    model: LatentWorldModel,
    env: GymWorld,
    start_frame: np.ndarray,
    goal_frame: np.ndarray,
    budget: int,
    setup: GoalFrameSetup,
    reached: Callable[[], bool],
) -> dict[str, Any]:
    """MPC from `env`'s present state (showing `start_frame`) towards `goal_frame`'s latent (or,
    with `setup.goal_probe`, the position that probe reads from it) for at most `budget` world steps, stopping once `reached()` holds after a step or the world has
    ended; steps taken, seconds per plan, and the latent distance to the goal at the start, the
    closest and the end (the model's own sense of how near it got)."""
    frameskip, history_length = model_timing(model)
    search = make_search(model, env, setup)
    with torch.inference_mode():
        goal = model.encode(goal_frame[None])[0].float()
    if setup.goal_probe is None:
        cost: Cost = GoalLatentCost(goal)
    else:
        target = probe_tensor(model, goal[None], setup.goal_probe)[0]
        if target.numel() != 2:
            raise PlanningError(f"probe {setup.goal_probe!r} reads {target.numel()} numbers; a goal position needs 2")
        cost = ProbePositionCost(target.reshape(2), key=setup.goal_probe)
    history: deque[torch.Tensor] = deque(maxlen=history_length)
    frame, steps, seconds, distances, warm = start_frame, 0, [], [], None
    won = False
    while True:
        with torch.inference_mode():
            history.append(model.encode(frame[None])[0])
        distances.append(float(torch.linalg.vector_norm(history[-1].float() - goal)))
        ended = env.facts()["done"]
        if ended:  # the world holds its end: no step can change whether it is reached
            won = won or reached()
        if won or steps >= budget or ended:
            break
        plan = search.plan(model, torch.stack(list(history)), cost, warm)
        seconds.append(plan.seconds)
        for action in plan.actions[: setup.execute].reshape(-1, plan.actions.shape[-1] // frameskip):
            frame, *_ = env.step(action)
            steps += 1
            won = reached()
            if won or steps >= budget:
                break
        warm = plan.warm_start(min(setup.execute, len(plan.actions)))
    return {
        "reached": won,
        "steps": steps,
        "seconds": seconds,
        "latent_distance": {"start": distances[0], "closest": min(distances), "end": distances[-1]},
    }


def planner_episode(
    model: LatentWorldModel,
    world: str,
    episode: GoalEpisode,
    budget: int,
    setup: GoalFrameSetup,
    success: SuccessTest,
) -> dict[str, Any]:
    """MPC towards the goal frame's latent; whether the success test held within the budget."""
    env = _at_start(world, episode)
    try:
        return pursue_goal_frame(
            model,
            env,
            episode.start_frame,
            episode.goal_frame,
            budget,
            setup,
            lambda: success(episode.goal_info, env.last_info),
        )
    finally:
        env.close()


def _baselines(
    world: str, episode: GoalEpisode, budget: int, seed: int, success: SuccessTest, greedy: str | None
) -> dict[str, bool]:
    """Random policy, the expert's own actions and (if given) the greedy policy on one episode."""
    replay = episode.expert_actions
    won = {
        "random": policy_success(world, episode, budget, lambda env: RandomPolicy(env, seed=seed), success),
        "expert": policy_success(world, episode, min(budget, len(replay)), lambda env: _Replay(replay), success),
    }
    if greedy:
        won["greedy"] = policy_success(
            world,
            episode,
            budget,
            lambda env: _GreedyPolicy(env, greedy, episode.world_seed, episode.goal_frame),
            success,
        )
    return won


def benchmark_goal_frame(
    model: LatentWorldModel,
    world: str,
    expert: str,
    offset: int,
    budget: int,
    seeds: int,
    episodes: int,
    setup: GoalFrameSetup,
    success_name: str | None = None,
    greedy: str | None = None,
    first_seed: int = 0,
    on_episode: Callable[[], None] | None = None,
    goals_past_end: bool = False,
) -> dict[str, Any]:
    """The goal-frame protocol; JSON-ready report (success per seed, baselines, ms per plan)."""
    if offset < 1 or budget < 1:
        raise WorldError(f"goal offset and budget must be positive, got {offset} and {budget}")
    success = success_test(success_name)
    per_seed: list[float] = []
    seconds: list[float] = []
    baselines: dict[str, list[bool]] = {"random": [], "expert": [], "greedy": []}
    outcomes: list[dict[str, Any]] = []
    passed_over = 0
    started = time.perf_counter()
    for seed in range(first_seed, first_seed + seeds):
        wins = []
        drawn, passed = make_goal_episodes(world, expert, seed, episodes, offset, goals_past_end)
        passed_over += passed
        for episode in drawn:
            outcome = planner_episode(model, world, episode, budget, setup, success)
            wins.append(outcome["reached"])
            seconds += outcome["seconds"]
            others = _baselines(world, episode, budget, seed, success, greedy)
            for name, won in others.items():
                baselines[name].append(won)
            outcomes.append(
                {
                    "seed": seed,
                    "world_seed": episode.world_seed,
                    "planner": outcome["reached"],
                    "steps": outcome["steps"],
                }
                | others
            )
            if on_episode:
                on_episode()
        per_seed.append(float(np.mean(wins)))
    config = getattr(model, "config", None)
    metadata = getattr(model, "metadata", {}) or {}
    report: dict[str, Any] = {
        "protocol": "goal-frame",
        "world": world,
        "goal_offset": offset,
        "budget": budget,
        "success": round(float(np.mean(per_seed)), 4),
        "std": round(float(np.std(per_seed)), 4),
        "per_seed": per_seed,
        "random_policy_success": round(float(np.mean(baselines["random"])), 4),
        "expert_success": round(float(np.mean(baselines["expert"])), 4),
        "greedy_success": round(float(np.mean(baselines["greedy"])), 4) if greedy else None,
        "ms_per_plan": round(1000 * float(np.mean(seconds)), 2) if seconds else None,
        "episodes_per_seed": episodes,
        "goals_past_end": goals_past_end,
        # world seeds whose expert episode ended too soon for a goal `offset` steps after a start
        "world_seeds_passed_over": passed_over,
        "seeds": seeds,
        "first_seed": first_seed,
        "expert": expert,
        "success_test": success_name or "info['success']",
        "planner": {
            "name": setup.planner,
            "horizon": setup.config.horizon,
            "samples": setup.config.samples,
            "iterations": setup.config.iterations,
            "execute": setup.execute,
            "time_budget_s": setup.config.time_budget_s,
            "frameskip": model_timing(model)[0],
            "goal_probe": setup.goal_probe,
        },
        "model": {
            "parameters": sum(p.numel() for p in model.parameters()) if hasattr(model, "parameters") else None,
            "latent_dim": getattr(config, "latent_dim", None),
            "train_wall_s": metadata.get("train_wall_s"),
        },
        "wall_s": round(time.perf_counter() - started, 1),
        "episodes": outcomes,  # per episode: its world seed, and who reached the goal (subsets)
    }
    return report
