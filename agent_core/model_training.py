"""Training world models on worldmind's worlds: default data recipes, dataset loading, probes.

This is the glue between agent_core's datasets and the world_model package, so that a library
user can do what `worldmind train` does from Python.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from agent_core.data import CollectionSpec, Dataset, collect_dataset, run_episode
from agent_core.data.episodes import common_states
from agent_core.errors import DatasetError, WorldError
from agent_core.worlds import make_world
from world_model import ModelConfig, TrainConfig, WorldModel
from world_model.config import train_config_from_dict
from world_model.pixel_baseline import PixelPredictor, train_pixel_baseline
from world_model.probes import fit_probes
from world_model.surprise import SHRINKAGE, ErrorModel
from world_model.training import (
    LatentEpisodes,
    TrainingData,
    adopt_predictor_history,
    distributed_context,
    predictor_phase_done,
    refine_predictor,
    train,
)

PREDICTOR_SEED = 3_000_000  # training from 0, benchmarks from 100_000, calibration from 2_000_000
CHUNK_EPISODES = 1000  # episodes held as frames at once (1,000 bounce clips: 600 MB)


@dataclass(frozen=True)
class Recipe:
    """Default data, model settings and training length for one world: what measured best on
    the world's surprise and planning benchmarks among settings that train within 30 minutes
    on 2 CPU cores."""

    collections: tuple[CollectionSpec, ...]
    model: Mapping[str, Any]  # ModelConfig values (frameskip included); --config overrides them
    train: Mapping[str, Any]  # TrainConfig values (steps included); --config overrides them
    # Episodes the model never trains on (other seeds) that set the scale of its surprise:
    # residuals on training episodes are smaller than the model will meet again. In tworooms
    # they are goal-directed, as the agent is: a random walk bumps into walls, and calibrated on
    # those errors an agent mirrored across the wall looks ordinary.
    calibration: CollectionSpec | None
    # How far the error model's covariance is pulled toward its mean variance (world_model.surprise).
    surprise_shrinkage: float = SHRINKAGE
    # Model steps each imagination is judged on, and whether every horizon counts alike
    # (world_model.surprise.horizon_scales). A vanish's evidence is spread over the steps the
    # thing is overdue, which one step's error reads only partly; chosen on held-out clips.
    surprise_window: int = 1
    surprise_balanced: bool = False
    # Action size per env step for a recipe without a world (video: 0); None reads the world's.
    action_dim: int | None = None

    def train_config(self, overrides: Mapping[str, Any] | None = None, source: str = "recipe") -> TrainConfig:
        """The recipe's training settings with `overrides` (from the config file `source`) on top."""
        return train_config_from_dict({**self.train, **(overrides or {})}, source)

    def predictor_clips(self, episodes: int) -> CollectionSpec:
        """`episodes` more of the first collection's kind for the predictor phase, from seeds no
        other collection, the calibration or the benchmarks use; simulated a chunk at a time."""
        first = self.collections[0]
        return replace(first, episodes=episodes, seed=PREDICTOR_SEED, episodes_per_shard=CHUNK_EPISODES)


RECIPES = {
    "tworooms": Recipe(
        (
            CollectionSpec("tworooms", "noisy-expert", episodes=150, steps=64, seed=0),
            CollectionSpec("tworooms", "random", episodes=150, steps=64, seed=10_000),
        ),
        model={"frameskip": 4, "regularizer": "sigreg", "latent_dim": 128},
        train={"steps": 1500, "rollout_steps": 4, "lr_schedule": "cosine"},
        calibration=CollectionSpec("tworooms", "noisy-expert", episodes=300, steps=64, seed=2_000_000),
        surprise_window=4,
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
        train={
            "steps": 3000,
            "batch_size": 24,
            "predictor_steps": 16000,
            "predictor_episodes": 20000,
            # Whole clips, as the predictor is scored: trained on the whole clip so far, the GRU
            # carries a hidden ball for as long as it stays hidden; shorter windows caught fewer
            # vanishes.
            "predictor_history": 24,
        },
        calibration=CollectionSpec("bounce", "random", episodes=300, steps=48, seed=2_000_000),
        # Well toward isotropy (1 is the Euclidean norm): in bounce, weighting each latent
        # direction by its full inverse variance caught fewer vanishes and pass-throughs than
        # weighting the directions more alike.
        surprise_shrinkage=0.6,
        surprise_window=8,
        surprise_balanced=True,
    ),
    # Any video: action-free, no world code; data decoded from files (agent_core.video_data), the
    # surprise calibrated on held-out whole clips. Bounce's design (a GRU that carries what it
    # no longer sees, motion variance) at a size that trains in minutes.
    "video": Recipe(
        (),
        model={
            "frameskip": 1,
            "regularizer": "sigreg",
            "latent_dim": 64,
            "predictor": "gru",
            "history": 8,
            "surprise_from": 3,
            "motion_variance_weight": 1.0,
            "motion_std": 0.8,
        },
        train={"steps": 1500, "batch_size": 24, "rollout_steps": 2, "lr_schedule": "cosine"},
        calibration=None,
        # One step, near-Euclidean: at 10 fps a vanish or a jump in plain view shows at once, while
        # far horizons err most where an ordinary shape bounces; windows of 4, 8 and 12 caught
        # fewer vanishes on dev pairs (docs/research-log.md, 2026-12-02).
        surprise_shrinkage=0.9,
        surprise_window=1,
        surprise_balanced=False,
        action_dim=0,
    ),
}


# Any gymnasium world: no world-specific code. Random actions (or the policy a world's recipe
# names), one env step (times the world's action repeat) per model step, tworooms' predictor
# and regulariser at a 64-d latent; the surprise scale is set on held-out random episodes.
GENERIC_MODEL: dict[str, Any] = {"frameskip": 1, "regularizer": "sigreg", "latent_dim": 64, "history": 3}
GENERIC_TRAIN: dict[str, Any] = {"steps": 1500, "rollout_steps": 4, "lr_schedule": "cosine"}
GENERIC_EPISODES, GENERIC_STEPS, GENERIC_CALIBRATION = 200, 64, 100
RECIPE_ATTRIBUTE = "WORLDMIND_RECIPE"


def generic_recipe(world: str) -> Recipe:
    """The recipe of a gymnasium world: the generic one, with what the env's module ships.

    A module named in a `module:EnvId` world may define `WORLDMIND_RECIPE`, a dict with any of
    "collections" (a list of {"policy", "episodes", "steps", "seed"}), "calibration" (one such
    dict), "model" and "train" (ModelConfig / TrainConfig values over the generic ones).
    """
    make_world(world).close()  # an id gymnasium cannot make is refused here
    shipped = _shipped_recipe(world)
    collections = shipped.get("collections") or [
        {"policy": "random", "episodes": GENERIC_EPISODES, "steps": GENERIC_STEPS, "seed": 0}
    ]
    calibration = shipped.get("calibration") or {
        "policy": "random",
        "episodes": GENERIC_CALIBRATION,
        "steps": GENERIC_STEPS,
        "seed": 2_000_000,
    }
    try:
        specs = tuple(CollectionSpec(world, **dict(c)) for c in collections)
        held_out = CollectionSpec(world, **dict(calibration))
    except TypeError as exc:
        raise WorldError(f"{world}: {RECIPE_ATTRIBUTE} has a bad collection: {exc}") from None
    return Recipe(
        specs,
        model={**GENERIC_MODEL, **shipped.get("model", {})},
        train={**GENERIC_TRAIN, **shipped.get("train", {})},
        calibration=held_out,
        surprise_window=4,
    )


def _shipped_recipe(world: str) -> dict[str, Any]:
    from agent_core.worlds import GymWorldSpec

    module = GymWorldSpec.parse(world).env_id.rpartition(":")[0]
    if not module:
        return {}
    found = getattr(importlib.import_module(module), RECIPE_ATTRIBUTE, None)
    if found is None:
        return {}
    if not isinstance(found, Mapping) or set(found) - {"collections", "calibration", "model", "train"}:
        raise WorldError(f"{module}.{RECIPE_ATTRIBUTE} is a dict of collections, calibration, model, train")
    return dict(found)


def recipe(world: str) -> Recipe:
    if world in RECIPES:
        return RECIPES[world]
    from agent_core.worlds import is_shipped

    if is_shipped(world):
        raise WorldError(f"no training recipe for world {world!r}; known: {', '.join(sorted(RECIPES))}")
    return generic_recipe(world)


def dataset_folder_name(world: str) -> str:
    """A world's name as a folder name (a gymnasium key holds ':', '/', spaces and JSON)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", world).strip("_")[:60] or "world"


def default_datasets(
    world: str, root: Path, workers: int = 1, on_shard: Callable[[int, int], None] | None = None
) -> list[Path]:
    """Collect (or reuse, when complete) the recipe's datasets under `root`, each in a folder
    named after its settings: a recipe that changed (more episodes) gets new data, never the
    old one that sits under the same world and policy."""
    paths = []
    for index, spec in enumerate(recipe(world).collections):
        settings = hashlib.sha256(json.dumps(asdict(spec), sort_keys=True).encode()).hexdigest()[:10]
        path = root / f"{dataset_folder_name(world)}-{dataset_folder_name(spec.policy)}-{index}-{settings}"
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
    keys = common_states([p[2] for p in parts], leading=2)
    states = {k: np.concatenate([p[2][k][:, :length] for p in parts]) for k in keys}
    live = np.minimum(np.concatenate([d.live_lengths() for d in datasets]), length)
    digest = hashlib.sha256("".join(d.manifest_sha256 for d in datasets).encode()).hexdigest()
    return TrainingData(frames, actions, states, live), digest


def model_config(world: str, overrides: dict[str, Any] | None = None) -> ModelConfig:
    """The recipe's model settings for `world` with `overrides`; raises ModelInputError on bad ones."""
    world_recipe = recipe(world)
    values = {**world_recipe.model, **(overrides or {})}
    per_step = world_recipe.action_dim
    if per_step is None:
        per_step = int(np.prod(make_world(world).action_space.shape or (0,)))
    action_dim = per_step * values.get("frameskip", ModelConfig.frameskip)
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


def episode_chunks(spec: CollectionSpec) -> Iterator[TrainingData]:
    """The episodes of `spec`, simulated a shard at a time and never written to disk."""
    for index in range(spec.shard_count):
        episodes = [
            run_episode(spec.world, spec.policy, seed, spec.steps, spec.noise) for seed in spec.shard_seeds(index)
        ]
        yield TrainingData(
            np.stack([e.frames for e in episodes]),
            np.stack([e.actions for e in episodes]),
            {key: np.stack([e.states[key] for e in episodes]) for key in episodes[0].states},
        )


def calibrate_surprise(model: WorldModel, episodes: Iterable[TrainingData] | None = None) -> dict[str, float]:
    """Fit the model's error model on held-out calibration episodes (the recipe's, or
    `episodes`: held-out video clips), scale its window's horizons, and put the alert threshold
    in the far tail of their surprise. The threshold is read off whole windows, the only ones
    the agent judges."""
    world_recipe = recipe(model.config.world)
    residuals = _calibration_windows(model, model.imagination_residuals, episodes)
    if len(residuals) <= model.config.latent_dim:
        raise DatasetError(
            f"the held-out episodes give {len(residuals)} steps to calibrate surprise on; a "
            f"{model.config.latent_dim}-d latent needs more than {model.config.latent_dim}: give more or longer ones"
        )
    one_step = ErrorModel.fit(residuals[:, 0], world_recipe.surprise_shrinkage)
    model.error_model = one_step.windowed(residuals, world_recipe.surprise_balanced)
    whole = residuals[~torch.isnan(residuals).any(dim=(1, 2))]
    values = model.window_surprise(whole).numpy()
    return {
        "surprise_mean": float(values.mean()),
        "surprise_p99": float(np.percentile(values, 99)),
        # One ordinary step in a thousand raises an alarm: about one agent episode in twenty.
        "surprise_threshold": float(np.percentile(values, 99.9)),
    }


def calibrate_baseline(
    pixel: PixelPredictor, model: WorldModel, episodes: Iterable[TrainingData] | None = None
) -> None:
    """Judge the pixel baseline's surprise over the same window as `model`'s, scaled on the
    same held-out episodes and steps, so that both are scored alike."""
    errors = _calibration_windows(model, pixel.imagination_errors, episodes)
    pixel.calibrate(errors, recipe(model.config.world).surprise_balanced)


def _calibration_windows(
    model: WorldModel,
    imagine: Callable[[np.ndarray, np.ndarray, int], torch.Tensor],
    episodes: Iterable[TrainingData] | None = None,
) -> torch.Tensor:
    """What `imagine(frames, actions, window)` makes of the recipe's calibration episodes
    (simulated a shard at a time), row after row of trusted imaginations only: from
    `first_surprise_step` on (before it an MLP sees a padded history, no velocities yet), the
    agent raises no alarm (nor does the benchmark score them), so their larger errors must
    not shape the calibration."""
    world_recipe = recipe(model.config.world)
    if episodes is None:
        if world_recipe.calibration is None:
            raise DatasetError(f"the {model.config.world!r} recipe needs held-out calibration episodes")
        episodes = episode_chunks(world_recipe.calibration)
    return torch.cat(
        [
            imagine(frames, actions, world_recipe.surprise_window)[model.config.first_surprise_step :]
            for chunk in episodes
            for frames, actions in zip(chunk.frames, chunk.actions, strict=True)
        ]
    )


@dataclass(frozen=True)
class TrainingProgress:
    """What a long training run reports as it goes (each callback optional)."""

    on_step: Callable[[int, dict[str, float]], None] | None = None  # JEPA step (both phases), metrics
    on_clips: Callable[[int, int], None] | None = None  # predictor-phase episodes encoded, of how many
    on_baseline_step: Callable[[int, dict[str, float]], None] | None = None  # pixel baseline step, metrics


def train_world_model(
    world: str,
    data: TrainingData,
    data_hash: str,
    out: Path,
    model_overrides: dict[str, Any] | None = None,
    train_config: TrainConfig | None = None,
    command: str = "",
    baseline: bool = False,
    progress: TrainingProgress | None = None,
    calibration: TrainingData | None = None,
) -> tuple[WorldModel, dict[str, float]]:
    """Train (jointly, then the predictor alone if the config asks), fit probes on held-out
    frames, calibrate surprise, and save the checkpoint; with `baseline`, also train the
    pixel-space baseline on the same data for as many steps as both phases. `calibration`:
    held-out episodes for the surprise scale (default: the recipe's); data without states
    (video) gets no probes."""
    progress = progress or TrainingProgress()
    model = new_model(world, model_overrides)
    config = train_config or recipe(world).train_config()
    started = time.perf_counter()
    record = {"command": command, "data_manifest_sha256": data_hash}
    metrics = train(model, data, config, out, record, progress.on_step)
    if distributed_context()[0] != 0:  # under torchrun the first process finishes and writes the checkpoint
        return model, metrics
    adopt_predictor_history(model, config)  # also when a finished run is resumed for its probes
    if not predictor_phase_done(model, config):
        episodes = _predictor_episodes(model, data, config, progress.on_clips)
        refined = refine_predictor(model, episodes, config, out, record, progress.on_step)
        metrics |= {f"refined_{name}": value for name, value in refined.items()}
    wall = time.perf_counter() - started
    r2 = fit_world_probes(model, data, config.seed) if data.states else {}
    held_out = None if calibration is None else [calibration]
    calibrated = calibrate_surprise(model, held_out)
    wall += model.metadata.get("train_wall_s") or 0.0  # summed over resumed runs
    model.save(
        out,
        probe_r2=r2,
        **calibrated,
        final_metrics={**model.metadata.get("final_metrics", {}), **metrics},  # a resumed run keeps what it did
        train_wall_s=round(wall, 1),
    )
    if baseline:
        started = time.perf_counter()
        pixel = train_pixel_baseline(
            _baseline_schedule(world, data, config),
            model.config.history,
            model.config.action_dim,
            model.config.frameskip,
            config.batch_size,
            config.seed,
            on_log=progress.on_baseline_step,
        )
        calibrate_baseline(pixel, model, held_out)
        pixel.save(out)
        metrics["pixel_baseline_wall_s"] = round(time.perf_counter() - started, 1)
    return model, {
        **metrics,
        **{f"r2_{k}": v for k, v in r2.items()},
        **calibrated,
        "train_wall_s": wall,
    }


def _predictor_parts(world: str, data: TrainingData, config: TrainConfig) -> Iterable[TrainingData]:
    """The predictor phase's episodes: fresh ones, simulated a chunk at a time, when the config
    asks for them; else the joint phase's."""
    if config.predictor_episodes == 0:
        return [data]
    return episode_chunks(recipe(world).predictor_clips(config.predictor_episodes))


def _predictor_episodes(
    model: WorldModel, data: TrainingData, config: TrainConfig, on_clips: Callable[[int, int], None] | None
) -> LatentEpisodes:
    """The predictor phase's episodes encoded by the trained encoder, reporting as it goes."""
    total = config.predictor_episodes or len(data.frames)

    def reported() -> Iterator[TrainingData]:
        done = 0
        for part in _predictor_parts(model.config.world, data, config):
            yield part  # encoded before the next one is asked for
            done += len(part.frames)
            if on_clips is not None:
                on_clips(done, total)

    return LatentEpisodes.encode(model, reported())


def _baseline_schedule(world: str, data: TrainingData, config: TrainConfig) -> Iterator[tuple[TrainingData, int]]:
    """The JEPA's data for the baseline, with as many optimiser steps on each part as the JEPA
    took: the joint phase's episodes, then the predictor phase's (chunk by chunk, its steps
    shared out by episodes)."""
    if config.predictor_episodes == 0:
        yield data, config.total_steps
        return
    yield data, config.steps
    done = 0
    for chunk in _predictor_parts(world, data, config):
        share = round((done + len(chunk.frames)) * config.predictor_steps / config.predictor_episodes)
        yield chunk, share - round(done * config.predictor_steps / config.predictor_episodes)
        done += len(chunk.frames)
