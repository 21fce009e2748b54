"""Anti-collapse terms. Predicting latents alone admits a trivial constant solution; these
terms keep the embedding informative.

SIGReg (LeJEPA / LeWorldModel) pushes the embedding distribution towards an isotropic
Gaussian by testing random 1-D projections with the Epps-Pulley statistic: the weighted
squared distance between the empirical characteristic function and that of N(0, 1).
VICReg-style terms (PLDM / eb_jepa) instead keep each dimension's variance up, decorrelate
dimensions and ask them to explain the action taken.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

_T_GRID = torch.linspace(-3.0, 3.0, 17)


def epps_pulley(projected: torch.Tensor) -> torch.Tensor:
    """Epps-Pulley statistic per column of `projected` [N, M] against N(0, 1); [M]."""
    t = _T_GRID.to(projected)
    angles = projected.unsqueeze(-1) * t  # [N, M, K]
    real = torch.cos(angles).mean(0)
    imag = torch.sin(angles).mean(0)
    gaussian = torch.exp(-0.5 * t**2)
    weight = gaussian  # emphasises the informative low frequencies
    integrand = ((real - gaussian) ** 2 + imag**2) * weight
    return torch.trapezoid(integrand, t, dim=-1) * projected.shape[0]


def sigreg(latents: torch.Tensor, projections: int = 256, generator: torch.Generator | None = None) -> torch.Tensor:
    """Mean Epps-Pulley statistic of `latents` [N, D] over random unit directions."""
    directions = torch.randn(latents.shape[1], projections, generator=generator).to(latents)
    directions = directions / directions.norm(dim=0, keepdim=True)
    return epps_pulley(latents @ directions).mean()


def variance_term(latents: torch.Tensor, target_std: float = 1.0) -> torch.Tensor:
    """Hinge on each dimension's std: collapse of any dimension is penalised."""
    std = torch.sqrt(latents.var(dim=0) + 1e-4)
    return F.relu(target_std - std).mean()


def covariance_term(latents: torch.Tensor) -> torch.Tensor:
    """Sum of squared off-diagonal covariances, per dimension: decorrelates the dimensions."""
    centered = latents - latents.mean(dim=0)
    cov = centered.T @ centered / max(latents.shape[0] - 1, 1)
    off_diagonal = cov - torch.diag(torch.diag(cov))
    return off_diagonal.pow(2).sum() / latents.shape[1]


def motion_variance_term(sequence: torch.Tensor, target_std: float) -> torch.Tensor:
    """Hinge on each dimension's std *within* each window of [B, T, D] sequences.

    The plain variance term is met by whatever differs between episodes, which in an action-free
    video is mostly the static layout; the prediction loss then has nothing to do. Asking every
    dimension to also vary over time forces the moving things (the balls) into the latent.
    """
    centered = sequence - sequence.mean(dim=1, keepdim=True)
    std = torch.sqrt(centered.pow(2).mean(dim=(0, 1)) + 1e-4)
    return F.relu(target_std - std).mean()


def effective_rank(latents: torch.Tensor) -> float:
    """exp(entropy of the normalised singular values): ~D when healthy, ~1 when collapsed."""
    centered = latents - latents.mean(dim=0)
    singular = torch.linalg.svdvals(centered.float())
    p = singular / singular.sum().clamp_min(1e-12)
    entropy = -(p * torch.log(p.clamp_min(1e-12))).sum()
    return float(torch.exp(entropy))
