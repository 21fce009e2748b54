"""The structured intents the LLM may produce, and the parser's verdict on a request.

Data models only; the JSON schema that constrains decoding is built in `language.grammar`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

IntentKind = Literal["go", "explore", "wait", "stop", "question", "help", "status", "forget", "unknown"]
QuestionKind = Literal["where", "what_seen", "what_happened", "surprise", "why", "when"]


class Intent(BaseModel):
    """What the user asks for, in closed vocabulary. `targets` are object names, in order;
    `steps` is how long to wait, when the user's words say it (read from them, not from the model)."""

    model_config = ConfigDict(extra="forbid")

    kind: IntentKind
    question: QuestionKind | None = None
    targets: list[str] = Field(default_factory=list, max_length=5)
    steps: int | None = Field(None, ge=1)

    def normalized(self) -> Intent:
        """Drop what the kind cannot use: only questions have a question kind, only go and
        questions have targets, only waiting has steps. A small model sometimes fills them in anyway."""
        question = self.question if self.kind == "question" else None
        targets = self.targets if self.kind in ("go", "question") else []
        steps = self.steps if self.kind == "wait" else None
        return Intent(kind=self.kind, question=question, targets=targets, steps=steps)


Reason = Literal[
    "",
    "empty",
    "too_long",
    "injection",
    "other_language",
    "invalid_output",
    "ungrounded",
    "unknown_object",
    "no_destination",
    "prohibition",
    "out_of_scope",
]


class Understanding(BaseModel):
    """The parser's verdict: a grounded intent, or a clarifying question, or a refusal.

    `reason` names which check turned the request down, so benchmarks and logs can tell a
    refused request from a model output that failed validation.
    """

    status: Literal["ok", "clarify", "reject"]
    intent: Intent | None = None
    message: str = ""
    reason: Reason = ""
