"""Small analytic world models that satisfy the planner's LatentWorldModel protocol.

The latent is the agent's 2-D pixel position embedded in D dimensions by a fixed orthonormal
map, and an action moves it by `step` pixels (a model step may bundle `frameskip` env actions), so the optimum of a planning problem is known
in closed form. Walls are ignored, as a learned model may ignore them: tests that cross a wall
with these models check what experience adds.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import numpy as np
import torch

AGENT_COLOR = np.array([255, 255, 255])


class LinearLatentModel:
    def __init__(
        self,
        dim: int = 16,
        step: float = 2.0,
        delay_s: float = 0.0,
        seed: int = 0,
        frameskip: int = 1,
    ):
        basis, _ = torch.linalg.qr(torch.randn(dim, 2, generator=torch.Generator().manual_seed(seed)))
        self.embed = basis.T.contiguous()  # [2, D], orthonormal rows
        self.step = step
        self.delay_s = delay_s
        self.objects = torch.tensor([[10.0, 10.0], [50.0, 50.0], [10.0, 50.0]])
        self.rollout_calls = 0
        self.config = SimpleNamespace(frameskip=frameskip, history=2, action_dim=2 * frameskip)

    def latent_at(self, position) -> torch.Tensor:
        return torch.as_tensor(np.asarray(position), dtype=torch.float32) @ self.embed

    def encode(self, frames) -> torch.Tensor:
        frames = np.asarray(frames)
        positions = []
        for frame in frames.reshape(-1, *frames.shape[-3:]):
            ys, xs = np.nonzero(np.all(frame == AGENT_COLOR, axis=-1))
            positions.append([xs.mean(), ys.mean()])
        return self.latent_at(np.array(positions)).reshape(*frames.shape[:-3], -1)

    def rollout(self, z_history: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        self.rollout_calls += 1
        if self.delay_s:
            time.sleep(self.delay_s)
        per_step = actions.reshape(*actions.shape[:2], -1, 2).sum(dim=2)  # frameskip blocks
        moves = torch.cumsum(per_step * self.step, dim=1) @ self.embed
        return z_history[:, -1:, :] + moves

    def probe(self, z: torch.Tensor) -> dict[str, np.ndarray]:
        agent = z @ self.embed.T
        objects = self.objects.expand(*z.shape[:-1], 3, 2)
        return {"agent_pos": agent.numpy(), "object_pos": objects.numpy()}
