"""Memories captioned from the world's facts, by agents that read them, are captioned again from
perception when an agent that perceives opens them, and answer questions as its own do."""

from __future__ import annotations

import numpy as np

from agent_core.assembly import AgentOptions, load_world_model, open_agent
from agent_core.perceived import read_caption, written_from_perception
from agent_core.worlds import make_world
from agent_core.worlds.facts import caption, seen_in
from memory import MemoryStore


def remember_as_a_facts_reading_agent(url: str, seed: int, steps: int, world_name: str = "tworooms") -> list[str]:
    """An episode stored the old way: captions and sightings from the world's facts."""
    model = load_world_model(world_name)
    world = make_world(world_name)
    frame, facts = world.reset(seed=seed)
    store = MemoryStore(url, "old", model.config.latent_dim, latent_space=model.latent_space)
    episode = store.begin_episode(world_name, seed)
    rng = np.random.default_rng(seed)
    captions = []
    for step in range(steps):
        latent = model.encode(frame[None])[0].detach().numpy()
        captions.append(caption(facts))
        store.remember(episode, step, [], latent, captions[-1], facts, None, seen=seen_in(facts))
        frame, _, _, _, facts = world.step(rng.uniform(-2, 2, world.action_space.shape))
    store.close()
    return captions


def test_old_captions_are_rewritten_from_perception_and_answer_where(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.sqlite'}"
    old = remember_as_a_facts_reading_agent(url, seed=3, steps=12)
    assert not any(written_from_perception(c) for c in old)
    assert read_caption(old[0]) is not None and not read_caption(old[0]).seeing  # nowhere to go back to

    agent = open_agent(AgentOptions(seed=3, namespace="old", db_url=url, llm="keyword-test-double"))
    try:
        rewritten = agent.memory.recent(100)
        assert len(rewritten) == 12 and all(written_from_perception(m.caption) for m in rewritten)
        first = read_caption(min(rewritten, key=lambda m: m.step).caption)
        assert first is not None and first.seeing  # the seed-3 start sees two objects, now with positions
        for memory in rewritten:
            reading = read_caption(memory.caption)
            assert sorted(memory.seen) == sorted(reading.seeing) == sorted(reading.sure)
            assert all(0.5 <= p <= 1.0 for p in reading.sure.values())  # in view: believed at better than even odds
        seen = next(iter(first.seeing))
        turn = agent.say(f"where did you last see the {seen}?")
        assert turn.memories_used and "never" not in turn.reply.lower()
    finally:
        agent.close()

    again = MemoryStore(url, "old")  # done once: a second open finds nothing stale
    try:
        assert again.recaption(lambda c: not written_from_perception(c), lambda rs: []) == 0
    finally:
        again.close()


def test_a_watched_worlds_old_captions_are_rewritten_from_its_ball_readout(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.sqlite'}"
    old = remember_as_a_facts_reading_agent(url, seed=3, steps=6, world_name="bounce")
    assert old[0].startswith("watching red ball")  # the facts' words: no position, no confidence
    agent = open_agent(AgentOptions(world="bounce", seed=3, namespace="old", db_url=url, llm="keyword-test-double"))
    try:
        rewritten = agent.memory.recent(100)
        assert len(rewritten) == 6 and all(written_from_perception(m.caption) for m in rewritten)
        assert all(read_caption(m.caption).room is None for m in rewritten)
        assert any(read_caption(m.caption).seeing for m in rewritten)
    finally:
        agent.close()
