"""Shared fixtures: run the CLI in-process and capture exit code, stdout and stderr; check that
input the CLI refuses gets its answer (exit 2, one line on stderr)."""

from __future__ import annotations

import os
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

os.environ.setdefault("WORLDMIND_THREADS", "1")
torch.set_num_threads(1)  # tests share a small CPU; in-process agents do not pass through the CLI


@pytest.fixture
def cli_run(tmp_path, monkeypatch):
    """Invoke `worldmind ARGS...` in-process with an isolated data directory."""
    from cli.app import app

    monkeypatch.setenv("WORLDMIND_HOME", str(tmp_path / "home"))
    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)

    return run


def assert_usage_error(result: Any, *fragments: str) -> str:
    """The CLI refused its input: exit status 2 and one `error:` line on stderr containing each of
    `fragments`. `result` is a `cli_run` result or a finished subprocess; returns the line."""
    code = result.exit_code if hasattr(result, "exit_code") else result.returncode
    line = result.stderr.strip()
    assert code == 2, f"exit {code}, stderr: {result.stderr}"
    assert line.startswith("error:") and "\n" not in line, f"not one error line: {line!r}"
    assert "Traceback" not in result.stdout, result.stdout
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    return line
