"""The Broca layer: turns words into validated intents and records into sentences. It never
decides what to do and never answers from its own knowledge."""

from language.errors import LanguageInputError
from language.intents import Intent, Understanding
from language.parser import IntentParser
from language.verbalizer import Verbalizer

__all__ = ["Intent", "IntentParser", "LanguageInputError", "Understanding", "Verbalizer"]
