"""The surprise benchmark through video files: a scene unlike the shipped worlds
(agent_core.video_scenes) is written to mp4 files, a model is trained from them by the same path
as `worldmind train --video`, and held-out matched pairs (possible / vanish / teleport), each also
written to a file and decoded back, are scored by the JEPA and the pixel baseline."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from agent_core.benchmarks.surprise import score_pairs
from agent_core.model_training import TrainingProgress, model_config, recipe, train_world_model
from agent_core.video import find_videos, read_video, write_video
from agent_core.video_data import (
    VIDEO_WORLD,
    VideoDataSpec,
    build_video_dataset,
    check_calibration_size,
    load_split,
    record_spec,
)
from agent_core.video_scenes import SCENE_EVENTS, make_scene_clip
from agent_core.worlds.clips import Clip
from agent_core.worlds.events import Event

FIRST_PAIR_SEED = 100_000  # training files use seeds from 0


def write_training_videos(folder: Path, files: int, frames: int, fps: float) -> list[Path]:
    """`files` possible clips of the scene (seeds 0..files-1) as mp4; files already there are kept."""
    paths = []
    for seed in range(files):
        path = folder / f"scene-{seed:05d}.mp4"
        if not path.exists():
            write_video(path.with_name(f".{path.name}"), make_scene_clip(seed, None, frames).frames, fps)
            path.with_name(f".{path.name}").replace(path)  # a file is either whole or absent
        paths.append(path)
    return paths


def _through_file(folder: Path, seed: int, event: str | None, length: int, spec: VideoDataSpec) -> Clip:
    """The scene clip written to an mp4 and read back as the model will see it."""
    scene = make_scene_clip(seed, event, length)
    path = write_video(folder / f"pair-{seed}-{event or 'possible'}.mp4", scene.frames, spec.fps)
    video = read_video(path, spec.fps, spec.size)
    return Clip(
        VIDEO_WORLD,
        seed,
        video.frames,
        np.zeros((len(video.frames) - 1, 0), np.float32),
        {},
        None if event is None else Event(event),
        scene.event_frame,
        None,
    )


def benchmark_video(
    work: Path,
    files: int = 200,
    frames_per_file: int = 64,
    pairs: int = 100,
    steps: int | None = None,
    baseline: bool = True,
    progress: TrainingProgress | None = None,
    on_stage: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """Write, decode, train (resumed if `work` holds a run), then score `pairs` held-out seeds.
    `on_stage(stage, done, total)` reports the file stages."""
    spec = VideoDataSpec()
    report = lambda stage, done, total: on_stage(stage, done, total) if on_stage else None  # noqa: E731
    started = time.perf_counter()
    paths = write_training_videos(work / "train", files, frames_per_file, spec.fps)
    write_s = time.perf_counter() - started
    build = build_video_dataset(
        find_videos([work / "train"]), work / "data", spec, lambda d, t, _p, _r: report("decode", d, t)
    )
    settings = model_config(VIDEO_WORLD)
    check_calibration_size(build, spec, settings.latent_dim, settings.first_surprise_step)
    data, digest = load_split(build.train_path)
    calibration, _ = load_split(build.calibration_path)
    overrides = {"steps": steps} if steps else {}
    config = recipe(VIDEO_WORLD).train_config(overrides)
    run = work / "run"
    model, metrics = train_world_model(
        VIDEO_WORLD,
        data,
        digest,
        run,
        None,
        config,
        "worldmind bench video",
        baseline,
        progress,
        calibration,
    )
    model.save(run, video=record_spec(spec, build))
    scorers = {"jepa": model.surprise}
    if baseline:
        from world_model.pixel_baseline import PixelPredictor

        scorers["pixel"] = PixelPredictor.load(run).surprise
    pair_folder = work / "pairs"
    matched: dict[str, list[tuple[Clip, Clip]]] = {event: [] for event in SCENE_EVENTS}
    decode_started = time.perf_counter()
    decoded = 0
    for index, seed in enumerate(range(FIRST_PAIR_SEED, FIRST_PAIR_SEED + pairs)):
        possible = _through_file(pair_folder, seed, None, spec.clip_frames, spec)
        decoded += len(possible.frames)
        for event in SCENE_EVENTS:
            impossible = _through_file(pair_folder, seed, event, spec.clip_frames, spec)
            decoded += len(impossible.frames)
            matched[event].append((possible, impossible))
        report("pairs", index + 1, pairs)
    pair_io_s = time.perf_counter() - decode_started
    score_started = time.perf_counter()
    events = score_pairs(matched, scorers, model.config.first_surprise_step)
    score_s = time.perf_counter() - score_started
    return {
        "events": events,
        "scene": "shapes on a gradient, 96x72 centre-cropped to 64x64 (agent_core.video_scenes)",
        "training_files": len(paths),
        "frames_per_file": frames_per_file,
        "train_clips": build.count("train"),
        "calibration_clips": build.count("calibration"),
        "held_out_pairs": pairs,
        "steps": config.total_steps,
        "train_wall_s": model.metadata.get("train_wall_s"),
        "pixel_baseline_wall_s": metrics.get("pixel_baseline_wall_s"),
        "write_training_videos_s": round(write_s, 1),
        "decode_frames_per_s": None if build.decode_frames_per_s is None else round(build.decode_frames_per_s, 1),
        "pair_write_and_read_s": round(pair_io_s, 1),
        "scored_frames_per_s": round(decoded * len(scorers) / max(score_s, 1e-9), 1),
        "surprise_threshold": model.metadata.get("surprise_threshold"),
        "scored_from_step": model.config.first_surprise_step,
    }
