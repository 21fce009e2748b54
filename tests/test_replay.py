"""`worldmind replay`: every example script passes; failures exit 1, invalid scripts exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import assert_usage_error

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.yaml"))


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_every_example_script_passes(cli_run, tmp_path, script):
    result = cli_run("replay", script, "--llm", "keyword-test-double", "--report", tmp_path / "report")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "report" / "report.md").read_text().count("PASSED") == 1
    assert (tmp_path / "report" / "surprise.png").read_bytes()[:4] == b"\x89PNG"


def test_a_failed_expectation_exits_1(cli_run, tmp_path):
    script = tmp_path / "fails.yaml"
    script.write_text("seed: 1\nsteps:\n  - ask: what did you see?\n    expect: {mentions: zebra}\n")
    result = cli_run("replay", script, "--llm", "keyword-test-double", "--report", tmp_path / "r", "--json")
    assert result.exit_code == 1
    assert '"passed": false' in result.stdout


def test_an_invalid_script_exits_2_naming_file_and_line(cli_run, tmp_path):
    script = tmp_path / "bad.yaml"
    script.write_text("steps:\n  - say: hi\n  - wait: -3\n")
    result = cli_run("replay", script, "--llm", "keyword-test-double")
    assert_usage_error(result, f"{script}:3:")
