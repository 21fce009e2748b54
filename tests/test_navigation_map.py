"""The agent's experience map: where it believes it can go, from the door it perceives and its own moves."""

from __future__ import annotations

import numpy as np

from agent_core.navigation import WalkedGround

DOOR = (32.0, 20.0)


def perceiving(door: tuple[float, float] = DOOR, readings: int = 5) -> WalkedGround:
    ground = WalkedGround()
    for _ in range(readings):
        ground.perceive_door(door)
    return ground


def travel(ground: WalkedGround, start: tuple[float, float], goal: tuple[float, float]) -> float:
    field = ground.travel_field(np.asarray(goal))
    return float(field[ground.cell(np.asarray(start))])


def test_a_fresh_map_goes_straight_over_open_floor_and_round_the_wall_through_the_door():
    ground = perceiving()
    # same room: a straight line (as an 8-connected grid measures one: at most 8 % longer)
    assert travel(ground, (10.0, 50.0), (25.0, 10.0)) < 1.09 * np.hypot(15, 40)
    via_door = np.hypot(32 - 10, 50 - 20) + np.hypot(55 - 32, 50 - 20)
    assert 0.95 * via_door <= travel(ground, (10.0, 50.0), (55.0, 50.0)) < 1.1 * via_door


def test_before_a_door_is_perceived_nothing_is_blocked_and_there_is_no_other_room():
    ground = WalkedGround()
    assert not ground.blocked().any()
    assert ground.beyond_door(np.array([10.0, 10.0])) is None


def test_the_wall_is_the_line_through_the_perceived_door_less_its_passage():
    ground = perceiving()
    blocked = ground.blocked()
    assert blocked[40, 32] and blocked[5, 31] and blocked[60, 33]
    assert not blocked[20, 32] and not blocked[22, 32]  # the passage round the door's middle
    assert not blocked[40, 28] and not blocked[40, 36]  # floor beside the wall


def test_the_door_is_the_median_of_its_readings_so_one_wild_reading_does_not_move_it():
    ground = perceiving(readings=9)
    ground.perceive_door((10.0, 55.0))
    assert ground.door is not None and np.allclose(ground.door, DOOR)


def test_walked_ground_overrules_a_door_perceived_a_few_pixels_off():
    ground = perceiving(door=(32.0, 26.0))  # the true door is at y = 20
    assert ground.blocked()[20, 32]
    ground.add_path([np.array([x, 20.0]) for x in np.arange(26.0, 39.0, 1.0)])
    assert not ground.blocked()[20, 32]


def test_a_bump_blocks_its_neighbourhood_until_the_agent_walks_there():
    ground = perceiving()
    ground.add_bump(np.array([10.0, 10.0]), np.array([1.0, 0.0]))
    assert ground.blocked()[10, 11] and ground.blocked()[9, 11]
    ground.add_path([np.array([9.5, 9.5]), np.array([12.5, 9.5])])
    assert not ground.blocked()[9, 11]


def test_beyond_the_door_is_on_the_other_side_from_the_agent():
    ground = perceiving()
    assert ground.beyond_door(np.array([10.0, 50.0]))[0] > 32 + 4
    assert ground.beyond_door(np.array([50.0, 50.0]))[0] < 32 - 4
