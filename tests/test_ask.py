"""`worldmind ask` in a process of its own: a question about memory is answered from memory without
the world or torch; a request that needs the world still gets the agent."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from agent_core.assembly import AgentOptions, open_agent
from memory import MemoryStore

ROOT = Path(__file__).resolve().parents[1]
# Run in a fresh interpreter, so that what `ask` imported can be told apart from what tests did.
ASK_IN_A_PROCESS = """
import json, sys
from agent_core.asking import ask
from agent_core.options import AgentOptions

options = AgentOptions(**json.loads(sys.argv[1]))
turn = ask(options, sys.argv[2])
print(json.dumps(turn.to_dict() | {"torch_imported": "torch" in sys.modules}))
"""


@pytest.fixture
def looked_about(tmp_path):
    """Options of a namespace whose agent has looked about (seed 7: it sees the blue box)."""
    options = AgentOptions(
        seed=7, namespace="asked", db_url=f"sqlite:///{tmp_path / 'm.sqlite'}", llm="keyword-test-double"
    )
    agent = open_agent(options)
    agent.act([0.0, 0.5], repeat=3)
    agent.close()
    return options


def ask_in_a_process(options: AgentOptions, question: str) -> dict:
    settings = {
        "world": options.world,
        "seed": options.seed,
        "namespace": options.namespace,
        "db_url": options.db_url,
        "llm": options.llm,
    }
    done = subprocess.run(
        [sys.executable, "-c", ASK_IN_A_PROCESS, json.dumps(settings), question],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def counts(options: AgentOptions) -> tuple[int, int]:
    store = MemoryStore(options.db_url or "", options.namespace, writer=False)
    try:
        return store.count(), len(store.chat_history(100))
    finally:
        store.close()


def test_a_question_about_memory_is_answered_from_memory_without_torch(looked_about):
    memories, chat = counts(looked_about)
    answer = ask_in_a_process(looked_about, "where did you last see the blue box?")
    assert answer["reply"].startswith("I last saw the blue box in the right room")
    assert [m["caption"] for m in answer["memories_used"]] and "blue box at" in answer["memories_used"][0]["caption"]
    assert answer["torch_imported"] is False and answer["steps"] == 0
    # Nothing perceived or stored but the exchange itself.
    assert counts(looked_about) == (memories, chat + 2)


def test_a_request_that_needs_the_world_opens_the_agent(looked_about):
    memories, _ = counts(looked_about)
    answer = ask_in_a_process(looked_about, "explore the rooms")
    assert answer["intent"]["kind"] == "explore" and answer["torch_imported"] is True
    assert answer["steps"] > 0 and counts(looked_about)[0] > memories


def test_a_question_about_surprises_gets_the_agents_answer_with_the_events_judged(looked_about):
    agent = open_agent(looked_about)
    agent.act([0.0, 0.5], repeat=8)  # long enough for surprise windows
    agent.inject("vanish", "blue box")
    agent.close()
    answer = ask_in_a_process(looked_about, "what surprised you?")
    agent = open_agent(looked_about)  # the same namespace, resumed: the whole agent's answer
    try:
        expected = agent.ask("what surprised you?")
    finally:
        agent.close()
    assert answer["intent"]["question"] == "surprise" and answer["torch_imported"] is True
    assert answer["reply"] == expected.reply and "vanish" in answer["reply"]
    assert answer["memories_used"] == expected.memories_used


def test_a_watched_worlds_objects_are_named_without_the_world(tmp_path):
    """Bounce's balls come from its ball readout's file, as tworooms' objects from its heads' file."""
    options = AgentOptions(
        world="bounce",
        seed=3,
        namespace="watched",
        db_url=f"sqlite:///{tmp_path / 'm.sqlite'}",
        llm="keyword-test-double",
    )
    agent = open_agent(options)
    try:
        agent.wait(8)
        expected = agent.ask("where is the red ball?")
    finally:
        agent.close()
    assert expected.reply.startswith("I last saw the red ball")
    answer = ask_in_a_process(options, "where is the red ball?")
    assert answer["torch_imported"] is False
    assert answer["reply"] == expected.reply and answer["memories_used"] == expected.memories_used
