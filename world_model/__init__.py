"""The JEPA world model: pixels -> latent, action-conditioned latent prediction, surprise, probes.

Nothing here knows about SQL, FAISS or the language model.
"""

from world_model.config import ModelConfig, TrainConfig
from world_model.errors import CheckpointError, ModelInputError, TrainingError
from world_model.model import WorldModel

__all__ = [
    "CheckpointError",
    "ModelConfig",
    "ModelInputError",
    "TrainConfig",
    "TrainingError",
    "WorldModel",
]
