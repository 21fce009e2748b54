"""Where output goes: data to stdout, messages and progress to stderr."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)  # an error stays one line, however long


def print_json(data: Any) -> None:
    """Machine-readable output on stdout, one JSON document."""
    out.print_json(json.dumps(data, default=str), indent=2)


def progress(*, transient: bool = False):
    """A rich progress bar on stderr, so stdout stays clean for data."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[status]}"),
        console=err,
        transient=transient,
    )
