"""Datasets decoded from video files: each file decoded once (agent_core.video) and cut into
clips of the recipe's length, written as the usual shards (world "video", no actions, no states).

Whole files are split between training and a held-out calibration set (the second readable file
and every fifth after it), so surprise is scaled on clips the model never trained on. A file
that cannot be read is reported by name and skipped. The build is resumable: the state of every
file is recorded after it lands, and a re-run of the same command continues with the files left.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from agent_core.data.collect import FORMAT, MANIFEST, write_atomically, write_shard
from agent_core.data.dataset import Dataset
from agent_core.video import VIDEO_WORLD, VideoError, read_video
from world_model.training import TrainingData

SOURCES = "sources.json"


@dataclass(frozen=True)
class VideoDataSpec:
    """How files become clips; recorded in the checkpoint, and `watch` decodes the same way."""

    fps: float = 10.0  # frames per second the video is sampled at (one model step each)
    clip_frames: int = 32  # frames per training clip; a file gives as many whole clips as fit
    size: int = 64  # side of the square the centre crop is resized to
    held_out_every: int = 5  # one readable file in this many is held out for calibration

    def validate(self) -> None:
        if not 0 < self.fps <= 120:
            raise VideoError(f"fps must lie in (0, 120], got {self.fps:g}")
        if self.clip_frames < 4 or self.size != 64:
            raise VideoError("clips need at least 4 frames, and the model reads 64x64 frames")
        if self.held_out_every < 2:
            raise VideoError("held_out_every must be at least 2")

    def held_out(self, readable_index: int) -> bool:
        """Whether the readable file number `readable_index` (0-based) is a calibration file."""
        return readable_index % self.held_out_every == 1


@dataclass
class VideoDataset:
    """A built (or resumed) dataset: its two splits and what happened to each file."""

    root: Path
    files: list[dict[str, Any]] = field(default_factory=list)  # file, split or "skipped", reason, clips
    decoded_frames: int = 0  # source frames decoded by this run (a resumed build skips done files)
    decode_seconds: float = 0.0

    @property
    def decode_frames_per_s(self) -> float | None:
        return self.decoded_frames / self.decode_seconds if self.decode_seconds > 0 else None

    @property
    def train_path(self) -> Path:
        return self.root / "train"

    @property
    def calibration_path(self) -> Path:
        return self.root / "calibration"

    @property
    def skipped(self) -> list[tuple[str, str]]:
        return [(f["file"], f["reason"]) for f in self.files if f["split"] == "skipped"]

    def count(self, split: str) -> int:
        return sum(f["clips"] for f in self.files if f["split"] == split)


def _fingerprint(files: Sequence[Path], spec: VideoDataSpec) -> str:
    """Names the build: the settings and every file (path, size, modification time)."""
    listing = [(str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for p in files]
    return hashlib.sha256(json.dumps([asdict(spec), listing]).encode()).hexdigest()[:12]


def _cut(frames: np.ndarray, length: int) -> np.ndarray:
    """Whole non-overlapping clips [n, length, ...] of a decoded video."""
    count = len(frames) // length
    return frames[: count * length].reshape(count, length, *frames.shape[1:])


def _write_split(folder: Path, spec: VideoDataSpec, shards: list[dict[str, Any]], complete: bool) -> None:
    manifest = {
        "format": FORMAT,
        "spec": asdict(spec),
        "world": VIDEO_WORLD,
        "action_dim": 0,
        "complete": complete,
        "shards": shards,
    }
    folder.mkdir(parents=True, exist_ok=True)
    write_atomically(folder / MANIFEST, lambda tmp: tmp.write_text(json.dumps(manifest, indent=1)))


def _write_clips(folder: Path, index: int, source: Path, clips: np.ndarray, spec: VideoDataSpec) -> dict[str, Any]:
    first = index * 10_000  # clip ids unique over the build: file number, then clip number
    seeds = np.arange(first, first + len(clips), dtype=np.int64)
    facts = [[{"source": str(source), "start_s": i * spec.clip_frames / spec.fps}] for i in range(len(clips))]
    arrays = {
        "seeds": seeds,
        "frames": clips,
        "actions": np.zeros((len(clips), spec.clip_frames - 1, 0), np.float32),
        "facts_json": np.frombuffer(json.dumps(facts).encode(), np.uint8),
    }
    return write_shard(folder, index, arrays)


def build_video_dataset(
    files: Sequence[Path],
    root: Path,
    spec: VideoDataSpec | None = None,
    on_file: Callable[[int, int, Path, str | None], None] | None = None,
) -> VideoDataset:
    """Decode `files` into `root`/video-<fingerprint>/{train,calibration} (resuming a build of
    the same files and settings). `on_file(done, total, path, problem)` reports each file;
    `problem` is why it was skipped (None when it was used)."""
    spec = spec or VideoDataSpec()
    spec.validate()
    if not files:
        raise VideoError("no video files given (looked for .mp4, .webm, .avi, .mov, .gif, .mkv in folders)")
    build = VideoDataset(root / f"video-{_fingerprint(files, spec)}")
    try:
        build.train_path.mkdir(parents=True, exist_ok=True)
        build.calibration_path.mkdir(exist_ok=True)
    except OSError as exc:
        raise VideoError(f"cannot write to {root}: {exc.strerror or exc}") from None
    sources = build.root / SOURCES
    if sources.exists():
        try:
            build.files = list(json.loads(sources.read_text())["files"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise VideoError(f"{sources} is not a worldmind video build record ({exc}); delete its folder") from None
    shards: dict[str, list[dict[str, Any]]] = {"train": [], "calibration": []}
    for split in shards:
        if (getattr(build, f"{split}_path") / MANIFEST).exists():
            shards[split] = list(Dataset(getattr(build, f"{split}_path")).shard_records)
    readable = sum(f["split"] != "skipped" for f in build.files)
    for index, path in enumerate(files):
        if index < len(build.files):
            continue  # done in an earlier run
        record: dict[str, Any] = {"file": str(path), "split": "skipped", "reason": None, "clips": 0}
        started = time.perf_counter()
        try:
            video = read_video(path, spec.fps, spec.size, min_frames=spec.clip_frames)
        except VideoError as exc:
            record["reason"] = str(exc)
        else:
            build.decode_seconds += time.perf_counter() - started
            build.decoded_frames += video.source_frames
            split = "calibration" if spec.held_out(readable) else "train"
            clips = _cut(video.frames, spec.clip_frames)
            shards[split].append(_write_clips(getattr(build, f"{split}_path"), index, path, clips, spec))
            _write_split(getattr(build, f"{split}_path"), spec, shards[split], complete=False)
            record |= {"split": split, "clips": len(clips), "source_frames": video.source_frames}
            readable += 1
        build.files.append(record)
        write_atomically(sources, lambda tmp: tmp.write_text(json.dumps({"spec": asdict(spec), "files": build.files})))
        if on_file is not None:
            on_file(index + 1, len(files), path, record["reason"])
    for split, records in shards.items():
        _write_split(getattr(build, f"{split}_path"), spec, records, complete=True)
    if build.count("train") == 0 or build.count("calibration") == 0:
        bad = "; ".join(reason for _, reason in build.skipped)
        raise VideoError(
            f"{readable} readable video(s) of {len(files)}: training needs at least 2 (one is held out to "
            f"calibrate surprise), each at least {spec.clip_frames / spec.fps:g} s long" + (f" ({bad})" if bad else "")
        )
    return build


def load_split(path: Path) -> tuple[TrainingData, str]:
    """One split's clips and the hash of its manifest."""
    dataset = Dataset(path)
    dataset.expect_world(VIDEO_WORLD)
    frames, actions, states = dataset.load_arrays()
    return TrainingData(frames, actions, states), dataset.manifest_sha256


def check_calibration_size(build: VideoDataset, spec: VideoDataSpec, latent_dim: int, first_step: int) -> None:
    """Refuse, before training, held-out clips too few to fit the surprise error model (it needs
    more scored steps than the latent has dimensions)."""
    steps = build.count("calibration") * (spec.clip_frames - 1 - first_step)
    if steps <= latent_dim:
        raise VideoError(
            f"the held-out videos give {build.count('calibration')} clip(s), {steps} scored steps; calibrating "
            f"a {latent_dim}-d model needs more than {latent_dim}: give more or longer videos"
            f" (one readable file in {spec.held_out_every} is held out, {spec.clip_frames / spec.fps:g} s a clip)"
        )


def record_spec(spec: VideoDataSpec, build: VideoDataset) -> dict[str, Any]:
    """What a checkpoint keeps of its video data: how to decode (`watch` decodes alike) and counts."""
    return {
        "spec": asdict(spec),
        "train_clips": build.count("train"),
        "calibration_clips": build.count("calibration"),
        "skipped_files": len(build.skipped),
    }
