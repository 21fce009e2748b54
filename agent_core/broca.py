"""The agent's side of the language layer: Understanding -> Request, record -> sentence."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from agent_core.exchange import Request
from agent_core.runtime import data_dir, thread_setting
from language import IntentParser, Verbalizer
from language.chat_models import load_chat_model
from language.model_files import DEFAULT_MODEL
from language.places import place_request


class Broca:
    def __init__(self, parser: IntentParser, verbalizer: Verbalizer) -> None:
        self.parser = parser
        self.verbalizer = verbalizer

    @classmethod
    def load(cls, llm: str | None = None, rephrase: bool = True) -> Broca:
        """The language layer on the chat model `llm` names (None: the packaged default), on the
        process's thread setting (`--threads`); `rephrase` lets it reword template sentences."""
        chat_model = load_chat_model(llm or DEFAULT_MODEL, data_dir() / "models", thread_setting())
        return cls(IntentParser(chat_model), Verbalizer(chat_model if rephrase else None))

    def understand(self, text: str, vocabulary: list[str]) -> Request:
        place = place_request(text)
        if place is not None:
            kind, name = place
            return Request(kind=kind, targets=[name], raw={"kind": kind, "targets": [name]})  # type: ignore[arg-type]
        understanding = self.parser.parse(text, vocabulary)
        intent = understanding.intent
        if understanding.status == "clarify":
            return Request(kind="clarify", message=understanding.message)
        if understanding.status == "reject" or intent is None or intent.kind == "unknown":
            return Request(kind="reject", message=understanding.message)
        return Request(
            kind=intent.kind,
            targets=list(intent.targets),
            question=intent.question or "",
            steps=intent.steps,
            raw=intent.model_dump(),
        )

    def warm_up(self, vocabulary: list[str]) -> threading.Thread:
        return self.parser.warm_up(vocabulary)

    def verbalize(self, record: dict[str, Any], on_token: Callable[[str], None] | None = None) -> str:
        return self.verbalizer.say(record, on_token)
