"""The project's own phrasing sets: user requests paired with what the parser must make of them.

They are the yardstick for `worldmind bench language` and for changes to the prompt, so they live
next to the prompt as data. A case expects either an intent (status "ok") or that the request
is clarified or refused without any intent being acted on.

Two sets: "dev" (`phrasings.jsonl`), on which prompts, cues and rules are tuned, and "test"
(`phrasings_test.jsonl`), written in one go before any tuning against it and never edited
since: its figures say how the layer does on requests nobody tuned for.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from language.intents import Intent


class PhrasingCase(BaseModel):
    """One request. `intent` is required exactly when the expected status is "ok". `forbidden`
    names the objects the request forbids going to ("don't go to the red ball"): a go intent
    that visits one of them is a prohibited action, whatever the rest of the verdict."""

    model_config = ConfigDict(extra="forbid")

    text: str
    category: str
    status: Literal["ok", "clarify", "reject"]
    intent: Intent | None = None
    forbidden: list[str] = []

    @model_validator(mode="after")
    def _intent_iff_ok(self) -> PhrasingCase:
        if (self.status == "ok") != (self.intent is not None):
            raise ValueError("an intent is expected exactly for status 'ok'")
        return self


PhrasingSet = Literal["dev", "test"]
SET_FILES: dict[str, str] = {"dev": "phrasings.jsonl", "test": "phrasings_test.jsonl"}


@cache
def load_phrasings(name: PhrasingSet = "dev") -> tuple[PhrasingCase, ...]:
    """Every case of one phrasing set (see the module's docstring), validated."""
    text = resources.files("language").joinpath("data", SET_FILES[name]).read_text(encoding="utf-8")
    return tuple(PhrasingCase.model_validate_json(line) for line in text.splitlines() if line.strip())
