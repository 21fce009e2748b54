"""How fast the worlds step and render, against gymnasium's own wrapper stack as context."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from agent_core.data import CollectionSpec, collect_dataset
from agent_core.worlds import WORLDS, make_world


def _steps_per_second(env: gym.Env, steps: int, seed: int = 0) -> float:
    env.reset(seed=seed)
    actions = np.zeros((steps, *env.action_space.shape), dtype=np.float32)  # type: ignore[misc]
    if actions.shape[1:] and actions.shape[1] > 0:
        actions = np.random.default_rng(seed).uniform(-1, 1, actions.shape).astype(np.float32)
    start = time.perf_counter()
    for action in actions:
        env.step(action)
    return steps / (time.perf_counter() - start)


def benchmark_worlds(steps: int = 5000) -> dict[str, Any]:
    """Steps/s of each world (raw env and through `gym.make`), plus collection throughput."""
    from agent_core.runtime import apply_thread_setting

    apply_thread_setting(1)
    results: dict[str, Any] = {
        "tworooms_steps_per_s": round(_steps_per_second(make_world("tworooms"), steps)),
        "bounce_frames_per_s": round(_steps_per_second(make_world("bounce"), steps)),
        "tworooms_gym_make_steps_per_s": round(_steps_per_second(gym.make(WORLDS["tworooms"][0]), steps)),
        "collect_steps_per_s": round(_collect_steps_per_second(steps)),
        "target_tworooms_steps_per_s": 5000,
    }
    return results


def _collect_steps_per_second(steps: int) -> float:
    """Noisy-expert collection to disk (rollout, facts, compression, manifest), one worker."""
    spec = CollectionSpec("tworooms", "noisy-expert", episodes=max(1, steps // 100), steps=100)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        collect_dataset(spec, Path(tmp) / "ds")
        return spec.episodes * spec.steps / (time.perf_counter() - start)
