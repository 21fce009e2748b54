"""Requests the translator must refuse before any model sees them.

A small model follows whatever instructions its input holds, and it happily maps a French
sentence onto English object names. Both checks are plain code so that no model output can
talk its way past them: text that tries to rewrite the translator's instructions, and text
that is not English (the prompt and the grounding only know English words).
"""

from __future__ import annotations

import re

from language.intents import Understanding

INJECTION = re.compile(
    r"\b(ignore|disregard|forget|override|bypass)\b[^.!?]{0,30}\b(instructions?|rules|prompt|above|guidelines)\b"
    r"|\bsystem\s*(prompt|:)"
    r"|\byou are now\b"
    r"|\bpretend (to be|you)\b"
    r"|\bnew instructions\b"
    r"|\bjailbreak|\bdeveloper mode\b",
    re.IGNORECASE,
)

# Frequent function words of other languages that are not English words.
FOREIGN = frozenset(
    [
        "le",
        "la",
        "les",
        "des",
        "du",
        "une",
        "est",
        "où",
        "vers",
        "aller",
        "allez",
        "va",
        "vas",
        "je",
        "tu",
        "il",
        "nous",
        "vous",
        "et",
        "pas",
        "avec",
        "dans",
        "pour",
        "der",
        "die",
        "das",
        "den",
        "dem",
        "des",
        "zum",
        "zur",
        "ist",
        "und",
        "nicht",
        "wo",
        "wie",
        "ich",
        "du",
        "bitte",
        "geh",
        "gehe",
        "ein",
        "eine",
        "mit",
        "el",
        "los",
        "las",
        "por",
        "qué",
        "que",
        "dónde",
        "donde",
        "una",
        "ve",
        "vete",
        "ir",
        "es",
        "y",
        "con",
        "para",
        "il",
        "della",
        "alla",
        "vai",
        "dove",
        "è",
        "sono",
        "che",
        "até",
        "onde",
        "vá",
        "você",
        "uma",
    ]
)
ENGLISH = frozenset(
    [
        "the",
        "a",
        "an",
        "to",
        "go",
        "where",
        "what",
        "why",
        "when",
        "is",
        "are",
        "was",
        "did",
        "you",
        "your",
        "me",
        "please",
        "then",
        "and",
        "of",
        "at",
        "in",
        "on",
        "it",
        "i",
        "my",
        "this",
        "that",
        "there",
        "here",
        "with",
        "for",
        "do",
        "have",
        "has",
    ]
)


def _tokens(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def not_english(text: str) -> bool:
    """More foreign function words than English ones, or letters outside the Latin alphabet."""
    tokens = _tokens(text)
    if any(not ch.isascii() and ch.isalpha() and not _latin(ch) for ch in text):
        return True
    foreign = sum(t in FOREIGN for t in tokens)
    english = sum(t in ENGLISH for t in tokens)
    return foreign > english


def _latin(ch: str) -> bool:
    return "\u00c0" <= ch <= "\u024f"


def screen(text: str) -> Understanding | None:
    """A refusal for text that must not reach the model, else None."""
    if INJECTION.search(text):
        return Understanding(
            status="reject",
            message="I only translate requests about this world; I cannot change my instructions.",
            reason="injection",
        )
    if not_english(text):
        return Understanding(status="reject", message="I only understand English, sorry.", reason="other_language")
    return None
