"""Answering questions from what the agent perceived and remembered (never from the world's facts,
except the events a surprise report names: what the world did, told as ground truth), and the two
ends of every conversation turn: the words heard and the reply, both kept in the chat history."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from agent_core.exchange import Request
from agent_core.outcomes import Help, LastSeen, Message, Moments, NeverSeen, Outcome, Stopped, Why
from agent_core.perceived import read_caption
from agent_core.reports import TurnResult
from memory import MemoryFilter, MemoryRecord, MemoryStore

if TYPE_CHECKING:
    from agent_core.broca import Broca

Cite = Callable[[list[MemoryRecord]], None]
EventsJudged = Callable[[int, int], list[str]]


def answer_without_world(
    request: Request,
    memory: MemoryStore,
    cite: Cite,
    events_judged: EventsJudged,
    last_plan: dict[str, Any] | None,
    vocabulary: list[str],
) -> Outcome | None:
    """The outcome of a request that needs only memory and words (a question, a refusal, help,
    stop); None for one that needs the agent in its world (go, explore, wait, status, name,
    forget). `ask` answers the first kind without opening a world or loading a world model."""
    if request.kind == "question":
        return answer(request, memory, cite, events_judged, last_plan)
    if request.kind in {"clarify", "reject"}:
        return Message(request.kind, request.message)
    if request.kind == "stop":
        return Stopped()
    if request.kind == "help":
        return Help(vocabulary)
    return None


def answer(
    request: Request,
    memory: MemoryStore,
    cite: Cite,
    events_judged: EventsJudged,
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


def where_seen(target: str, memory: MemoryStore, cite: Cite) -> Outcome:
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


def events_in_window(memory: MemoryStore, window: int, frameskip: int, episode: int, step: int) -> list[str]:
    """What the world did (injected events) in the `window` model steps (of `frameskip` env steps)
    that a surprise at `step` judged: the steps after the imagination it tested, up to `step`."""
    first = step - (window - 1) * frameskip
    judged = memory.browse(MemoryFilter(episode=episode, steps=(first, step)), limit=window)
    return [e["event"] for record in reversed(judged) for e in record.facts.get("events", [])]


def heard(text: str, request: Request | None, started: float, memory: MemoryStore) -> TurnResult:
    """A turn for `text`, understood as `request` since `started` (None: a forgetting cancelled for
    want of a "yes"), its words kept in the chat history."""
    turn = TurnResult(text=text)
    turn.intent = {"kind": "forget", "cancelled": True} if request is None else {"kind": request.kind, **request.raw}
    turn.timings_ms["parse"] = (time.perf_counter() - started) * 1000
    memory.add_chat_turn("user", text)
    return turn


def reply_to(
    turn: TurnResult,
    record: dict[str, Any],
    language: Broca,
    memory: MemoryStore,
    on_token: Callable[[str], None] | None = None,
) -> TurnResult:
    """Say `record` as the turn's reply, timed, and keep it in the chat history."""
    started = time.perf_counter()
    turn.reply = language.verbalize(record, on_token)
    turn.timings_ms["verbalize"] = (time.perf_counter() - started) * 1000
    memory.add_chat_turn("agent", turn.reply)
    return turn
