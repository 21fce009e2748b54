"""Navigation: how the chat agent gets somewhere, from what it perceives and remembers only.

The same model-predictive control `bench plan` measures: CEM over action blocks rolled out by
the world model, cost = latent distance to the goal moment (when the goal is a memory) plus the
travel distance over the agent's experience map (`agent_core/planning/experience_map.py`), laid
from the agent's perceived position. The map is built from what the agent perceives (where it
stands, where the door between the rooms is) and from its own moves (where it walked, where it
bumped); nothing reads the world's walls, door or objects. Where a trip stalls, the agent walks
about a little (a random walk with persistent headings) and the map learns from that.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np
import torch

from agent_core.perception_heads import Percept
from agent_core.planning.costs import Cost, GoalLatentCost, TravelFieldCost
from agent_core.planning.experience_map import ExperienceMap
from agent_core.planning.optimizers import PlannerConfig, SearchResult, make_planner
from agent_core.planning.world_model_protocol import probe_tensor
from world_model import WorldModel

BUMP_MIN_PX = 2.0  # imagined first moves shorter than this are too small to call a shortfall
DOOR_READINGS = 500  # the latest perceived door middles whose median the map takes for the door


class WalkedGround(ExperienceMap):
    """The agent's experience map: where it believes it can go, from what it perceives and where
    it has stood. Open floor is presumed passable (a straight line is the way until something
    says otherwise). What blocks: the wall it perceives between the two rooms (the line through
    the door it perceives, across the way from one room to the other: left and right, so
    vertical), less the passage round the door's middle; and the cells it bumped into, with their
    neighbours. Ground it has walked on is never blocked: its own moves overrule a door perceived
    a pixel off, or a bump recorded while sliding along a wall."""

    def __init__(
        self, blocked_cost: float = 1000.0, wall_half_width: float = 2.0, door_half_height: float = 3.5
    ) -> None:
        super().__init__()
        self.blocked_cost = blocked_cost
        self.wall_half_width = wall_half_width  # cell centres this close to the wall's line are on it
        self.door_half_height = door_half_height  # passable this far either side of the door's middle
        self.door: np.ndarray | None = None  # the median of the door's perceived middles
        self._door_readings: deque[tuple[float, float]] = deque(maxlen=DOOR_READINGS)

    def perceive_door(self, middle: tuple[float, float]) -> None:
        """One more reading of the door's middle; the map changes when their median moves a cell."""
        self._door_readings.append(middle)
        door = np.median(np.asarray(self._door_readings), axis=0)
        if self.door is None or self.cell(door) != self.cell(self.door):
            self.version += 1
        self.door = door

    def perceived_wall(self) -> np.ndarray:
        """Cells on the wall through the perceived door, outside its passage (none before a door is perceived)."""
        wall = np.zeros_like(self.walked)
        if self.door is None:
            return wall
        rows, columns = np.indices(wall.shape)
        x, y = (columns + 0.5) * self.resolution, (rows + 0.5) * self.resolution
        return (np.abs(x - self.door[0]) <= self.wall_half_width) & (np.abs(y - self.door[1]) > self.door_half_height)

    def blocked(self) -> np.ndarray:
        return (self.perceived_wall() | _around(self.bumped)) & ~self.walked

    def ground(self, goal: np.ndarray) -> np.ndarray:
        return ~self.blocked()

    def weights(self, goal: np.ndarray, unwalked_cost: float) -> np.ndarray:
        return np.where(self.blocked(), self.blocked_cost, 1.0)

    def beyond_door(self, position: np.ndarray, past: float = 8.0) -> np.ndarray | None:
        """A point `past` pixels through the perceived door from the side `position` is on."""
        if self.door is None:
            return None
        side = 1.0 if position[0] < self.door[0] else -1.0
        return np.array([self.door[0] + side * past, self.door[1]])


def _around(mask: np.ndarray) -> np.ndarray:
    padded = np.pad(mask, 1)
    return mask | padded[:-2, 1:-1] | padded[2:, 1:-1] | padded[1:-1, :-2] | padded[1:-1, 2:]


@dataclass(frozen=True)
class NavigationConfig:
    """bench plan's search (agent_core/benchmarks/planning.py: PlanningSetup), but 6 iterations
    always run (no time budget), so the agent makes the same plans whatever the machine's load."""

    planner: PlannerConfig = field(default_factory=lambda: PlannerConfig(horizon=10, samples=128, iterations=6))
    position_weight: float = 2.0
    arrive_px: float = 3.0  # a place goal is reached when the perceived agent is this close (success: 4 px)
    # The cost over the map (TravelFieldCost), as bench plan's: 20 per pixel of blocked ground an
    # imagined path crosses, taken to stop there after 1 px of it.
    blocked_weight: float = 20.0
    blocked_after: float = 1.0
    persistence: int = 4  # model steps a wandering heading is kept
    # One heading per model step (PlannerConfig.hold = frameskip): four headings drawn apart per
    # step partly cancel (4.0 px moved of 8 possible per step, on a dev seed).
    hold_heading: bool = True


class Body(Protocol):
    """What navigation needs of the agent: take one model step, and what it perceives now."""

    def history(self) -> np.ndarray: ...  # latents [h, D], the last one is now

    def position(self) -> np.ndarray: ...  # perceived agent position [2]

    def move(self, block: np.ndarray, imagined: list[tuple[float, float]]) -> bool: ...  # False: stop asked


@dataclass(frozen=True)
class Destination:
    """Where to go: a perceived position and, for a remembered moment, its latent. `close_reading`:
    an object's position read from beside it, where the agent's square drawn over the object
    pulls the object's keypoint towards the agent."""

    position: np.ndarray
    latent: np.ndarray | None = None
    description: str = ""
    close_reading: bool = False


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
        search = self.config.planner
        if self.config.hold_heading:
            search = replace(search, hold=model.config.frameskip)
        self.search = make_planner(kind, search, model.config.action_dim)
        self.experience = WalkedGround()
        self.rng = np.random.default_rng(seed)
        self._last: np.ndarray | None = None
        self._cost: tuple[tuple[float | bool, ...], Cost] | None = None
        self._field: tuple[tuple[float, ...], np.ndarray] | None = None

    # -- experience ------------------------------------------------------------------------
    def walked(self, position: np.ndarray) -> None:
        """The agent perceived itself at `position` after a step: the ground in between is walked."""
        point = np.asarray(position, dtype=np.float64)
        before = self.experience.blocked()
        self.experience.add_path([point] if self._last is None else [self._last, point])
        if np.array_equal(before, self.experience.blocked()):
            self.experience.version -= 1  # nothing unblocked: the travel field still holds
        self._last = point

    def perceived(self, percept: Percept) -> None:
        """What a step's perception tells the map: where the agent stands, where the door is."""
        self.experience.perceive_door(percept.door)
        self.walked(np.asarray(percept.agent))

    def lost_track(self) -> None:
        """The next position does not continue the last one (a reset, a teleport)."""
        self._last = None

    # -- planning --------------------------------------------------------------------------
    def _cost_for(self, destination: Destination) -> Cost:
        """bench plan's cost: the travel field over where the agent believes it can go, an imagined
        path that crosses blocked ground taken to stop there; plus, for a remembered moment, the
        latent distance to it."""
        key = (*tuple(np.round(destination.position, 3)), destination.latent is not None)
        if self._cost is None or self._cost[0] != key:
            travel: Cost = TravelFieldCost(
                self.experience,
                destination.position,
                unwalked_weight=self.config.blocked_weight,
                blocked_after=self.config.blocked_after,
            )
            if destination.latent is not None:
                goal = torch.as_tensor(destination.latent, dtype=torch.float32)
                travel = GoalLatentCost(goal) + self.config.position_weight * travel
            self._cost = (key, travel)
        return self._cost[1]

    def way_left(self, position: np.ndarray, goal: np.ndarray) -> float:
        """The travel field's value here: how far the goal is over the ground the agent believes
        passable (a pixel of blocked ground counts `blocked_cost`)."""
        key = (*tuple(np.round(goal, 3)), self.experience.version)
        if self._field is None or self._field[0] != key:
            self._field = (key, self.experience.travel_field(goal))
        return float(self._field[1][self.experience.cell(position)])

    def plan(
        self, history: np.ndarray, position: np.ndarray, destination: Destination, warm: torch.Tensor | None
    ) -> SearchResult:
        latents = torch.as_tensor(history, dtype=torch.float32)
        return self.search.plan(
            self.model, latents, self._cost_for(destination), warm, origin={"agent_pos": np.asarray(position)}
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
