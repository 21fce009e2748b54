"""Violation-of-expectation benchmark: does surprise rank impossible clips above possible ones?

Per clip, surprise is the maximum latent prediction error over time (Garrido et al. 2025),
once the predictor's history is full: the first predictions of a clip see a padded history (no
velocities yet), and their errors would otherwise set the maximum of every clip.
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


def score_pairs(
    pairs: dict[str, list[tuple[Clip, Clip]]],
    scorers: Mapping[str, Scorer],
    warmup: int = 0,
    on_pair: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Pairwise accuracy and AUROC per event and per scorer; the first `warmup` steps of each
    curve are left out of the maximum. `on_pair` is called after each scored pair."""
    results: dict[str, Any] = {}
    possible_scores: dict[tuple[str, int], float] = {}
    for event, matched in pairs.items():
        results[event] = {"pairs": len(matched)}
        scores: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in scorers}
        for possible_clip, impossible_clip in matched:
            for name, scorer in scorers.items():
                key = (name, possible_clip.seed)  # one possible clip per seed serves every event
                if key not in possible_scores:
                    possible_scores[key] = float(scorer(possible_clip.frames, possible_clip.actions)[warmup:].max())
                scores[name][0].append(possible_scores[key])
                scores[name][1].append(float(scorer(impossible_clip.frames, impossible_clip.actions)[warmup:].max()))
            if on_pair is not None:
                on_pair()
        for name, (possible, impossible) in scores.items():
            wins = [b > a for a, b in zip(possible, impossible, strict=True)]
            results[event][name] = {
                "pairwise_accuracy": round(float(np.mean(wins)), 3),
                # A tie (both maxima in the shared part of the clips) counts as a miss; counted
                # apart, it tells "could not tell them apart" from "found the possible one odder".
                "ties": sum(a == b for a, b in zip(possible, impossible, strict=True)),
                "auroc": round(auroc(possible, impossible), 3),
            }
    return results
