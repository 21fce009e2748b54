"""The Broca layer: turns words into validated intents and records into sentences. It never
decides what to do and never answers from its own knowledge.

Names are imported on first use, so that importing the error class (as the CLI does at start)
does not load langchain-core.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from language.errors import LanguageInputError
    from language.intents import Intent, Understanding
    from language.parser import IntentParser
    from language.verbalizer import Verbalizer

_HOMES = {
    "Intent": "language.intents",
    "IntentParser": "language.parser",
    "LanguageInputError": "language.errors",
    "Understanding": "language.intents",
    "Verbalizer": "language.verbalizer",
}

__all__ = ["Intent", "IntentParser", "LanguageInputError", "Understanding", "Verbalizer"]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'language' has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
