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
# Words that forbid what follows them, up to the end of their clause ("don't go to the ball",
# "avoid the key", "not the box", "neither the ball nor the key", "never mind the ring").
# "instead" and "rather" forbid only as "instead of" / "rather than"; "away" only as
# "stay/keep away from"; "but" only after "anything", "anywhere", "everything" or "all".
FORBIDDING = frozenset(
    [
        "not",
        "no",
        "don",
        "dont",
        "never",
        "neither",
        "nor",
        "avoid",
        "skip",
        "except",
        "without",
        "ignore",
        "cannot",
        "mustn",
        "shouldn",
        "won",
        "forget",
    ]
)
# Words of acting: after an object, one of them opens a new clause that a prohibition does not
# reach ("avoid the ball and go to the key").
ACTING = frozenset(
    [
        "go",
        "goes",
        "going",
        "move",
        "walk",
        "head",
        "visit",
        "reach",
        "touch",
        "get",
        "run",
        "travel",
        "find",
        "approach",
        "explore",
        "wander",
        "roam",
        "search",
        "wait",
        "watch",
        "stop",
        "come",
        "proceed",
        "continue",
        "stay",
        "pass",
        "take",
        "fetch",
        "navigate",
        "erase",
        "delete",
        "wipe",
        "clear",
        "purge",
    ]
)
# Words that end a clause as punctuation does.
CLAUSE_BREAKS = frozenset(["but", "then", "just", "only", "instead", "rather", "always", "however", "so"])
# Order words: objects after "before X" come later, after "after X"/"once X" earlier (unless
# the word points back: "after that", "before all this"); "first"/"start with" put their clause
# first, "finally"/"last"/"end with" last.
BEFORE = frozenset(["before", "prior", "earlier", "ahead"])
AFTER = frozenset(["after", "once", "following"])
POINTING_BACK = frozenset(["that", "this", "it", "which", "those", "these", "all", "everything"])
FIRST = frozenset(["first", "firstly", "start", "begin", "starting", "beginning"])
LAST = frozenset(["finally", "last", "lastly", "end", "finish", "ending", "finishing"])
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
