"""What the agent needs from its three organs, stated as narrow protocols.

The agent loop is written against these, and agent_core.wiring binds them to the real
world model, memory store, language layer and planner. Narrow ports keep the loop readable
and let tests run it with tiny real models.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np


class Perception(Protocol):
    """The world model as the agent uses it (numpy in, numpy out)."""

    def encode(self, frame: np.ndarray) -> np.ndarray: ...  # [64,64,3] uint8 -> [D]
    def predict_next(
        self, latents: np.ndarray, actions: np.ndarray
    ) -> np.ndarray: ...  # [H,D],[H,A] -> [D]
    def decode_positions(self, latent: np.ndarray) -> dict[str, Any]: ...  # probes: agent, objects


@dataclass(frozen=True)
class Plan:
    actions: np.ndarray  # [H, A] the planned action sequence
    imagined: list[tuple[float, float]]  # probe-decoded agent positions along the plan
    cost: float


class Planner(Protocol):
    def plan(self, latents: np.ndarray, actions: np.ndarray, goal: np.ndarray) -> Plan: ...


@dataclass(frozen=True)
class Recollection:
    """A stored memory as the agent reads it back."""

    id: int
    episode: int
    step: int
    caption: str
    facts: dict[str, Any]
    surprise: float | None
    latent: np.ndarray | None = None
    timestamp: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "episode": self.episode,
            "step": self.step,
            "caption": self.caption,
            "surprise": self.surprise,
            "timestamp": self.timestamp,
        }


class Memory(Protocol):
    def begin_episode(self, world: str, seed: int) -> int: ...
    def last_episode(self) -> tuple[int, str, int] | None: ...  # (episode, world, seed)
    def end_episode(self, episode: int) -> None: ...
    def remember(
        self,
        episode: int,
        step: int,
        action: list[float],
        latent: np.ndarray,
        caption: str,
        facts: dict[str, Any],
        surprise: float | None,
    ) -> int: ...
    def last_seen(self, object_name: str) -> Recollection | None: ...
    def recent(self, limit: int) -> list[Recollection]: ...
    def most_surprising(self, limit: int) -> list[Recollection]: ...
    def search_text(self, text: str, limit: int) -> list[Recollection]: ...
    def add_chat_turn(self, role: str, text: str) -> None: ...
    def chat_history(self, limit: int) -> list[dict[str, str]]: ...
    def forget_all(self) -> int: ...
    def close(self) -> None: ...


RequestKind = Literal[
    "go", "explore", "stop", "question", "help", "status", "forget", "clarify", "reject"
]


@dataclass(frozen=True)
class Request:
    """A validated intent in the agent's terms: what to do, never how."""

    kind: RequestKind
    targets: list[str] = field(default_factory=list)  # objects to visit, in order ("go")
    question: str = ""  # where | what_seen | what_happened | when | why | surprise ("question")
    message: str = ""  # clarifying question or rejection reason
    confirmed: bool = False  # destructive requests must be confirmed
    raw: dict[str, Any] = field(default_factory=dict)  # the structured intent, for reports


class Language(Protocol):
    def understand(self, text: str, vocabulary: list[str]) -> Request: ...
    def verbalize(
        self, record: dict[str, Any], on_token: Callable[[str], None] | None = None
    ) -> str: ...
