"""Reading a structured record from a file for `worldmind verbalize`, with errors a user can act on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from language.errors import LanguageInputError
from language.verbalizer import TEMPLATES, template_sentence


def read_record(path: Path) -> dict[str, Any]:
    """A JSON object whose kind has a template and whose fields fill it; else LanguageInputError."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LanguageInputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LanguageInputError(f"{path}: cannot read it ({exc})") from None
    except json.JSONDecodeError as exc:
        raise LanguageInputError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(record, dict):
        raise LanguageInputError(f"{path}: a record is a JSON object with a 'kind'")
    kind = record.get("kind")
    if kind not in TEMPLATES:
        raise LanguageInputError(f"{path}: unknown record kind {kind!r}; known: {', '.join(TEMPLATES)}")
    try:
        template_sentence(record)
    except KeyError as exc:
        raise LanguageInputError(f"{path}: a {kind!r} record needs the field {exc}") from None
    except (IndexError, TypeError, ValueError) as exc:
        raise LanguageInputError(f"{path}: a field of this {kind!r} record has the wrong shape ({exc})") from None
    return record
