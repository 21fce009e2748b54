"""Perceiving bounce's balls from the latent: which are in view, and where, each with a confidence.

The bounce JEPA's latent holds the balls (the position probe fitted at training time reads them
back), so what the agent perceives of a moment is read from its latent: positions by that probe,
and per ball a logistic in-view classifier fitted here, with the world's facts as labels (in view:
present and not behind the occluder). As with the tworooms heads, the facts only supervise the
fit; at run time the readout sees the latent and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from agent_core.checkpoints import BALLS_CONFIG
from agent_core.fitted_readers import load_reader, save_reader
from agent_core.perception_heads import ObjectPercept, calibration_error, errors, f1
from agent_core.worlds import make_world
from agent_core.worlds.bounce import PALETTE
from world_model import WorldModel

WEIGHTS = "balls.safetensors"
CONFIG = BALLS_CONFIG
POSITION_PROBE = "ball_pos"
FIT_SEED = 5_000_000  # clips the readout is fitted on; held-out clips start at SCORE_SEED
SCORE_SEED = 6_000_000
VANISH_SHARE = 0.3  # clips in which a ball vanishes part-way, so that "gone" is seen in training


@dataclass(frozen=True)
class Glimpse:
    """What the agent perceives of the balls in one frame: no fact goes into it."""

    objects: dict[str, ObjectPercept]

    def in_view(self, threshold: float = 0.5) -> list[str]:
        return [name for name, seen in self.objects.items() if seen.in_view >= threshold]


@dataclass(frozen=True)
class LabelledLatents:
    latents: torch.Tensor  # [N, D]
    in_view: np.ndarray  # [N, K] bool
    positions: np.ndarray  # [N, K, 2], NaN where the ball is absent


class BallReadout:
    """In-view logistic weights [D + 1, K] over the latent, and each ball's typical position error."""

    def __init__(
        self, names: list[str], weights: torch.Tensor, spread: list[float], encoder: str, scores: dict
    ) -> None:
        self.names = names
        self.weights = weights
        self.spread = spread
        self.encoder = encoder  # WorldModel.latent_space of the encoder whose latents it reads
        self.scores = scores

    @torch.inference_mode()
    def read(self, model: WorldModel, latents: torch.Tensor) -> list[Glimpse]:
        positions = model.decode(POSITION_PROBE, latents).numpy()
        probabilities = torch.sigmoid(latents @ self.weights[:-1] + self.weights[-1]).numpy()
        return [
            Glimpse(
                {
                    name: ObjectPercept(float(p[k]), (float(xy[k, 0]), float(xy[k, 1])), self.spread[k])
                    for k, name in enumerate(self.names)
                }
            )
            for p, xy in zip(probabilities, positions, strict=True)
        ]

    def save(self, folder: Path) -> None:
        document = {"balls": self.names, "spread": self.spread, "encoder": self.encoder, "scores": self.scores}
        save_reader(folder, CONFIG, WEIGHTS, document, {"in_view": self.weights})

    @classmethod
    def load(cls, folder: Path, model: WorldModel) -> BallReadout | None:
        """The readout saved in a checkpoint folder for this model's encoder, or None (`load_reader`)."""
        saved = load_reader(folder, CONFIG, WEIGHTS, model)
        if saved is None or POSITION_PROBE not in model.probes:
            return None
        document, tensors = saved
        return cls(
            list(document["balls"]),
            tensors["in_view"],
            list(document["spread"]),
            document["encoder"],
            document["scores"],
        )


def labelled_latents(model: WorldModel, first_seed: int, clips: int, length: int = 48) -> LabelledLatents:
    """Latents of `clips` bounce clips (one per model step), labelled from the facts."""
    names = list(PALETTE["balls"])
    rng = np.random.default_rng(first_seed)
    frames, in_view, positions = [], [], []
    for clip in range(clips):
        world = make_world("bounce")
        frame, facts = world.reset(seed=first_seed + clip)
        vanish_at = int(rng.integers(4, length)) if rng.random() < VANISH_SHARE else -1
        for t in range(length):
            if t == vanish_at:
                world.inject("vanish", str(rng.choice(list(facts["balls"]))))
            if t % model.config.frameskip == 0:
                balls = facts["balls"]
                frames.append(frame)
                in_view.append([n in balls and balls[n]["present"] and not balls[n]["hidden"] for n in names])
                positions.append([balls[n]["position"] if n in balls else [np.nan, np.nan] for n in names])
            frame, _, _, _, facts = world.step(np.zeros(0, np.float32))  # bounce takes no action
    with torch.inference_mode():
        latents = torch.cat([model.encode(np.stack(frames[i : i + 512])) for i in range(0, len(frames), 512)])
    return LabelledLatents(latents, np.asarray(in_view), np.asarray(positions, dtype=np.float64))


def fit_ball_readout(model: WorldModel, clips: int = 300, held_out_clips: int = 100) -> BallReadout:
    """Fit the in-view classifiers on `clips` clips, score the readout on `held_out_clips` others."""
    data = labelled_latents(model, FIT_SEED, clips)
    inputs = torch.cat([data.latents, torch.ones(len(data.latents), 1)], dim=1)
    labels = torch.as_tensor(data.in_view, dtype=torch.float32)
    weights = torch.zeros(inputs.shape[1], labels.shape[1], requires_grad=True)
    optimiser = torch.optim.LBFGS([weights], max_iter=500, line_search_fn="strong_wolfe")

    def loss() -> torch.Tensor:
        optimiser.zero_grad()
        value = torch.nn.functional.binary_cross_entropy_with_logits(inputs @ weights, labels)
        value = value + 1e-4 * weights[:-1].pow(2).sum()
        value.backward()
        return value

    optimiser.step(loss)
    readout = BallReadout(list(PALETTE["balls"]), weights.detach(), [], model.latent_space, {})
    with torch.inference_mode():
        fitted = model.decode(POSITION_PROBE, data.latents).numpy()
    miss = np.linalg.norm(fitted - data.positions, axis=-1)
    readout.spread = [
        round(float(np.sqrt(np.nanmean(miss[data.in_view[:, k], k] ** 2))), 2) for k in range(len(readout.names))
    ]
    readout.scores = score_ball_readout(model, readout, held_out_clips)
    return readout


def score_ball_readout(model: WorldModel, readout: BallReadout, clips: int = 100) -> dict[str, Any]:
    """In-view F1 and calibration, and position error where in view, on held-out clips."""
    data = labelled_latents(model, SCORE_SEED, clips)
    glimpses = readout.read(model, data.latents)
    probability = np.array([[g.objects[n].in_view for n in readout.names] for g in glimpses])
    found = np.array([[g.objects[n].position for n in readout.names] for g in glimpses])
    miss = np.linalg.norm(found - data.positions, axis=-1)
    return {
        "clips": clips,
        "ball_in_view_f1": {
            n: round(f1(probability[:, k] >= 0.5, data.in_view[:, k]), 4) for k, n in enumerate(readout.names)
        },
        "calibration_error": round(calibration_error(probability.ravel(), data.in_view.ravel()), 4),
        "ball_position_px": errors(miss[data.in_view]),
    }
