"""What a memory says the agent perceived, written as its caption and read back from it, and the
one door through which the world's facts pass: storage beside a memory, as ground truth.

A caption is written from perception only ("in the left room at (12, 40); seeing red ball at
(20, 30), blue box at (50, 10); next to red ball; named kitchen"), so a memory's caption is what
the agent can later know of that moment: where it was, what it saw where, what it stood next to,
what the user called the place. `read_caption` reads exactly that format back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent_core.perception_heads import Percept
    from memory import MemoryStore

START = "start"  # the name every episode's first moment gets: "go back to where you started"

_ROOM = re.compile(r"^in the (?P<room>[\w-]+) room at \((?P<x>-?[\d.]+), (?P<y>-?[\d.]+)\)")
_SEEING = re.compile(r"(?P<name>[a-z][a-z ]*?) at \((?P<x>-?[\d.]+), (?P<y>-?[\d.]+)\)")


def perceived_caption(percept: Percept, names: list[str] | None = None) -> str:
    parts = [f"in the {percept.room} room at ({percept.agent[0]:.1f}, {percept.agent[1]:.1f})"]
    seeing = percept.in_view()
    if seeing:
        parts.append(
            "seeing "
            + ", ".join(
                f"{n} at ({percept.objects[n].position[0]:.1f}, {percept.objects[n].position[1]:.1f})" for n in seeing
            )
        )
    near = percept.near()
    if near:
        parts.append("next to " + ", ".join(near))
    parts += [f"named {name}" for name in names or []]
    return "; ".join(parts)


@dataclass(frozen=True)
class CaptionReading:
    room: str
    agent: tuple[float, float]
    seeing: dict[str, tuple[float, float]] = field(default_factory=dict)
    near: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)


def read_caption(text: str) -> CaptionReading | None:
    """The perception a caption records, or None for a caption in another format."""
    parts = text.split("; ")
    head = _ROOM.match(parts[0])
    if head is None:
        return None
    seeing: dict[str, tuple[float, float]] = {}
    near: list[str] = []
    names: list[str] = []
    for part in parts[1:]:
        if part.startswith("seeing "):
            for match in _SEEING.finditer(part[len("seeing ") :]):
                seeing[match["name"].strip(", ")] = (float(match["x"]), float(match["y"]))
        elif part.startswith("next to "):
            near = [n.strip() for n in part[len("next to ") :].split(",")]
        elif part.startswith("named "):
            names.append(part[len("named ") :])
    return CaptionReading(head["room"], (float(head["x"]), float(head["y"])), seeing, near, names)


def for_storage(facts: Any) -> dict[str, Any]:
    """The world's facts as stored beside a memory: ground truth for evaluation and reports, never
    read to decide. A wrapper that hides facts from the agent (tests, `bench agent`) hands them
    over here and nowhere else."""
    unwrap = getattr(type(facts), "stored_copy", None)
    return unwrap(facts) if unwrap is not None else facts


def merged_for_storage(per_env_step: list[Any]) -> dict[str, Any]:
    """One model step's facts for storage: the last env step's, with every env step's events."""
    stored = [for_storage(f) for f in per_env_step]
    return {**stored[-1], "events": [e for f in stored for e in f.get("events", [])]}


def named_places(memory: MemoryStore) -> list[str]:
    """The start, and the names the user gave to moments of the namespace, as their captions say
    (every memory is read: once per session)."""
    places = [START]
    for record in memory.scan():
        reading = read_caption(record.caption)
        places += [name for name in (reading.names if reading is not None else []) if name not in places]
    return places


def nameable(objects: list[str], places: list[str]) -> list[str]:
    """What the user can name: the objects perception knows, then the named places not among them."""
    return objects + [place for place in places if place not in objects]
