"""`worldmind chat` driven like a person would: in a pseudo-terminal, and in line mode."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from tests.conftest import assert_usage_error

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def env(tmp_path):
    return {
        **os.environ,
        "WORLDMIND_HOME": str(tmp_path / "home"),
        "WORLDMIND_THREADS": "1",
        "TERM": "xterm-256color",
        "COLUMNS": "160",
        "LINES": "60",
    }


def spawn(env):
    child = pexpect.spawn(
        sys.executable,
        ["-m", "cli", "chat", "--llm", "keyword-test-double", "--seed", "3"],
        cwd=str(ROOT),
        env=env,
        dimensions=(60, 160),
        encoding="utf-8",
        codec_errors="replace",  # the tty echoes typed keys between the bytes of a wide character
        timeout=120,
    )
    child.expect("you>")
    return child


def test_chat_in_a_terminal_acts_remembers_and_comes_back(env):
    child = spawn(env)
    child.sendline("go to the red ball")
    child.expect("reached the red ball")
    child.expect("you>")
    child.sendline("/wait 2")  # the world moves on screen, as during a command
    child.expect("watched for 2 steps")
    child.expect("you>")
    child.sendline("/inject teleport")
    child.expect("you>")
    child.sendline("/frobnicate")
    child.expect("unknown command")
    child.sendline("/quit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    again = spawn(env)  # same identity: the conversation and the memories are still there
    again.sendline("/memory")
    again.expect("teleport of the")
    again.expect("you>")
    again.sendline("/quit")
    again.expect(pexpect.EOF)


def chat_lines(env, lines: str, *options: str) -> subprocess.CompletedProcess:
    """`worldmind chat` with the keyword test double, fed `lines` on stdin (not a terminal: line mode)."""
    return subprocess.run(
        [sys.executable, "-m", "cli", "chat", "--llm", "keyword-test-double", *options],
        cwd=ROOT,
        env=env,
        input=lines,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_line_mode_when_not_a_terminal(env):
    result = chat_lines(env, "/help\ngo to the blue box\n/world\n/quit\n", "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert "/inject EVENT" in result.stdout
    assert "agent: I reached the blue box" in result.stdout
    assert "system: true: step" in result.stdout  # /world: the truth beside what the agent perceives
    assert "perceived: left room" in result.stdout and "differs:" in result.stdout


def test_a_confirmed_forget_leaves_a_chat_that_goes_on(env):
    result = chat_lines(env, "/wait 2\nforget all your memories\nyes\n/wait 2\n/memory\n/quit\n", "--seed", "3")
    assert result.returncode == 0, result.stderr  # was: "no episode 1 in namespace 'default'", exit 2
    assert "namespace 'default'" in result.stdout and "I forgot" in result.stdout
    assert result.stdout.count("watched for 2 steps") == 2


def test_corrupt_database_is_one_line_and_exit_2(env, tmp_path):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"this is not a database" * 100)
    result = chat_lines(env, "/quit\n", "--db", f"sqlite:///{bad}")
    assert_usage_error(result)
    assert bad.read_bytes() == b"this is not a database" * 100


def test_waiting_lets_an_action_free_world_go_on(env):
    result = chat_lines(env, "/world\n/wait 3\n/world\nwait 2 steps\n/world\n/wait 0\n/quit\n", "--world", "bounce")
    assert result.returncode == 0, result.stderr
    assert "system: true: step 0: red ball at" in result.stdout and "perceived: red ball" in result.stdout
    assert "agent: I watched for 3 steps; nothing surprised me." in result.stdout
    assert "system: true: step 6: red ball at" in result.stdout  # 3 model steps of 2 frames each
    assert "agent: I watched for 2 steps; nothing surprised me." in result.stdout  # said in words
    assert "system: true: step 10: red ball at" in result.stdout
    assert "usage: /wait [N]" in result.stdout


def test_the_side_panel_shows_perception_and_world_names_where_it_is_wrong():
    from agent_core.perception_heads import ObjectPercept, Percept
    from cli.chat_view import disagreements, perceived_lines

    percept = Percept(
        agent=(30.0, 20.0),
        agent_spread=0.8,
        room="left",
        room_confidence=0.9,
        door=(32.0, 30.0),
        objects={
            "red ball": ObjectPercept(0.97, (33.0, 21.0), 0.5),
            "blue box": ObjectPercept(0.2, (5.0, 5.0), 3.0),
        },
    )
    lines = perceived_lines(percept)
    assert "left room (90%)" in lines and "red ball 97% at (33, 21)" in lines
    assert "blue box" not in lines  # below even odds: not believed in view
    truth = {"room": "right", "visible": ["blue box"], "near": []}
    assert disagreements(percept, truth) == [
        "room perceived left, truly right",
        "blue box: truly in view, not perceived",
        "red ball: perceived in view, truly not",
        "red ball: perceived next to, truly not",
    ]
    assert disagreements(percept, {"room": "left", "visible": ["red ball"], "near": ["red ball"]}) == []
