"""A map of where the agent has been able to go, learned from the moves it has made.

Planning with the world model is local: the cost (distance from the imagined position to the
goal) is a straight line, and a wall between two rooms is a local minimum it cannot see past.
Experience fixes that the way it does for animals: every observed move from one place to the
next joins two cells of a grid, and a route over those cells leads around walls (through the
door, if the agent has ever walked through it). The planner is then given the next waypoint on
the route as its goal; the world model still chooses every action. Positions are the agent's own
(proprioception); nothing here reads the world's walls or door.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from itertools import pairwise

import numpy as np

from agent_core.worlds import TwoRoomsEnv

Cell = tuple[int, int]


class ExperienceMap:
    def __init__(self, cell_size: float = 4.0) -> None:
        self.cell_size = cell_size
        self.neighbours: dict[Cell, set[Cell]] = {}

    def cell(self, position: np.ndarray) -> Cell:
        x, y = np.floor(np.asarray(position, dtype=np.float64)[:2] / self.cell_size).astype(int)
        return int(x), int(y)

    def centre(self, cell: Cell) -> np.ndarray:
        return (np.asarray(cell, dtype=np.float64) + 0.5) * self.cell_size

    def add_path(self, positions: Iterable[np.ndarray]) -> None:
        """Record consecutive positions of one trajectory: each move joins the cells it links."""
        previous: Cell | None = None
        for position in positions:
            current = self.cell(position)
            self.neighbours.setdefault(current, set())
            if previous is not None and previous != current:
                self.neighbours[previous].add(current)
                self.neighbours[current].add(previous)
            previous = current

    def __len__(self) -> int:
        return len(self.neighbours)

    def _nearest_known(self, position: np.ndarray) -> Cell:
        cells = np.asarray(list(self.neighbours), dtype=np.float64)
        target = np.asarray(position, dtype=np.float64)[:2] / self.cell_size - 0.5
        return tuple(int(v) for v in cells[np.argmin(((cells - target) ** 2).sum(axis=1))])  # type: ignore[return-value]

    def route(self, start: np.ndarray, goal: np.ndarray) -> list[np.ndarray] | None:
        """Cell centres from start to goal over experienced moves (breadth first); None if unknown."""
        if not self.neighbours:
            return None
        source, target = self._nearest_known(start), self._nearest_known(goal)
        came_from: dict[Cell, Cell | None] = {source: None}
        queue = deque([source])
        while queue:
            here = queue.popleft()
            if here == target:
                break
            for there in self.neighbours[here]:
                if there not in came_from:
                    came_from[there] = here
                    queue.append(there)
        if target not in came_from:
            return None
        path: list[Cell] = []
        step: Cell | None = target
        while step is not None:
            path.append(step)
            step = came_from[step]
        return [self.centre(c) for c in reversed(path)]

    def _connected(self, first: Cell, second: Cell) -> bool:
        """Joined by an experienced move, directly or through one shared neighbour (a corner cut)."""
        near_first, near_second = self.neighbours.get(first, set()), self.neighbours.get(second, set())
        return second in near_first or bool(near_first & near_second)

    def clear(self, start: np.ndarray, end: np.ndarray) -> bool:
        """Whether the straight line from start to end only crosses between cells that experience joins."""
        start, end = np.asarray(start, dtype=np.float64), np.asarray(end, dtype=np.float64)
        samples = max(2, int(np.ceil(4 * np.linalg.norm(end - start) / self.cell_size)) + 1)
        cells = [self.cell(start + t * (end - start)) for t in np.linspace(0.0, 1.0, samples)]
        crossings = [(a, b) for a, b in pairwise(cells) if a != b]
        return all(self._connected(a, b) for a, b in crossings)

    def waypoint(self, start: np.ndarray, goal: np.ndarray, lookahead: int) -> np.ndarray:
        """Where to head now: the goal if a straight line to it crosses only experienced ground (or if
        experience knows no route), else the farthest point of the route, at most `lookahead` cells
        ahead, that a straight line over experienced ground reaches."""
        goal = np.asarray(goal, dtype=np.float64)
        path = self.route(start, goal)
        if path is None or self.clear(start, goal):
            return goal
        for candidate in reversed(path[1 : lookahead + 1]):
            if self.clear(start, candidate):
                return candidate
        return path[1] if len(path) > 1 else goal


def explore(
    env: TwoRoomsEnv,
    world_seed: int,
    steps: int,
    seed: int = 0,
    segment: int = 100,
    persistence: int = 8,
    cell_size: float = 4.0,
) -> ExperienceMap:
    """Experience from a random walk in this world: segments that start at random free places
    and keep a random heading for a few steps (plain random actions barely leave their spot)."""
    rng = np.random.default_rng(seed)
    experience = ExperienceMap(cell_size)
    env.reset(seed=world_seed)
    done = 0
    while done < steps:
        env.reset(seed=world_seed, options={"agent": tuple(env.random_free_point(margin=1.0, rng=rng))})
        positions = [np.asarray(env.facts()["agent"])]
        heading = np.zeros(2)
        for step in range(min(segment, steps - done)):
            if step % persistence == 0:
                heading = rng.normal(size=2)
                heading = heading / max(float(np.linalg.norm(heading)), 1e-9)
            _, _, _, _, facts = env.step(heading.astype(np.float32))
            positions.append(np.asarray(facts["agent"]))
        experience.add_path(positions)
        done += len(positions) - 1
    return experience
