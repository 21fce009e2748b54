"""What the agent tells its front-ends: one record per world step and one per conversation turn.

These are plain data so that the CLI, replay reports and tests read the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from agent_core.perception_heads import Percept


@dataclass(frozen=True)
class StepReport:
    """One world step as the agent lived it."""

    step: int
    frame: np.ndarray  # what the agent saw after the step
    facts: dict[str, Any]  # the world's ground truth: for views and scoring, never for deciding
    action: list[float]
    surprise: float | None  # of the window this step completes; None until the predictor has seen enough
    surprising: bool  # surprise above the agent's threshold
    memory_id: int | None
    imagined: list[tuple[float, float]] = field(default_factory=list)  # planned agent path
    percept: Percept | None = None  # what the agent perceived after the step


@dataclass
class TurnResult:
    """A conversation turn: the reply, what was understood, and what was done."""

    text: str
    reply: str = ""
    intent: dict[str, Any] | None = None
    steps: list[StepReport] = field(default_factory=list)
    reached: bool | None = None
    closest_distance: float | None = None
    memories_used: list[dict[str, Any]] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def max_surprise(self) -> float | None:
        values = [s.surprise for s in self.steps if s.surprise is not None]
        return max(values) if values else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "reply": self.reply,
            "intent": self.intent,
            "steps": len(self.steps),
            "reached": self.reached,
            "closest_distance": self.closest_distance,
            "max_surprise": self.max_surprise,
            "surprising_steps": [s.step for s in self.steps if s.surprising],
            "memories_used": self.memories_used,
            "timings_ms": self.timings_ms,
        }
