"""Architecture and training settings, stored as JSON next to every checkpoint."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from world_model.errors import ModelInputError

Regularizer = Literal["sigreg", "vicreg"]
PredictorKind = Literal["mlp", "gru"]
EncoderKind = Literal["cnn", "objects"]


@dataclass(frozen=True)
class ModelConfig:
    """The defaults are the shipped tworooms model's; the recipes state every value they rely on."""

    world: str
    action_dim: int
    latent_dim: int = 128
    history: int = 3  # latents the predictor sees; >1 lets it infer velocities
    channels: tuple[int, int, int, int] = (16, 32, 32, 32)
    encoder: EncoderKind = "cnn"  # objects: a latent made of learned object masks (bounce)
    predictor: PredictorKind = "mlp"  # gru: carries things it cannot see (a ball behind the occluder)
    predictor_hidden: int = 256
    regularizer: Regularizer = "sigreg"
    sigreg_weight: float = 0.1
    sigreg_projections: int = 256
    variance_weight: float = 1.0
    covariance_weight: float = 0.04
    idm_weight: float = 1.0
    motion_variance_weight: float = 0.0
    motion_std: float = 0.5  # target std of each dimension within a training window
    frameskip: int = 4  # env steps per model step; actions arrive as blocks of frameskip actions
    surprise_from: int | None = None  # first step of an episode whose prediction error is surprise

    @property
    def first_surprise_step(self) -> int:
        """Predictions before this step of an episode see too little to be trusted: an MLP sees
        a padded history until step `history - 1` (the default); a recurrent predictor reads a
        short history unpadded, and is told how many steps it needs to see velocities."""
        return self.history - 1 if self.surprise_from is None else self.surprise_from

    def __post_init__(self) -> None:
        _check_types(self)
        if self.regularizer not in ("sigreg", "vicreg"):
            raise ModelInputError(f"regularizer must be 'sigreg' or 'vicreg', got {self.regularizer!r}")
        if self.encoder not in ("cnn", "objects"):
            raise ModelInputError(f"encoder must be 'cnn' or 'objects', got {self.encoder!r}")
        if self.encoder == "objects" and self.regularizer != "sigreg":
            raise ModelInputError("the objects encoder needs the sigreg regularizer (its projector)")
        if self.predictor not in ("mlp", "gru"):
            raise ModelInputError(f"predictor must be 'mlp' or 'gru', got {self.predictor!r}")
        if self.surprise_from is not None and not 0 <= self.surprise_from < self.history:
            # The agent keeps the last `history` latents: it could never reach a later step.
            raise ModelInputError(
                f"surprise_from must lie in 0..{self.history - 1} (history - 1), got {self.surprise_from}"
            )
        if len(self.channels) != 4:
            raise ModelInputError(f"channels lists four widths, got {list(self.channels)}")
        if self.latent_dim < 2 or self.history < 1 or self.action_dim < 0:
            raise ModelInputError("latent_dim >= 2, history >= 1 and action_dim >= 0 are required")
        if self.frameskip < 1:
            raise ModelInputError(f"frameskip (env steps per model step) must be at least 1, got {self.frameskip}")


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 1000
    batch_size: int = 48
    rollout_steps: int = 2  # teacher forcing over the window plus this many autoregressive steps
    learning_rate: float = 1e-3
    lr_schedule: Literal["constant", "cosine"] = "constant"  # cosine: linear warm-up, then decay to 1/20
    warmup_steps: int = 100
    weight_decay: float = 1e-4
    seed: int = 0
    checkpoint_every: int = 500
    log_every: int = 25
    predictor_steps: int = 0  # then this many steps of the predictor alone on frozen latents
    predictor_batch_size: int = 128
    # Fresh episodes (other seeds) the predictor phase trains on, kept as latents only; with 0
    # it trains on the joint phase's episodes.
    predictor_episodes: int = 0
    # A recurrent predictor's history from the predictor phase on (its windows are one longer, and
    # the checkpoint predicts from that many latents); 0 keeps the model's. Longer windows make a
    # joint step dearer but a phase step cheap.
    predictor_history: int = 0

    def __post_init__(self) -> None:
        _check_types(self)
        if self.lr_schedule not in ("constant", "cosine"):
            raise ModelInputError(f"lr_schedule must be 'constant' or 'cosine', got {self.lr_schedule!r}")
        if (
            min(self.predictor_steps, self.predictor_episodes, self.predictor_history) < 0
            or self.predictor_batch_size < 1
        ):
            raise ModelInputError(
                "predictor_steps, predictor_episodes and predictor_history >= 0 and predictor_batch_size >= 1 are required"
            )

    @property
    def total_steps(self) -> int:
        """Optimiser steps of both phases: the joint one, then the predictor alone."""
        return self.steps + self.predictor_steps

    def learning_rate_at(self, step: int) -> float:
        """The rate for `step` (1-based); a function of the step alone, so a resumed run continues it."""
        if self.lr_schedule == "constant":
            return self.learning_rate
        if step <= self.warmup_steps:
            return self.learning_rate * step / max(self.warmup_steps, 1)
        progress = (step - self.warmup_steps) / max(self.steps - self.warmup_steps, 1)
        floor = self.learning_rate / 20
        return floor + (self.learning_rate - floor) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))


def _check_types(config: Any) -> None:
    """Every field holds what its annotation says: JSON can give 128.5 for a size, "high" or
    NaN for a weight, and nothing else would notice before a tensor is built (or never)."""
    hints = get_type_hints(type(config))
    for field in fields(config):
        value, hint = getattr(config, field.name), hints[field.name]
        if not _fits(value, hint):
            raise ModelInputError(f"{field.name} must be {_kind(hint)}, got {value!r}")


def _fits(value: Any, hint: Any) -> bool:
    origin = get_origin(hint)
    if origin is Literal:
        return True  # checked against its choices, with the choices in the message
    if origin in (Union, UnionType):
        return any(_fits(value, option) for option in get_args(hint))
    if origin is tuple:
        return isinstance(value, tuple | list) and all(_fits(item, get_args(hint)[0]) for item in value)
    if isinstance(value, bool):
        return hint is bool
    if hint is int:
        return isinstance(value, int)
    if hint is float:
        return isinstance(value, int | float) and math.isfinite(value)
    return (hint is type(None) and value is None) or (isinstance(hint, type) and isinstance(value, hint))


def _kind(hint: Any) -> str:
    origin = get_origin(hint)
    if origin in (Union, UnionType):
        return " or ".join(_kind(option) for option in get_args(hint))
    if origin is tuple:
        return f"a list of {_kind(get_args(hint)[0]).removeprefix('an ').removeprefix('a ')}s"
    names = {int: "an integer", float: "a finite number", str: "a string", bool: "true or false"}
    return names.get(hint, "null" if hint is type(None) else str(hint))


def _build(cls: type, data: dict[str, Any], source: str) -> Any:
    known = {f.name for f in fields(cls)}
    unknown = set(data) - known
    if unknown:
        raise ModelInputError(f"{source}: unknown {cls.__name__} keys {sorted(unknown)}")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    try:
        return cls(**values)
    except (TypeError, ModelInputError) as exc:
        raise ModelInputError(f"{source}: {exc}") from None


# What a checkpoint's config meant by a key it lacks, where that differs from today's default:
# the defaults before they followed the shipped model. Every checkpoint written so far names
# these keys; a config without them still loads as it was trained.
CHECKPOINT_FALLBACKS: dict[str, Any] = {"latent_dim": 64, "regularizer": "vicreg", "frameskip": 1}
# Options taken out, with the value that had them off: a checkpoint that names one at that value
# loads as before; any other value was trained with something this version cannot build.
RETIRED_OPTIONS: dict[str, Any] = {"temporal_weight": 0.0}


def checkpoint_model_config(data: dict[str, Any], source: str) -> ModelConfig:
    """The ModelConfig a checkpoint was trained with, from the "model" section of its config."""
    values = {**CHECKPOINT_FALLBACKS, **data}
    for key, off in RETIRED_OPTIONS.items():
        if key in values and values.pop(key) != off:
            raise ModelInputError(f"{source}: {key} is no longer supported (only {off!r} loads)")
    return _build(ModelConfig, values, source)


def train_config_from_dict(data: dict[str, Any], source: str = "config") -> TrainConfig:
    return _build(TrainConfig, data, source)


def load_config_file(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """A JSON file with optional "model" and "train" sections overriding the defaults.

    Returns both sections with their keys checked; the caller merges them over the world's
    defaults (and adds world and action size).
    """
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelInputError(f"cannot read config {path}: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(data.get(name, {}), dict) for name in ("model", "train")):
        raise ModelInputError(f'{path}: expected an object with optional "model" and "train" objects')
    sections = {}
    for name, cls in (("model", ModelConfig), ("train", TrainConfig)):
        section = dict(data.get(name, {}))
        unknown = set(section) - {f.name for f in fields(cls)}
        if unknown:
            raise ModelInputError(f"{path}: unknown {cls.__name__} keys {sorted(unknown)}")
        sections[name] = section
    return sections["model"], sections["train"]
