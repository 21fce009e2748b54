"""Violation-of-expectation benchmark: does surprise rank impossible clips above possible ones?

Per clip, surprise is the maximum latent prediction error over time (Garrido et al. 2025).
Pairwise accuracy is the share of matched (same seed) pairs where the impossible clip is the
more surprising one; AUROC pools all clips. The same clips are scored by the pixel baseline.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from agent_core.errors import WorldError
from agent_core.worlds.clips import BOUNCE_EVENTS, TWOROOMS_EVENTS, Clip, make_clip

EVENTS = {"bounce": BOUNCE_EVENTS, "tworooms": TWOROOMS_EVENTS}
Scorer = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (frames, actions) -> per-step surprise


def auroc(negatives: list[float], positives: list[float]) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    neg, pos = np.asarray(negatives)[:, None], np.asarray(positives)[None, :]
    return float(((pos > neg).sum() + 0.5 * (pos == neg).sum()) / (neg.size * pos.size))


def clip_pairs(world: str, seeds: range, length: int) -> dict[str, list[tuple[Clip, Clip]]]:
    """Matched (possible, impossible) clips per event; seeds with no clean moment are skipped."""
    pairs: dict[str, list[tuple[Clip, Clip]]] = {}
    for seed in seeds:
        possible = make_clip(world, seed, None, length)
        for event in EVENTS[world]:
            try:
                pairs.setdefault(event.value, []).append((possible, make_clip(world, seed, event, length)))
            except WorldError:
                continue
    return pairs


def score_pairs(pairs: dict[str, list[tuple[Clip, Clip]]], scorers: Mapping[str, Scorer]) -> dict[str, Any]:
    """Pairwise accuracy and AUROC per event and per scorer."""
    results: dict[str, Any] = {}
    for event, matched in pairs.items():
        results[event] = {"pairs": len(matched)}
        for name, scorer in scorers.items():
            possible = [float(scorer(p.frames, p.actions).max()) for p, _ in matched]
            impossible = [float(scorer(i.frames, i.actions).max()) for _, i in matched]
            wins = [b > a for a, b in zip(possible, impossible, strict=True)]
            results[event][name] = {
                "pairwise_accuracy": round(float(np.mean(wins)), 3),
                "auroc": round(auroc(possible, impossible), 3),
            }
    return results
