"""Training world models on worldmind's worlds: default data recipes, dataset loading, probes.

This is the glue between agent_core's datasets and the world_model package, so that a library
user can do what `worldmind train` does from Python.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from agent_core.data import CollectionSpec, Dataset, collect_dataset, run_episode
from agent_core.errors import DatasetError, WorldError
from agent_core.worlds import make_world
from world_model import ModelConfig, TrainConfig, WorldModel
from world_model.config import train_config_from_dict
from world_model.pixel_baseline import train_pixel_baseline
from world_model.probes import fit_probes
from world_model.surprise import ErrorModel
from world_model.training import TrainingData, distributed_context, refine_predictor, train


@dataclass(frozen=True)
class Recipe:
    """Default data, model settings and training length for one world, chosen by measurement
    (README, "World model") to train within 30 minutes on 2 CPU cores."""

    collections: tuple[CollectionSpec, ...]
    model: Mapping[str, Any]  # ModelConfig values (frameskip included); --config overrides them
    train: Mapping[str, Any]  # TrainConfig values (steps included); --config overrides them
    # Episodes the model never trains on (other seeds) that set the scale of its surprise. In
    # tworooms they are goal-directed, as the agent is: a random walk's wall-bumping errors made
    # an agent mirrored across the wall look ordinary (pass-through 0.90 against 0.95, README).
    calibration: CollectionSpec

    def train_config(self, overrides: Mapping[str, Any] | None = None, source: str = "recipe") -> TrainConfig:
        """The recipe's training settings with `overrides` (from the config file `source`) on top."""
        return train_config_from_dict({**self.train, **(overrides or {})}, source)


RECIPES = {
    "tworooms": Recipe(
        (
            CollectionSpec("tworooms", "noisy-expert", episodes=150, steps=64, seed=0),
            CollectionSpec("tworooms", "random", episodes=150, steps=64, seed=10_000),
        ),
        model={"frameskip": 4, "regularizer": "sigreg", "latent_dim": 128},
        train={"steps": 1500, "rollout_steps": 4, "lr_schedule": "cosine"},
        calibration=CollectionSpec("tworooms", "noisy-expert", episodes=300, steps=64, seed=2_000_000),
    ),
    "bounce": Recipe(
        (CollectionSpec("bounce", "random", episodes=1200, steps=48, seed=0),),
        model={
            "frameskip": 2,
            "regularizer": "sigreg",
            "encoder": "objects",
            "latent_dim": 48,
            "predictor": "gru",
            "history": 16,
            "surprise_from": 4,
            "motion_variance_weight": 1.0,
            "motion_std": 0.8,
        },
        train={"steps": 3000, "batch_size": 24, "predictor_steps": 10000},
        calibration=CollectionSpec("bounce", "random", episodes=300, steps=48, seed=2_000_000),
    ),
}


def recipe(world: str) -> Recipe:
    if world not in RECIPES:
        raise WorldError(f"no training recipe for world {world!r}; known: {', '.join(sorted(RECIPES))}")
    return RECIPES[world]


def default_datasets(
    world: str, root: Path, workers: int = 1, on_shard: Callable[[int, int], None] | None = None
) -> list[Path]:
    """Collect (or reuse, when complete) the recipe's datasets under `root`."""
    paths = []
    for index, spec in enumerate(recipe(world).collections):
        path = root / f"{world}-{spec.policy}-{index}"
        complete = (path / "manifest.json").exists() and Dataset(path).manifest.get("complete")
        if not complete:
            collect_dataset(spec, path, workers=workers, on_shard=on_shard)
        paths.append(path)
    return paths


def load_training_data(world: str, paths: list[Path]) -> tuple[TrainingData, str]:
    """Concatenate datasets of one world; returns the data and a hash of their manifests."""
    if not paths:
        raise DatasetError("no dataset given")
    datasets = [Dataset(p) for p in paths]
    for data in datasets:
        data.expect_world(world)
    parts = [d.load_arrays() for d in datasets]
    length = min(p[0].shape[1] for p in parts)
    frames = np.concatenate([p[0][:, :length] for p in parts])
    actions = np.concatenate([p[1][:, : length - 1] for p in parts])
    states = {k: np.concatenate([p[2][k][:, :length] for p in parts]) for k in parts[0][2]}
    digest = hashlib.sha256("".join(d.manifest_sha256 for d in datasets).encode()).hexdigest()
    return TrainingData(frames, actions, states), digest


def model_config(world: str, overrides: dict[str, Any] | None = None) -> ModelConfig:
    """The recipe's model settings for `world` with `overrides`; raises ModelInputError on bad ones."""
    env = make_world(world)
    values = {**recipe(world).model, **(overrides or {})}
    action_dim = int(np.prod(env.action_space.shape or (0,))) * values.get("frameskip", 1)
    return ModelConfig(world=world, action_dim=action_dim, **values)


def new_model(world: str, overrides: dict[str, Any] | None = None) -> WorldModel:
    return WorldModel(model_config(world, overrides))


def fit_world_probes(model: WorldModel, data: TrainingData, seed: int = 0) -> dict[str, float]:
    """Fit the linear probes on every episode of `data` (R^2 on the last fifth, whole episodes).

    All episodes, not a sample: in tworooms each episode has one landmark layout, so a probe
    fitted on a few dozen episodes sees a few dozen object positions for 65 weights and its
    held-out R^2 says more about overfitting than about the latent.
    """
    order = np.random.default_rng(seed).permutation(len(data.frames))
    return fit_probes(model, data.frames[order], data.actions[order], {k: v[order] for k, v in data.states.items()})


def calibrate_surprise(model: WorldModel) -> dict[str, float]:
    """Fit the model's error model on the recipe's held-out calibration episodes, and put the
    alert threshold in the far tail of their surprise.

    Only trusted predictions count (from `first_surprise_step` on; before it an MLP sees a
    padded history, no velocities yet): the agent raises no alarm on the others (nor does the
    benchmark score them), so their larger errors must not shape the error model."""
    spec = recipe(model.config.world).calibration
    skip = model.config.first_surprise_step
    residuals = torch.cat(
        [
            model.prediction_residuals(episode.frames, episode.actions)[skip:]
            for episode in (
                run_episode(spec.world, spec.policy, spec.seed + i, spec.steps, spec.noise)
                for i in range(spec.episodes)
            )
        ]
    )
    model.error_model = ErrorModel.fit(residuals)
    values = model.surprise_of(residuals).numpy()
    return {
        "surprise_mean": float(values.mean()),
        "surprise_p99": float(np.percentile(values, 99)),
        # One ordinary step in a thousand raises an alarm: about one agent episode in twenty.
        "surprise_threshold": float(np.percentile(values, 99.9)),
    }


def train_world_model(
    world: str,
    data: TrainingData,
    data_hash: str,
    out: Path,
    model_overrides: dict[str, Any] | None = None,
    train_config: TrainConfig | None = None,
    command: str = "",
    on_log: Callable[[int, dict[str, float]], None] | None = None,
    baseline: bool = False,
    on_baseline_log: Callable[[int, dict[str, float]], None] | None = None,
) -> tuple[WorldModel, dict[str, float]]:
    """Train (jointly, then the predictor alone if the config asks), fit probes on held-out
    frames, calibrate surprise, and save the checkpoint; with `baseline`, also train the
    pixel-space baseline on the same data for as many steps as both phases."""
    model = new_model(world, model_overrides)
    config = train_config or recipe(world).train_config()
    started = time.perf_counter()
    record = {"command": command, "data_manifest_sha256": data_hash}
    metrics = train(model, data, config, out, record, on_log)
    if distributed_context()[0] != 0:  # under torchrun the first process finishes and writes the checkpoint
        return model, metrics
    refined = refine_predictor(model, data, config, out, record, on_log)
    metrics |= {f"refined_{name}": value for name, value in refined.items()}
    wall = time.perf_counter() - started
    r2 = fit_world_probes(model, data, config.seed)
    calibration = calibrate_surprise(model)
    wall += model.metadata.get("train_wall_s") or 0.0  # summed over resumed runs
    model.save(
        out,
        probe_r2=r2,
        **calibration,
        final_metrics=metrics or model.metadata.get("final_metrics", {}),
        train_wall_s=round(wall, 1),
    )
    if baseline:
        started = time.perf_counter()
        pixel = train_pixel_baseline(
            data,
            model.config.history,
            model.config.action_dim,
            model.config.frameskip,
            config.total_steps,  # as many optimiser steps as the JEPA took
            config.batch_size,
            config.seed,
            on_log=on_baseline_log,
        )
        pixel.save(out)
        metrics["pixel_baseline_wall_s"] = round(time.perf_counter() - started, 1)
    return model, {
        **metrics,
        **{f"r2_{k}": v for k, v in r2.items()},
        **calibration,
        "train_wall_s": wall,
    }
