"""A map of where the agent has been, and how far it is from there to a goal over that ground.

Planning with the world model is local: a straight-line cost (distance from the imagined
position to the goal) has a local minimum at a wall between two rooms that it cannot see past.
Experience fixes that the way it does for animals: every place the agent has stood marks a
fine grid as walked ground, and the travel distance to the goal over walked ground (a
shortest-path field, computed once per goal) replaces the straight line. Ground never walked
is not forbidden, only expensive, so the field is finite everywhere and an imagined path that
cuts a corner the agent never stood on costs more than one that keeps to walked ground. The
world model still chooses every action. Positions are the agent's own (proprioception); nothing
here reads the world's walls or door.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from itertools import pairwise

import numpy as np

from agent_core.worlds import TwoRoomsEnv

GOAL_RADIUS = 2.0  # pixels around the goal counted as ground (see ExperienceMap.ground)
NEIGHBOURS = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx]


class ExperienceMap:
    """Walked ground on a square grid of `resolution`-pixel cells covering [0, extent)^2."""

    def __init__(self, extent: float = 64.0, resolution: float = 1.0) -> None:
        self.resolution = resolution
        size = math.ceil(extent / resolution)
        self.walked = np.zeros((size, size), dtype=bool)  # [row = y, column = x]
        self.bumped = np.zeros((size, size), dtype=bool)  # cells a move was stopped short of
        self.version = 0  # counts changes, so users can tell when derived maps are stale

    def cell(self, position: np.ndarray) -> tuple[int, int]:
        """(row, column) of a position, clipped to the grid."""
        x, y = np.clip(np.floor(np.asarray(position, dtype=np.float64)[:2] / self.resolution), 0, len(self.walked) - 1)
        return int(y), int(x)

    def add_path(self, positions: Iterable[np.ndarray]) -> None:
        """Record one trajectory: every cell its moves pass over (sampled every half cell) is walked."""
        points = [np.asarray(p, dtype=np.float64)[:2] for p in positions]
        for point in points[:1]:
            self.walked[self.cell(point)] = True
        for start, end in pairwise(points):
            samples = max(2, math.ceil(2 * float(np.linalg.norm(end - start)) / self.resolution) + 1)
            for t in np.linspace(0.0, 1.0, samples):
                self.walked[self.cell(start + t * (end - start))] = True
        self.version += 1

    def add_bump(self, position: np.ndarray, heading: np.ndarray) -> None:
        """Record a move that fell short: the cell a pixel ahead, where it was headed, is blocked."""
        direction = np.asarray(heading, dtype=np.float64)[:2]
        direction = direction / max(float(np.linalg.norm(direction)), 1e-9)
        self.bumped[self.cell(np.asarray(position, dtype=np.float64)[:2] + self.resolution * direction)] = True
        self.version += 1

    def ground(self, goal: np.ndarray) -> np.ndarray:
        """Walked cells and their four neighbours, less cells bumped into, and the disc of
        GOAL_RADIUS pixels round the goal.

        A position is known to about a pixel (and a walk one cell wide leaves most open floor
        untouched), so each walked cell vouches for its neighbours; a wall the agent cannot
        stand on is its width plus the agent's diameter, wider than that margin on both sides.
        The goal frame shows the agent standing at the goal, so that ground is known too (the
        disc allows for the error of the position decoded from it).
        """
        rows, columns = np.indices(self.walked.shape)
        centre = np.asarray(goal, dtype=np.float64)[:2] / self.resolution - 0.5
        near_goal = np.hypot(columns - centre[0], rows - centre[1]) <= GOAL_RADIUS / self.resolution
        return (_with_neighbours(self.walked) & ~self.bumped) | near_goal

    def weights(self, goal: np.ndarray, unwalked_cost: float) -> np.ndarray:
        """Cost per pixel travelled in each cell: 1 on ground (see `ground`), `unwalked_cost` elsewhere."""
        return np.where(self.ground(goal), 1.0, unwalked_cost)

    def travel_field(self, goal: np.ndarray, unwalked_cost: float = 100.0) -> np.ndarray:
        """Shortest travel distance (pixels) from every cell centre to the goal's cell.

        Dijkstra over the 8-connected grid; a step costs its length times the mean of its two
        cells' weights: 1 on ground (see `ground`), `unwalked_cost` elsewhere, so the field is
        finite everywhere but never leads across ground the agent has not stood on while a
        walked way round exists.
        """
        size = len(self.walked)
        weight = self.weights(goal, unwalked_cost)
        field = np.full((size, size), np.inf)
        source = self.cell(goal)
        field[source] = 0.0
        queue = [(0.0, source)]
        while queue:
            distance, (row, column) = heapq.heappop(queue)
            if distance > field[row, column]:
                continue
            for dy, dx in NEIGHBOURS:
                r, c = row + dy, column + dx
                if 0 <= r < size and 0 <= c < size:
                    step = math.hypot(dy, dx) * self.resolution * (weight[row, column] + weight[r, c]) / 2
                    if distance + step < field[r, c]:
                        field[r, c] = distance + step
                        heapq.heappush(queue, (distance + step, (r, c)))
        return field


def _with_neighbours(mask: np.ndarray) -> np.ndarray:
    """Cells of `mask` or beside one (4-neighbourhood)."""
    padded = np.pad(mask, 1)
    return mask | padded[:-2, 1:-1] | padded[2:, 1:-1] | padded[1:-1, :-2] | padded[1:-1, 2:]


def explore(
    env: TwoRoomsEnv,
    world_seed: int,
    steps: int,
    seed: int = 0,
    segment: int = 100,
    persistence: int = 8,
) -> ExperienceMap:
    """Experience from a random walk in this world: segments that start at random free places
    and keep a random heading for a few steps (plain random actions barely leave their spot)."""
    rng = np.random.default_rng(seed)
    experience = ExperienceMap()
    env.reset(seed=world_seed)
    done = 0
    while done < steps:
        env.reset(seed=world_seed, options={"agent": tuple(env.random_free_point(margin=1.0, rng=rng))})
        positions = [np.asarray(env.facts()["agent"], dtype=np.float64)]
        heading = np.zeros(2)
        for step in range(min(segment, steps - done)):
            if step % persistence == 0:
                heading = rng.normal(size=2)
                heading = heading / max(float(np.linalg.norm(heading)), 1e-9)
            _, _, _, _, facts = env.step(heading.astype(np.float32))
            positions.append(np.asarray(facts["agent"], dtype=np.float64))
        experience.add_path(positions)
        done += len(positions) - 1
    return experience
