"""A deterministic keyword matcher that stands in for a language model in tests (`--llm
keyword-test-double`). It understands nothing: it picks an intent by fixed keywords and echoes the
template sentence it is asked to rephrase, so tests and benchmarks of everything around the model
run in milliseconds without loading weights."""

from __future__ import annotations

import json
import re
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from language.grammar import allowed_targets, named_targets


class KeywordTestDouble(BaseChatModel):
    """Test double for a chat model: answers intent prompts by keyword rules (ignoring the schema's
    kinds, as a model without constrained decoding might) and verbalization prompts by echoing the
    template sentence it is given."""

    @property
    def _llm_type(self) -> str:
        return "keyword-test-double"

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        text = str(messages[-1].content)
        if "json_schema" in kwargs:
            request = text.partition("\nObjects named:")[0]
            answer = json.dumps(self._intent(request, kwargs["json_schema"]))
        else:
            match = re.search(r"Sentence: (.*)", text)
            answer = match.group(1) if match else text
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=answer))])

    @staticmethod
    def _intent(text: str, schema: dict[str, Any]) -> dict[str, Any]:
        lowered = text.lower()
        names = allowed_targets(schema)
        targets = sorted((n for n in names if n in lowered), key=lowered.index)
        if "?" in lowered or lowered.startswith(("where", "what", "why", "when")):
            question = (
                "surprise"
                if "surpris" in lowered
                else "where"
                if "where" in lowered
                else "why"
                if "why" in lowered
                else "what_seen"
            )
            asked = sorted((n for n in named_targets(schema) if n in lowered), key=lowered.index)
            return {"kind": "question", "targets": asked, "question": question}
        for kind, cue in (
            ("forget", "forget"),
            ("wait", "wait"),
            ("watch", "wait"),
            ("stop", "stop"),
            ("explore", "explore"),
            ("help", "help"),
            ("status", "status"),
        ):
            if cue in lowered:
                return {"kind": kind, "targets": []}
        return {"kind": "go" if targets or "go" in lowered else "unknown", "targets": targets}
