"""A generative pixel-space baseline: predict the next frame, score surprise as pixel MSE.

It sees the same frames, actions and history as the JEPA and trains for the same number of
steps, so the benchmark tests the claim that predicting in latent space is the better way to
notice impossible events, instead of assuming it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import nn

from world_model.errors import CheckpointError
from world_model.model import model_steps, to_pixels
from world_model.surprise import checked_scales, horizon_scales, window_scores
from world_model.training import TrainingData


class PixelPredictor(nn.Module):
    def __init__(
        self, history: int, action_dim: int, frameskip: int, width: int = 32, horizon_scales: list[float] | None = None
    ) -> None:
        super().__init__()
        self.history, self.action_dim, self.frameskip = history, action_dim, frameskip
        # Surprise is judged over windows the way the JEPA's is (world_model.surprise); [1.0]
        # until calibrated: each step's own pixel MSE.
        scales = [1.0] if horizon_scales is None else horizon_scales
        self.horizon_scales = checked_scales(torch.tensor(scales, dtype=torch.float32))
        self.down = nn.Sequential(
            nn.Conv2d(3 * history, width, 4, 2, 1),
            nn.GELU(),
            nn.Conv2d(width, 2 * width, 4, 2, 1),
            nn.GELU(),
            nn.Conv2d(2 * width, 2 * width, 4, 2, 1),
            nn.GELU(),
        )
        self.action = nn.Linear(max(action_dim, 1), 2 * width)
        self.up = nn.Sequential(
            nn.ConvTranspose2d(2 * width, 2 * width, 4, 2, 1),
            nn.GELU(),
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1),
            nn.GELU(),
            nn.ConvTranspose2d(width, 3, 4, 2, 1),
        )

    def forward(self, frames: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        """frames uint8 [B, H, 64, 64, 3], action [B, A] -> next frame in [0, 1], [B, 3, 64, 64]."""
        batch = frames.shape[0]
        pixels = to_pixels(frames).reshape(batch, -1, 64, 64)
        if self.action_dim == 0:
            action = torch.zeros(batch, 1)
        code = self.down(pixels) + self.action(action)[:, :, None, None]
        last = pixels[:, -3:]
        return torch.clamp(last + self.up(code), 0.0, 1.0)

    def loss(self, frames: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """Next-frame MSE over windows frames [B, L, ...], actions [B, L-1, A]."""
        h = self.history
        losses = [
            F.mse_loss(self(frames[:, t - h + 1 : t + 1], actions[:, t]), to_pixels(frames[:, t + 1]))
            for t in range(h - 1, frames.shape[1] - 1)
        ]
        return torch.stack(losses).mean()

    @torch.inference_mode()
    def imagination_errors(self, frames: np.ndarray, actions: np.ndarray, horizon: int) -> torch.Tensor:
        """Pixel MSE of what each model step of a clip imagined `horizon` steps ahead, its own
        predicted frames fed back [n-1, horizon] (NaN past the clip's end; same stepping as
        WorldModel.imagination_residuals)."""
        stepped, blocks = model_steps(frames, actions, self.frameskip)
        kept = torch.as_tensor(stepped)
        starts = len(kept) - 1
        padded = torch.cat([kept[:1].expand(self.history - 1, -1, -1, -1), kept])  # a full history from step 0
        windows = torch.stack([padded[s : s + self.history] for s in range(starts)])  # [S, h, 64, 64, 3]
        errors = torch.full((starts, horizon), float("nan"))
        for k in range(horizon):
            live = torch.arange(starts - k)  # windows whose k-th imagined step is still in the clip
            predicted = self(windows[live], blocks[live + k])
            actual = to_pixels(kept[live + k + 1])
            errors[live, k] = (predicted - actual).pow(2).mean(dim=(1, 2, 3))
            as_frames = predicted.mul(255).round().to(torch.uint8).permute(0, 2, 3, 1)
            windows = torch.cat([windows[live, 1:], as_frames[:, None]], dim=1)
        return errors

    def surprise(self, frames: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """Surprise per model step of a clip, judged over the calibrated window."""
        errors = self.imagination_errors(frames, actions, len(self.horizon_scales))
        return window_scores(errors, self.horizon_scales).numpy().astype(np.float32)

    def calibrate(self, errors: torch.Tensor, balanced: bool) -> None:
        """Judge windows as long as the ordinary errors [N, M] (see `horizon_scales`)."""
        self.horizon_scales = horizon_scales(errors, balanced)

    def save(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        save_file(
            {k: v.contiguous() for k, v in self.state_dict().items()},
            str(path / "pixel.safetensors"),
        )
        config = {
            "history": self.history,
            "action_dim": self.action_dim,
            "frameskip": self.frameskip,
            "horizon_scales": [float(v) for v in self.horizon_scales],
        }
        (path / "pixel.json").write_text(json.dumps(config))

    @classmethod
    def load(cls, path: Path) -> PixelPredictor:
        try:
            model = cls(**json.loads((path / "pixel.json").read_text()))
            model.load_state_dict(load_file(str(path / "pixel.safetensors")))
        except (OSError, ValueError, RuntimeError, TypeError) as exc:
            raise CheckpointError(f"no usable pixel baseline in {path}: {exc}") from None
        return model.eval()


def train_pixel_baseline(
    schedule: Iterable[tuple[TrainingData, int]],
    history: int,
    action_dim: int,
    frameskip: int,
    batch_size: int = 32,
    seed: int = 0,
    window: int = 6,
    on_log: Callable[[int, dict[str, float]], None] | None = None,
    log_every: int = 25,
) -> PixelPredictor:
    """Fit the baseline on the JEPA's data for as many steps: `schedule` gives each part of the
    data with the steps taken on it (the joint phase's data, then the predictor phase's, in
    chunks when they are too many clips to hold as frames). Each window is at least
    `history + 1` frames: one target after a full history. `on_log(step, {"pixel_mse": ...})`
    reports progress as training does."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = PixelPredictor(history, action_dim, frameskip)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    window = max(window, history + 1)
    step, logged, mse = 0, 0, float("nan")
    for data, steps in schedule:
        for _ in range(steps):
            frames, actions = data.sample(batch_size, window, rng, frameskip)
            loss = model.loss(torch.from_numpy(frames), torch.from_numpy(actions).float())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step, mse = step + 1, loss.item()
            if on_log is not None and step % log_every == 0:
                on_log(step, {"pixel_mse": mse})
                logged = step
    if on_log is not None and logged != step:
        on_log(step, {"pixel_mse": mse})
    return model.eval()
