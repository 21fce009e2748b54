"""The structured intents the LLM may produce; the JSON schema doubles as its decoding grammar."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

IntentKind = Literal["go", "explore", "stop", "question", "help", "status", "forget", "unknown"]
QuestionKind = Literal["where", "what_seen", "what_happened", "surprise", "why", "when"]


class Intent(BaseModel):
    """What the user asks for, in closed vocabulary. `targets` are object names, in order."""

    model_config = ConfigDict(extra="forbid")

    kind: IntentKind
    targets: list[str] = Field(default_factory=list, max_length=5)
    question: QuestionKind | None = None


def intent_schema(vocabulary: list[str]) -> dict[str, Any]:
    """JSON schema restricting targets to the world's object names (used as a grammar)."""
    schema = Intent.model_json_schema()
    schema["properties"]["targets"]["items"] = {"enum": list(vocabulary) or ["nothing"]}
    schema["required"] = ["kind", "targets"]
    return schema


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
