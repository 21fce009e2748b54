"""Replaying episode scripts against an agent, checking expectations, writing a report."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from agent_core.episode_script import EpisodeScript, Expect, ScriptError, ScriptStep
from agent_core.plots import plot_curve
from agent_core.reports import StepReport, TurnResult


class ScriptableAgent(Protocol):
    """What a replay needs from an agent (agent_core.agent.Agent provides it)."""

    def say(self, text: str) -> TurnResult: ...
    def ask(self, text: str) -> TurnResult: ...
    def act(self, action: list[float], repeat: int = 1) -> TurnResult: ...
    def wait(self, steps: int) -> TurnResult: ...
    def inject(self, event: str, target: str | None = None) -> TurnResult: ...
    def warm_up(self) -> threading.Thread: ...


@dataclass(frozen=True)
class Check:
    step_index: int
    expectation: str
    passed: bool
    detail: str


@dataclass
class ReplayResult:
    script: EpisodeScript
    turns: list[tuple[ScriptStep, TurnResult]] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def world_steps(self) -> list[StepReport]:
        return [report for _, turn in self.turns for report in turn.steps]

    def to_dict(self) -> dict[str, Any]:
        return {
            "world": self.script.world,
            "seed": self.script.seed,
            "passed": self.passed,
            "turns": [{"kind": step.kind, **turn.to_dict()} for step, turn in self.turns],
            "checks": [check.__dict__ for check in self.checks],
        }


def _check(index: int, expect: Expect, turn: TurnResult) -> list[Check]:
    checks = []
    if expect.reached is not None:
        checks.append(
            Check(
                index,
                f"reached == {expect.reached}",
                turn.reached == expect.reached,
                f"reached={turn.reached}, closest distance={turn.closest_distance}",
            )
        )
    peak = turn.max_surprise
    if expect.surprised is not None:
        alarmed = any(step.surprising for step in turn.steps)
        checks.append(
            Check(
                index,
                f"surprised == {expect.surprised}",
                alarmed == expect.surprised,
                f"max surprise={peak}",
            )
        )
    if expect.surprise_above is not None:
        ok = peak is not None and peak > expect.surprise_above
        checks.append(Check(index, f"surprise > {expect.surprise_above}", ok, f"max surprise={peak}"))
    if expect.surprise_below is not None:
        ok = peak is not None and peak < expect.surprise_below
        checks.append(Check(index, f"surprise < {expect.surprise_below}", ok, f"max surprise={peak}"))
    for word in expect.mentions:
        ok = word.lower() in turn.reply.lower()
        checks.append(Check(index, f"reply mentions {word!r}", ok, f"reply={turn.reply!r}"))
    return checks


def run_script(
    script: EpisodeScript,
    agent: ScriptableAgent,
    on_step: Callable[[int, ScriptStep, TurnResult], None] | None = None,
) -> ReplayResult:
    """Run every step in order (a failed expectation does not stop the episode)."""
    result = ReplayResult(script)
    for index, step in enumerate(script.steps):
        if step.action is not None:
            turn = agent.act(step.action, step.repeat)
        elif step.say is not None:
            turn = agent.say(step.say)
        elif step.ask is not None:
            turn = agent.ask(step.ask)
        elif step.inject is not None:
            turn = agent.inject(step.inject, step.target)
        else:
            assert step.wait is not None
            turn = agent.wait(step.wait)
        result.turns.append((step, turn))
        if step.expect is not None:
            result.checks.extend(_check(index, step.expect, turn))
        if on_step:
            on_step(index, step, turn)
    return result


REPORT_FILES = ("report.md", "surprise.png")


def prepare_report_folder(folder: Path) -> None:
    """Make sure the report can be written before the episode runs (and is stored in memory):
    the folder exists or can be made, is a folder, and takes files."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name in REPORT_FILES:
            if (folder / name).is_dir():
                raise ScriptError(f"cannot write the report: {folder / name} is a folder")
        with tempfile.TemporaryFile(dir=folder):
            pass
    except FileExistsError:
        raise ScriptError(f"cannot write the report: {folder} is a file, not a folder") from None
    except OSError as exc:
        raise ScriptError(f"cannot write the report in {folder}: {exc.strerror or exc}") from None


def write_report(result: ReplayResult, folder: Path) -> list[Path]:
    """report.md (turns, replies, checks) and surprise.png (surprise over time, events marked)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"# Replay: {result.script.world} seed {result.script.seed}", ""]
    if result.script.description:
        lines += [result.script.description, ""]
    lines += [
        f"**{'PASSED' if result.passed else 'FAILED'}**: "
        f"{sum(c.passed for c in result.checks)}/{len(result.checks)} expectations met",
        "",
        "| # | step | reply | world steps | reached | max surprise |",
        "|---|---|---|---|---|---|",
    ]
    for index, (step, turn) in enumerate(result.turns):
        peak = "" if turn.max_surprise is None else f"{turn.max_surprise:.3f}"
        reply = turn.reply.replace("|", "/").replace("\n", " ")
        lines.append(
            f"| {index} | {step.kind}: {turn.text} | {reply} | {len(turn.steps)} | "
            f"{'' if turn.reached is None else turn.reached} | {peak} |"
        )
    lines += ["", "## Expectations", ""]
    lines += [
        f"- step {c.step_index}: {c.expectation}: {'ok' if c.passed else 'FAILED'} ({c.detail})" for c in result.checks
    ] or ["- none"]
    lines += ["", "![surprise over time](surprise.png)", ""]
    report = folder / "report.md"
    report.write_text("\n".join(lines))
    plot = folder / "surprise.png"
    plot_surprise(result.world_steps, plot)
    return [report, plot]


def plot_surprise(steps: list[StepReport], path: Path, threshold: float | None = None) -> None:
    """Surprise per world step, injected events as vertical lines, alerts as red dots."""
    measured = [s for s in steps if s.surprise is not None]
    marks: dict[int | None, str | None] = {
        s.step: ", ".join(e["event"] for e in s.facts.get("events", [])) for s in steps if s.facts.get("events")
    }
    plot_curve(
        [s.step for s in measured],
        [float(s.surprise or 0.0) for s in measured],
        path,
        marks,
        threshold,
        [(s.step, float(s.surprise or 0.0)) for s in measured if s.surprising],
    )
