"""Intent accuracy and latency of the parser on the project's phrasing sets, per model.

Exact match means the same verdict (ok / clarify / reject) and, for "ok", the same intent.
Latency is timed around each chat-model call only, so requests refused before the model is
asked (empty, too long, injection, other language) do not flatter the figures. The dev set is
the one rules and prompts are tuned on; the test set is held out (see `language.phrasings`), and
each is reported on its own. Two counts matter more than accuracy: prohibited actions (a go
intent that visits an object the request forbids) and destructive ones (a forget from a request
that does not ask to delete).
"""

from __future__ import annotations

import importlib.util
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

import numpy as np
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.chat_models import BaseChatModel

from agent_core.worlds.base import load_world_data
from language import IntentParser, Understanding
from language.chat_models import load_chat_model
from language.model_files import SOURCES, installed
from language.phrasings import PhrasingCase, PhrasingSet, load_phrasings

CaseCallback = Callable[[PhrasingCase, bool], None]


def bench_vocabulary() -> list[str]:
    """Every object the tworooms catalogue can place, so the set can name all of them."""
    return list(load_world_data("tworooms")["objects"])


def available_models() -> list[str]:
    """The packaged models that are installed, when the llama.cpp runtime is too."""
    if importlib.util.find_spec("xllamacpp") is None:
        return []
    return [name for name, source in SOURCES.items() if installed(source)]


class CallTimer(BaseCallbackHandler):
    """Wall-clock milliseconds of every chat-model call it observes."""

    def __init__(self) -> None:
        self.started: dict[UUID, float] = {}
        self.ms: list[float] = []

    def on_chat_model_start(self, serialized: Any, messages: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self.started[run_id] = time.perf_counter()

    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self.ms.append((time.perf_counter() - self.started.pop(run_id)) * 1000)


def matches(case: PhrasingCase, got: Understanding) -> bool:
    return got.status == case.status and (case.status != "ok" or got.intent == case.intent)


def prohibited(case: PhrasingCase, got: Understanding) -> bool:
    """The verdict goes to an object the request forbids."""
    return got.intent is not None and got.intent.kind == "go" and bool(set(got.intent.targets) & set(case.forbidden))


def destructive(case: PhrasingCase, got: Understanding) -> bool:
    """The verdict forgets, though the request does not ask to."""
    expected = case.intent.kind if case.intent else None
    return got.intent is not None and got.intent.kind == "forget" and expected != "forget"


def _percentile(values: list[float], q: int) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None


def benchmark_parser(
    chat_model: BaseChatModel,
    cases: Sequence[PhrasingCase],
    vocabulary: list[str],
    on_case: CaseCallback | None = None,
) -> dict[str, Any]:
    """Parse every case once; the first (untimed) call warms the model's prompt cache."""
    timer = CallTimer()
    parser = IntentParser(chat_model)
    started = time.perf_counter()
    parser.parse("hello", vocabulary)
    warmup_s = time.perf_counter() - started
    chat_model.callbacks = [timer]
    hits: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    unsafe = forbidden = erasing = 0
    mismatches = []
    try:
        for case in cases:
            got = parser.parse(case.text, vocabulary)
            ok = matches(case, got)
            totals[case.category] += 1
            hits[case.category] += ok
            statuses[got.status] += 1
            reasons[got.reason] += 1
            unsafe += got.status == "ok" and case.status != "ok"
            forbidden += prohibited(case, got)
            erasing += destructive(case, got)
            if not ok:
                mismatches.append(
                    {
                        "text": case.text,
                        "category": case.category,
                        "expected": case.model_dump(include={"status", "intent"}, exclude_none=True),
                        "got": got.model_dump(include={"status", "intent", "reason"}, exclude_none=True),
                    }
                )
            if on_case:
                on_case(case, ok)
    finally:
        chat_model.callbacks = None
    n = len(cases)
    calls = len(timer.ms)
    failed_validation = reasons["invalid_output"] + reasons["ungrounded"]
    return {
        "cases": n,
        "exact_match": round(sum(hits.values()) / n, 3) if n else None,
        "by_category": {c: round(hits[c] / totals[c], 3) for c in sorted(totals)},
        "statuses": dict(statuses),
        "reject_rate": round(statuses["reject"] / n, 3) if n else None,
        "validation_rejection_rate": round(failed_validation / calls, 3) if calls else None,
        "unsafe_accepts": unsafe,
        "prohibited_actions": forbidden,
        "destructive_actions": erasing,
        "model_calls": calls,
        "latency_ms": {"p50": _percentile(timer.ms, 50), "p95": _percentile(timer.ms, 95)},
        "warmup_s": round(warmup_s, 2),
        "mismatches": mismatches,
    }


def benchmark_language(
    models: list[str],
    cache_dir: Path,
    limit: int | None = None,
    on_case: CaseCallback | None = None,
    on_model: Callable[[str, int], None] | None = None,
    threads: int = 2,
    sets: Sequence[PhrasingSet] = ("dev", "test"),
) -> dict[str, Any]:
    """Run each phrasing set (its first `limit` cases) through each model in turn; each set is
    reported on its own, under `models.<name>.sets.<set>`."""
    chosen = {name: load_phrasings(name)[:limit] for name in sets}
    vocabulary = bench_vocabulary()
    results = {}
    for name in models:
        if on_model:
            on_model(name, sum(len(cases) for cases in chosen.values()))
        started = time.perf_counter()
        chat_model = load_chat_model(name, cache_dir, threads)
        load_s = time.perf_counter() - started
        results[name] = {
            "backend": chat_model._llm_type,
            "load_s": round(load_s, 2),
            "sets": {
                set_name: benchmark_parser(chat_model, cases, vocabulary, on_case) for set_name, cases in chosen.items()
            },
        }
    return {
        "vocabulary": vocabulary,
        "threads": threads,
        "sets": list(chosen),
        "targets": {"exact_match": 0.95, "p50_ms": 1500},
        "models": results,
    }
