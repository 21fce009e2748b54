"""Episode scripts: YAML files that drive the agent step by step and state expectations.

Schema (every key optional unless marked)::

    world: tworooms          # world name (default tworooms)
    seed: 3                  # world seed (default 0)
    namespace: demo          # memory namespace (default: a fresh one per replay)
    description: "..."       # shown in the report
    steps:                   # required, one or more; each step has exactly one of:
      - action: [1.0, 0.0]   #   a raw action, `repeat: N` times (default 1)
      - say: "go to the red ball"          # a natural-language command
      - ask: "where is the blue box?"      # a question answered from memory
      - inject: vanish       #   an impossible event, optional `target: red ball`
      - wait: 5              #   N steps doing nothing
        expect:              # optional on any step:
          reached: true      #   the command reached its goal
          surprised: true    #   some step went above the agent's surprise threshold
          surprise_above: 0.5  # max surprise during this step is above / below a level
          surprise_below: 2.0
          mentions: [blue box]  # the reply mentions these words

Errors name the file, the line and the reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from agent_core.errors import AgentInputError

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
    repeat: int = Field(1, ge=1)
    say: str | None = None
    ask: str | None = None
    inject: str | None = None
    target: str | None = None
    wait: int | None = Field(None, ge=1)
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
    seed: int = Field(0, ge=0)
    namespace: str | None = None
    description: str = ""
    steps: list[ScriptStep] = Field(min_length=1)


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
    try:
        text = path.read_text()
    except OSError as exc:
        raise ScriptError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_script(text, str(path))
