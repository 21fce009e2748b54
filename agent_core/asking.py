"""`worldmind ask`: one request answered in a process of its own, loading only what it needs.

The user waits for the whole process, from the shell to the answer. A question about memory
("where did you last see the blue box?") needs the namespace's memories and two short calls of
the language model (understand, then say), not the world, the world model's weights or the
planner, and so not torch. So the request is understood first and, when memory and words are
enough (`answering.answer_without_world`: questions, refusals, help), answered from memory; only
a request that needs the agent in its world (go, explore, wait, status, naming a place,
forgetting) opens it, handing it the request already understood and the language model already
loaded. A namespace that `watch` filled with a video is answered by template, with no model.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING

from agent_core.answering import answer_without_world, events_in_window, heard, reply_to
from agent_core.broca import Broca
from agent_core.checkpoints import checkpoint_folder, perceivable_objects
from agent_core.options import AgentOptions
from agent_core.perceived import nameable, named_places
from agent_core.reports import TurnResult
from agent_core.runtime import default_db_url
from agent_core.video_recall import answer_from_video_memory
from memory import MemoryRecord, MemoryStore
from world_model.checkpoint_config import read_checkpoint_config

if TYPE_CHECKING:
    from agent_core.agent import Agent

OpenAgent = Callable[[AgentOptions, Broca], "Agent"]


def ask(options: AgentOptions, question: str, open_agent: OpenAgent | None = None) -> TurnResult:
    """Answer `question` as the agent of `options` would, opening the agent (with `open_agent`,
    default `assembly.open_agent`) only for a request that needs its world. Everything is checked
    before anything is written: the checkpoint's config, the language model, then the database."""
    url = options.db_url or default_db_url()
    video = answer_from_video_memory(url, options.namespace)
    if video is not None:
        return TurnResult(text=question, reply=video["reply"], memories_used=video["memories_used"])
    folder = checkpoint_folder(options.world, options.checkpoint)
    frameskip = read_checkpoint_config(folder, options.world).config.frameskip
    language = Broca.load(options.llm, options.rephrase)
    memory = MemoryStore(url, options.namespace)
    try:
        vocabulary = nameable(perceivable_objects(folder), named_places(memory))
        started = time.perf_counter()
        request = language.understand(question, vocabulary)
        cited: list[MemoryRecord] = []
        surprise_window = cache(partial(_surprise_window, folder, options.world))

        def events_judged(episode: int, step: int) -> list[str]:
            return events_in_window(memory, surprise_window(), frameskip, episode, step)

        outcome = answer_without_world(request, memory, cited.extend, events_judged, None, vocabulary)
        if outcome is not None:
            turn = heard(question, request, started, memory)
            turn.memories_used = [m.to_dict() for m in cited]
            return reply_to(turn, outcome.record(), language, memory)
    finally:
        memory.close()  # the agent, if it must be opened, takes the namespace's writer lock
    agent = (open_agent or _open_agent)(options, language)
    try:
        return agent.respond(question, request, started)
    finally:
        agent.close()


def _surprise_window(folder: Path, world: str) -> int:
    """Model steps each surprise judged: only a question about surprises loads the world model for
    it (and so torch)."""
    from world_model import WorldModel

    return WorldModel.load(folder, world).surprise_window


def _open_agent(options: AgentOptions, language: Broca) -> Agent:
    from agent_core.assembly import open_agent

    return open_agent(options, broca=language)
