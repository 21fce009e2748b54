"""Navigation: how the chat agent gets somewhere, from what it perceives and remembers only.

The same model-predictive control `bench plan` measures: CEM over action blocks rolled out by
the world model, cost = latent distance to the goal moment (when the goal is a memory) plus the
travel distance over the agent's experience map (`agent_core/planning/experience_map.py`), laid
from the agent's perceived position. The map is built from the agent's own perceived positions
as it moves; nothing reads the world's walls, door or objects. Where the map knows no way yet,
the agent wanders (a random walk with persistent headings) and learns one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import torch

from agent_core.planning.costs import Cost, GoalLatentCost, TravelFieldCost
from agent_core.planning.experience_map import ExperienceMap
from agent_core.planning.optimizers import PlannerConfig, SearchResult, make_planner
from agent_core.planning.world_model_protocol import probe_tensor
from world_model import WorldModel

BUMP_MIN_PX = 2.0  # imagined first moves shorter than this are too small to call a shortfall


class WalkedGround(ExperienceMap):
    """The agent's experience map. Unlike `bench plan`'s, whose map comes from 3,000 steps of
    walking that cover the floor before the episode, the agent's grows as it lives: most open
    floor is still unwalked, so unwalked ground is only somewhat dearer than walked ground
    (`unwalked_cost`), a known way (the door it once walked through) wins over a straight line
    into a wall, and where it bumped into something is all but impassable (the bumped cell and
    its neighbours)."""

    def __init__(self, unwalked_cost: float = 100.0, bumped_cost: float = 1000.0, vouch: float = 2.0) -> None:
        super().__init__()
        self.unwalked_cost = unwalked_cost
        self.bumped_cost = bumped_cost
        self.vouch = vouch  # pixels round each walked cell counted as ground (bench plan's map: 1)

    def ground(self, goal: np.ndarray) -> np.ndarray:
        """Walked cells and the disc of `vouch` pixels round each: a wall is its width plus the
        agent's diameter (5 px in tworooms) of ground no walk can reach, wider than the margin from
        both sides; bumps, and cells beside them, are never ground."""
        reach = int(self.vouch / self.resolution)
        padded = np.pad(self.walked, reach)
        size = len(self.walked)
        ground = np.zeros_like(self.walked)
        for dy in range(-reach, reach + 1):
            for dx in range(-reach, reach + 1):
                if dy * dy + dx * dx <= reach * reach:
                    ground |= padded[reach + dy : reach + dy + size, reach + dx : reach + dx + size]
        return (ground | super().ground(goal)) & ~_around(self.bumped)

    def weights(self, goal: np.ndarray, unwalked_cost: float) -> np.ndarray:
        weight = np.where(self.ground(goal), 1.0, self.unwalked_cost)
        weight[_around(self.bumped)] = self.bumped_cost
        return weight


def _around(mask: np.ndarray) -> np.ndarray:
    padded = np.pad(mask, 1)
    return mask | padded[:-2, 1:-1] | padded[2:, 1:-1] | padded[1:-1, :-2] | padded[1:-1, 2:]


@dataclass(frozen=True)
class NavigationConfig:
    """bench plan's settings (agent_core/benchmarks/planning.py: PlanningSetup)."""

    planner: PlannerConfig = field(
        default_factory=lambda: PlannerConfig(horizon=10, samples=128, iterations=4, time_budget_s=0.1)
    )
    position_weight: float = 2.0
    arrive_px: float = 2.0  # a place goal is reached when the perceived agent is this close
    # The experience map and its cost (WalkedGround, TravelFieldCost): bench plan's are vouch 1,
    # unwalked cost 100, 20 per unwalked pixel crossed, blocked after 1 px of unwalked ground.
    vouch: float = 1.0
    unwalked_cost: float = 100.0
    unwalked_weight: float = 20.0
    blocked_after: float = 1.0
    persistence: int = 4  # model steps a wandering heading is kept (crosses the door in 300 steps)


class Body(Protocol):
    """What navigation needs of the agent: take one model step, and what it perceives now."""

    def history(self) -> np.ndarray: ...  # latents [h, D], the last one is now

    def position(self) -> np.ndarray: ...  # perceived agent position [2]

    def move(self, block: np.ndarray, imagined: list[tuple[float, float]]) -> bool: ...  # False: stop asked


@dataclass(frozen=True)
class Destination:
    """Where to go: a perceived position and, for a remembered moment, its latent."""

    position: np.ndarray
    latent: np.ndarray | None = None
    description: str = ""


@dataclass
class Trip:
    steps: int = 0
    plans: int = 0
    plan_seconds: float = 0.0
    last_cost: float | None = None


class Navigator:
    def __init__(
        self, model: WorldModel, config: NavigationConfig | None = None, seed: int = 0, kind: str = "cem"
    ) -> None:
        self.model = model
        self.config = config or NavigationConfig()
        self.search = make_planner(kind, self.config.planner, model.config.action_dim)
        self.experience = WalkedGround(self.config.unwalked_cost, vouch=self.config.vouch)
        self.rng = np.random.default_rng(seed)
        self._last: np.ndarray | None = None
        self._cost: tuple[tuple[float | bool, ...], Cost] | None = None
        self._field: tuple[tuple[float, ...], np.ndarray] | None = None

    # -- experience ------------------------------------------------------------------------
    def walked(self, position: np.ndarray) -> None:
        """The agent perceived itself at `position` after a step: the ground in between is walked."""
        point = np.asarray(position, dtype=np.float64)
        before = self.experience.walked.copy()
        self.experience.add_path([point] if self._last is None else [self._last, point])
        if np.array_equal(before, self.experience.walked):
            self.experience.version -= 1  # nothing new: the travel field still holds
        self._last = point

    def lost_track(self) -> None:
        """The next position does not continue the last one (a reset, a teleport)."""
        self._last = None

    @property
    def known_cells(self) -> int:
        return int(self.experience.walked.sum())

    # -- planning --------------------------------------------------------------------------
    def _cost_for(self, destination: Destination, position: np.ndarray) -> Cost:
        """bench plan's cost (travel over walked ground; an imagined path that crosses unwalked
        ground is taken to stop there) when the map knows a way from here; while it does not
        (a young map: most floor unwalked), the same travel field without that stop, so the agent
        can head over open floor it never stood on, learning walls by bumping into them."""
        known = self.knows_way(position, destination.position)
        key = (*tuple(np.round(destination.position, 3)), destination.latent is not None, known)
        if self._cost is None or self._cost[0] != key:
            travel: Cost = TravelFieldCost(
                self.experience,
                destination.position,
                unwalked_weight=self.config.unwalked_weight if known else 0.0,
                blocked_after=self.config.blocked_after if known else float("inf"),
            )
            if destination.latent is not None:
                goal = torch.as_tensor(destination.latent, dtype=torch.float32)
                travel = GoalLatentCost(goal) + self.config.position_weight * travel
            self._cost = (key, travel)
        return self._cost[1]

    def way_left(self, position: np.ndarray, goal: np.ndarray) -> float:
        """The travel field's value here: how far the goal is over the ground the agent knows
        (a pixel of unwalked ground counts `unwalked_cost`)."""
        key = (*tuple(np.round(goal, 3)), self.experience.version)
        if self._field is None or self._field[0] != key:
            self._field = (key, self.experience.travel_field(goal, self.config.unwalked_cost))
        return float(self._field[1][self.experience.cell(position)])

    def knows_way(self, position: np.ndarray, goal: np.ndarray) -> bool:
        """Whether walked ground links `position` to `goal`: the travel field there is no more than
        a detour's length and a pixel of unwalked ground (each costs `unwalked_cost`)."""
        here = self.way_left(position, goal)
        # a pixel of unwalked ground (the goal seen from beside where the agent walked) is allowed
        return bool(here <= 3.0 * float(np.linalg.norm(np.asarray(goal) - np.asarray(position))) + 150.0)

    def plan(
        self, history: np.ndarray, position: np.ndarray, destination: Destination, warm: torch.Tensor | None
    ) -> SearchResult:
        latents = torch.as_tensor(history, dtype=torch.float32)
        return self.search.plan(
            self.model, latents, self._cost_for(destination, position), warm, origin={"agent_pos": np.asarray(position)}
        )

    def travel(self, body: Body, destination: Destination, done: Callable[[], bool], budget: int) -> Trip:
        """MPC: plan, take the first block, perceive, replan, until `done()` or the budget is spent."""
        trip = Trip()
        warm: torch.Tensor | None = None
        while trip.steps < budget and not done():
            before = body.position()
            plan = self.plan(body.history(), before, destination, warm)
            trip.plans += 1
            trip.plan_seconds += plan.seconds
            trip.last_cost = plan.cost
            imagined = [(float(x), float(y)) for x, y in plan.positions.get("agent_pos", np.zeros((0, 2)))]
            if not body.move(plan.actions[0], imagined):
                break
            trip.steps += 1
            self._note_bump(body, plan, before)
            warm = plan.warm_start(1)
        return trip

    def _note_bump(self, body: Body, plan: SearchResult, before: np.ndarray) -> None:
        """Where the agent made less than half the progress the model imagined for the first step,
        something the model does not know stopped it: the cell just ahead is blocked (as in MPC)."""
        if "agent_pos" not in plan.positions:
            return
        with torch.inference_mode():
            latent = torch.as_tensor(body.history()[-2:-1], dtype=torch.float32)
            if len(latent) == 0:
                return
            start = probe_tensor(self.model, latent, "agent_pos")[0].numpy()
        imagined = plan.positions["agent_pos"][0] - start
        length = float(np.linalg.norm(imagined))
        after = body.position()
        if length >= BUMP_MIN_PX and float(np.dot(after - before, imagined)) / length < 0.5 * length:
            self.experience.add_bump(after, imagined)

    # -- wandering -------------------------------------------------------------------------
    def wander(self, body: Body, done: Callable[[], bool], budget: int, frameskip: int, primitive: int) -> int:
        """A random walk with headings kept `persistence` model steps: how the agent learns ground."""
        steps = 0
        heading = np.zeros(primitive)
        while steps < budget and not done():
            if steps % self.config.persistence == 0:
                heading = self.rng.normal(size=primitive)
                heading /= max(float(np.linalg.norm(heading)), 1e-9)
            if not body.move(np.tile(heading, frameskip).astype(np.float32), []):
                break
            steps += 1
        return steps


def distance(a: np.ndarray | tuple[float, float], b: np.ndarray | tuple[float, float]) -> float:
    return math.dist(tuple(np.asarray(a, dtype=float)), tuple(np.asarray(b, dtype=float)))


def timed(start: float) -> float:
    return (time.perf_counter() - start) * 1000
