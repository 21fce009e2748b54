"""The world model as the agent uses it: one frame in, numpy latents and positions out."""

from __future__ import annotations

import numpy as np
import torch

from agent_core.ball_readout import BallReadout, Glimpse
from agent_core.perceived import glimpse_caption, perceived_caption
from agent_core.perception_heads import Percept, PerceptionHeads, encoder_features
from world_model import WorldModel


class Perception:
    """`heads` (agent_core.perception_heads) read where the agent and the named objects are from
    the same encoder pass; `balls` (agent_core.ball_readout) read a watched world's balls from the
    latent; without either (a gymnasium world) the agent perceives latents only."""

    def __init__(
        self, model: WorldModel, heads: PerceptionHeads | None = None, balls: BallReadout | None = None
    ) -> None:
        self.model = model
        self.heads = heads
        self.balls = balls

    @property
    def perceives(self) -> bool:
        """Whether it reads more than latents: what it then writes as captions is perceived."""
        return self.heads is not None or self.balls is not None

    @property
    def frameskip(self) -> int:
        return self.model.config.frameskip

    @property
    def window(self) -> int:
        """Steps of evidence each surprise is judged on (`WorldModel.surprise_window`)."""
        return self.model.surprise_window

    @property
    def span(self) -> int:
        """Latents (and action blocks) the agent keeps: a window and the history before it."""
        return self.model.config.history + self.window

    def can_judge(self, latents_seen: int) -> bool:
        """Whether a step after `latents_seen` latents of an episode gets a surprise: the
        imagination it judges must start where the predictor has seen enough (an MLP's padded
        history holds no velocities yet)."""
        return latents_seen >= self.model.config.first_surprise_step + self.window

    @property
    def surprise_threshold(self) -> float:
        return float(self.model.metadata.get("surprise_threshold", 1.0))

    @torch.inference_mode()
    def encode(self, frame: np.ndarray) -> np.ndarray:
        return self.model.encode(frame[None])[0].numpy()

    @property
    def object_names(self) -> list[str]:
        """The objects its heads or ball readout were fitted to see (none without either)."""
        if self.heads is not None:
            return list(self.heads.objects)
        return list(self.balls.names) if self.balls is not None else []

    @torch.inference_mode()
    def perceive(self, frame: np.ndarray) -> tuple[np.ndarray, Percept | None]:
        """One encoder pass: the latent, and what the heads read from its feature maps."""
        if self.heads is None:
            return self.encode(frame), None
        latents, features = encoder_features(self.model, frame[None])
        return latents[0].numpy(), self.heads.read(features)[0]

    @torch.inference_mode()
    def glimpse(self, latent: np.ndarray) -> Glimpse | None:
        """What the ball readout makes of a latent (None without one)."""
        if self.balls is None:
            return None
        return self.balls.read(self.model, torch.as_tensor(latent[None], dtype=torch.float32))[0]

    @torch.inference_mode()
    def captions(self, frames: np.ndarray) -> list[tuple[str, list[str]]]:
        """The caption and the names in view the agent would write for each of `frames` [N, H, W, 3]."""
        if self.heads is not None:
            percepts = self.heads.read(encoder_features(self.model, frames)[1])
            return [(perceived_caption(p), p.in_view()) for p in percepts]
        if self.balls is not None:
            glimpses = self.balls.read(self.model, self.model.encode(frames))
            return [(glimpse_caption(g), g.in_view()) for g in glimpses]
        raise ValueError("this world model perceives latents only")

    @torch.inference_mode()
    def surprise(self, latents: np.ndarray, actions: np.ndarray, latent: np.ndarray) -> float:
        """How far the last `window` steps, up to `latent`, departed from what the model imagined
        just before them, in its own units (`WorldModel.window_surprise`): `latents` [h, D] are the
        recent ones before `latent`, `actions` the blocks taken since (its last `window` rows)."""
        seen = torch.as_tensor(np.concatenate([latents, latent[None]]), dtype=torch.float32)
        history, judged = seen[: -self.window], seen[-self.window :]
        blocks = torch.as_tensor(actions[-self.window :], dtype=torch.float32)
        imagined = self.model.rollout(history[None], blocks[None])[0]
        return float(self.model.window_surprise((judged - imagined)[None])[0])
