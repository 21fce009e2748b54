"""Shared fixtures: run the CLI in-process and capture exit code, stdout and stderr."""

from __future__ import annotations

import os

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
