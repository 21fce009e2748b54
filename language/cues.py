"""Words in a request that narrow the intent shapes the decoding grammar offers.

A 0.5B model confuses neighbouring intents (a strange event read as "what happened", a request
to recall read as "forget", a question about its memory read as off-topic) and drops objects from
multi-step commands. These cues come from the user's words only, like grounding: they never pick
an intent, they take away shapes that a word present rules out, and the model chooses among the
rest. The absence of a word takes nothing away: people ask in words no list foresees ("did
something catch you off guard?" is about surprise), and a held-out check showed that rules keyed
on a missing word lose such requests.

- Every named object is a target unless the request excludes one ("not the key", "skip the
  ring"), and a sequence is visited in the order it is told unless a word reorders it ("before",
  "first").
- A question word narrows the question kind: "where", "when", "why", or a word of surprise
  (recognised through a one-letter typo); without one, every question kind stays open.
- Forgetting deletes every memory, so it is the one shape that needs a word present, an exception
  to the rule above: it is offered only when a verb of deletion ("forget", "erase", "wipe",
  "clear", ...) is present, not negated ("don't forget the key"), no object is named (forgetting
  takes none: "forget the ball, go to the key" is not about memory) and the request is not a
  question or a request to be shown something ("what's in your memory?", "what did you forget?",
  "remind me where the ring was", "show me your memories"): a question erases nothing. Missing a
  request to forget costs a rephrasing; taking a question for one costs the memories.
- A request with a word of moving ("wander", "go", "search") is not taken as waiting where it is.
- A request that names an object of this world, or speaks of the robot's memory, of moving it or
  of stopping it, is about this world: it is not offered as off-topic. Words of surprise do not count here:
  "what is a strange attractor?" is still off-topic.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from language.lexicon import (
    ASKING,
    DELETING,
    EXCLUDING,
    FILLERS,
    MOVING,
    QUESTION_WORDS,
    REMEMBERING,
    REORDERING,
    STOPPING,
    SURPRISING,
    words,
)

OPEN_QUESTIONS = ("where", "when", "what_seen", "what_happened", "surprise", "why")


@dataclass(frozen=True)
class Cues:
    cover_all: bool  # no object is excluded: targets include every named object
    told_order: bool  # no word reorders the named objects: they are visited in the order told
    on_topic: bool  # "unknown" (off-topic) is not offered
    deletes: bool  # the words ask to delete memories: "forget" is offered only then
    moves: bool  # a word of moving is present: "wait" (letting time pass where it is) is not offered
    questions: tuple[str, ...]  # the question kinds offered


def read_cues(text: str, named: list[str]) -> Cues:
    tokens = words(text)
    asked = {QUESTION_WORDS[t] for t in tokens if t in QUESTION_WORDS}
    surprise = any(_says(t, SURPRISING) for t in tokens)
    moves = bool(MOVING.intersection(tokens))
    excludes = bool(EXCLUDING.intersection(tokens))
    opening = [t for t in tokens if t not in FILLERS][:1]
    questioning = bool(asked) or bool(ASKING.intersection(opening))
    on_topic = bool(named) or moves or any(t.startswith(REMEMBERING) or t in STOPPING for t in tokens)
    return Cues(
        cover_all=not excludes,
        told_order=not REORDERING.intersection(tokens),
        on_topic=on_topic,
        deletes=any(_says(t, DELETING) for t in tokens) and not (excludes or named or questioning),
        moves=moves,
        questions=tuple(sorted(asked | ({"surprise"} if surprise else set()))) or OPEN_QUESTIONS,
    )


def in_told_order(targets: list[str], named: list[str], cues: Cues) -> list[str]:
    """`targets` in the order the request names them, when they are the named objects once each
    and no word reorders them; otherwise as the model gave them."""
    if cues.told_order and len(set(targets)) == len(targets) and set(targets) == set(named):
        return list(named)
    return targets


def steps_told(text: str) -> int | None:
    """The first whole number in the request ("wait 20 steps", "watch for 5 more"), if any: how
    long to wait comes from the user's words, never from the model."""
    numbers = [int(token) for token in re.findall(r"\d+", text) if int(token) > 0]
    return numbers[0] if numbers else None


def _says(token: str, stems: tuple[str, ...]) -> bool:
    """The token starts with one of `stems`, give or take a one-letter slip ("suprised");
    short stems allow none, as one letter changes a short word into another."""
    return any(
        token.startswith(stem) or difflib.SequenceMatcher(None, token[: len(stem)], stem).ratio() >= 0.85
        for stem in stems
    )
