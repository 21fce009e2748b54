"""Checking an intent against the user's own words and the world's vocabulary.

An LLM can hallucinate: every object in the intent must be named (or unambiguously
described by its colour or its kind) in the text, and must exist in the world. Objects the
user names that the world does not have turn into a clarifying question.
"""

from __future__ import annotations

from language.intents import Intent, Understanding
from language.lexicon import COLOURS, THINGS, words


def mentioned(name: str, text: str) -> bool:
    """The object is named in the text by its colour or its kind (a plural counts too).

    Misspellings are not guessed at: 'come' is one letter away from 'cone' and 'sing' from
    'ring', so a typo tolerance invents objects. One correctly spelt word ("the gren key")
    is enough; an object misspelt in both words gets a clarifying question instead.
    """
    tokens = words(text)
    return any(names_token(part, token) for part in name.split() for token in tokens)


def names_token(part: str, token: str) -> bool:
    """`token` is `part` of an object's name ("red", "ball"), or its plural."""
    return token in (part, part + "s", part + "es")


def named_objects(text: str, vocabulary: list[str]) -> list[str]:
    """The world's objects the text names (by colour or kind), in the order it first names them."""
    tokens = words(text)
    first = {}
    for name in vocabulary:
        hits = [i for i, token in enumerate(tokens) if any(names_token(part, token) for part in name.split())]
        if hits:
            first[name] = hits[0]
    return sorted(first, key=first.__getitem__)


def unknown_objects(text: str, vocabulary: list[str]) -> list[str]:
    """Colour+thing phrases in the text that name nothing in this world ("the purple elephant")."""
    tokens = words(text)
    known_parts = {part for name in vocabulary for part in name.split()}
    found = []
    for i, token in enumerate(tokens):
        if token in THINGS and token not in known_parts:
            colour = tokens[i - 1] if i and tokens[i - 1] in COLOURS else ""
            found.append(f"{colour} {token}".strip())
        elif token in THINGS and i and tokens[i - 1] in COLOURS:
            phrase = f"{tokens[i - 1]} {token}"
            if phrase not in vocabulary:
                found.append(phrase)
    return found


def ground(intent: Intent, text: str, vocabulary: list[str]) -> Understanding:
    """Accept the intent only if its objects exist and are grounded in the text."""
    missing = unknown_objects(text, vocabulary)
    if missing and intent.kind in ("go", "question"):
        options = ", ".join(vocabulary)
        return Understanding(
            status="clarify", message=f"I don't know any {missing[0]}; I can see {options}.", reason="unknown_object"
        )
    for target in intent.targets:
        if target not in vocabulary:
            return Understanding(
                status="clarify",
                message=f"There is no {target} here; I know {', '.join(vocabulary)}.",
                reason="unknown_object",
            )
        if not mentioned(target, text):
            return Understanding(
                status="reject", message=f"I could not tell which object you meant by {text!r}.", reason="ungrounded"
            )
    if intent.kind == "go" and not intent.targets:
        return Understanding(
            status="clarify", message=f"Where should I go? I know {', '.join(vocabulary)}.", reason="no_destination"
        )
    if intent.kind == "unknown":
        return Understanding(
            status="reject",
            message="I can move to objects, explore, and answer questions about what I saw.",
            reason="out_of_scope",
        )
    return Understanding(status="ok", intent=intent)
