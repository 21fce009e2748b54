"""Stored or typed text shown in the terminal as text: never as escape sequences, never as markup.

Captions, chat turns, object names and namespaces come from users and from imported archives.
Printed raw, `\\x1b]0;...` retitles the terminal and `\\x1b[2J` clears it; printed through rich,
`[/oops]` is a markup error. Every such string goes through `shown` (rich markup strings) or
`printable` (rich Text objects, plain print). JSON output is exact data and needs neither.
"""

from __future__ import annotations

import re

from rich.markup import escape

# C0 controls but tab and newline, DEL, C1 controls (U+009B is a one-byte CSI), the line and
# paragraph separators, and the bidirectional overrides and isolates that reorder what is shown.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def _escaped(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


def printable(text: object) -> str:
    """The text with control characters written out as escapes (`\\x1b`, `\\u202e`), as repr does."""
    return _CONTROL.sub(_escaped, str(text))


def shown(text: object) -> str:
    """`printable(text)` with its square brackets escaped, to put inside a rich markup string."""
    return escape(printable(text))


def one_line(text: object) -> str:
    """An error or warning message as one line: its line breaks and runs of spaces become one space."""
    return " ".join(str(text).split())
