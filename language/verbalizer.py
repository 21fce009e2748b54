"""Structured record -> one or two sentences, with no fact the record does not hold.

Templates give a faithful sentence for every record kind. A chat model may rephrase it, but
its sentence is only used when every colour, object, number, room and kind of event in it
appears in the record, none of the template's is dropped, and it is a finished sentence;
otherwise the template sentence stands. What is said about deleting memories (the question that
asks to confirm it, its cancellation, its result) is never rephrased: the fact check cannot see a
question turned into a statement, and the user must read exactly what will go and what to type.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from language.lexicon import COLOURS, THINGS


def _memories(count: int) -> str:
    return f"{count} memory" if count == 1 else f"{count} memories"


def _join(items: list[str]) -> str:
    items = [f"the {i}" for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else "nothing"


TEMPLATES: dict[str, Callable[[dict[str, Any]], str]] = {
    "reached": lambda r: f"I reached {_join(r['objects'])} in {r['steps']} steps; I am in the {r['room']} room.",
    "not_reached": lambda r: (
        f"I could not reach the {r['object']} within {r['steps']} steps; the closest I got was {r['distance']} pixels."
    ),
    "not_found": lambda r: f"I looked for the {r['object']} for {r['steps']} steps but did not see it.",
    "explored": lambda r: (
        f"I explored for {r['steps']} steps and I am in the {r['room']} room, seeing {_join(r['seeing'])}."
    ),
    "last_seen": lambda r: (
        f"I last saw the {r['object']}"
        + (f" in the {r['room']} room" if r.get("room") else "")
        + f" at step {r['step']}, "
        f"near ({r['position'][0]}, {r['position'][1]})"
        + (f"; I was {r['sure']}% sure it was in view." if r.get("sure") is not None else ".")
    ),
    "named": lambda r: f"I will remember this place as the {r['name']}.",
    "never_seen": lambda r: f"I have not seen the {r['object']} yet.",
    "surprises": lambda r: (
        "The most surprising moments: "
        + "; ".join(
            f"step {m['step']} ({m['caption']}, surprise {m['surprise']}"
            + (f", after: {', '.join(m['events'])})" if m.get("events") else ")")
            for m in r["moments"]
        )
        + "."
        if r["moments"]
        else "Nothing has surprised me yet."
    ),
    "recent": lambda r: (
        "Recently: " + "; ".join(f"step {m['step']}: {m['caption']}" for m in r["moments"]) + "."
        if r["moments"]
        else "I have no memories yet."
    ),
    "why": lambda r: (
        f"I was planning to reach the point {r['plan']['goal']}, choosing the actions whose imagined "
        "future got closest to it."
        if r.get("plan")
        else "I have not planned anything yet."
    ),
    "surprise": lambda r: (
        f"That was surprising: at step {r['step']} my predictions were off by {r['surprise']} times my usual "
        f"error, above my threshold of {r['threshold']}" + (f" ({', '.join(r['events'])})." if r.get("events") else ".")
    ),
    "event_unnoticed": lambda r: f"The {r['event']} of the {r['object']} did not surprise me.",
    "event_too_early": lambda r: (
        f"I had not watched long enough to expect anything, so the {r['event']} of the {r['object']} "
        "could not surprise me."
    ),
    "moved": lambda r: (
        f"I moved for {r['steps']} steps" + (f" and I am in the {r['room']} room." if r.get("room") else ".")
    ),
    "confirm": lambda r: (
        f"Delete all memories of namespace {r['namespace']!r} ({_memories(r['count'])}), with its episodes "
        "and chat history? Type yes to delete them; anything else cancels."
    ),
    "cancelled": lambda r: (
        f"Forgetting cancelled: nothing was deleted; namespace {r['namespace']!r} keeps its {_memories(r['count'])}."
    ),
    "forgotten": lambda r: f"I forgot {_memories(r['count'])}.",
    "clarify": lambda r: r["message"],
    "reject": lambda r: r["message"],
    "stopped": lambda r: "I stopped.",
    "waited": lambda r: f"I watched for {r['steps']} steps; nothing surprised me.",
    "status": lambda r: f"I am in the {r['room']} room at step {r['step']}, next to {_join(r['near'])}.",
    "help": lambda r: (
        f"I can go to {_join(r['objects'])}, explore, wait and watch, and tell you what I saw or what surprised me."
    ),
    "cannot_move": lambda r: f"In the {r['world']} world I can only watch; ask me to wait, as in 'wait 20 steps'.",
}

# Record kinds always said in their template's words (see the module docstring).
FIXED_WORDING = frozenset(["confirm", "cancelled", "forgotten"])

# Words that name what happened; any inflection counts ("vanished", "disappearance").
EVENT_STEMS = ("vanish", "disappear", "teleport", "jump", "revers", "pass", "colour", "color")


def facts_in(sentence: str) -> set[str]:
    """Checkable facts in a sentence: numbers, colours, object kinds, rooms and kinds of event."""
    facts = set()
    for token in re.findall(r"[a-z]+|\d+", sentence.lower()):
        if token.isdigit() or token in COLOURS or token in THINGS or token in ("left", "right"):
            facts.add(token)
        else:
            facts.update(stem for stem in EVENT_STEMS if token.startswith(stem))
    return facts


def faithful(candidate: str, sentence: str, record: dict[str, Any]) -> bool:
    """A rephrasing may add no fact, drop no fact of the template, and must be a finished sentence."""
    return (
        candidate.endswith((".", "!", "?"))
        and facts_in(candidate) <= facts_in(sentence) | facts_in(str(record))
        and facts_in(sentence) <= facts_in(candidate)
    )


def template_sentence(record: dict[str, Any]) -> str:
    kind = record.get("kind", "")
    if kind not in TEMPLATES:
        raise ValueError(f"no sentence template for record kind {kind!r}")
    return TEMPLATES[kind](record)


class Verbalizer:
    """Say a record. With a chat model, it rephrases (except FIXED_WORDING); the fact check guards
    every rephrasing."""

    def __init__(self, chat_model: BaseChatModel | None = None) -> None:
        self.chat_model = chat_model

    def say(self, record: dict[str, Any], on_token: Callable[[str], None] | None = None) -> str:
        sentence = template_sentence(record)
        if self.chat_model is not None and record.get("kind") not in FIXED_WORDING:
            messages = [
                SystemMessage(
                    "Rephrase the sentence naturally in at most two sentences. Keep every "
                    "number, colour, object and room exactly; add nothing."
                ),
                HumanMessage(f"Sentence: {sentence}"),
            ]
            candidate = str(self.chat_model.invoke(messages, max_tokens=60).content).strip()
            if faithful(candidate, sentence, record):
                sentence = candidate
        if on_token:
            for word in sentence.split(" "):
                on_token(word + " ")
        return sentence
