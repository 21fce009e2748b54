"""Reading a checkpoint's config.json without torch: what a caller that needs no weights (answering
from memory, say) may still check and know about a world model."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from world_model.config import ModelConfig, checkpoint_model_config
from world_model.errors import CheckpointError, ModelInputError

FORMAT = "worldmind-world-model/1"
WEIGHTS = "model.safetensors"
CONFIG = "config.json"


@dataclass(frozen=True)
class CheckpointConfig:
    """A checkpoint's settings, each of the type it must have."""

    config: ModelConfig
    probes: dict[str, list[int]]  # probe name -> output shape
    metadata: dict[str, Any]  # everything else the config records (threshold, training command...)


def read_checkpoint_config(path: Path, world: str | None = None) -> CheckpointConfig:
    """The checked config of the checkpoint folder `path` (for `world`, when given); any problem
    raises CheckpointError naming the file."""
    config_path = path / CONFIG
    try:
        document = json.loads(config_path.read_text())
    except FileNotFoundError:
        raise CheckpointError(f"no world-model checkpoint at {path} (missing {CONFIG})") from None
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{config_path} is not a valid checkpoint config: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise CheckpointError(f"{config_path} is not a worldmind world-model checkpoint")
    config, probes = _checked_config(document, config_path)
    if world is not None and config.world != world:
        raise CheckpointError(f"{path} is a checkpoint for world {config.world!r}, not {world!r}")
    metadata = {k: v for k, v in document.items() if k not in ("format", "model", "probes")}
    return CheckpointConfig(config, probes, metadata)


def _checked_config(document: dict[str, Any], path: Path) -> tuple[ModelConfig, dict[str, list[int]]]:
    """The model settings, the probes' shapes and the alert threshold of a checkpoint's config,
    each of the type it must have (CheckpointError naming the file and the field otherwise)."""
    settings = document.get("model")
    if not isinstance(settings, dict):
        raise CheckpointError(f"{path}: model must be an object of model settings, got {_short(settings)}")
    try:
        config = checkpoint_model_config(settings, str(path))
    except ModelInputError as exc:
        raise CheckpointError(str(exc)) from None  # it names the file already
    probes = document.get("probes", {})
    if not isinstance(probes, dict) or not all(
        isinstance(shape, list) and all(type(size) is int and size > 0 for size in shape) for shape in probes.values()
    ):
        raise CheckpointError(
            f"{path}: probes must map names to shapes (lists of positive integers), got {_short(probes)}"
        )
    threshold = document.get("surprise_threshold")
    if threshold is not None and not (
        type(threshold) in (int, float) and math.isfinite(threshold) and threshold > 0
    ):  # NaN would silently disable every alert: no surprise compares above it
        raise CheckpointError(f"{path}: surprise_threshold must be a finite positive number, got {_short(threshold)}")
    return config, probes


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
