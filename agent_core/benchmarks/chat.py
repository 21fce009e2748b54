"""Chat-turn latency split by stage, and language-to-goal success on the example scripts."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from agent_core.episode_script import load_script
from agent_core.replay import ReplayResult, ScriptableAgent, run_script

STAGES = ("parse", "resolve", "plan", "act", "verbalize", "first_action")


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None}
    return {"p50": round(float(np.percentile(values, 50)), 1), "p95": round(float(np.percentile(values, 95)), 1)}


def benchmark_chat(scripts: list[Path], open_agent: Callable[[Any], ScriptableAgent]) -> dict[str, Any]:
    """Replay every script with a fresh agent; time each natural-language turn by stage.

    Like the chat, each agent first warms its language model up (the chat does it in the
    background while the user reads the screen); that time is reported apart, as `warm_up_ms`.
    """
    per_stage: dict[str, list[float]] = {stage: [] for stage in STAGES}
    warm_up_ms: list[float] = []
    results: list[ReplayResult] = []
    for path in scripts:
        script = load_script(path)
        agent = open_agent(script)
        started = time.perf_counter()
        agent.warm_up().join()
        warm_up_ms.append((time.perf_counter() - started) * 1000)
        try:
            result = run_script(script, agent)
        finally:
            agent.close()  # type: ignore[attr-defined]
        results.append(result)
        for step, turn in result.turns:
            if step.kind in {"say", "ask"}:
                for stage in STAGES:
                    if stage in turn.timings_ms:
                        per_stage[stage].append(turn.timings_ms[stage])
    goal_checks = [c for r in results for c in r.checks if c.expectation.startswith("reached")]
    return {
        "turn_ms": {stage: _percentiles(values) for stage, values in per_stage.items()},
        "warm_up_ms": _percentiles(warm_up_ms),
        "scripts": {str(p.name): r.passed for p, r in zip(scripts, results, strict=True)},
        "scripts_passed": sum(r.passed for r in results),
        "language_to_goal_success": (sum(c.passed for c in goal_checks) / len(goal_checks)) if goal_checks else None,
        "target_first_action_ms": 2000,
    }
