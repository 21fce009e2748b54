"""How long a shell waits for `worldmind ask`: from process start to the answer, per language model.

Each run spawns the real command (`python -m cli --threads T ask QUESTION --json`) and times it
until it exits, in a data directory of the benchmark's own: one namespace whose agent looked
about in its world (so the question has a memory to cite), and each packaged model's verified
GGUF linked in from the user's data directory (joining one is installation, not asking). Cold
runs start with no saved prompt, so the few-shot prefix is evaluated and saved; warm runs find it
saved. The models take turns run by run, so a load on the machine falls on them alike; the
keyword test double beside the real model shows what everything but the language model costs.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from agent_core.runtime import data_dir
from language.chat_models import TEST_DOUBLE
from language.model_files import DEFAULT_MODEL, SOURCES, model_path

QUESTION = "where did you last see the blue box?"
NAMESPACE = "bench-ask"
LOOK_ABOUT = ([0.0, 0.5], 3)  # seed 7: the agent turns to where it sees the blue box
TARGET_WARM_P50_S = 3.0
RunCallback = Callable[[str, str], None]


def prepare_home(home: Path, llms: Sequence[str]) -> None:
    """A data directory with the namespace's memories and the packaged models' joined GGUFs."""
    from agent_core.assembly import AgentOptions, open_agent

    agent = open_agent(
        AgentOptions(seed=7, namespace=NAMESPACE, db_url=f"sqlite:///{home / 'memory.sqlite'}", llm=TEST_DOUBLE)
    )
    try:
        action, repeat = LOOK_ABOUT
        agent.act(action, repeat)
    finally:
        agent.close()
    models = home / "models"
    models.mkdir()
    for name in llms:
        if name in SOURCES:
            joined = model_path(name, data_dir() / "models")
            for path in (joined, joined.with_suffix(".sha256")):
                (models / path.name).symlink_to(path)


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_ask(home: Path, llm: str, question: str, threads: int) -> tuple[float, float, dict[str, Any]]:
    """Seconds from spawning `worldmind ask` to its exit, the CPU seconds it used (what its wall
    time would be on an idle machine, give or take waiting on the disk), and its JSON answer."""
    command = [sys.executable, "-m", "cli", "--threads", str(threads), "ask", question]
    command += ["--namespace", NAMESPACE, "--llm", llm, "--json"]
    cpu, started = _children_cpu_s(), time.perf_counter()
    done = subprocess.run(
        command, capture_output=True, text=True, env=os.environ | {"WORLDMIND_HOME": str(home)}, check=False
    )
    seconds, cpu = time.perf_counter() - started, _children_cpu_s() - cpu
    if done.returncode != 0:
        raise RuntimeError(f"worldmind ask --llm {llm} failed: {done.stderr.strip().splitlines()[-1:]}")
    return seconds, cpu, json.loads(done.stdout)


def _summary(seconds: list[float]) -> dict[str, Any]:
    return {
        "p50": round(float(np.percentile(seconds, 50)), 2),
        "p95": round(float(np.percentile(seconds, 95)), 2),
        "runs": [round(s, 2) for s in seconds],
    }


def benchmark_ask(
    llms: Sequence[str] = (DEFAULT_MODEL, TEST_DOUBLE),
    cold: int = 3,
    warm: int = 10,
    threads: int = 1,
    question: str | None = None,
    on_run: RunCallback | None = None,
) -> dict[str, Any]:
    """`cold` then `warm` runs of `worldmind ask` per model, taking turns; p50/p95 seconds each."""
    question = question or QUESTION
    load_before = os.getloadavg()[0]
    home = Path(tempfile.mkdtemp(prefix="worldmind-bench-ask-"))
    try:
        prepare_home(home, llms)
        times: dict[str, dict[str, list[float]]] = {llm: {} for llm in llms}
        replies: dict[str, str] = {}
        for phase, rounds in (("cold", cold), ("warm", warm)):
            for _ in range(rounds):
                if phase == "cold":  # once a round: a model's cold run must not wipe what another saved
                    shutil.rmtree(home / "models" / "prompt-cache", ignore_errors=True)
                for llm in llms:
                    seconds, cpu, answer = timed_ask(home, llm, question, threads)
                    times[llm].setdefault(f"{phase}_s", []).append(seconds)
                    times[llm].setdefault(f"{phase}_cpu_s", []).append(cpu)
                    replies[llm] = answer["reply"]
                    if on_run:
                        on_run(llm, phase)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    report: dict[str, Any] = {
        "question": question,
        "threads": threads,
        "load_average_1min": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        "models": {
            llm: {measure: _summary(runs) for measure, runs in measures.items()} | {"reply": replies.get(llm)}
            for llm, measures in times.items()
        },
        "target": {"warm_p50_s": TARGET_WARM_P50_S},
    }
    if DEFAULT_MODEL in llms and TEST_DOUBLE in llms and warm:
        model, double = (np.percentile(times[name]["warm_s"], 50) for name in (DEFAULT_MODEL, TEST_DOUBLE))
        report["warm_p50_default_over_test_double"] = round(float(model / double), 2)
    return report
