"""Surprise in units of the model's ordinary prediction errors (a Mahalanobis distance).

A plain Euclidean error weighs every latent direction alike, yet some directions are noisy on
every ordinary step (in tworooms, where a noisy expert's next position lands) and others almost
never move. An impossible event that moves a quiet direction (the agent mirrored across the
wall) can then cost less than an ordinary step that moves a noisy one. Measuring the error
against a Gaussian fitted to ordinary residuals asks instead how unlikely this error is.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

# The sample covariance of a few thousand residuals in 64-128 dimensions is near-singular in its
# quietest directions; pulling it slightly toward its mean variance keeps the inverse sane.
# 0.003-0.03 gave the same tworooms figures (README, "World model"). At 1 the distance is the
# Euclidean one, rescaled.
SHRINKAGE = 0.01


@dataclass(frozen=True)
class ErrorModel:
    """A Gaussian over ordinary prediction residuals (actual - predicted latent)."""

    mean: torch.Tensor  # [D]
    whitener: torch.Tensor  # [D, D] lower-triangular L with L L^T = inverse covariance

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

    def tensors(self) -> dict[str, torch.Tensor]:
        return {"mean": self.mean.contiguous(), "whitener": self.whitener.contiguous()}
