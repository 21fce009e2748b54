"""The three small networks of the JEPA: encoder, predictor, inverse-dynamics head.

A plain strided CNN is the encoder: on two CPU cores it trains several times faster than a
ViT of similar quality at 64x64. The predictor is a residual MLP over the last few latents and
the action: in these worlds the state is (nearly) visible in a frame, so a short history is
enough to recover velocities, and an MLP is the fastest option for batched planning rollouts.
"""

from __future__ import annotations

import torch
from torch import nn

from world_model.config import ModelConfig


class SpatialSoftmax(nn.Module):
    """Expected (x, y) of each feature map's softmax: positions of things become linear features."""

    def forward(self, maps: torch.Tensor) -> torch.Tensor:
        batch, channels, height, width = maps.shape
        weights = torch.softmax(maps.flatten(2), dim=-1).reshape(batch, channels, height, width)
        ys = torch.linspace(-1.0, 1.0, height, device=maps.device)
        xs = torch.linspace(-1.0, 1.0, width, device=maps.device)
        expected_x = (weights.sum(2) * xs).sum(-1)
        expected_y = (weights.sum(3) * ys).sum(-1)
        return torch.cat([expected_x, expected_y], dim=1)


class Encoder(nn.Module):
    """64x64 RGB -> latent. With SIGReg the output passes a BatchNorm projector.

    Two stride-2 convolutions give 16x16 feature maps; a spatial softmax turns them into
    keypoint coordinates (where the agent and the objects are), and two more convolutions give
    global appearance features. Both feed a small MLP head.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        c1, c2, c3, c4 = config.channels
        self.early = nn.Sequential(
            nn.Conv2d(3, c1, 4, stride=2, padding=1),
            nn.GELU(),
            nn.Conv2d(c1, c2, 4, stride=2, padding=1),
            nn.GELU(),
        )
        self.keypoints = nn.Sequential(nn.Conv2d(c2, c2, 3, padding=1), SpatialSoftmax())
        self.late = nn.Sequential(
            nn.Conv2d(c2, c3, 4, stride=2, padding=1),
            nn.GELU(),
            nn.Conv2d(c3, c4, 4, stride=2, padding=1),
            nn.GELU(),
            nn.Flatten(),
        )
        self.head = nn.Sequential(nn.Linear(2 * c2 + c4 * 16, 256), nn.GELU(), nn.Linear(256, config.latent_dim))
        self.projector = (
            nn.Sequential(nn.Linear(config.latent_dim, config.latent_dim), nn.BatchNorm1d(config.latent_dim))
            if config.regularizer == "sigreg"
            else nn.Identity()
        )

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        """pixels: float [N, 3, 64, 64] in [0, 1] -> [N, D]."""
        features = self.early(pixels)
        combined = torch.cat([self.keypoints(features), self.late(features)], dim=1)
        return self.projector(self.head(combined))


class ObjectEncoder(nn.Module):
    """64x64 RGB -> latent made of K learned object masks, each read out by its moments.

    Each mask (a sigmoid at 32x32, 2-pixel cells) gives its mass and its mass-weighted x and y:
    how much of a thing is visible and where, both shrinking smoothly to zero as the thing slides
    behind an occluder, the observation with which a recurrent predictor keeps object permanence
    (`research/bounce_oracle.py`). Made for bounce, where what matters is a few balls.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        c1, c2, _, _ = config.channels
        self.objects = config.latent_dim // 3
        self.masks = nn.Sequential(
            nn.Conv2d(3, c1, 4, stride=2, padding=1),
            nn.GELU(),
            nn.Conv2d(c1, c2, 3, padding=1),
            nn.GELU(),
            nn.Conv2d(c2, c2, 3, padding=1),
            nn.GELU(),
            nn.Conv2d(c2, self.objects, 1),
        )
        self.projector = nn.Sequential(
            nn.Linear(3 * self.objects, config.latent_dim), nn.BatchNorm1d(config.latent_dim)
        )

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        """pixels: float [N, 3, 64, 64] in [0, 1] -> [N, D]."""
        masks = torch.sigmoid(self.masks(pixels))  # [N, K, 32, 32]
        size = masks.shape[-1]
        coords = torch.linspace(-1.0, 1.0, size, device=pixels.device)
        scale = 8.0 / (size * size)  # a ball covers about 8 cells: a visible ball's mass is about 1
        mass = masks.sum(dim=(2, 3)) * scale
        mass_x = (masks.sum(2) * coords).sum(-1) * scale
        mass_y = (masks.sum(3) * coords).sum(-1) * scale
        return self.projector(torch.cat([mass, mass_x, mass_y], dim=1))


def make_encoder(config: ModelConfig) -> nn.Module:
    return ObjectEncoder(config) if config.encoder == "objects" else Encoder(config)


class Predictor(nn.Module):
    """z_{t+1} = z_t + f(z_{t-H+1..t}, a_t): predicts the change, which is small and smooth.

    The MLP sees the flattened window at once; it is the fastest for planning rollouts.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        width = config.latent_dim * config.history + config.action_dim
        self.net = nn.Sequential(
            nn.Linear(width, config.predictor_hidden),
            nn.GELU(),
            nn.Linear(config.predictor_hidden, config.predictor_hidden),
            nn.GELU(),
            nn.Linear(config.predictor_hidden, config.latent_dim),
        )

    def forward(self, history: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        """history [B, H, D], action [B, A] -> next latent [B, D]."""
        inputs = torch.cat([history.flatten(1), action], dim=1)
        return history[:, -1] + self.net(inputs)


class RecurrentPredictor(nn.Module):
    """z_{t+1} = z_t + f(GRU(z_{t-H+1..t}), z_t, a_t), trained causally over whole windows.

    A GRU reads the window in order, so what it saw once it can carry while it is hidden: a
    ball that went behind the occluder is still expected to come out, and a ball falling to the
    floor to bounce. It reads a short history as it is (no padding), as at an episode's start.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.gru = nn.GRU(config.latent_dim, config.predictor_hidden, batch_first=True)
        self.head = nn.Sequential(
            nn.Linear(config.predictor_hidden + config.latent_dim + config.action_dim, config.predictor_hidden),
            nn.GELU(),
            nn.Linear(config.predictor_hidden, config.latent_dim),
        )

    def predict_sequence(self, latents: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """latents [B, T, D], actions [B, T, A] -> [B, T, D]: at each t, z_{t+1} from z_0..z_t."""
        states, _ = self.gru(latents)
        return latents + self.head(torch.cat([states, latents, actions], dim=-1))

    def forward(self, history: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        """history [B, h, D], action [B, A] -> next latent [B, D]."""
        _, state = self.gru(history)
        last = history[:, -1]
        return last + self.head(torch.cat([state[-1], last, action], dim=1))


def make_predictor(config: ModelConfig) -> nn.Module:
    return RecurrentPredictor(config) if config.predictor == "gru" else Predictor(config)


class InverseDynamics(nn.Module):
    """a_t from (z_t, z_{t+1}): a VICReg-side term that keeps action-relevant information."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(2 * config.latent_dim, 128),
            nn.GELU(),
            nn.Linear(128, config.action_dim),
        )

    def forward(self, z_now: torch.Tensor, z_next: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([z_now, z_next], dim=-1))
