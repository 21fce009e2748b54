"""The experience map: routes around walls learned only from the moves the agent made."""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from agent_core.planning.experience_map import ExperienceMap, explore
from agent_core.worlds import make_world


def two_rooms_walked() -> ExperienceMap:
    """Walks in a left room (x < 30) and a right room (x > 34), joined only through a door at y = 50."""
    experience = ExperienceMap(cell_size=3.0)
    for y in range(5, 60, 3):
        experience.add_path([np.array([x, float(y)]) for x in np.arange(2.0, 29.0, 1.5)])
        experience.add_path([np.array([x, float(y)]) for x in np.arange(35.0, 62.0, 1.5)])
    for x in [*range(2, 29, 3), *range(35, 62, 3)]:
        experience.add_path([np.array([float(x), y]) for y in np.arange(2.0, 62.0, 1.5)])
    experience.add_path([np.array([x, 50.0]) for x in np.arange(20.0, 45.0, 1.5)])  # through the door
    return experience


def test_a_route_between_rooms_goes_through_the_door():
    route = two_rooms_walked().route(np.array([10.0, 10.0]), np.array([55.0, 10.0]))
    crossing = [p for p in route if 29 <= p[0] <= 35]
    assert crossing and all(abs(p[1] - 50) <= 3 for p in crossing)


def test_waypoints_keep_to_experienced_ground():
    experience = two_rooms_walked()
    start, goal = np.array([10.0, 10.0]), np.array([55.0, 10.0])
    assert not experience.clear(start, goal)  # straight through the wall: never walked
    waypoint = experience.waypoint(start, goal, lookahead=12)
    assert waypoint[0] < 30 and experience.clear(start, waypoint)
    near = np.array([20.0, 20.0])
    assert np.array_equal(experience.waypoint(start, near, lookahead=12), near)  # same room: go straight


def test_exploring_a_world_finds_its_door():
    env = make_world("tworooms")
    env.reset(seed=3)
    door = env.facts()["door"]
    experience = explore(env, world_seed=3, steps=3000, seed=0)
    route = experience.route(np.array([8.0, 32.0]), np.array([56.0, 32.0]))
    crossing = [(a, b) for a, b in pairwise(route) if (a[0] - door["x"]) * (b[0] - door["x"]) < 0]
    assert len(crossing) == 1
    assert all(door["y0"] - 2 <= point[1] <= door["y1"] + 2 for point in crossing[0])
