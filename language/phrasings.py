"""The project's own phrasing set: user requests paired with what the parser must make of them.

It is the yardstick for `worldmind bench language` and for changes to the prompt, so it lives
next to the prompt as data. A case expects either an intent (status "ok") or that the request
is clarified or refused without any intent being acted on.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from language.intents import Intent


class PhrasingCase(BaseModel):
    """One request. `intent` is required exactly when the expected status is "ok"."""

    model_config = ConfigDict(extra="forbid")

    text: str
    category: str
    status: Literal["ok", "clarify", "reject"]
    intent: Intent | None = None

    @model_validator(mode="after")
    def _intent_iff_ok(self) -> PhrasingCase:
        if (self.status == "ok") != (self.intent is not None):
            raise ValueError("an intent is expected exactly for status 'ok'")
        return self


@cache
def load_phrasings() -> tuple[PhrasingCase, ...]:
    """Every case of language/data/phrasings.jsonl, validated."""
    text = resources.files("language").joinpath("data", "phrasings.jsonl").read_text(encoding="utf-8")
    return tuple(PhrasingCase.model_validate_json(line) for line in text.splitlines() if line.strip())
