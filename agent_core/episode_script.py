"""Episode scripts: YAML files that drive the agent step by step and state expectations.

Schema (every key optional unless marked)::

    world: tworooms          # world name (default tworooms)
    seed: 3                  # world seed (default 0)
    namespace: demo          # memory namespace (default: a fresh one per replay)
    description: "..."       # shown in the report
    steps:                   # required, 1 to 2,000 of them; each step has exactly one of:
      - action: [1.0, 0.0]   #   a raw action, `repeat: N` times (default 1, at most 10,000)
      - say: "go to the red ball"          # a natural-language command
      - ask: "where is the blue box?"      # a question answered from memory
      - inject: vanish       #   an impossible event, optional `target: red ball`
      - wait: 5              #   N steps doing nothing (at most 10,000)
        expect:              # optional on any step:
          reached: true      #   the command reached its goal
          surprised: true    #   some step went above the agent's surprise threshold
          surprise_above: 0.5  # max surprise during this step is above / below a level
          surprise_below: 2.0
          mentions: [blue box]  # the reply mentions these words

A script is UTF-8 text of at most 1 MB. Errors name the file, the line and the reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from agent_core.errors import AgentInputError
from agent_core.limits import (
    MAX_NAMESPACE_LENGTH,
    MAX_SCRIPT_BYTES,
    MAX_SCRIPT_REPEAT,
    MAX_SCRIPT_STEPS,
    MAX_SCRIPT_WAIT,
    MAX_SEED,
)

STEP_KINDS = ("action", "say", "ask", "inject", "wait")


class ScriptError(AgentInputError):
    """An episode script that cannot be read or does not follow the schema."""


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reached: bool | None = None
    surprised: bool | None = None
    surprise_above: float | None = None
    surprise_below: float | None = None
    mentions: list[str] = Field(default_factory=list)

    @field_validator("mentions", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class ScriptStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: list[float] | None = None
    repeat: int = Field(1, ge=1, le=MAX_SCRIPT_REPEAT)
    say: str | None = None
    ask: str | None = None
    inject: str | None = None
    target: str | None = None
    wait: int | None = Field(None, ge=1, le=MAX_SCRIPT_WAIT)
    expect: Expect | None = None

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> ScriptStep:
        given = [kind for kind in STEP_KINDS if getattr(self, kind) is not None]
        if len(given) != 1:
            raise ValueError(f"a step needs exactly one of {', '.join(STEP_KINDS)}; got {given or 'none'}")
        if self.target is not None and self.inject is None:
            raise ValueError("`target` only goes with `inject`")
        return self

    @property
    def kind(self) -> str:
        return next(kind for kind in STEP_KINDS if getattr(self, kind) is not None)


class EpisodeScript(BaseModel):
    model_config = ConfigDict(extra="forbid")

    world: str = "tworooms"
    seed: int = Field(0, ge=0, le=MAX_SEED)
    namespace: str | None = Field(None, min_length=1, max_length=MAX_NAMESPACE_LENGTH, pattern=r"\S")
    description: str = ""
    steps: list[ScriptStep] = Field(min_length=1, max_length=MAX_SCRIPT_STEPS)


def check_against_world(script: EpisodeScript, source: str = "<script>") -> None:
    """Refuse what the script's world cannot do (an unknown world, event or object, an action of
    the wrong size) before the agent opens, so that a bad step never leaves half an episode in
    memory."""
    from agent_core.worlds import make_world, object_names
    from agent_core.worlds.events import Event

    try:
        world = make_world(script.world)
    except AgentInputError as exc:
        raise ScriptError(f"{source}: world: {exc}") from None
    world.reset(seed=script.seed)
    objects = object_names(world.facts())
    action_size = int(np.prod(world.action_space.shape or (0,)))
    supported = {event.value for event in world.supported_events}
    for index, step in enumerate(script.steps):
        where = f"{source}: steps.{index}"
        if step.action is not None and (len(step.action) != action_size or not np.all(np.isfinite(step.action))):
            raise ScriptError(f"{where}.action: {script.world} actions are {action_size} finite numbers")
        if step.inject is not None:
            try:
                event = Event.parse(step.inject).value
            except AgentInputError as exc:
                raise ScriptError(f"{where}.inject: {exc}") from None
            if event not in supported:
                raise ScriptError(f"{where}.inject: {script.world} cannot inject {event!r}")
        if step.target is not None and step.target not in objects:
            raise ScriptError(f"{where}.target: no {step.target!r} in {script.world} seed {script.seed}")


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the deepest YAML node reachable along a pydantic error location."""
    line = None if node is None else node.start_mark.line + 1
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def parse_script(text: str, source: str = "<script>") -> EpisodeScript:
    """Validate a YAML episode script; raise ScriptError naming file, line and reason."""
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        reason = getattr(exc, "problem", None) or str(exc)
        raise ScriptError(f"{where}: invalid YAML: {reason}") from None
    if not isinstance(data, dict):
        raise ScriptError(f"{source}:1: an episode script is a mapping with `steps`")
    try:
        return EpisodeScript.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(p for p in first["loc"] if not (isinstance(p, str) and p[0].isupper()))
        line = _line_of(root, loc)
        path = ".".join(str(p) for p in loc) or "script"
        raise ScriptError(f"{source}:{line or 1}: {path}: {first['msg']}") from None


def load_script(path: Path) -> EpisodeScript:
    """Read and validate a script file; its size is checked before anything is parsed."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_SCRIPT_BYTES + 1)
    except OSError as exc:
        raise ScriptError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_SCRIPT_BYTES:
        raise ScriptError(f"{path}: an episode script is at most {MAX_SCRIPT_BYTES:,} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScriptError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    if "\x00" in text:
        raise ScriptError(f"{path}: not a text file (it holds NUL bytes)")
    return parse_script(text, str(path))
