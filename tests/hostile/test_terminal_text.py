"""Stored and typed text reaches the terminal as text: no escape sequence, no rich markup."""

from __future__ import annotations

import io

import numpy as np
import pytest
from rich.console import Console

from tests.conftest import assert_usage_error
from tests.hostile.archives import chat_row, episode_row, memory_row, write_archive

HOSTILE = [
    "\x1b]0;pwned\x07 retitled the terminal",
    "\x1b[2J\x1b[H cleared the screen",
    "a closing tag [/oops] crashes rich",
    "[bold red]fake markup[/] and :cat:",
    # The last one reads as a perceived caption, so `ask` cites it (and must show it as text).
    "in the left room at (12.0, 40.0); seeing red ball at (20.0, 30.0); \x9b31m a one-byte CSI, \u202ereversed\u202c,"
    " a bell\x07 and [/oops] again",
]
RAW = ("\x1b", "\x9b", "\u202e", "\x07")


def assert_inert(result):
    """Exit 0, nothing raw reached the terminal, and the hostile captions are there as text."""
    assert result.exit_code == 0, result.output
    for raw in RAW:
        assert raw not in result.output
    return result.stdout


def hostile_archive(path, dim=3, latents=None, latent_space=None, facts=None):
    memories = [
        memory_row(step % 10, caption=caption, facts=facts or {"room": "left", "note": caption}, seen=["red ball"])
        for step, caption in enumerate(HOSTILE)
    ]
    memories[-1]["seen"] = ["red ball", "\x1b[31mred\x1b[0m box [/x]"]
    chat = [chat_row(text=caption, timestamp=f"2026-01-01T00:0{i}:00+00:00") for i, caption in enumerate(HOSTILE)]
    return write_archive(
        path,
        episodes=[episode_row(seed=0)],
        memories=memories,
        chat=chat,
        dim=dim,
        latents=np.zeros((len(memories), dim), np.float32) if latents is None else latents,
        latent_space=latent_space,
    )


@pytest.fixture
def imported(cli_run, tmp_path):
    url = f"sqlite:///{tmp_path / 'memory.sqlite'}"
    archive = hostile_archive(tmp_path / "hostile.zip", latent_space="\x1b[2Jspace [/x]")
    assert cli_run("memory", "import", archive, "--db", url, "-n", "robot").exit_code == 0
    return url


def test_memory_list_show_search_and_stats_print_captions_as_text(cli_run, imported):
    assert_inert(cli_run("memory", "list", "--db", imported, "-n", "robot"))  # a table: captions folded
    shown = "".join(
        assert_inert(cli_run("memory", "show", memory_id, "--db", imported, "-n", "robot"))
        for memory_id in range(1, len(HOSTILE) + 1)
    )
    assert "\\x1b]0;pwned\\x07" in shown and "[/oops]" in shown and "[bold red]fake markup[/]" in shown
    assert ":cat:" in shown and "\\u202ereversed" in shown and "\\x1b[31mred" in shown
    assert_inert(cli_run("memory", "search", "markup", "--words", "--db", imported, "-n", "robot"))
    assert "\\x1b[2Jspace [/x]" in assert_inert(cli_run("memory", "stats", "--db", imported, "-n", "robot"))


def test_json_output_stays_exact(cli_run, imported):
    import json

    result = cli_run("memory", "list", "--db", imported, "-n", "robot", "--json", "--limit", "50")
    assert result.exit_code == 0
    assert sorted(m["caption"] for m in json.loads(result.stdout)) == sorted(HOSTILE)


def test_errors_naming_typed_text_stay_one_inert_line(cli_run, imported):
    line = assert_usage_error(
        cli_run("memory", "stats", "--db", imported, "-n", "\x1b[2J[/x]\nsecond line"), "no namespace"
    )
    assert "\x1b" not in line and "\\x1b[2J[/x]" in line


def test_the_chat_screen_shows_stored_text_as_text():
    from cli.chat_view import conversation_text, memory_table

    console = Console(file=io.StringIO(), width=200, force_terminal=False)
    console.print(memory_table([{"step": 1, "caption": caption, "surprise": 0.5} for caption in HOSTILE]))
    console.print(conversation_text([("user", caption) for caption in HOSTILE]))
    drawn = console.file.getvalue()
    assert not any(raw in drawn for raw in RAW)
    assert drawn.count("[/oops]") == 4 and drawn.count("\\x1b[2J") == 2


@pytest.fixture(scope="module")
def tworooms_memory(tmp_path_factory):
    """An archive of hostile memories in the shipped tworooms model's latent space (ask uses them as they are)."""
    from agent_core.assembly import load_world_model
    from agent_core.worlds import make_world

    model = load_world_model("tworooms")
    world = make_world("tworooms")
    world.reset(seed=0)
    latent = model.encode(world.render()[None]).detach().numpy()
    latents = np.repeat(latent, len(HOSTILE), axis=0)
    path = tmp_path_factory.mktemp("tworooms") / "hostile.zip"
    return hostile_archive(path, model.config.latent_dim, latents, model.latent_space, world.facts())


def test_ask_and_chat_show_stored_and_typed_text_as_text(cli_run, tmp_path, tworooms_memory):
    url = f"sqlite:///{tmp_path / 'memory.sqlite'}"
    assert cli_run("memory", "import", tworooms_memory, "--db", url, "-n", "robot").exit_code == 0
    agent = ("--db", url, "-n", "robot", "--llm", "keyword-test-double")
    answer = assert_inert(cli_run("ask", "where did you last see the red ball?", *agent))
    assert "\\x9b31m" in answer and "[/oops] again" in answer  # the memory it used is listed, as text
    assert_inert(cli_run("ask", "\x1b]0;pwned\x07 where is the red ball? [/oops]", *agent))
    lines = "where is the red ball? \x1b[2J [/oops]\n/memory\n/quit\n"
    chatted = assert_inert(cli_run("chat", "--plain", *agent, input=lines))
    assert "\\x1b[2J" in chatted
