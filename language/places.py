"""Naming places and going back to the start: two request shapes the intent grammar does not have.

"Remember this place as the kitchen" names the current moment; "go back to where you started"
is a trip to the episode's first moment. Recognised by these word patterns before the intent
parser runs (deterministic, like the parser's own cues); every other text goes to the parser.
"""

from __future__ import annotations

import re

START = "start"
_NAMING = re.compile(
    r"^\s*(?:please\s+)?(?:remember|call|name|mark)\s+(?:this|here|this\s+place|this\s+spot|where\s+you\s+are)"
    r"\s+(?:place\s+)?(?:as|is)?\s*(?:the\s+|a\s+|my\s+)?(?P<name>[a-z][a-z ]{0,38}[a-z])\s*[.!]?\s*$",
    re.IGNORECASE,
)
_BACK = re.compile(
    r"^\s*(?:please\s+)?(?:go|come|walk|head|return)\s+(?:back\s+)?(?:to\s+)?"
    r"(?:where\s+you\s+(?:started|began|start)|the\s+start(?:ing\s+(?:point|place))?|your\s+start)\s*[.!]?\s*$",
    re.IGNORECASE,
)


def place_request(text: str) -> tuple[str, str] | None:
    """("name", NAME) for a request to name the current place, ("go", "start") for a trip back to
    the start, else None."""
    if _BACK.match(text):
        return "go", START
    match = _NAMING.match(text)
    if match:
        return "name", " ".join(match["name"].lower().split())
    return None
