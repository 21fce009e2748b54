"""Text -> validated Intent through a chat model with schema-constrained decoding."""

from __future__ import annotations

import json
import threading
from functools import cache
from importlib import resources
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import ValidationError

from language.cues import Cues, in_order, read_cues, steps_told
from language.grammar import allowed_kinds, intent_schema
from language.grounding import ground, named_objects
from language.guard import screen
from language.intents import Intent, Understanding

MAX_CHARS = 400


@cache
def _prompt() -> dict[str, Any]:
    return json.loads(resources.files("language").joinpath("data", "intent_prompt.json").read_text())


def _request(text: str, vocabulary: list[str]) -> str:
    return f"{text}\nObjects named: {', '.join(named_objects(text, vocabulary)) or 'none'}"


def _prohibition_only(cues: Cues) -> Understanding:
    what = f" (not {' or '.join(cues.forbidden)})" if cues.forbidden else ""
    return Understanding(
        status="clarify",
        message=f"I can't take a prohibition as a goal{what}: tell me where to go or what to do instead.",
        reason="prohibition",
    )


class IntentParser:
    def __init__(self, chat_model: BaseChatModel) -> None:
        self.chat_model = chat_model
        self._warm: set[tuple[str, ...]] = set()
        self._warming = threading.Lock()

    def messages(self, text: str, vocabulary: list[str]) -> list[BaseMessage]:
        """System rules, few-shot pairs (compact JSON), then the user's text.

        Each request carries the objects it names, found by the same word matching that
        grounding uses: a 0.5B model picks and orders targets far more reliably from a short
        list than from the whole vocabulary. The examples name objects from the prompt file's
        own list, so they stay consistent whatever objects the current world holds.
        """
        prompt = _prompt()
        messages: list[BaseMessage] = [SystemMessage(prompt["system"].replace("{vocabulary}", ", ".join(vocabulary)))]
        for example in prompt["examples"]:
            messages.append(HumanMessage(_request(example["text"], prompt["objects"])))
            messages.append(AIMessage(json.dumps(example["intent"], separators=(",", ":"))))
        messages.append(HumanMessage(_request(text, vocabulary)))
        return messages

    def parse(self, text: str, vocabulary: list[str]) -> Understanding:
        """Understand `text`; anything that fails validation is rejected, never acted on."""
        text = text.strip()
        if not text:
            return Understanding(status="reject", message="Say something: a place to go or a question.", reason="empty")
        if len(text) > MAX_CHARS:
            return Understanding(
                status="reject", message=f"That is too long for me ({len(text)} characters).", reason="too_long"
            )
        refusal = screen(text)
        if refusal is not None:
            return refusal
        self._ready(vocabulary)
        named = named_objects(text, vocabulary)
        cues = read_cues(text, named)
        if cues.only_forbids:
            return _prohibition_only(cues)
        schema = intent_schema(named, cues)
        reply = self.chat_model.invoke(self.messages(text, vocabulary), json_schema=schema)
        try:
            intent = Intent.model_validate_json(str(reply.content)).normalized()
        except ValidationError:
            return Understanding(
                status="reject", message="I did not understand that; try 'go to the red ball'.", reason="invalid_output"
            )
        if intent.kind == "forget" and "forget" not in allowed_kinds(schema):
            # A chat model that ignores `json_schema` (a test double, a hosted API) must not erase
            # memories the words never asked to erase (see `language.cues`).
            return Understanding(
                status="reject",
                message="I did not take that as a request to erase my memories; to erase them, say "
                "'forget all your memories'.",
                reason="invalid_output",
            )
        targets = intent.targets
        if intent.kind == "go":
            # Whatever a model answers (one that ignores `json_schema` too), a forbidden object is
            # never a place to go.
            targets = [t for t in targets if t not in cues.forbidden]
            if intent.targets and not targets:
                return _prohibition_only(cues)
        intent = intent.model_copy(
            update={"targets": in_order(targets, cues), "steps": steps_told(text) if intent.kind == "wait" else None}
        )
        return ground(intent, text, vocabulary)

    def warm_up(self, vocabulary: list[str]) -> threading.Thread:
        """Get the few-shot prefix evaluated in the background, so that the user's first request
        costs what later ones do; the thread is returned for those who wait."""
        thread = threading.Thread(target=self._ready, args=(vocabulary,), name="warm-up", daemon=True)
        thread.start()
        return thread

    def _ready(self, vocabulary: list[str]) -> None:
        """Once per vocabulary: a llama.cpp model loads the evaluated prefix an earlier run saved (or
        evaluates and saves it); other chat models need nothing."""
        warm = getattr(self.chat_model, "warm_up", None)
        key = tuple(vocabulary)
        if warm is None or key in self._warm:
            return
        with self._warming:
            if key not in self._warm:
                warm(self.messages("status", vocabulary))
                self._warm.add(key)
