"""Surprise in units of the model's ordinary prediction errors, judged over a window of steps.

Each error is a Mahalanobis distance. A plain Euclidean error weighs every latent direction
alike, yet some directions are noisy on every ordinary step (in tworooms, where a noisy expert's
next position lands) and others almost never move. An impossible event that moves a quiet
direction (the agent mirrored across the wall) can then cost less than an ordinary step that
moves a noisy one. Measuring the error against a Gaussian fitted to ordinary residuals asks
instead how unlikely this error is.

Surprise at a step judges what the model imagined there against the next M steps it then saw
(Garrido et al. 2025 predict several frames from a context the same way): the mean of the errors
at each horizon, each divided by its ordinary size. One step of evidence is a poor judge when
the evidence builds up: a ball that should have come out from behind the occluder and did not
is a small error on each of several steps, smaller than the largest error of an ordinary
bounce, but not on average over the steps it stays missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch

# The sample covariance of a few thousand residuals in 64-128 dimensions is near-singular in its
# quietest directions; pulling it slightly toward its mean variance keeps the inverse sane. The
# exact amount hardly matters (a tenth or three times as much scored the same in tworooms). At 1
# the distance is the Euclidean one, rescaled.
SHRINKAGE = 0.01


def window_scores(errors: torch.Tensor, scales: torch.Tensor) -> torch.Tensor:
    """Errors [S, M] of S imagined windows (NaN past the end of what was seen) -> [S]: each
    window's mean error over the horizons it was judged on, each divided by its `scales` entry."""
    if errors.shape[1:] != scales.shape:
        raise ValueError(f"errors of {errors.shape[1]}-step windows cannot be judged on {len(scales)} steps")
    return (errors / scales).nanmean(dim=1)


def checked_scales(scales: torch.Tensor) -> torch.Tensor:
    """`scales` if they can divide a window's errors (one positive number per horizon); else
    ValueError, so that a damaged file is named instead of dividing by zero or flipping signs."""
    if scales.ndim != 1 or len(scales) == 0 or not bool((scales > 0).all()):
        raise ValueError(f"horizon scales must be positive numbers, got {scales.tolist()}")
    return scales


def horizon_scales(errors: torch.Tensor, balanced: bool) -> torch.Tensor:
    """What each horizon's error is divided by, from the errors [N, M] of ordinary windows:
    its own mean when `balanced` (every horizon counts alike), else the mean over all horizons
    (each counts by its size, so the far ones, which err more, weigh more). Either way an
    ordinary window scores about 1."""
    valid = errors[~torch.isnan(errors).any(dim=1)]
    if len(valid) == 0:
        raise ValueError(f"need complete windows to scale surprise, got {list(errors.shape)}")
    means = valid.mean(dim=0)
    return means if balanced else means.mean().expand_as(means).clone()


@dataclass(frozen=True)
class ErrorModel:
    """A Gaussian over ordinary one-step prediction residuals (actual - predicted latent), and
    the ordinary size of the error at each horizon of an imagined window."""

    mean: torch.Tensor  # [D]
    whitener: torch.Tensor  # [D, D] lower-triangular L with L L^T = inverse covariance
    # [M]: M is the window's length; one 1.0 judges each step's one-step distance on its own.
    horizon_scales: torch.Tensor = field(default_factory=lambda: torch.ones(1))

    def __post_init__(self) -> None:
        checked_scales(self.horizon_scales)

    @property
    def window(self) -> int:
        return len(self.horizon_scales)

    @classmethod
    def fit(cls, residuals: torch.Tensor, shrinkage: float = SHRINKAGE) -> ErrorModel:
        """Fit on residuals [N, D] of episodes the model did not train on (on training data the
        residuals are smaller than the model will ever see again), the covariance pulled toward
        its mean variance by `shrinkage` (0: none, 1: all the way)."""
        if residuals.ndim != 2 or len(residuals) <= residuals.shape[1]:
            raise ValueError(f"need more residuals than dimensions to fit an error model, got {list(residuals.shape)}")
        if not 0 <= shrinkage <= 1:
            raise ValueError(f"shrinkage must be between 0 and 1, got {shrinkage}")
        residuals = residuals.double()
        covariance = torch.cov(residuals.T)
        isotropic = covariance.diagonal().mean() * torch.eye(len(covariance), dtype=covariance.dtype)
        shrunk = (1 - shrinkage) * covariance + shrinkage * isotropic
        whitener = torch.linalg.cholesky(torch.linalg.inv(shrunk))
        return cls(residuals.mean(0).float(), whitener.float())

    def distance(self, residuals: torch.Tensor) -> torch.Tensor:
        """Mahalanobis distance of residuals [..., D] -> [...]; about sqrt(D) for ordinary ones."""
        return torch.linalg.vector_norm((residuals - self.mean) @ self.whitener, dim=-1)

    def windowed(self, residuals: torch.Tensor, balanced: bool) -> ErrorModel:
        """This model judging windows as long as the ordinary residuals [N, M, D] (NaN past
        an episode's end), with their horizon scales (see `horizon_scales`)."""
        return replace(self, horizon_scales=horizon_scales(self.distance(residuals), balanced))

    def window_surprise(self, residuals: torch.Tensor) -> torch.Tensor:
        """Surprise of S imagined windows from their residuals [S, M, D] -> [S]."""
        return window_scores(self.distance(residuals), self.horizon_scales)

    def tensors(self) -> dict[str, torch.Tensor]:
        return {name: getattr(self, name).contiguous() for name in ("mean", "whitener", "horizon_scales")}
