"""What the agent did or knows, one declared type per kind: the records the verbalizer reads.

`record()` gives the plain dict the language layer's templates and fact check read
(`language/verbalizer.py`), with the kind first.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class Outcome:
    kind: ClassVar[str] = ""

    def record(self) -> dict[str, Any]:
        return {"kind": self.kind, **asdict(self)}


@dataclass(frozen=True)
class Reached(Outcome):
    kind: ClassVar[str] = "reached"
    objects: list[str]
    steps: int
    room: str | None


@dataclass(frozen=True)
class NotReached(Outcome):
    kind: ClassVar[str] = "not_reached"
    object: str
    steps: int
    distance: float | None
    visited: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class NotFound(Outcome):
    kind: ClassVar[str] = "not_found"
    object: str
    steps: int


@dataclass(frozen=True)
class Explored(Outcome):
    kind: ClassVar[str] = "explored"
    steps: int
    room: str | None
    seeing: list[str]


@dataclass(frozen=True)
class Named(Outcome):
    kind: ClassVar[str] = "named"
    name: str
    room: str | None
    step: int
    memory_id: int | None


@dataclass(frozen=True)
class LastSeen(Outcome):
    kind: ClassVar[str] = "last_seen"
    object: str
    room: str | None  # None in a world the agent only watches
    step: int
    position: list[int]
    memory_id: int
    sure: int | None = None  # percent: how sure perception was that it was in view


@dataclass(frozen=True)
class NeverSeen(Outcome):
    kind: ClassVar[str] = "never_seen"
    object: str


@dataclass(frozen=True)
class Moments(Outcome):
    """Remembered moments: `kind` "surprises" or "recent" (set per instance through `which`)."""

    which: str
    moments: list[dict[str, Any]]

    def record(self) -> dict[str, Any]:
        return {"kind": self.which, "moments": self.moments}


@dataclass(frozen=True)
class Why(Outcome):
    kind: ClassVar[str] = "why"
    plan: dict[str, Any] | None


@dataclass(frozen=True)
class SurpriseAlert(Outcome):
    kind: ClassVar[str] = "surprise"
    step: int
    surprise: float
    threshold: float
    events: list[str]


@dataclass(frozen=True)
class EventNotJudged(Outcome):
    """An injected event that raised no alert: `which` is "event_unnoticed" or "event_too_early"."""

    which: str
    event: str
    object: str | None

    def record(self) -> dict[str, Any]:
        return {"kind": self.which, "event": self.event, "object": self.object}


@dataclass(frozen=True)
class Moved(Outcome):
    kind: ClassVar[str] = "moved"
    steps: int
    room: str | None


@dataclass(frozen=True)
class Waited(Outcome):
    kind: ClassVar[str] = "waited"
    steps: int


@dataclass(frozen=True)
class Counted(Outcome):
    """Memory counts: `which` is "confirm" or "cancelled" (with the namespace) or "forgotten"."""

    which: str
    count: int
    namespace: str | None = None

    def record(self) -> dict[str, Any]:
        record: dict[str, Any] = {"kind": self.which, "count": self.count}
        if self.namespace is not None:
            record["namespace"] = self.namespace
        return record


@dataclass(frozen=True)
class Message(Outcome):
    """The language layer's own answer: `which` is "clarify" or "reject"."""

    which: str
    message: str

    def record(self) -> dict[str, Any]:
        return {"kind": self.which, "message": self.message}


@dataclass(frozen=True)
class Stopped(Outcome):
    kind: ClassVar[str] = "stopped"


@dataclass(frozen=True)
class Status(Outcome):
    kind: ClassVar[str] = "status"
    room: str | None
    step: int
    near: list[str]


@dataclass(frozen=True)
class Help(Outcome):
    kind: ClassVar[str] = "help"
    objects: list[str]


@dataclass(frozen=True)
class CannotMove(Outcome):
    kind: ClassVar[str] = "cannot_move"
    world: str
