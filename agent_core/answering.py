"""Answering questions from what the agent perceived and remembered (never from the world's facts,
except the events a surprise report names: what the world did, told as ground truth)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent_core.exchange import Request
from agent_core.outcomes import LastSeen, Moments, NeverSeen, Outcome, Why
from agent_core.perceived import read_caption
from memory import MemoryRecord, MemoryStore


def answer(
    request: Request,
    memory: MemoryStore,
    cite: Callable[[list[MemoryRecord]], None],
    events_judged: Callable[[int, int], list[str]],
    last_plan: dict[str, Any] | None,
) -> Outcome:
    kind = request.question
    if kind == "where" and request.targets:
        return where_seen(request.targets[0], memory, cite)
    if kind == "surprise":
        top = memory.most_surprising(3)
        cite(top)
        return Moments(
            "surprises",
            [
                {
                    "step": m.step,
                    "surprise": None if m.surprise is None else round(m.surprise, 2),
                    "caption": m.caption,
                    "events": events_judged(m.episode, m.step),
                }
                for m in top
            ],
        )
    if kind == "why":
        return Why(last_plan)
    recent = memory.recent(5)
    cite(recent)
    return Moments("recent", [{"step": m.step, "caption": m.caption} for m in recent])


def where_seen(target: str, memory: MemoryStore, cite: Callable[[list[MemoryRecord]], None]) -> Outcome:
    """Where the agent last perceived `target`: the memory's caption records where it saw it."""
    seen = memory.last_seen(target)
    reading = None if seen is None else read_caption(seen.caption)
    if seen is None or reading is None or target not in reading.seeing:
        return NeverSeen(target)
    cite([seen])
    x, y = reading.seeing[target]
    sure = reading.sure.get(target)
    return LastSeen(
        target, reading.room, seen.step, [round(x), round(y)], seen.id, None if sure is None else round(sure * 100)
    )
