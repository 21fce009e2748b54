"""Word lists and tokenizing shared by grounding, cues and the verbalizer's fact check.

Plain data with no imports from the rest of the package, so that every module that reads the
user's words (or checks a sentence) can depend on it without depending on one another.
"""

from __future__ import annotations

import re

COLOURS = ("red", "blue", "green", "yellow", "purple", "orange", "cyan", "white", "black", "pink", "brown")
THINGS = ("ball", "box", "key", "star", "ring", "cone", "cube", "door", "elephant", "chair", "table", "car", "dog")

# Cue words (see `language.cues`).
EXCLUDING = frozenset(
    ["not", "no", "don", "dont", "never", "skip", "avoid", "except", "without", "instead", "rather", "ignore"]
)
REORDERING = frozenset(["before", "first", "earlier", "prior", "beforehand"])
SURPRISING = ("surpris", "unexpect", "weird", "strange", "odd", "unusual", "shock", "startl", "astonish", "bizarre")
REMEMBERING = ("memor", "remember", "recall", "episode")
STOPPING = frozenset(["stop", "halt", "freeze", "abort", "cancel"])
MOVING = frozenset(["go", "move", "walk", "head", "wander", "roam", "explore", "search", "travel", "visit", "find"])
QUESTION_WORDS = {"where": "where", "when": "when", "why": "why"}
# Verbs that ask for deletion: without one of them a request is never taken as forgetting.
DELETING = ("forget", "erase", "delete", "wipe", "clear", "drop", "reset", "remove", "purge", "discard")
# First words (after any FILLERS) of a question or of a request to be shown something ("what's in
# your memory?", "did you forget it?", "how do I clear it?", "show me your memories"): these ask
# about memory, they never delete it. "can/could/would you ..." open requests, so they are not here.
ASKING = frozenset(
    [
        "what",
        "which",
        "how",
        "who",
        "whose",
        "where",
        "when",
        "why",
        "did",
        "do",
        "does",
        "have",
        "has",
        "is",
        "are",
        "was",
        "were",
        "am",
        "show",
        "tell",
        "list",
        "describe",
        "remind",
    ]
)

FILLERS = frozenset(["please", "hey", "hi", "hello", "so", "ok", "okay", "now", "well", "and", "but", "um", "robot"])


def words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())
