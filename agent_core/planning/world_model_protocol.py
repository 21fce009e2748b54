"""The narrow view of the world model that planning needs.

Planning is written against this protocol, not against the JEPA implementation, so the search
code stays independent of how the encoder and predictor are built and can be tested with
small analytic models.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np
import torch


class LatentWorldModel(Protocol):
    def encode(self, frames: np.ndarray | torch.Tensor) -> torch.Tensor:
        """uint8 frames [B,64,64,3] -> latents [B,D]."""
        ...

    def rollout(self, z_history: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """Latents [B,H,D] and actions [B,T,A] -> predicted latents [B,T,D], autoregressively."""
        ...

    def probe(self, z: torch.Tensor) -> Mapping[str, Any]:
        """Latents [...,D] -> physical quantities, e.g. "agent_pos" [...,2], "object_pos" [...,K,2]."""
        ...


def model_timing(model: LatentWorldModel) -> tuple[int, int]:
    """(env steps per model step, latents of history the predictor uses); (1, 1) if unsaid.

    The learned model predicts `frameskip` env steps at a time from a short latent history,
    so MPC must act in blocks and feed back latents observed at block boundaries.
    """
    config = getattr(model, "config", None)
    return int(getattr(config, "frameskip", 1)), int(getattr(config, "history", 1))


def probe_tensor(model: LatentWorldModel, z: torch.Tensor, key: str) -> torch.Tensor:
    """One probe output as a float tensor, whatever array type the model returns."""
    values = model.probe(z)
    if key not in values:
        from agent_core.planning.errors import PlanningError

        raise PlanningError(f"the world model has no {key!r} probe; it has {sorted(values)}")
    return torch.as_tensor(np.asarray(values[key]) if not torch.is_tensor(values[key]) else values[key]).float()
