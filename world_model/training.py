"""Training the JEPA on windows of frames and actions, on one CPU or many processes (DDP).

The loss is latent prediction only (teacher forcing over the window plus a few autoregressive
steps) and the configured anti-collapse regulariser; pixels are never reconstructed.
Checkpoints are written every `checkpoint_every` steps with the optimizer state, so an
interrupted run resumes where it stopped; a NaN loss stops the run and leaves the last good
checkpoint untouched.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import nn

from world_model.config import TrainConfig
from world_model.errors import TrainingError
from world_model.model import WorldModel, model_steps, to_pixels
from world_model.networks import RecurrentPredictor
from world_model.regularizers import (
    covariance_term,
    effective_rank,
    motion_variance_term,
    sigreg,
    variance_term,
)

OPTIMIZER_FILE = "optimizer.safetensors"


def window_length(model: WorldModel, train: TrainConfig) -> int:
    """Model steps per training window. An MLP predictor needs a full history before each of its
    targets; a recurrent one is trained on every prefix of a window as long as its history, plus
    the next latent."""
    if model.config.predictor != "gru":
        return model.config.history + train.rollout_steps + 2
    if train.rollout_steps >= model.config.history:
        raise TrainingError(
            f"a GRU predictor's rollout starts inside its window of {model.config.history} latents: "
            f"rollout_steps ({train.rollout_steps}) must be below history"
        )
    return model.config.history + 1


@dataclass(frozen=True)
class TrainingData:
    frames: np.ndarray  # [N, T, 64, 64, 3] uint8
    actions: np.ndarray  # [N, T-1, A] float32
    states: dict[str, np.ndarray]  # [N, T, ...]
    # Frames per episode before the world ended and held its last frame (None: all of them).
    # The held frames are no transitions: whatever the action, nothing moves, and trained on
    # them the model learns that actions do nothing near where experts stop.
    live: np.ndarray | None = None

    def window_length(self, model: WorldModel, train: TrainConfig) -> int:
        """`window_length`, checked against the length of these episodes."""
        length = window_length(model, train)
        span = (length - 1) * model.config.frameskip + 1
        if span > self.frames.shape[1]:
            raise TrainingError(f"episodes have {self.frames.shape[1]} frames; windows need {span}")
        if self.live is not None and not (self.live >= span).any():
            longest = int(self.live.max(initial=0))
            raise TrainingError(f"no episode runs {span} frames before it ends (the longest: {longest})")
        return length

    def sample(
        self, batch: int, length: int, rng: np.random.Generator, frameskip: int = 1
    ) -> tuple[np.ndarray, np.ndarray]:
        """Random windows of `length` frames `frameskip` apart, within the live frames; the
        actions between two kept frames are concatenated into one action block
        [B, length-1, A * frameskip]."""
        span = (length - 1) * frameskip
        if self.live is None:
            episodes = rng.integers(0, len(self.frames), batch)
            starts = rng.integers(0, self.frames.shape[1] - span, batch)
        else:
            room = self.live - span  # window starts each episode has (none when <= 0)
            long_enough = np.flatnonzero(room > 0)
            episodes = long_enough[rng.integers(0, len(long_enough), batch)]
            starts = (rng.random(batch) * room[episodes]).astype(np.int64)
        steps = starts[:, None] + np.arange(span)
        actions = self.actions[episodes[:, None], steps].reshape(batch, length - 1, -1)
        return self.frames[episodes[:, None], starts[:, None] + np.arange(length) * frameskip], actions


@dataclass(frozen=True)
class LatentEpisodes:
    """Episodes as the model steps through them, encoded once by a frozen encoder: latents of
    every kept frame [N, n, D] and the action blocks between them [N, n-1, A * frameskip].

    Forty-odd floats a step instead of a 64x64 frame: the predictor phase can hold far more
    episodes than the joint phase (20,000 bounce clips: 96 MB as latents, 12 GB as frames)."""

    latents: torch.Tensor
    actions: torch.Tensor

    @classmethod
    def encode(cls, model: WorldModel, parts: Iterable[TrainingData]) -> LatentEpisodes:
        """Encode `parts` (datasets, or chunks of one too large to hold as frames) with `model`."""
        latents, actions = [], []
        model.eval()
        with torch.inference_mode():
            for part in parts:
                for frames, taken in zip(part.frames, part.actions, strict=True):
                    kept, blocks = model_steps(frames, taken, model.config.frameskip)
                    latents.append(model.encode(kept))
                    actions.append(blocks)
        return cls(torch.stack(latents), torch.stack(actions))

    def sample(self, batch: int, length: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Random windows of `length` consecutive model steps: latents [B, L, D], actions [B, L-1, A*k]."""
        if length > self.latents.shape[1]:
            raise TrainingError(f"episodes have {self.latents.shape[1]} model steps; windows need {length}")
        episodes = torch.from_numpy(rng.integers(0, len(self.latents), batch))[:, None]
        starts = torch.from_numpy(rng.integers(0, self.latents.shape[1] - length + 1, batch))
        steps = starts[:, None] + torch.arange(length)
        return self.latents[episodes, steps], self.actions[episodes, steps[:, :-1]]


class JEPALoss(nn.Module):
    """All loss terms for one batch of windows; a module so DDP can wrap it."""

    def __init__(self, model: WorldModel, rollout_steps: int) -> None:
        super().__init__()
        self.model = model
        self.rollout_steps = rollout_steps

    def prediction_terms(self, z: torch.Tensor, actions: torch.Tensor) -> dict[str, torch.Tensor]:
        """Teacher-forced and rollout prediction losses on windows of latents [B, L, D]."""
        model, length = self.model, z.shape[1]
        if isinstance(model.predictor, RecurrentPredictor):  # every prefix of the window at once
            h = length - self.rollout_steps  # the rollout continues from the longest prefix that leaves room
            terms = {"prediction": F.mse_loss(model.predictor.predict_sequence(z[:, :-1], actions), z[:, 1:])}
        else:
            h = model.config.history
            predicted = torch.stack(
                [model.predictor(z[:, t - h + 1 : t + 1], actions[:, t]) for t in range(h - 1, length - 1)],
                dim=1,
            )
            terms = {"prediction": F.mse_loss(predicted, z[:, h:])}
        if self.rollout_steps > 1:
            imagined = model.rollout(z[:, :h], actions[:, h - 1 : h - 1 + self.rollout_steps])
            terms["rollout"] = F.mse_loss(imagined, z[:, h : h + self.rollout_steps])
        return terms

    def forward(self, frames: torch.Tensor, actions: torch.Tensor) -> dict[str, torch.Tensor]:
        model, config = self.model, self.model.config
        batch, length = frames.shape[:2]
        z = model.embed(to_pixels(frames)).reshape(batch, length, -1)
        terms = self.prediction_terms(z, actions)
        flat = z.reshape(-1, z.shape[-1])
        if config.regularizer == "sigreg":
            terms["sigreg"] = config.sigreg_weight * sigreg(flat, config.sigreg_projections)
        else:
            terms["variance"] = config.variance_weight * variance_term(flat)
            terms["covariance"] = config.covariance_weight * covariance_term(flat)
        if config.motion_variance_weight:  # with either regulariser
            terms["motion"] = config.motion_variance_weight * motion_variance_term(z, config.motion_std)
        if model.inverse_dynamics is not None:  # with either regulariser
            guessed = model.inverse_dynamics(z[:, :-1], z[:, 1:])
            terms["idm"] = config.idm_weight * F.mse_loss(guessed, actions)
        terms["total"] = sum(terms.values(), torch.zeros(()))
        terms["_latents"] = flat.detach()
        return terms


def distributed_context() -> tuple[int, int]:
    """(rank, world size); joins the process group when launched by torchrun."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size > 1 and not dist.is_initialized():
        dist.init_process_group("gloo")
    if dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def diagnostics(latents: torch.Tensor) -> dict[str, float]:
    """Collapse signals: per-dimension std (mean and min) and effective rank."""
    std = latents.std(dim=0)
    return {
        "std_mean": float(std.mean()),
        "std_min": float(std.min()),
        "eff_rank": effective_rank(latents),
    }


def _save_optimizer(optimizer: torch.optim.Optimizer, path: Path, step: int) -> None:
    """Optimizer moments as safetensors (no pickles in checkpoints)."""
    tensors = {"step": torch.tensor([step])}
    for i, param in enumerate(p for group in optimizer.param_groups for p in group["params"]):
        for key, value in optimizer.state.get(param, {}).items():
            tensors[f"{i}.{key}"] = torch.as_tensor(value).reshape(-1) if key == "step" else value.contiguous()
    tmp = path.with_name(f".{path.name}.tmp")
    save_file(tensors, str(tmp))
    tmp.replace(path)


def _load_optimizer(optimizer: torch.optim.Optimizer, path: Path) -> int:
    tensors = load_file(str(path))
    for i, param in enumerate(p for group in optimizer.param_groups for p in group["params"]):
        state = {key.split(".", 1)[1]: value for key, value in tensors.items() if key.startswith(f"{i}.")}
        if state:
            state["step"] = state["step"].reshape(())
            optimizer.state[param] = state
    return int(tensors["step"][0])


def _descend(
    optimizer: torch.optim.Optimizer, parameters: list[nn.Parameter], loss: torch.Tensor, lr: float, failed: str
) -> None:
    """One clipped optimiser step at rate `lr`; a loss that is not finite raises TrainingError
    (`failed` says where, and that the last checkpoint is kept) before anything changes."""
    if not math.isfinite(loss.item()):
        raise TrainingError(f"loss became {loss.item()} {failed}")
    for group in optimizer.param_groups:
        group["lr"] = lr
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(parameters, 1.0)
    optimizer.step()


def train(
    model: WorldModel,
    data: TrainingData,
    config: TrainConfig,
    out: Path,
    metadata: dict[str, Any] | None = None,
    on_log: Callable[[int, dict[str, float]], None] | None = None,
) -> dict[str, float]:
    """Train `model` in place and checkpoint it to `out`; returns the last logged metrics."""
    rank, world_size = distributed_context()
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed + 7919 * rank)
    length = data.window_length(model, config)
    objective: nn.Module = JEPALoss(model, config.rollout_steps)
    if world_size > 1:
        objective = nn.parallel.DistributedDataParallel(objective)
    parameters = list(model.parameters())
    optimizer = torch.optim.AdamW(parameters, lr=config.learning_rate, weight_decay=config.weight_decay)
    start = 0
    if (out / OPTIMIZER_FILE).exists():
        resumed = WorldModel.load(out, world=model.config.world)
        model.load_state_dict(resumed.state_dict())
        model.metadata = dict(resumed.metadata)  # a finished run resumed for its probes keeps its record
        start = _load_optimizer(optimizer, out / OPTIMIZER_FILE)
        rng = np.random.default_rng(config.seed + 7919 * rank + start)
        if on_log and rank == 0:
            on_log(start, {})  # progress shows where the run resumed (all done, for a finished run)
    meta = {**(metadata or {}), "train": asdict(config), "world_size": world_size}
    model.train()
    metrics: dict[str, float] = {}
    window_start, last_time = start, time.perf_counter()
    for step in range(start + 1, config.steps + 1):
        frames, actions = data.sample(config.batch_size, length, rng, model.config.frameskip)
        terms = objective(torch.from_numpy(frames), torch.from_numpy(actions).float())
        failed = f"at step {step}; the last good checkpoint in {out} is kept"
        _descend(optimizer, parameters, terms["total"], config.learning_rate_at(step), failed)
        if step % config.log_every == 0 or step == config.steps:
            now = time.perf_counter()
            metrics = {k: v.item() for k, v in terms.items() if not k.startswith("_")}
            metrics |= diagnostics(terms["_latents"])
            metrics["steps_per_s"] = (step - window_start) / (now - last_time)
            window_start, last_time = step, now
            if on_log and rank == 0:
                on_log(step, metrics)
        if rank == 0 and (step % config.checkpoint_every == 0 or step == config.steps):
            model.eval()
            model.save(out, step=step, **meta)
            _save_optimizer(optimizer, out / OPTIMIZER_FILE, step)
            model.train()
    model.eval()
    return metrics


def adopt_predictor_history(model: WorldModel, config: TrainConfig) -> None:
    """From the predictor phase on, a recurrent predictor reads `config.predictor_history`
    latents (when set): the checkpoint is saved, probed and calibrated with it."""
    if not config.predictor_history or config.predictor_history == model.config.history:
        return
    if model.config.predictor != "gru":
        raise TrainingError("predictor_history needs a GRU predictor (an MLP's input size is its history)")
    model.config = replace(model.config, history=config.predictor_history)


def predictor_phase_done(model: WorldModel, config: TrainConfig) -> bool:
    """True when `config` asks for no predictor phase or `model` has been through it."""
    return config.predictor_steps == 0 or model.metadata.get("step", 0) >= config.total_steps


def refine_predictor(
    model: WorldModel,
    episodes: LatentEpisodes,
    config: TrainConfig,
    out: Path,
    metadata: dict[str, Any] | None = None,
    on_log: Callable[[int, dict[str, float]], None] | None = None,
) -> dict[str, float]:
    """The second phase: `config.predictor_steps` steps of the predictor alone on `episodes`,
    latents of the model's own (now frozen) encoder.

    Joint training ends while the predictor is still learning what happens in a few frames of a
    clip (a ball coming out from behind the occluder, a bounce); with the encoder frozen a step
    costs a small fraction of a joint one and an episode a few hundred bytes, so the predictor
    gets many more, larger batches from many more episodes. No regulariser is needed: the latents
    cannot collapse. The loss is teacher-forced prediction only: a recurrent predictor's rollout
    re-reads its window for every imagined step, which tripled the cost of a step, and the joint
    phase has already trained it. The phase writes its checkpoint at the end (an interrupted one
    starts again).
    """
    adopt_predictor_history(model, config)
    if predictor_phase_done(model, config):
        return {}
    torch.manual_seed(config.seed + 1)
    rng = np.random.default_rng(config.seed + 1)
    length = window_length(model, replace(config, rollout_steps=0))
    objective = JEPALoss(model, rollout_steps=0)
    parameters = list(model.predictor.parameters())
    optimizer = torch.optim.AdamW(parameters, lr=config.learning_rate, weight_decay=config.weight_decay)
    phase = replace(config, steps=config.predictor_steps, warmup_steps=0, lr_schedule="cosine")
    metrics: dict[str, float] = {}
    window_start, last_time = 0, time.perf_counter()
    for step in range(1, config.predictor_steps + 1):
        terms = objective.prediction_terms(*episodes.sample(config.predictor_batch_size, length, rng))
        loss = sum(terms.values(), torch.zeros(()))
        failed = f"at step {config.steps + step} (predictor phase); the checkpoint in {out} is kept"
        _descend(optimizer, parameters, loss, phase.learning_rate_at(step), failed)
        if step % config.log_every == 0 or step == config.predictor_steps:
            now = time.perf_counter()
            metrics = {k: v.item() for k, v in terms.items()} | {"total": loss.item()}
            metrics["steps_per_s"] = (step - window_start) / (now - last_time)
            window_start, last_time = step, now
            if on_log:
                on_log(config.steps + step, metrics)
    model.eval()
    model.save(out, step=config.total_steps, **(metadata or {}), train=asdict(config))
    return metrics
