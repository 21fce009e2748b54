"""Watching a video file with a model trained on videos: surprise per frame, the moments above
the model's alert threshold with timestamps, a picture, and the clip kept in episodic memory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agent_core.video import Video, read_video, timestamp
from agent_core.video_data import VIDEO_WORLD, VideoDataSpec
from world_model import CheckpointError, WorldModel

VIDEO_METADATA = "video"  # the checkpoint's record of how its training files were decoded


def video_spec(model: WorldModel, path: Path) -> VideoDataSpec:
    """How `model` (loaded from `path`) wants videos decoded; refuses models of worlds and
    models trained on another frame size."""
    if model.config.world != VIDEO_WORLD or VIDEO_METADATA not in model.metadata:
        raise CheckpointError(
            f"{path} is a {model.config.world!r} model, not one trained on video files "
            "(train one with `worldmind train --video FILES --out RUN`)"
        )
    spec = VideoDataSpec(**model.metadata[VIDEO_METADATA]["spec"])
    if spec.size != 64:
        raise CheckpointError(f"{path} was trained on {spec.size}x{spec.size} frames; this version reads 64x64 only")
    return spec


@dataclass(frozen=True)
class Moment:
    """A run of steps above threshold, and its peak."""

    start_s: float
    end_s: float
    peak_s: float
    peak_frame: int
    peak_surprise: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": timestamp(self.start_s),
            "end": timestamp(self.end_s),
            "peak": timestamp(self.peak_s),
            "peak_s": round(self.peak_s, 3),
            "peak_frame": self.peak_frame,
            "peak_surprise": round(self.peak_surprise, 3),
        }


@dataclass(frozen=True)
class Watched:
    video: Video
    surprise: np.ndarray  # [T-1]: entry i judges frame i+1 onward (NaN where too early to trust)
    latents: np.ndarray  # [T, D]
    threshold: float
    moments: list[Moment]
    seconds: float  # decode + model time

    @property
    def frame_times(self) -> np.ndarray:
        return self.video.times[1:]

    def to_dict(self) -> dict[str, Any]:
        return {
            "video": str(self.video.path),
            "fps": self.video.fps,
            "frames": len(self.video.frames),
            "duration": timestamp(self.video.duration),
            "threshold": round(self.threshold, 4),
            "unit": "multiples of the model's ordinary error on held-out clips",
            "moments": [m.to_dict() for m in self.moments],
            "times": [round(float(t), 3) for t in self.frame_times],
            "surprise": [None if np.isnan(v) else round(float(v), 4) for v in self.surprise],
            "watch_s": round(self.seconds, 2),
        }


def moments_above(times: np.ndarray, curve: np.ndarray, threshold: float) -> list[Moment]:
    """Contiguous runs of `curve` above `threshold` (NaN never is), each with its peak."""
    above = np.nan_to_num(curve, nan=-np.inf) > threshold
    found: list[Moment] = []
    index = 0
    while index < len(curve):
        if not above[index]:
            index += 1
            continue
        end = index
        while end + 1 < len(curve) and above[end + 1]:
            end += 1
        peak = index + int(np.argmax(curve[index : end + 1]))
        found.append(Moment(float(times[index]), float(times[end]), float(times[peak]), peak + 1, float(curve[peak])))
        index = end + 1
    return found


def watch_video(model: WorldModel, path: Path, checkpoint: Path) -> Watched:
    """Decode `path` as the model's training files were and score every frame."""
    import time

    import torch

    spec = video_spec(model, checkpoint)
    started = time.perf_counter()
    needed = model.config.first_surprise_step + 2
    video = read_video(path, spec.fps, spec.size, min_frames=needed)
    actions = np.zeros((len(video.frames) - 1, 0), np.float32)
    with torch.inference_mode():
        curve = model.surprise(video.frames, actions).astype(np.float64)
        latents = model.encode(video.frames).numpy()
    curve[: model.config.first_surprise_step] = np.nan
    threshold = float(model.metadata.get("surprise_threshold") or np.inf)
    moments = moments_above(video.times[1:], curve, threshold)
    return Watched(video, curve, latents, threshold, moments, time.perf_counter() - started)


def remember_watch(watched: Watched, model: WorldModel, url: str, namespace: str) -> int:
    """Store the clip as one episode: a memory per frame (latent, surprise, timestamp); returns
    the episode id. The namespace must hold this model's latents (or none yet)."""
    from memory import MemoryStore
    from memory.store_types import NewMemory

    store = MemoryStore(url, namespace, model.config.latent_dim, latent_space=model.latent_space)
    try:
        episode = store.begin_episode(VIDEO_WORLD, 0)
        name = watched.video.path.name
        flagged = {m.peak_frame: m for m in watched.moments}
        memories = []
        for frame, (when, latent) in enumerate(zip(watched.video.times, watched.latents, strict=True)):
            value = None if frame == 0 else watched.surprise[frame - 1]
            surprise = None if value is None or np.isnan(value) else float(value)
            caption = f"{name} at {timestamp(when)}"
            if frame in flagged:
                caption += f": surprised ({flagged[frame].peak_surprise:.1f}x ordinary error)"
            facts = {
                "video": str(watched.video.path),
                "time_s": round(float(when), 3),
                "timestamp": timestamp(when),
                "threshold": round(watched.threshold, 4) if np.isfinite(watched.threshold) else None,
            }
            memories.append(NewMemory(episode, frame, [], latent, caption, facts, surprise))
        store.remember_many(memories)
        store.end_episode(episode)
    finally:
        store.close()
    return episode


def plot_watch(watched: Watched, path: Path, peaks: int = 4, around: int = 2) -> None:
    """The surprise curve with the threshold and the peaks, and below it the frames around each
    of the `peaks` strongest moments (the peak frame framed in red)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = sorted(watched.moments, key=lambda m: -m.peak_surprise)[:peaks]
    rows = 1 + len(shown)
    columns = 2 * around + 1
    fig = plt.figure(figsize=(8, 2.6 + 1.5 * len(shown)), dpi=100)
    grid = fig.add_gridspec(rows, columns, height_ratios=[2.2] + [1.2] * len(shown))
    curve = fig.add_subplot(grid[0, :])
    curve.plot(watched.frame_times, watched.surprise, color="#3060c0", linewidth=1.2, label="surprise")
    if np.isfinite(watched.threshold):
        curve.axhline(watched.threshold, color="#999999", linestyle=":", linewidth=1, label="alert threshold")
    for moment in shown:
        curve.scatter([moment.peak_s], [moment.peak_surprise], color="#d03030", zorder=3)
        curve.annotate(timestamp(moment.peak_s), (moment.peak_s, moment.peak_surprise), fontsize=7, color="#d03030")
    curve.set_xlabel("time (s)")
    curve.set_ylabel("surprise (x ordinary)")
    curve.set_title(watched.video.path.name, fontsize=9)
    curve.legend(loc="upper left", fontsize=7)
    frames = watched.video.frames
    for row, moment in enumerate(shown, start=1):
        for column, offset in enumerate(range(-around, around + 1)):
            ax = fig.add_subplot(grid[row, column])
            index = int(np.clip(moment.peak_frame + offset, 0, len(frames) - 1))
            ax.imshow(frames[index], interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlabel(timestamp(float(watched.video.times[index])), fontsize=6)
            if offset == 0:
                for spine in ax.spines.values():
                    spine.set_color("#d03030")
                    spine.set_linewidth(2)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
