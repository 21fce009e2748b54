"""Language errors the user can fix: a missing or corrupt model package, unusable text."""


class LanguageInputError(Exception):
    """Missing model package, checksum mismatch, empty or oversized text."""
