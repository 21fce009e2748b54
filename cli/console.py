"""Where output goes: data to stdout, messages and progress to stderr."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console

out = Console(highlight=False, soft_wrap=True, emoji=False)  # emoji off: ":cat:" in a caption stays text
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)  # an error stays one line, however long


def print_json(data: Any) -> None:
    """Machine-readable output on stdout, one JSON document."""
    out.print_json(json.dumps(data, default=str), indent=2)


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts and lists as one level of dotted keys ("bounce.events.vanish.jepa.auroc")."""
    if isinstance(data, dict):
        items = list(data.items())
    elif isinstance(data, list) and any(isinstance(v, (dict, list)) for v in data):
        items = [(str(i), v) for i, v in enumerate(data)]
    else:
        return {prefix: data}
    flat: dict[str, Any] = {}
    for key, value in items:
        flat |= flatten(value, f"{prefix}.{key}" if prefix else str(key))
    return flat


def print_report(report: Any, as_json: bool) -> None:
    """A benchmark's figures: one JSON document, or a two-column table for people to read."""
    if as_json:
        print_json(report)
        return
    from rich.table import Table

    table = Table("figure", "value", box=None)
    for key, value in flatten(report).items():
        table.add_row(key, str(value))
    out.print(table)


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
