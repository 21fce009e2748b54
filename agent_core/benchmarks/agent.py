"""`worldmind bench agent`: the chat agent, from the user's words to the end, with facts hidden.

Each held-out tworooms seed is one agent life (its own memory namespace): a fresh agent (by
default; with `familiarise` > 0 it first walks about for that many model steps, a random walk
counted apart) carries out five tasks, in this order, from wherever the last one left it:

- in_view: "go to the X", X in the agent's room;
- named_place: "remember this place as the kitchen" there, then, after the next task, "go to the kitchen";
- other_room: "go to the Y", Y in the other room (seen earlier while walking about, or searched for);
- two_step: "go to the A and then the B";
- back_to_start: "go back to where you started".

The agent's world hides its facts (`FactsHiddenWorld`: any read raises); success is judged by
the world's ground truth: the true agent next to the object (the world's `near`, 6 px) or within
4 px of the place. Steps are env steps, set against the expert's (the noisy expert without
noise walking to the same goal, through the door when needed). In the same run, the same tasks
are given to the reference: the agent as it was before issue 19, which read the goal's position
and the door from the facts and planned with the straight-line probe cost.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agent_core.assembly import AgentOptions, open_agent
from agent_core.facts_hidden import FactsHiddenWorld
from agent_core.planning import LatentPlanner
from agent_core.planning.mpc import SUCCESS_RADIUS
from agent_core.worlds import TwoRoomsEnv, make_world
from agent_core.worlds.policies import NoisyExpertPolicy
from world_model import WorldModel

HELD_OUT_SEED_BASE = 7_000_000  # seeds neither training, calibration nor bench plan use
KINDS = ("in_view", "named_place", "other_room", "two_step", "back_to_start")
PLACE = "kitchen"


@dataclass
class TaskResult:
    kind: str
    success: bool
    steps: int  # env steps
    expert_steps: int | None
    turn_ms: float


def _expert_steps(seed: int, start: np.ndarray, goals: list[tuple[np.ndarray, float]], budget: int = 600) -> int | None:
    """Env steps the expert (no noise) takes from `start` to reach each goal (point, radius) in turn."""
    env = make_world("tworooms")
    assert isinstance(env, TwoRoomsEnv)
    env.reset(seed=seed, options={"agent": tuple(start)})
    steps = 0
    for goal, radius in goals:
        policy = NoisyExpertPolicy(env, noise=0.0, seed=0, target=goal)
        facts = env.facts()
        while np.linalg.norm(np.asarray(facts["agent"]) - goal) > radius:
            if steps >= budget:
                return None
            _, _, _, _, facts = env.step(policy(facts))
            steps += 1
    return steps


def _tasks(truth: dict[str, Any]) -> dict[str, Any]:
    """Which objects each task names, from the truth at the start of the tasks."""
    here = truth["room"]
    objects = truth["objects"]
    same = [n for n, o in objects.items() if o["room"] == here]
    other = [n for n, o in objects.items() if o["room"] != here]
    names = list(objects)
    first = same[0] if same else names[0]
    far = other[0] if other else next(n for n in names if n != first)
    pair = [n for n in names if n != far][:2]
    return {"in_view": first, "other_room": far, "two_step": pair}


def run_life(
    seed: int,
    familiarise: int,
    home: Path,
    checkpoint: Path | None,
    llm: str,
    reference: bool,
) -> dict[str, list[TaskResult]]:
    """One world seed: the tasks for the agent (facts hidden) and, if asked, the reference."""
    options = AgentOptions(
        world="tworooms",
        seed=seed,
        namespace=f"bench-{seed}",
        db_url=f"sqlite:///{home / 'bench.sqlite'}",
        checkpoint=checkpoint,
        llm=llm,
        rephrase=False,
    )
    hidden: list[FactsHiddenWorld] = []

    def wrap(world: Any) -> FactsHiddenWorld:
        hidden.append(FactsHiddenWorld(world))
        return hidden[0]

    agent = open_agent(options, wrap_world=wrap)
    world = hidden[0]
    results: dict[str, list[TaskResult]] = {"agent": []}
    try:
        start = np.asarray(world.truth()["agent"], dtype=np.float64)
        agent.familiarise(familiarise)
        plan = _tasks(world.truth())
        layout = world.truth()["objects"]

        def give(kind: str, text: str, goals: list[tuple[np.ndarray, float]], judged: Callable[[Any], bool]) -> None:
            before = np.asarray(world.truth()["agent"], dtype=np.float64)
            started = time.perf_counter()
            turn = agent.say(text)
            elapsed = (time.perf_counter() - started) * 1000
            expert = _expert_steps(seed, before, goals)
            results["agent"].append(
                TaskResult(
                    kind,
                    bool(judged(turn)),
                    len(turn.steps) * agent.frameskip,
                    expert,
                    elapsed / max(len(turn.steps), 1),
                )
            )

        def near(name: str) -> Callable[[Any], bool]:
            return lambda _turn: name in world.truth()["near"]

        def at(point: np.ndarray) -> Callable[[Any], bool]:
            return lambda _turn: float(np.linalg.norm(np.asarray(world.truth()["agent"]) - point)) <= SUCCESS_RADIUS

        def position(name: str) -> np.ndarray:
            return np.asarray(layout[name]["position"], dtype=np.float64)

        reach = 6.0
        give("in_view", f"go to the {plan['in_view']}", [(position(plan["in_view"]), reach)], near(plan["in_view"]))
        agent.say(f"remember this place as the {PLACE}")
        kitchen = np.asarray(world.truth()["agent"], dtype=np.float64)
        give(
            "other_room",
            f"go to the {plan['other_room']}",
            [(position(plan["other_room"]), reach)],
            near(plan["other_room"]),
        )
        give("named_place", f"go to the {PLACE}", [(kitchen, SUCCESS_RADIUS)], at(kitchen))
        first, second = plan["two_step"]

        already = first in world.truth()["near"]  # next to the first one before a step is taken

        def both(turn: Any) -> bool:
            visited = already or any(first in s.facts.get("near", []) for s in turn.steps)
            return visited and second in world.truth()["near"]

        give(
            "two_step",
            f"go to the {first} and then the {second}",
            [(position(first), reach), (position(second), reach)],
            both,
        )
        give("back_to_start", "go back to where you started", [(start, SUCCESS_RADIUS)], at(start))
    finally:
        agent.close()
    if reference:
        results["reference"] = _reference_life(seed, familiarise, checkpoint, plan, start)
    return results


def _reference_life(
    seed: int, familiarise: int, checkpoint: Path | None, plan: dict[str, Any], start: np.ndarray
) -> list[TaskResult]:
    """The same tasks for the agent before issue 19: goal positions and the door read from the
    facts, legs planned with the straight-line probe cost (agent_core.planning.LatentPlanner).
    It walks about the same way first, so that it starts each task where the agent did not
    necessarily; the expert is measured from its own start of each task."""
    from agent_core.assembly import load_world_model

    model = load_world_model("tworooms", checkpoint)
    env = make_world("tworooms")
    assert isinstance(env, TwoRoomsEnv)
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    heading = np.zeros(2)
    for step in range(familiarise * model.config.frameskip):
        if step % (2 * model.config.frameskip) == 0:
            heading = rng.normal(size=2)
            heading /= max(float(np.linalg.norm(heading)), 1e-9)
        env.step(heading.astype(np.float32))
    runner = _FactsReader(env, model)
    layout = env.facts()["objects"]
    results = []

    def position(name: str) -> np.ndarray:
        return np.asarray(layout[name]["position"], dtype=np.float64)

    def task(kind: str, goals: list[tuple[str | None, np.ndarray, float]]) -> None:
        before = np.asarray(env.facts()["agent"], dtype=np.float64)
        started = time.perf_counter()
        steps, ok = 0, True
        for name, point, radius in goals:
            done, taken = runner.go(point, name, radius)
            steps += taken
            ok = ok and done
        elapsed = (time.perf_counter() - started) * 1000
        expert = _expert_steps(seed, before, [(p, r) for _, p, r in goals])
        results.append(TaskResult(kind, ok, steps * model.config.frameskip, expert, elapsed / max(steps, 1)))

    task("in_view", [(plan["in_view"], position(plan["in_view"]), 6.0)])
    kitchen = np.asarray(env.facts()["agent"], dtype=np.float64)
    task("other_room", [(plan["other_room"], position(plan["other_room"]), 6.0)])
    task("named_place", [(None, kitchen, SUCCESS_RADIUS)])
    first, second = plan["two_step"]
    task("two_step", [(first, position(first), 6.0), (second, position(second), 6.0)])
    task("back_to_start", [(None, start, SUCCESS_RADIUS)])
    return results


class _FactsReader:
    """The pre-issue-19 chat agent's navigation (agent_core/agent.py before it): door waypoints
    from the facts, MPC with the straight-line probe cost, done by the facts' `near`."""

    def __init__(self, env: TwoRoomsEnv, model: WorldModel, max_steps: int = 120, replan_every: int = 2) -> None:
        self.env, self.model = env, model
        self.planner = LatentPlanner(model)
        self.max_steps, self.replan_every = max_steps, replan_every
        self.latents: list[np.ndarray] = [model.encode(env.render()[None])[0].detach().numpy()]
        self.actions: list[np.ndarray] = []

    def _done(self, point: np.ndarray, name: str | None, radius: float) -> bool:
        facts = self.env.facts()
        if name is not None:
            return name in facts["near"]
        return float(np.linalg.norm(np.asarray(facts["agent"]) - point)) <= radius

    def go(self, goal: np.ndarray, name: str | None, radius: float) -> tuple[bool, int]:
        facts = self.env.facts()
        door, agent = facts["door"], np.asarray(facts["agent"])
        legs = [goal]
        if (agent[0] < door["x"]) != (goal[0] < door["x"]):
            side = -1.0 if agent[0] < door["x"] else 1.0
            middle = (door["y0"] + door["y1"]) / 2
            legs = [np.array([door["x"] + side * 6, middle]), np.array([door["x"] - side * 6, middle]), goal]
        taken = 0
        for leg in legs:
            last = leg is goal
            while taken < self.max_steps:
                if self._done(goal, name, radius):
                    return True, taken
                if not last and np.linalg.norm(leg - np.asarray(self.env.facts()["agent"])) < 3.0:
                    break
                history = np.stack(self.latents[-self.model.config.history :])
                plan = self.planner.plan(history, np.zeros((0, 8)), leg)
                for block in plan.actions[: self.replan_every]:
                    frame = self.env.render()
                    for primitive in np.asarray(block).reshape(self.model.config.frameskip, -1):
                        frame, *_ = self.env.step(primitive)
                    self.latents.append(self.model.encode(frame[None])[0].detach().numpy())
                    taken += 1
                    if self._done(goal, name, radius) or taken >= self.max_steps:
                        break
        return self._done(goal, name, radius), taken


def summarise(lives: list[dict[str, list[TaskResult]]], who: str) -> dict[str, Any]:
    tasks = [t for life in lives for t in life.get(who, [])]
    if not tasks:
        return {}
    per_kind = {}
    for kind in KINDS:
        of_kind = [t for t in tasks if t.kind == kind]
        if of_kind:
            per_kind[kind] = {
                "tasks": len(of_kind),
                "success": round(float(np.mean([t.success for t in of_kind])), 4),
                "steps_vs_expert": _ratio([t for t in of_kind if t.success]),
            }
    return {
        "tasks": len(tasks),
        "success": round(float(np.mean([t.success for t in tasks])), 4),
        "steps_vs_expert": _ratio([t for t in tasks if t.success]),
        "p50_ms_per_step": round(float(np.median([t.turn_ms for t in tasks])), 1),
        "per_kind": per_kind,
    }


def _ratio(tasks: list[TaskResult]) -> float | None:
    """Total steps over the expert's total, on the tasks both finished."""
    pairs = [(t.steps, t.expert_steps) for t in tasks if t.expert_steps]
    if not pairs:
        return None
    return round(sum(a for a, _ in pairs) / sum(b for _, b in pairs), 3)


def benchmark_agent(
    lives: int = 20,
    familiarise: int = 0,
    first_seed: int = 0,
    checkpoint: Path | None = None,
    llm: str = "keyword-test-double",
    reference: bool = True,
    on_life: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    done: list[dict[str, list[TaskResult]]] = []
    with tempfile.TemporaryDirectory() as home:
        for index in range(lives):
            seed = HELD_OUT_SEED_BASE + first_seed + index
            done.append(run_life(seed, familiarise, Path(home), checkpoint, llm, reference))
            if on_life:
                on_life(index + 1)
    report = {
        "lives": lives,
        "tasks_per_life": len(KINDS),
        "familiarise_model_steps": familiarise,
        "first_seed": HELD_OUT_SEED_BASE + first_seed,
        "facts_hidden": summarise(done, "agent"),
        "reference_facts_reading": summarise(done, "reference"),
        "per_task": [
            {"seed": HELD_OUT_SEED_BASE + first_seed + i, "who": who, **t.__dict__}
            for i, life in enumerate(done)
            for who, tasks in life.items()
            for t in tasks
        ],
    }
    return report
