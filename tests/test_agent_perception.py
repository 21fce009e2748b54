"""The agent decides from pixels and memory: its world hides the facts, and it still does its job.

The world the agent gets is `FactsHiddenWorld`, whose facts raise on any read; the tests judge
the agent by the real facts (the wrapper's `truth()`), which only the test reads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agent_core.assembly import AgentOptions, open_agent
from agent_core.episode_script import load_script
from agent_core.facts_hidden import FactsHiddenWorld, FactsReadError, HiddenFacts
from agent_core.perceived import for_storage, read_caption
from agent_core.replay import run_script

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def open_hidden(tmp_path: Path, seed: int, namespace: str = "hidden"):
    worlds: list[FactsHiddenWorld] = []

    def wrap(world):
        worlds.append(FactsHiddenWorld(world))
        return worlds[-1]

    options = AgentOptions(
        seed=seed, namespace=namespace, db_url=f"sqlite:///{tmp_path / 'm.sqlite'}", llm="keyword-test-double"
    )
    return open_agent(options, wrap_world=wrap), worlds[-1]


def test_hidden_facts_refuse_every_read_but_storage():
    hidden = HiddenFacts({"agent": [1.0, 2.0], "room": "left"})
    for read in (
        lambda: hidden["room"],
        lambda: hidden.get("room"),
        lambda: "room" in hidden,
        lambda: list(hidden),
        lambda: hidden.items(),
        lambda: bool(hidden),
        lambda: hidden.room,
    ):
        with pytest.raises(FactsReadError):
            read()
    assert for_storage(hidden) == {"agent": [1.0, 2.0], "room": "left"}


def test_agent_reaches_objects_and_places_with_the_facts_hidden(tmp_path):
    agent, world = open_hidden(tmp_path, seed=3)  # a fresh agent: it has not walked about first
    start = np.asarray(world.truth()["agent"])
    truth = world.truth()
    here = [n for n, o in truth["objects"].items() if o["room"] == truth["room"]]
    there = [n for n, o in truth["objects"].items() if o["room"] != truth["room"]]
    target = (here or there)[0]
    turn = agent.say(f"go to the {target}")
    assert turn.reached and target in world.truth()["near"], turn.reply
    agent.say("remember this place as the kitchen")
    kitchen = np.asarray(world.truth()["agent"])
    other = (there or [n for n in truth["objects"] if n != target])[0]
    turn = agent.say(f"go to the {other}")
    assert turn.reached and other in world.truth()["near"], turn.reply
    turn = agent.say("go to the kitchen")
    assert turn.reached and np.linalg.norm(np.asarray(world.truth()["agent"]) - kitchen) <= 4.0, turn.reply
    turn = agent.say("go back to where you started")
    assert turn.reached and np.linalg.norm(np.asarray(world.truth()["agent"]) - start) <= 4.0, turn.reply
    # What it says of where it saw things comes from its captions, written from perception.
    turn = agent.say(f"where did you last see the {other}?")
    assert other in turn.reply and turn.memories_used
    reading = read_caption(turn.memories_used[0]["caption"])
    assert reading is not None and other in reading.seeing
    assert f"{round(reading.sure[other] * 100)}% sure" in turn.reply  # how sure, as the memory says
    seen, actual = np.asarray(reading.seeing[other]), np.asarray(truth["objects"][other]["position"])
    assert np.linalg.norm(seen - actual) < 3.0
    agent.close()


def test_the_agent_fails_when_its_code_reads_the_facts(tmp_path, monkeypatch):
    """The poison works: an agent that reads the facts to decide is caught."""
    agent, _ = open_hidden(tmp_path, seed=1)

    def cheating_status(self):
        return self.facts["room"]

    agent.act([1.0, 0.0])  # honest: the reply says the room it perceives
    monkeypatch.setattr(type(agent), "_room", property(cheating_status))
    with pytest.raises(FactsReadError):
        agent.act([1.0, 0.0])
    agent.close()


@pytest.mark.parametrize(
    "script", sorted(p.name for p in EXAMPLES.glob("*.yaml") if "world: tworooms" in p.read_text())
)
def test_example_scripts_pass_with_the_facts_hidden(tmp_path, script):
    parsed = load_script(EXAMPLES / script)
    options = AgentOptions(
        seed=parsed.seed, namespace="examples", db_url=f"sqlite:///{tmp_path / 'm.sqlite'}", llm="keyword-test-double"
    )
    agent = open_agent(options, wrap_world=FactsHiddenWorld)
    try:
        result = run_script(parsed, agent)
    finally:
        agent.close()
    failed = [c for c in result.checks if not c.passed]
    assert not failed, failed
