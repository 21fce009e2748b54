"""Linear probes: how much of the physical state a frozen latent holds, and a way to read it.

Ridge regression in closed form, one output column at a time so that NaN targets (an object
that vanished, a ball that does not exist in a clip) only drop their own rows.
"""

from __future__ import annotations

import numpy as np
import torch

from world_model.model import WorldModel


def fit_ridge(latents: np.ndarray, targets: np.ndarray, alpha: float = 1e-2) -> tuple[np.ndarray, np.ndarray]:
    """Weights [D+1, K] for targets [N, K] (NaN allowed), and a mask of columns that had data."""
    x = np.concatenate([latents, np.ones((len(latents), 1))], axis=1).astype(np.float64)
    weights = np.zeros((x.shape[1], targets.shape[1]))
    fitted = np.zeros(targets.shape[1], dtype=bool)
    regulariser = alpha * np.eye(x.shape[1])
    regulariser[-1, -1] = 0.0
    for k in range(targets.shape[1]):
        rows = np.isfinite(targets[:, k])
        if rows.sum() <= x.shape[1]:
            continue
        xs = x[rows]
        weights[:, k] = np.linalg.solve(xs.T @ xs + regulariser, xs.T @ targets[rows, k])
        fitted[k] = True
    return weights, fitted


def r_squared(predicted: np.ndarray, actual: np.ndarray) -> float:
    """Coefficient of determination pooled over all finite entries."""
    mask = np.isfinite(actual)
    residual = ((predicted[mask] - actual[mask]) ** 2).sum()
    total = ((actual[mask] - actual[mask].mean()) ** 2).sum()
    return float(1.0 - residual / total) if total > 0 else float("nan")


@torch.inference_mode()
def encode_all(model: WorldModel, frames: np.ndarray, batch: int = 256) -> np.ndarray:
    """Latents [N, D] for frames [N, 64, 64, 3], in batches."""
    return np.concatenate([model.encode(frames[i : i + batch]).numpy() for i in range(0, len(frames), batch)])


def fit_probes(
    model: WorldModel, frames: np.ndarray, states: dict[str, np.ndarray], holdout: float = 0.2
) -> dict[str, float]:
    """Fit one probe per state quantity on frames [N, ...]; return held-out R^2 per quantity
    (and per ball or object for multi-entity quantities). The probes are stored in the model."""
    latents = encode_all(model, frames)
    split = int(len(latents) * (1 - holdout))
    report: dict[str, float] = {}
    for name, values in states.items():
        shape = values.shape[1:]
        targets = values.reshape(len(values), -1).astype(np.float64)
        weights, _ = fit_ridge(latents[:split], targets[:split])
        predicted = np.concatenate([latents[split:], np.ones((len(latents) - split, 1))], axis=1) @ weights
        report[name] = r_squared(predicted, targets[split:])
        if len(shape) == 2:  # several entities: report each one too
            per = predicted.reshape(-1, *shape)
            actual = targets[split:].reshape(-1, *shape)
            for i in range(shape[0]):
                if np.isfinite(actual[:, i]).any():
                    report[f"{name}[{i}]"] = r_squared(per[:, i], actual[:, i])
        full, _ = fit_ridge(latents, targets)
        model.set_probe(name, torch.from_numpy(full).float(), shape)
    return report
