"""Counts without bounds and scripts that fail late: refused before anything runs or is stored."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_core.episode_script import ScriptError, parse_script
from agent_core.limits import MAX_SCRIPT_BYTES
from tests.conftest import assert_usage_error

GOOD_STEP = "  - wait: 2\n"


def stored_namespaces(tmp_path) -> list[str]:
    database = tmp_path / "home" / "memory.sqlite"
    if not database.exists():
        return []
    with sqlite3.connect(database) as connection:
        return [name for (name,) in connection.execute("SELECT name FROM namespaces")]


def replay(cli_run, tmp_path, text: str | bytes, *options: str):
    script = tmp_path / "script.yaml"
    script.write_bytes(text if isinstance(text, bytes) else text.encode())
    return cli_run("replay", script, "--llm", "keyword-test-double", "--report", tmp_path / "report", *options)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("steps:\n  - wait: 999999999\n", "less than or equal to 10000"),
        ("steps:\n  - action: [1, 0]\n    repeat: 1.0e+23\n", "steps.0.repeat"),
        ("steps:\n  - action: [1, 0]\n    repeat: 10001\n", "less than or equal to 10000"),
        ("seed: 9223372036854775808\nsteps:\n" + GOOD_STEP, "less than or equal to 9223372036854775807"),
        ("namespace: ''\nsteps:\n" + GOOD_STEP, "namespace"),
        ("steps:\n" + GOOD_STEP * 2001, "at most 2000"),
        ("steps:\n" + GOOD_STEP + "  - inject: levitate\n", "unknown event 'levitate'"),
        ("world: bounce\nsteps:\n" + GOOD_STEP + "  - inject: agent_teleport\n", "cannot inject 'agent_teleport'"),
        ("steps:\n" + GOOD_STEP + "  - inject: vanish\n    target: purple whale\n", "no 'purple whale'"),
        ("steps:\n" + GOOD_STEP + "  - action: [1, 0, 0]\n", "2 finite numbers"),
    ],
)
def test_a_script_is_refused_before_the_agent_opens(cli_run, tmp_path, body, reason):
    line = assert_usage_error(replay(cli_run, tmp_path, body))
    assert reason in line
    assert stored_namespaces(tmp_path) == []


@pytest.mark.parametrize(
    "data",
    [
        ("steps:\n" + GOOD_STEP).encode("utf-16"),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"steps:\n  - wait: 2\x00\n",
        b"# padding\n" * (MAX_SCRIPT_BYTES // 10 + 1) + b"steps:\n  - wait: 2\n",
    ],
    ids=["utf-16", "binary", "nul", "too-large"],
)
def test_a_script_that_is_not_small_utf8_text_is_refused(cli_run, tmp_path, data):
    line = assert_usage_error(replay(cli_run, tmp_path, data))
    assert "script.yaml" in line
    assert stored_namespaces(tmp_path) == []


@pytest.mark.parametrize("make_bad", ["file", "folder-named-like-the-report"])
def test_an_unusable_report_path_is_refused_before_the_episode_runs(cli_run, tmp_path, make_bad):
    report = tmp_path / "report"
    if make_bad == "file":
        report.write_text("not a folder")
    else:
        (report / "report.md").mkdir(parents=True)
    line = assert_usage_error(replay(cli_run, tmp_path, "steps:\n" + GOOD_STEP))
    assert "cannot write the report" in line
    assert stored_namespaces(tmp_path) == []


@pytest.mark.parametrize("command", ["ask", "chat"])
def test_a_seed_beyond_64_bits_leaves_no_namespace(cli_run, tmp_path, command):
    args = ["where is the red ball?"] if command == "ask" else []
    line = assert_usage_error(cli_run(command, *args, "--seed", str(2**63), "--llm", "keyword-test-double", "-n", "x"))
    assert "--seed" in line
    assert stored_namespaces(tmp_path) == []


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "--horizon", "100000", "--samples", "100000"],
        ["bench", "plan", "--samples", "100000"],
        ["--threads", "1000", "worlds"],
        ["collect", "--out", "data", "--episodes", "10000000"],
        ["memory", "stats", "-n", "n" * 201],
        ["memory", "stats", "-n", "   "],
    ],
)
def test_counts_and_names_beyond_their_bounds_are_one_line(cli_run, args):
    assert "Invalid value" in assert_usage_error(cli_run(*args))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_the_script_parser_accepts_or_refuses_but_never_crashes(text):
    try:
        parse_script(text, "fuzz.yaml")
    except ScriptError as exc:
        assert str(exc).startswith("fuzz.yaml")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["action", "repeat", "say", "ask", "inject", "target", "wait", "expect", "other"]),
            st.one_of(st.integers(), st.floats(), st.text(max_size=10), st.lists(st.floats(), max_size=3), st.none()),
            max_size=3,
        ),
        max_size=4,
    )
)
def test_script_steps_of_any_shape_are_accepted_or_refused_with_a_line_number(steps):
    import yaml

    try:
        parse_script(yaml.safe_dump({"steps": steps}), "fuzz.yaml")
    except ScriptError as exc:
        assert str(exc).startswith("fuzz.yaml:")
