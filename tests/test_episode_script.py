"""Episode scripts: the schema accepts what the docs show and names file, line and reason otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_core.episode_script import ScriptError, load_script, parse_script

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_script_is_valid(path):
    script = load_script(path)
    assert script.steps and script.world in {"tworooms", "bounce"}


def test_steps_keep_their_kind_and_expectations():
    script = parse_script(
        "world: tworooms\nseed: 4\nsteps:\n"
        "  - say: go to the red ball\n    expect: {reached: true, mentions: red ball}\n"
        "  - action: [1, 0]\n    repeat: 3\n"
        "  - inject: vanish\n    target: blue box\n"
    )
    assert [s.kind for s in script.steps] == ["say", "action", "inject"]
    assert script.steps[0].expect.mentions == ["red ball"]
    assert script.steps[1].repeat == 3 and script.steps[2].target == "blue box"


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("steps: []\n", 1, "at least 1"),
        ("seed: 1\nsteps:\n  - say: hi\n  - wait: 0\n", 4, "greater than or equal to 1"),
        ("steps:\n  - say: a\n    ask: b\n", 2, "exactly one of"),
        ("steps:\n  - say: a\n    expect:\n      reachd: true\n", 4, "Extra inputs"),
        ("steps:\n  - wait: 2\n    target: red ball\n", 2, "only goes with `inject`"),
        ("steps: [\n", 2, "invalid YAML"),
        ("- just a list\n", 1, "mapping"),
    ],
)
def test_invalid_scripts_name_line_and_reason(text, line, reason):
    with pytest.raises(ScriptError) as info:
        parse_script(text, "demo.yaml")
    message = str(info.value)
    assert message.startswith(f"demo.yaml:{line}:"), message
    assert reason in message


def test_missing_file_is_a_script_error(tmp_path):
    with pytest.raises(ScriptError, match="cannot read"):
        load_script(tmp_path / "nope.yaml")
