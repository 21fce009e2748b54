"""docs/cli.md is the CLI's own --help, rendered; a stale copy fails here."""

from __future__ import annotations

from pathlib import Path

from cli.app import app
from cli.reference import render_reference

REFERENCE = Path(__file__).parents[1] / "docs" / "cli.md"


def test_cli_reference_is_current():
    assert REFERENCE.read_text() == render_reference(app), "docs/cli.md is stale: python -m cli.reference > docs/cli.md"


def test_reference_lists_every_command_with_its_options():
    text = render_reference(app)
    for heading in ("`worldmind chat`", "`worldmind memory import`", "`worldmind bench plan`"):
        assert heading in text
    assert "| `-n, --namespace <str>` |" in text
