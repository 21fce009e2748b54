"""The JEPA world model: pixels -> latent, action-conditioned latent prediction, surprise, probes.

Nothing here knows about SQL, FAISS or the language model. Names are imported on first use, so
that importing an error class (as the CLI does at start) does not load torch.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from world_model.config import ModelConfig, TrainConfig
    from world_model.errors import CheckpointError, ModelInputError, TrainingError
    from world_model.model import WorldModel

_HOMES = {
    "ModelConfig": "world_model.config",
    "TrainConfig": "world_model.config",
    "CheckpointError": "world_model.errors",
    "ModelInputError": "world_model.errors",
    "TrainingError": "world_model.errors",
    "WorldModel": "world_model.model",
}

__all__ = [
    "CheckpointError",
    "ModelConfig",
    "ModelInputError",
    "TrainConfig",
    "TrainingError",
    "WorldModel",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'world_model' has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
