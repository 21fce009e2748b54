"""Words in a request that narrow the intent shapes the decoding grammar offers.

A 0.5B model confuses neighbouring intents (a strange event read as "what happened", a request
to recall read as "forget", a question about its memory read as off-topic) and drops objects from
multi-step commands. These cues come from the user's words only, like grounding: they never pick
an intent, they take away shapes that a word present rules out, and the model chooses among the
rest. The absence of a word takes nothing away: people ask in words no list foresees ("did
something catch you off guard?" is about surprise), and a held-out check showed that rules keyed
on a missing word lose such requests.

- An object the request forbids ("don't go to the ball", "avoid the key", "not the box, the
  ring", "neither the cone nor the star") is never offered as a place to go, and the parser drops
  it from whatever a model answers. A request that only forbids (nothing is left to go to and no
  other verb is left unnegated) is answered with a clarifying question before any model is asked:
  a prohibition is not a goal the agent can pursue. Every other named object is a target.
- A sequence is visited in the order it is told, unless an order word says otherwise: "before X"
  puts X later, "after X" and "once X" put X earlier ("after that" and "before that" point back
  at the clause before them), "first"/"start with" put the nearest object first and
  "finally"/"last"/"end at" last. The order is read in code, not left to the model.
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

from language.grounding import names_token
from language.lexicon import (
    ACTING,
    AFTER,
    ASKING,
    BEFORE,
    CLAUSE_BREAKS,
    DELETING,
    EXCLUDING,
    FILLERS,
    FIRST,
    FORBIDDING,
    LAST,
    MOVING,
    POINTING_BACK,
    QUESTION_WORDS,
    REMEMBERING,
    STOPPING,
    SURPRISING,
    words,
)

OPEN_QUESTIONS = ("where", "when", "what_seen", "what_happened", "surprise", "why")


@dataclass(frozen=True)
class Cues:
    cover_all: bool  # every named object that is not forbidden is a target
    on_topic: bool  # "unknown" (off-topic) is not offered
    deletes: bool  # the words ask to delete memories: "forget" is offered only then
    moves: bool  # a word of moving is present: "wait" (letting time pass where it is) is not offered
    questions: tuple[str, ...]  # the question kinds offered
    forbidden: tuple[str, ...] = ()  # named objects the request forbids going to
    only_forbids: bool = False  # the request forbids and asks for nothing else
    order: tuple[str, ...] = ()  # the named objects in the order the words say to visit them


PUNCTUATION = frozenset(",;:.!?")
POSTPOSED = (("off", "limits"), ("out", "of", "bounds"), ("forbidden",), ("banned",))
ALL_BUT = frozenset(["anything", "anywhere", "everything", "everywhere", "all"])


def read_cues(text: str, named: list[str]) -> Cues:
    tokens = words(text)
    asked = {QUESTION_WORDS[t] for t in tokens if t in QUESTION_WORDS}
    surprise = any(_says(t, SURPRISING) for t in tokens)
    moves = bool(MOVING.intersection(tokens))
    excludes = bool(EXCLUDING.intersection(tokens))
    opening = [t for t in tokens if t not in FILLERS][:2]
    # "do not go there" is an order, not a question
    questioning = bool(asked) or (bool(ASKING.intersection(opening[:1])) and opening != ["do", "not"])
    on_topic = bool(named) or moves or any(t.startswith(REMEMBERING) or t in STOPPING for t in tokens)
    marked = _tokens(text)
    mentions = [[n for n in named if any(names_token(part, t) for part in n.split())] for t in marked]
    forbidden, negated_verb, free_verb = _prohibitions(marked, mentions)
    allowed = [n for n in named if n not in forbidden]
    only_forbids = bool(forbidden or negated_verb) and not (allowed or free_verb or questioning)
    return Cues(
        cover_all=not excludes or bool(forbidden),
        on_topic=on_topic,
        deletes=any(_says(t, DELETING) for t in tokens) and not (excludes or named or questioning),
        moves=moves,
        questions=tuple(sorted(asked | ({"surprise"} if surprise else set()))) or OPEN_QUESTIONS,
        forbidden=tuple(n for n in named if n in forbidden),
        only_forbids=only_forbids,
        order=tuple(_sequence(marked, mentions, named)),
    )


def in_order(targets: list[str], cues: Cues) -> list[str]:
    """`targets` in the order the words say (see `Cues.order`), when each is a named object once;
    otherwise (an object repeated: "ball, box, ball") as the model gave them."""
    if len(set(targets)) == len(targets) and set(targets) <= set(cues.order):
        return sorted(targets, key=cues.order.index)
    return targets


def _tokens(text: str) -> list[str]:
    """Words and clause punctuation, lower-cased."""
    return re.findall(r"[a-z]+|[,;:.!?]", text.lower())


def _prohibitions(tokens: list[str], mentions: list[list[str]]) -> tuple[set[str], bool, bool]:
    """The objects forbidden, whether a verb of acting is negated ("don't erase anything") and
    whether one is left free of any prohibition ("don't go to the ball, explore")."""
    forbidden: set[str] = set()
    negated = [False] * len(tokens)
    for i, token in enumerate(tokens):
        after = tokens[i + 1 : i + 3]
        if not _forbids(token, tokens[i - 1] if i else "", after):
            continue
        negated[i] = True
        if i and tokens[i - 1] in ("stay", "keep", "steer"):
            negated[i - 1] = True
        seen = False
        for j in range(i + 1, len(tokens)):
            t = tokens[j]
            opens = t in ACTING and (seen or token == "no" or tokens[j - 1] in ("and", "or"))
            if t in PUNCTUATION or t in CLAUSE_BREAKS or opens:  # "no rules and go to the ball"
                break
            negated[j] = True
            if mentions[j]:
                forbidden.update(mentions[j])
                seen = True
    for i in range(len(tokens)):
        for phrase in POSTPOSED:
            if tuple(tokens[i : i + len(phrase)]) == phrase:
                j = i - 1
                while j >= 0 and tokens[j] not in PUNCTUATION and tokens[j] not in CLAUSE_BREAKS:
                    forbidden.update(mentions[j])
                    negated[j] = True
                    j -= 1
    negated_verb = any(n and t in ACTING for t, n in zip(tokens, negated, strict=True))
    free_verb = any(not n and (t in ACTING or t in STOPPING) for t, n in zip(tokens, negated, strict=True))
    return forbidden, negated_verb, free_verb


def _forbids(token: str, before: str, after: list[str]) -> bool:
    """`token` opens a prohibition, given the word before it and the two after it."""
    if token == "instead":
        return after[:1] == ["of"]
    if token == "rather":
        return after[:1] == ["than"]
    if token == "away":
        return after[:1] == ["from"]
    if token == "but":
        return before in ALL_BUT
    if token == "forget":  # "forget the ball, go to the key"; "don't forget the key" forbids nothing
        return before not in FORBIDDING and before != "t"
    if "forget" in [t for t in after if t != "t"][:1]:  # "don't forget", "never forget": a double negative
        return False
    return token in FORBIDDING


def _sequence(tokens: list[str], mentions: list[list[str]], named: list[str]) -> list[str]:
    """The named objects in visiting order: told order, moved by order words (see the module's
    docstring). Each object is placed by its first mention."""
    clause = _clauses(tokens)
    first: dict[str, int] = {}
    for i, found in enumerate(mentions):
        for name in found:
            first.setdefault(name, i)
    group = dict.fromkeys(first, 0)
    for i, token in enumerate(tokens):
        if token in BEFORE or token in AFTER:
            if token in ("prior", "earlier", "ahead") and tokens[i + 1 : i + 2] not in (["to"], ["than"], ["of"]):
                continue
            rest = [t for t in tokens[i + 1 : i + 4] if t not in ("to", "than", "of", "all")]
            if rest[:1] and rest[0] in POINTING_BACK:
                if token in BEFORE:  # "..., but visit the box before that": this clause goes first
                    here = [n for n, at in first.items() if clause[at] == clause[i]]
                    for name in here or [n for n, at in first.items() if clause[at] == clause[i] + 1]:
                        group[name] = min(group[name], -1)
                continue
            for name in _scope(tokens, mentions, i):
                group[name] = 1 if token in BEFORE else -1
        elif token in FIRST or token in LAST:
            if token in ("start", "begin", "end", "finish", "starting", "beginning", "ending", "finishing") and tokens[
                i + 1 : i + 2
            ] not in (["with"], ["at"], ["by"], ["off"]):
                continue
            # "the ball first", "first the ball"; "start with", "finally" and the like look ahead only
            both_ways = token in ("first", "last")
            near = [
                (abs(j - i), j < i, n)
                for j, found in enumerate(mentions)
                for n in found
                if clause[j] == clause[i] and (both_ways or j > i)
            ]
            if near:
                name = min(near)[2]
                group[name] = -2 if token in FIRST else 2
    return sorted((n for n in named if n in first), key=lambda n: (group[n], first[n]))


def _scope(tokens: list[str], mentions: list[list[str]], at: int) -> list[str]:
    """The objects an order word governs: those after it up to the end of its clause, or up to a
    verb of acting that follows an object ("after the cone go to the ball")."""
    found: list[str] = []
    for j in range(at + 1, len(tokens)):
        t = tokens[j]
        if t in PUNCTUATION or t in ("then", "but") or (found and t in ACTING):
            break
        found.extend(n for n in mentions[j] if n not in found)
    return found


def _clauses(tokens: list[str]) -> list[int]:
    """Each token's clause number: clauses end at punctuation, "then", "but" and "and" before an
    order word."""
    number, result = 0, []
    for i, t in enumerate(tokens):
        if (
            t in PUNCTUATION
            or t in ("then", "but")
            or (
                t == "and" and tokens[i + 1 : i + 2] in (["finally"], ["lastly"], ["after"], ["afterwards"], ["before"])
            )
        ):
            number += 1
        result.append(number)
    return result


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
