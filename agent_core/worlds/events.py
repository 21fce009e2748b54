"""The impossible (and merely unusual) events every world can be asked to inject."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from agent_core.errors import WorldError


class Event(StrEnum):
    VANISH = "vanish"  # an object disappears and never comes back
    TELEPORT = "teleport"  # an object jumps to a distant place
    PASS_THROUGH = "pass_through"  # something moves through a wall or the floor
    REVERSE = "reverse"  # a ball reverses its velocity in mid-air
    COLOR_CHANGE = "color_change"  # non-physical control: an object changes colour
    AGENT_TELEPORT = "agent_teleport"  # the agent itself jumps to a distant place

    @classmethod
    def parse(cls, value: str | Event) -> Event:
        """Accept 'pass-through', 'pass_through', 'Teleport'...; raise WorldError otherwise."""
        if isinstance(value, Event):
            return value
        key = str(value).strip().lower().replace("-", "_").replace(" ", "_")
        try:
            return cls(key)
        except ValueError:
            known = ", ".join(e.value for e in cls)
            raise WorldError(f"unknown event {value!r}; known events: {known}") from None


@dataclass(frozen=True)
class EventRecord:
    """What happened, to what, at which step; recorded in `info['events']`."""

    event: Event
    step: int
    target: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        record["event"] = self.event.value
        return record
