"""Behaviour of the simulated worlds through their public gymnasium API."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from agent_core.errors import WorldError
from agent_core.worlds import WORLDS, Event, make_world
from agent_core.worlds.policies import NoisyExpertPolicy, RandomPolicy


def rollout(world: str, seed: int, steps: int = 30):
    env = make_world(world)
    frame, facts = env.reset(seed=seed)
    policy = RandomPolicy(env, seed=seed)
    frames, infos = [frame], [facts]
    for _ in range(steps):
        frame, _, _, _, facts = env.step(policy(facts))
        frames.append(frame)
        infos.append(facts)
    return np.stack(frames), infos


@pytest.mark.parametrize("world", list(WORLDS))
def test_same_seed_same_episode_other_seed_other_scene(world):
    frames_a, facts_a = rollout(world, seed=5)
    frames_b, facts_b = rollout(world, seed=5)
    frames_c, _ = rollout(world, seed=6)
    assert frames_a.dtype == np.uint8 and frames_a.shape[1:] == (64, 64, 3)
    np.testing.assert_array_equal(frames_a, frames_b)
    assert facts_a == facts_b
    assert not np.array_equal(frames_a[0], frames_c[0])


@pytest.mark.parametrize("world", list(WORLDS))
def test_registered_with_gymnasium(world):
    env = gym.make(WORLDS[world][0])
    obs, info = env.reset(seed=1)
    assert env.observation_space.contains(obs)
    assert info["world"] == world


def test_door_position_varies_with_seed():
    doors = {make_world("tworooms").reset(seed=s)[1]["door"]["y0"] for s in range(8)}
    assert len(doors) == 8


def test_walls_are_solid_and_rooms_connect_only_through_the_door():
    env = make_world("tworooms")
    _, facts = env.reset(seed=2)
    policy = RandomPolicy(env, seed=0)
    door = facts["door"]
    crossings = 0
    for _ in range(3000):
        before = facts
        _, _, _, _, facts = env.step(policy(facts))
        assert env.is_free(facts["agent"])
        if facts["room"] != before["room"]:
            y = (facts["agent"][1] + before["agent"][1]) / 2
            assert door["y0"] <= y <= door["y1"]
            crossings += 1
    assert crossings >= 10  # 26 today: the door check above must have run


def test_pushing_into_the_middle_wall_away_from_the_door_never_crosses():
    env = make_world("tworooms")
    _, facts = env.reset(seed=0)
    y = facts["door"]["y1"] + 8 if facts["door"]["y1"] + 8 < 60 else facts["door"]["y0"] - 8
    env.reset(seed=0, options={"agent": (20.0, y)})
    for _ in range(50):
        _, _, _, _, facts = env.step(np.array([1.0, 0.0]))
    assert facts["room"] == "left"
    assert facts["agent"][0] < 31.0


def test_actions_are_bounded_in_norm():
    env = make_world("tworooms")
    _, facts = env.reset(seed=0, options={"agent": (10.0, 40.0)})
    _, _, _, _, after = env.step(np.array([50.0, 50.0]))
    moved = np.linalg.norm(np.subtract(after["agent"], facts["agent"]))
    assert moved <= env.config.max_step + 1e-9


def test_facts_name_objects_near_and_visible():
    env = make_world("tworooms")
    _, facts = env.reset(seed=4)
    name, obj = next(iter(facts["objects"].items()))
    _, facts = env.reset(seed=4, options={"agent": obj["position"]})
    assert name in facts["near"] and name in facts["visible"]
    assert set(facts["objects"]) == {"red ball", "blue box", "green key"}


def test_noisy_expert_walks_through_the_door_to_the_other_room():
    env = make_world("tworooms")
    _, facts = env.reset(seed=9)
    rng = np.random.default_rng(0)
    target = env.random_free_point(rng=rng)
    while env.room_of(target) == facts["room"]:
        target = env.random_free_point(rng=rng)
    policy = NoisyExpertPolicy(env, noise=0.2, seed=1, target=target)
    for _ in range(200):
        _, _, _, _, facts = env.step(policy(facts))
        if np.linalg.norm(np.subtract(facts["agent"], target)) < 2:
            break
    assert np.linalg.norm(np.subtract(facts["agent"], target)) < 2


CASES = [(w, e) for w in WORLDS for e in sorted(make_world(w).supported_events)]


@pytest.mark.parametrize(("world", "event"), CASES)
def test_every_injected_event_shows_in_frames_and_info(world, event):
    plain = make_world(world)
    changed = make_world(world)
    plain.reset(seed=3)
    changed.reset(seed=3)
    record = changed.inject(event)
    zero = np.zeros(plain.action_space.shape, np.float32)
    differs, reported = False, []
    for _ in range(40):
        frame_plain, *_ = plain.step(zero)
        frame_changed, _, _, _, info = changed.step(zero)
        reported += info["events"]
        differs = differs or not np.array_equal(frame_plain, frame_changed)
    assert differs
    assert reported == [record.to_dict()]
    assert reported[0]["event"] == Event(event).value


@pytest.mark.parametrize("world", list(WORLDS))
def test_unknown_or_unsupported_events_are_refused(world):
    env = make_world(world)
    env.reset(seed=0)
    with pytest.raises(WorldError, match="unknown event"):
        env.inject("explode")
    unsupported = set(Event) - env.supported_events
    for event in unsupported:
        with pytest.raises(WorldError, match="cannot inject"):
            env.inject(event)


def test_unknown_world_object_and_bad_seed_are_refused():
    with pytest.raises(WorldError, match="unknown world"):
        make_world("threerooms")
    env = make_world("tworooms")
    with pytest.raises(WorldError, match="invalid seed"):
        env.reset(seed=-1)
    env.reset(seed=0)
    with pytest.raises(WorldError, match="unknown object"):
        env.inject("vanish", target="purple elephant")


def test_bounce_has_gravity_and_stays_inside_the_box():
    env = make_world("bounce")
    _, facts = env.reset(seed=1)
    name = next(iter(facts["balls"]))
    speeds = []
    for _ in range(200):
        _, _, _, _, facts = env.step(np.zeros(0))
        x, y = facts["balls"][name]["position"]
        assert 2 <= x <= 62 and 2 <= y <= env.config.floor_y
        speeds.append(facts["balls"][name]["velocity"][1])
    assert max(speeds) > 1.0 and min(speeds) < -1.0  # falls, then bounces back up


@pytest.mark.parametrize("world", list(WORLDS))
def test_restore_from_facts_reproduces_the_scene(world):
    frames, facts = rollout(world, seed=8, steps=25)
    env = make_world(world)
    env.reset(seed=8)
    np.testing.assert_array_equal(env.restore(facts[-1]), frames[-1])
