"""Plain data the agent exchanges with its planner and language layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np


@dataclass(frozen=True)
class Plan:
    """What the agent's planner hands back: the next action blocks and where they lead."""

    actions: np.ndarray  # [H, A] the planned action blocks
    imagined: list[tuple[float, float]]  # probe-decoded agent positions along the plan
    cost: float


class Planner(Protocol):
    def plan(self, latents: np.ndarray, actions: np.ndarray, goal: np.ndarray) -> Plan: ...


DEFAULT_WAIT = 10  # model steps, when a request to wait does not say how long
MAX_WAIT = 500  # per chat request: 5-6 s of watching on this CPU (1 s per ~100 steps); Ctrl-C stops it early

RequestKind = Literal[
    "go", "name", "explore", "wait", "stop", "question", "help", "status", "forget", "clarify", "reject"
]


@dataclass(frozen=True)
class Request:
    """A validated intent in the agent's terms: what to do, never how."""

    kind: RequestKind
    targets: list[str] = field(default_factory=list)  # objects to visit, in order ("go")
    question: str = ""  # where | what_seen | what_happened | when | why | surprise ("question")
    steps: int | None = None  # how long to wait, when the user said ("wait")
    message: str = ""  # clarifying question or rejection reason
    confirmed: bool = False  # destructive requests must be confirmed
    raw: dict[str, Any] = field(default_factory=dict)  # the structured intent, for reports
