"""WorldModel: the public face of the JEPA (encode, predict, roll out, surprise, probes, files)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from world_model.checkpoint_config import CONFIG, FORMAT, WEIGHTS, read_checkpoint_config
from world_model.config import ModelConfig
from world_model.errors import CheckpointError, ModelInputError
from world_model.networks import InverseDynamics, make_encoder, make_predictor
from world_model.surprise import ErrorModel


def to_pixels(frames: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 [..., 64, 64, 3] -> float [N, 3, 64, 64] in [0, 1] (channels-last memory: faster on CPU)."""
    tensor = torch.as_tensor(frames)
    if tensor.shape[-3:] != (64, 64, 3):
        raise ModelInputError(f"frames must be [..., 64, 64, 3], got {list(tensor.shape)}")
    flat = tensor.reshape(-1, 64, 64, 3).permute(0, 3, 1, 2).float().div_(255.0)
    return flat.contiguous(memory_format=torch.channels_last)


def model_steps(frames: np.ndarray, actions: np.ndarray, frameskip: int) -> tuple[np.ndarray, torch.Tensor]:
    """An episode of env frames [T, ...] and env actions [T-1, A] as the model steps through it:
    every `frameskip`-th frame, and the actions between two kept frames as one block [n-1, A*k]."""
    kept = frames[::frameskip]
    taken = actions[: (len(kept) - 1) * frameskip]
    return kept, torch.as_tensor(taken, dtype=torch.float32).reshape(len(kept) - 1, -1)


class WorldModel(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = make_encoder(config)
        self.predictor = make_predictor(config)
        # Inverse dynamics needs actions to predict: an action-free world (bounce) gets no head.
        self.inverse_dynamics = InverseDynamics(config) if config.idm_weight > 0 and config.action_dim > 0 else None
        self.probes: dict[str, torch.Tensor] = {}  # name -> [D + 1, *shape] linear weights
        self.probe_shapes: dict[str, tuple[int, ...]] = {}
        self.metadata: dict[str, Any] = {}
        self.error_model: ErrorModel | None = None  # fitted after training (calibrate_surprise)

    # -- perception ----------------------------------------------------------------------
    @property
    def latent_space(self) -> str:
        """A name for the space `encode` maps into: world, size and a digest of the encoder's
        weights. Latents with different names cannot be compared (memory refuses to mix them)."""
        digest = hashlib.sha256()
        for name, tensor in sorted(self.encoder.state_dict().items()):
            digest.update(name.encode())
            digest.update(tensor.detach().contiguous().numpy().tobytes())
        return f"{self.config.world}-{self.config.latent_dim}d-{digest.hexdigest()[:16]}"

    def embed(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.encoder(pixels)

    def encode(self, frames: np.ndarray | torch.Tensor) -> torch.Tensor:
        """uint8 frames [B, 64, 64, 3] or [B, T, 64, 64, 3] -> latents [B, D] or [B, T, D]."""
        lead = tuple(torch.as_tensor(frames).shape[:-3])
        return self.embed(to_pixels(frames)).reshape(*lead, self.config.latent_dim)

    # -- prediction ----------------------------------------------------------------------
    def _fit_history(self, history: torch.Tensor) -> torch.Tensor:
        """The last `history` latents; an MLP predictor gets a short history left-padded by
        repeating its first latent (start of an episode), a recurrent one reads it as it is."""
        missing = self.config.history - history.shape[1]
        if missing > 0 and self.config.predictor != "gru":
            history = torch.cat([history[:, :1].expand(-1, missing, -1), history], dim=1)
        return history[:, -self.config.history :]

    def predict_next(self, history: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        """history [B, h, D] (h may be < H), action [B, A] -> predicted next latent [B, D]."""
        return self.predictor(self._fit_history(history), action)

    def rollout(self, history: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """Imagine T steps ahead: history [B, h, D], actions [B, T, A] -> latents [B, T, D]."""
        window = self._fit_history(history)
        imagined = []
        for t in range(actions.shape[1]):
            nxt = self.predictor(window, actions[:, t])
            imagined.append(nxt)
            window = torch.cat([window, nxt.unsqueeze(1)], dim=1)[:, -self.config.history :]
        return torch.stack(imagined, dim=1)

    @torch.inference_mode()
    def imagination_residuals(self, frames: np.ndarray, actions: np.ndarray, horizon: int) -> torch.Tensor:
        """What each model step of a clip imagined, against what followed: encoded minus imagined
        latents [n-1, horizon, D] for env frames [T, 64, 64, 3] and env actions [T-1, A]; row s
        rolls out from the latents up to step s with the actions the clip then took (NaN past
        the clip's end)."""
        kept, blocks = model_steps(frames, actions, self.config.frameskip)
        z = self.encode(kept)  # [n, D]
        residuals = torch.full((len(kept) - 1, horizon, z.shape[1]), float("nan"))
        for start in range(len(kept) - 1):
            seen = min(horizon, len(kept) - 1 - start)
            history = z[max(0, start + 1 - self.config.history) : start + 1].unsqueeze(0)
            imagined = self.rollout(history, blocks[start : start + seen].unsqueeze(0))[0]
            residuals[start, :seen] = z[start + 1 : start + 1 + seen] - imagined
        return residuals

    @property
    def surprise_window(self) -> int:
        """Steps each imagination is judged on (1 until calibrated)."""
        return 1 if self.error_model is None else self.error_model.window

    def window_surprise(self, residuals: torch.Tensor) -> torch.Tensor:
        """Surprise of imagined windows from their residuals [S, M, D] -> [S]: under the fitted
        error model, or the plain Euclidean norm of one-step residuals for a model not
        calibrated yet."""
        if self.error_model is None:
            return torch.linalg.vector_norm(residuals[:, 0], dim=-1)
        return self.error_model.window_surprise(residuals)

    def surprise(self, frames: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """Surprise per model step of a clip: what was imagined there against the next
        `surprise_window` steps (fewer at the clip's end; see `imagination_residuals`)."""
        residuals = self.imagination_residuals(frames, actions, self.surprise_window)
        return self.window_surprise(residuals).numpy().astype(np.float32)

    # -- probes --------------------------------------------------------------------------
    def set_probe(self, name: str, weights: torch.Tensor, shape: tuple[int, ...]) -> None:
        self.probes[name] = weights.detach().float()
        self.probe_shapes[name] = tuple(shape)

    def decode(self, name: str, latents: torch.Tensor) -> torch.Tensor:
        """Apply probe `name` to latents [..., D] (differentiable, batched: used by planners)."""
        if name not in self.probes:
            raise ModelInputError(f"this checkpoint has no probe {name!r}; it has {sorted(self.probes)}")
        weights = self.probes[name]
        decoded = latents @ weights[:-1] + weights[-1]
        return decoded.reshape(*latents.shape[:-1], *self.probe_shapes[name])

    def probe(self, latents: torch.Tensor | np.ndarray) -> dict[str, np.ndarray]:
        """Decode latents [..., D] into the physical quantities the probes were fitted on."""
        z = torch.as_tensor(latents, dtype=torch.float32)
        return {name: self.decode(name, z).detach().numpy() for name in self.probes}

    # -- files ---------------------------------------------------------------------------
    def save(self, path: Path, **metadata: Any) -> None:
        """Write weights (safetensors) and config (JSON) atomically into the folder `path`."""
        path.mkdir(parents=True, exist_ok=True)
        tensors = {k: v.detach().contiguous() for k, v in self.state_dict().items()}
        tensors |= {f"probe.{name}": w.contiguous() for name, w in self.probes.items()}
        if self.error_model is not None:
            tensors |= {f"surprise.{name}": t for name, t in self.error_model.tensors().items()}
        self.metadata |= metadata
        document = {
            "format": FORMAT,
            "model": self.config.__dict__ | {"channels": list(self.config.channels)},
            "probes": {name: list(shape) for name, shape in self.probe_shapes.items()},
            **self.metadata,
        }
        for name, write in (
            (WEIGHTS, lambda p: save_file(tensors, str(p))),
            (CONFIG, lambda p: p.write_text(json.dumps(document, indent=1, default=str))),
        ):
            tmp = path / f".{name}.tmp"
            write(tmp)
            with tmp.open("rb") as handle:
                os.fsync(handle.fileno())
            tmp.replace(path / name)

    @classmethod
    def load(cls, path: Path | str, world: str | None = None) -> WorldModel:
        """Load a checkpoint folder; any problem raises CheckpointError naming the file."""
        path = Path(path)
        weights_path = path / WEIGHTS
        checked = read_checkpoint_config(path, world)
        config = checked.config
        model = cls(config)
        try:
            tensors = load_file(str(weights_path))
        except (OSError, SafetensorError) as exc:
            raise CheckpointError(f"{weights_path} cannot be read: {exc}") from None
        for name, shape in checked.probes.items():
            weights = tensors.pop(f"probe.{name}", None)
            if weights is None:
                raise CheckpointError(f"{weights_path} lacks the weights of probe {name!r}")
            model.set_probe(name, weights, tuple(shape))
        mean, whitener = (tensors.pop(f"surprise.{name}", None) for name in ("mean", "whitener"))
        scales = tensors.pop("surprise.horizon_scales", torch.ones(1))  # absent: checkpoints before windows
        if mean is not None and whitener is not None:
            size = config.latent_dim
            if mean.shape != (size,) or whitener.shape != (size, size):
                raise CheckpointError(f"{weights_path}: its surprise error model does not fit a {size}-d latent")
            try:
                model.error_model = ErrorModel(mean, whitener, scales)
            except ValueError as exc:
                raise CheckpointError(f"{weights_path}: its surprise {exc}") from None
        elif mean is not None or whitener is not None:
            raise CheckpointError(f"{weights_path} holds only part of its surprise error model")
        try:
            model.load_state_dict(tensors, strict=True)
        except RuntimeError as exc:
            first = str(exc).splitlines()[1].strip() if "\n" in str(exc) else str(exc)
            raise CheckpointError(f"{weights_path} does not match its config: {first}") from None
        model.metadata = dict(checked.metadata)
        model.eval()
        return model
