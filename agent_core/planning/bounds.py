"""Action bounds: a per-dimension box and an optional norm bound, applied to every candidate."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class ActionBounds:
    """Box [low, high] per dimension, then each env action longer than `max_norm` is scaled
    onto it.

    tworooms projects actions onto the unit disc itself; planning inside the same set means
    the cost is computed for the action the world will actually execute. A model step may
    stand for several env steps (frameskip), its action being their concatenation, so the norm
    is taken over consecutive groups of `env_action_dim` numbers.
    """

    low: float = -1.0
    high: float = 1.0
    max_norm: float | None = 1.0
    env_action_dim: int = 2

    def project(self, actions: torch.Tensor) -> torch.Tensor:
        boxed = actions.clamp(self.low, self.high)
        if self.max_norm is None:
            return boxed
        groups = boxed.reshape(*boxed.shape[:-1], -1, self.env_action_dim)
        norms = groups.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        return (groups * (self.max_norm / norms).clamp(max=1.0)).reshape(boxed.shape)
