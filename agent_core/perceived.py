"""What a memory says the agent perceived, written as its caption and read back from it, and the
one door through which the world's facts pass: storage beside a memory, as ground truth.

A caption is written from perception only ("in the left room at (12.0, 40.0); seeing red ball at
(20.0, 30.0) 97% sure, blue box at (50.0, 10.0) 81% sure; next to red ball; named kitchen"), so a
memory's caption is what the agent can later know of that moment: where it was, what it saw where
and how sure it was, what it stood next to, what the user called the place. `read_caption` reads
exactly that format back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent_core.ball_readout import Glimpse
    from agent_core.perception_heads import ObjectPercept, Percept
    from memory import MemoryStore

START = "start"  # the name every episode's first moment gets: "go back to where you started"

_ROOM = re.compile(r"^in the (?P<room>[\w-]+) room at \((?P<x>-?[\d.]+), (?P<y>-?[\d.]+)\)")
WATCHING = "watching"  # the head of a caption in a world without a room and a perceived position
_PERCEIVED_HEAD = re.compile(r"^in the [\w-]+ room at \(-?\d+\.\d, -?\d+\.\d\)")
_SEEING = re.compile(r"(?P<name>[a-z][a-z ]*?) at \((?P<x>-?[\d.]+), (?P<y>-?[\d.]+)\)(?: (?P<sure>\d+)% sure)?")


def perceived_caption(percept: Percept, names: list[str] | None = None) -> str:
    parts = [f"in the {percept.room} room at ({percept.agent[0]:.1f}, {percept.agent[1]:.1f})"]
    parts += _seeing(percept.objects, percept.in_view())
    near = percept.near()
    if near:
        parts.append("next to " + ", ".join(near))
    parts += [f"named {name}" for name in names or []]
    return "; ".join(parts)


def glimpse_caption(glimpse: Glimpse | None, names: list[str] | None = None) -> str:
    """A caption for a world the agent only watches (bounce): the balls it perceives, and where;
    without a glimpse (a gymnasium world it perceives only as latents) just the names given to
    the moment, as nothing else it perceives can be put in words."""
    seeing = [] if glimpse is None else _seeing(glimpse.objects, glimpse.in_view())
    return "; ".join([WATCHING, *seeing, *(f"named {n}" for n in names or [])])


def _seeing(objects: dict[str, ObjectPercept], in_view: list[str]) -> list[str]:
    if not in_view:
        return []
    return [
        "seeing "
        + ", ".join(
            f"{n} at ({objects[n].position[0]:.1f}, {objects[n].position[1]:.1f}) {objects[n].in_view:.0%} sure"
            for n in in_view
        )
    ]


def written_from_perception(text: str) -> bool:
    """Whether `text` is in `perceived_caption`'s or `glimpse_caption`'s format. Captions written
    from a world's facts (by agents that read them) give whole-pixel positions and name what was
    in view without saying where, so the agent could not find those objects again through them."""
    return _PERCEIVED_HEAD.match(text) is not None or text.split("; ")[0] == WATCHING


@dataclass(frozen=True)
class CaptionReading:
    room: str | None  # None for a world the agent only watches
    agent: tuple[float, float] | None
    seeing: dict[str, tuple[float, float]] = field(default_factory=dict)
    near: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    sure: dict[str, float] = field(default_factory=dict)  # how sure perception was that each was in view


def read_caption(text: str) -> CaptionReading | None:
    """The perception a caption records, or None for a caption in another format."""
    parts = text.split("; ")
    head = _ROOM.match(parts[0])
    if head is None and parts[0] != WATCHING:
        return None
    seeing: dict[str, tuple[float, float]] = {}
    sure: dict[str, float] = {}
    near: list[str] = []
    names: list[str] = []
    for part in parts[1:]:
        if part.startswith("seeing "):
            for match in _SEEING.finditer(part[len("seeing ") :]):
                name = match["name"].strip(", ")
                seeing[name] = (float(match["x"]), float(match["y"]))
                if match["sure"] is not None:
                    sure[name] = int(match["sure"]) / 100
        elif part.startswith("next to "):
            near = [n.strip() for n in part[len("next to ") :].split(",")]
        elif part.startswith("named "):
            names.append(part[len("named ") :])
    if head is None:
        return CaptionReading(None, None, seeing, near, names, sure)
    return CaptionReading(head["room"], (float(head["x"]), float(head["y"])), seeing, near, names, sure)


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
