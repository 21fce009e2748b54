"""The structured intents the LLM may produce; the JSON schema doubles as its decoding grammar."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from language.cues import Cues

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


def intent_schema(targets: list[str], cues: Cues) -> dict[str, Any]:
    """JSON schema used as the decoding grammar, one branch per shape of intent.

    `targets` are the objects the request names: the only ones the model may pick, so it
    cannot choose an object the user never mentioned. When the request names some, going
    somewhere and asking where or when need at least one of them (all of them, unless the
    request excludes one); kinds that take no object take none. The request's `cues` take away
    the question kinds and meta kinds its words rule out (see `language.cues`). A question
    states its question kind right after `kind`, before the targets.
    """
    least = min(len(targets), 5) if cues.cover_all else 1
    named: dict[str, Any] = {"type": "array", "items": {"enum": targets}, "minItems": least, "maxItems": 5}
    optional: dict[str, Any] = named if cues.cover_all else named | {"minItems": 0}
    none: dict[str, Any] = {"type": "array", "maxItems": 0}
    if not targets:
        named = optional = none
    located = [q for q in cues.questions if q in ("where", "when")]
    others = [q for q in cues.questions if q not in located]
    plain = [
        k
        for k in get_args(IntentKind)
        if k not in ("go", "question")
        and not (cues.on_topic and k == "unknown")
        and not (cues.asks and k == "forget")
        and not (cues.moves and k == "wait")
    ]
    branches = [_branch({"kind": {"const": "go"}, "targets": named})]
    if located:
        branches.append(_branch({"kind": {"const": "question"}, "question": {"enum": located}, "targets": named}))
    if others:
        branches.append(_branch({"kind": {"const": "question"}, "question": {"enum": others}, "targets": optional}))
    branches.append(_branch({"kind": {"enum": plain}, "targets": none}))
    return {"anyOf": branches}


def _branch(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def allowed_targets(schema: dict[str, Any]) -> list[str]:
    """The object names a schema from `intent_schema` lets through (its first branch is "go")."""
    return list(schema["anyOf"][0]["properties"]["targets"].get("items", {}).get("enum", []))


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
