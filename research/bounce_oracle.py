"""How far a predictor gets on bounce's violation-of-expectation pairs with perfect perception.

A research diagnostic, not part of the package: it separates what the encoder must see from
what the predictor must learn. Each kept frame (every 2nd, as the shipped model) becomes an
exact observation read from colour masks: for each ball colour its visible pixel count and the
centre of its visible pixels, plus the occluder's centre. A predictor trained on possible
episodes then scores the same held-out pairs as `worldmind bench surprise`.

    .venv/bin/python research/bounce_oracle.py --predictor gru   # or mlp (5-step window)

`--position-noise S` blurs each visible ball's centre by Gaussian noise of std S (a fraction of
the frame width), fixed per frame as an encoder's error would be: how exact must perception be?
`--without-counts` keeps only the centres (zeros while a ball is unseen): how much does knowing
how much of each ball is visible matter?
"""

from __future__ import annotations

import argparse
import functools
import json
import zlib
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from agent_core.benchmarks.surprise import clip_pairs, score_pairs
from agent_core.data.episodes import run_episode
from agent_core.model_training import recipe
from agent_core.worlds.bounce import PALETTE

FRAMESKIP = recipe("bounce").model["frameskip"]  # the shipped model's step
BALL_AREA = 29.0  # pixels of a fully visible ball, roughly: keeps counts near 1
BALL_COLOURS = [np.array(colour) for colour in PALETTE["balls"].values()]
OCCLUDER = np.array(PALETTE["colors"]["occluder"])
ROWS, COLUMNS = np.mgrid[0:64, 0:64]
COUNT_COLUMNS = [3 * ball for ball in range(len(BALL_COLOURS))]


def observe(frames: np.ndarray) -> np.ndarray:
    """[T, 64, 64, 3] -> [T, 10]: (count, x, y) per ball colour, then the occluder's x."""
    rows = []
    for frame in frames.astype(int):
        row: list[float] = []
        for colour in BALL_COLOURS:
            mask = np.abs(frame - colour).sum(-1) < 30
            seen = bool(mask.any())
            row += [
                mask.sum() / BALL_AREA,
                COLUMNS[mask].mean() / 64 if seen else 0.0,
                ROWS[mask].mean() / 64 if seen else 0.0,
            ]
        occluder = np.abs(frame - OCCLUDER).sum(-1) < 10
        row.append(COLUMNS[occluder].mean() / 64 if occluder.any() else 0.0)
        rows.append(row)
    return np.asarray(rows, dtype=np.float32)


def observe_blurred(frames: np.ndarray, std: float) -> np.ndarray:
    """`observe`, with noise on the (x, y) of every ball that is seen (counts and the occluder
    stay exact). The noise is a function of the frame, as an encoder's error would be: the same
    frame in a possible and an impossible clip is seen the same way."""
    observations = observe(frames)
    if std == 0:
        return observations
    for frame, row in zip(frames, observations, strict=True):
        noise = np.random.default_rng(zlib.crc32(frame.tobytes())).normal(0.0, std, (len(BALL_COLOURS), 2))
        for ball, (dx, dy) in enumerate(noise):
            if row[3 * ball] > 0:
                row[3 * ball + 1] += dx
                row[3 * ball + 2] += dy
    return observations


def perceive(frames: np.ndarray, position_noise: float, counts: bool) -> np.ndarray:
    observations = observe_blurred(frames, position_noise)
    return observations if counts else np.delete(observations, COUNT_COLUMNS, axis=1)


def training_episodes(count: int, sees: Callable[[np.ndarray], np.ndarray], frames: int = 48) -> torch.Tensor:
    """Possible episodes as the shipped model's recipe collects them, seen through `sees`."""
    episodes = [run_episode("bounce", "random", seed, frames - 1).frames[::FRAMESKIP] for seed in range(count)]
    return torch.from_numpy(np.stack([sees(frames) for frames in episodes]))


class RecurrentOracle(nn.Module):
    """Reads the whole clip so far (a GRU): it can carry a ball it no longer sees."""

    def __init__(self, width: int, hidden: int = 128) -> None:
        super().__init__()
        self.gru = nn.GRU(width, hidden, batch_first=True)
        self.head = nn.Sequential(nn.Linear(hidden + width, hidden), nn.GELU(), nn.Linear(hidden, width))

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        states, _ = self.gru(observations)
        return observations + self.head(torch.cat([states, observations], dim=-1))


class WindowOracle(nn.Module):
    """Sees the last `history` observations at once (an MLP), as the shipped predictor does."""

    def __init__(self, width: int, history: int = 5, hidden: int = 256) -> None:
        super().__init__()
        self.history = history
        self.net = nn.Sequential(
            nn.Linear(width * history, hidden),
            nn.GELU(),
            nn.Linear(hidden, hidden),
            nn.GELU(),
            nn.Linear(hidden, width),
        )

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        padded = torch.cat([observations[:, :1].expand(-1, self.history - 1, -1), observations], dim=1)
        windows = padded.unfold(1, self.history, 1).transpose(2, 3).flatten(2)
        return observations + self.net(windows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--predictor", choices=["gru", "mlp"], default="gru")
    parser.add_argument("--episodes", type=int, default=3000)
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--seeds", type=int, default=40)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--position-noise", type=float, default=0.0)
    parser.add_argument("--without-counts", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    sees = functools.partial(perceive, position_noise=args.position_noise, counts=not args.without_counts)
    data = training_episodes(args.episodes, sees)
    model = RecurrentOracle(data.shape[-1]) if args.predictor == "gru" else WindowOracle(data.shape[-1])
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    for _ in range(args.steps):
        batch = data[torch.randint(0, len(data), (128,))]
        loss = ((model(batch[:, :-1]) - batch[:, 1:]) ** 2).sum(-1).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()

    def surprise(frames: np.ndarray, actions: np.ndarray) -> np.ndarray:
        observations = torch.from_numpy(sees(frames[::FRAMESKIP]))[None]
        with torch.inference_mode():
            predicted = model(observations[:, :-1])
        return (predicted - observations[:, 1:]).norm(dim=-1)[0].numpy()

    pairs = clip_pairs("bounce", range(100_000, 100_000 + args.seeds), 48)
    events = score_pairs(pairs, {"oracle": surprise}, warmup=4)
    print(json.dumps({event: result["oracle"] for event, result in events.items()}, indent=1))


if __name__ == "__main__":
    main()
