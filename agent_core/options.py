"""What an agent is opened with: plain settings, importable without loading any model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class AgentOptions:
    world: str = "tworooms"
    seed: int = 0
    namespace: str = "default"
    db_url: str | None = None
    checkpoint: Path | None = None
    llm: str | None = None  # a model name, a GGUF path, or "keyword-test-double" (keyword rules, for tests)
    planner: str = "cem"
    rephrase: bool = True  # let the LLM rephrase template sentences (fact-checked)
