"""Linear probes: how much of the physical state a frozen latent holds, and a way to read it.

Ridge regression in closed form, one output column at a time so that NaN targets (an object
that vanished, a ball that does not exist in a clip) only drop their own rows.
"""

from __future__ import annotations

import numpy as np
import torch

from world_model.model import WorldModel, model_steps


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


@torch.inference_mode()
def imagined_latents(
    model: WorldModel, frames: np.ndarray, actions: np.ndarray, horizon: int
) -> tuple[np.ndarray, np.ndarray]:
    """What the predictor imagines 1..`horizon` model steps ahead of every point of one episode
    (frames [T, 64, 64, 3], actions [T-1, A]), from encoded histories and the actions taken.
    Returns latents [M, D] and, for each, the index of the frame it stands for."""
    k, history = model.config.frameskip, model.config.history
    kept, blocks = model_steps(frames, actions, k)
    z = model.encode(kept)
    latents, indices = [], []
    starts = range(history - 1, len(kept) - 1) if horizon > 0 else range(0)  # each needs a full history
    for start in starts:
        steps = min(horizon, len(kept) - 1 - start)
        latents.append(model.rollout(z[start - history + 1 : start + 1][None], blocks[start : start + steps][None])[0])
        indices.append((start + 1 + np.arange(steps)) * k)
    if not latents:
        return np.zeros((0, model.config.latent_dim), dtype=np.float32), np.zeros(0, dtype=int)
    return torch.cat(latents).numpy(), np.concatenate(indices)


def fit_probes(
    model: WorldModel,
    frames: np.ndarray,
    actions: np.ndarray,
    states: dict[str, np.ndarray],
    holdout: float = 0.2,
    horizon: int = 10,
) -> dict[str, float]:
    """Fit one probe per state quantity on episodes (frames [N, T, ...], actions [N, T-1, A],
    states [N, T, ...]); return R^2 per quantity (and per ball or object) on the encoded frames
    of the last `holdout` share of the episodes, held out whole. The probes are stored in the model.

    Each probe is fitted on the encoded frames *and* on the latents the predictor imagines
    1..`horizon` steps ahead, because the planner reads positions off imagined latents: a probe
    fitted on encoded frames alone can weigh directions in which the predictor's small errors
    carry no position, and then decodes imagined paths that drift away from the real ones.
    """
    encoded = [encode_all(model, episode) for episode in frames]
    imagined = [imagined_latents(model, f, a, horizon) for f, a in zip(frames, actions, strict=True)]
    fitted_on, every = range(int(len(frames) * (1 - holdout))), range(len(frames))

    def latents_of(episodes: range) -> np.ndarray:
        return np.concatenate([encoded[i] for i in episodes] + [imagined[i][0] for i in episodes])

    def targets_of(per_frame: np.ndarray, episodes: range) -> np.ndarray:
        return np.concatenate([per_frame[i] for i in episodes] + [per_frame[i][imagined[i][1]] for i in episodes])

    fit_latents, all_latents = latents_of(fitted_on), latents_of(every)
    test_latents = np.concatenate(encoded[fitted_on.stop :])
    report: dict[str, float] = {}
    for name, values in states.items():
        shape = values.shape[2:]
        per_frame = values.reshape(*values.shape[:2], -1).astype(np.float64)
        weights, _ = fit_ridge(fit_latents, targets_of(per_frame, fitted_on))
        predicted = np.concatenate([test_latents, np.ones((len(test_latents), 1))], axis=1) @ weights
        actual = per_frame[fitted_on.stop :].reshape(-1, per_frame.shape[-1])
        report[name] = r_squared(predicted, actual)
        if len(shape) == 2:  # several entities: report each one too
            per = predicted.reshape(-1, *shape)
            truth = actual.reshape(-1, *shape)
            for i in range(shape[0]):
                if np.isfinite(truth[:, i]).any():
                    report[f"{name}[{i}]"] = r_squared(per[:, i], truth[:, i])
        full, _ = fit_ridge(all_latents, targets_of(per_frame, every))
        model.set_probe(name, torch.from_numpy(full).float(), shape)
    return report
