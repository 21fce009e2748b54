"""The world model as the agent uses it: one frame in, numpy latents and positions out."""

from __future__ import annotations

import numpy as np
import torch

from world_model import WorldModel


class Perception:
    def __init__(self, model: WorldModel) -> None:
        self.model = model

    @property
    def frameskip(self) -> int:
        return self.model.config.frameskip

    @property
    def history(self) -> int:
        return self.model.config.history

    @property
    def first_surprise_step(self) -> int:
        return self.model.config.first_surprise_step

    @property
    def surprise_threshold(self) -> float:
        return float(self.model.metadata.get("surprise_threshold", 1.0))

    @torch.inference_mode()
    def encode(self, frame: np.ndarray) -> np.ndarray:
        return self.model.encode(frame[None])[0].numpy()

    @torch.inference_mode()
    def surprise(self, latents: np.ndarray, actions: np.ndarray, latent: np.ndarray) -> float:
        """How surprising `latent` is after the recent latents [h, D] and the action block just
        taken (the last row of `actions`), in the model's own units (`WorldModel.surprise_of`)."""
        history = torch.as_tensor(latents, dtype=torch.float32)[None]
        action = torch.as_tensor(actions[-1], dtype=torch.float32)[None]
        predicted = self.model.predict_next(history, action)[0]
        return float(self.model.surprise_of(torch.as_tensor(latent, dtype=torch.float32) - predicted))
