"""`worldmind watch VIDEO`, `worldmind bench video`, and the decoding half of `train --video`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from cli import options
from cli.bench_cmd import bench_app
from cli.console import err, out, print_json, print_report, progress

if TYPE_CHECKING:
    from world_model.training import TrainingData


def decode_for_training(
    videos: list[Path], root: Path, latent_dim: int, first_step: int
) -> tuple[TrainingData, str, TrainingData, dict[str, Any]]:
    """Decode the files once into `root` (resumable), list the files skipped, and return the
    training clips, their hash, the held-out calibration clips and the checkpoint's record."""
    from agent_core.video import find_videos
    from agent_core.video_data import (
        VideoDataSpec,
        build_video_dataset,
        check_calibration_size,
        load_split,
        record_spec,
    )

    files = find_videos(videos)
    spec = VideoDataSpec()
    with progress(transient=True) as bar:
        task = bar.add_task("decode videos", total=len(files), status="")

        def on_file(done: int, total: int, path: Path, problem: str | None) -> None:
            bar.update(task, completed=done, status=path.name)

        build = build_video_dataset(files, root, spec, on_file)
    for _, reason in build.skipped:
        err.print(f"[yellow]skipped:[/] {escape(reason)}")  # the reason names the file
    check_calibration_size(build, spec, latent_dim, first_step)
    training, digest = load_split(build.train_path)
    calibration, _ = load_split(build.calibration_path)
    rate = build.decode_frames_per_s
    err.print(
        f"{build.count('train')} training clips, {build.count('calibration')} held-out clips "
        f"from {len(files) - len(build.skipped)} of {len(files)} files"
        + (f"; decoded {rate:.0f} frames/s" if rate else "")
    )
    return training, digest, calibration, record_spec(spec, build)


def watch_command(
    video: Path = typer.Argument(..., help="Video file (mp4, webm, avi, mov, gif, mkv)."),
    checkpoint: Path = typer.Option(..., "--checkpoint", help="A run trained with `train --video`."),
    png: Path | None = typer.Option(None, "--png", help="Also draw the curve and the frames around each peak."),
    namespace: str = typer.Option(
        "video", "--namespace", "-n", callback=options.checked_namespace, help="Memory namespace the clip is kept in."
    ),
    db: str | None = options.DB,
    remember: bool = typer.Option(True, "--remember/--no-remember", help="Keep the clip as an episode in memory."),
    as_json: bool = options.JSON,
) -> None:
    """Surprise per frame of a video, in units of the model's ordinary error, and the moments
    above its alert threshold (mm:ss.ff)."""
    from agent_core.runtime import default_db_url
    from agent_core.video import timestamp
    from agent_core.video_watch import plot_watch, remember_watch, video_spec, watch_video
    from world_model import WorldModel

    model = WorldModel.load(checkpoint)
    video_spec(model, checkpoint)  # a world's model, or other frame sizes: refused before decoding
    watched = watch_video(model, video, checkpoint)
    record = watched.to_dict()
    if remember:
        record["episode"] = remember_watch(watched, model, db or default_db_url(), namespace)
        record["namespace"] = namespace
    if png is not None:
        plot_watch(watched, png)
        err.print(f"wrote {png}")
    if as_json:
        print_json(record)
        return
    curve = [v for v in watched.surprise if v == v]
    out.print(
        f"{video.name}: {record['frames']} frames at {watched.video.fps:g} fps ({record['duration']}), "
        f"max surprise {max(curve, default=float('nan')):.2f}, threshold {watched.threshold:.2f}"
    )
    if not watched.moments:
        out.print("nothing above the threshold")
    for moment in watched.moments:
        out.print(
            f"{timestamp(moment.peak_s)}  surprise {moment.peak_surprise:6.2f}  "
            f"(above threshold {timestamp(moment.start_s)}-{timestamp(moment.end_s)})"
        )
    if remember:
        out.print(f"[dim]kept as episode {record['episode']} in memory namespace {namespace!r}[/]")


@bench_app.command("video")
def bench_video(
    work: Path | None = typer.Option(
        None, "--work", help="Folder for the videos, data and run (resumed; default: the data directory)."
    ),
    files: int = typer.Option(200, "--files", min=2, max=5000, help="Training videos of the test scene."),
    frames: int = typer.Option(64, "--frames", min=32, max=640, help="Frames per training video (10 fps)."),
    pairs: int = typer.Option(100, "--pairs", min=1, max=5000, help="Held-out matched pairs per event."),
    steps: int | None = typer.Option(None, "--steps", min=1, max=1_000_000, help="Training steps (default: recipe)."),
    baseline: bool = typer.Option(True, "--baseline/--no-baseline", help="Also train and score the pixel baseline."),
    as_json: bool = options.REPORT_JSON,
) -> None:
    """Surprise benchmark through video files: pairwise accuracy and AUROC per event, JEPA vs
    pixel baseline, training wall time, decode frames/s."""
    from agent_core.benchmarks.video import benchmark_video
    from agent_core.model_training import TrainingProgress, recipe
    from agent_core.runtime import data_dir

    folder = work or data_dir() / "bench-video" / f"files{files}-frames{frames}-steps{steps or 'recipe'}"
    with progress() as bar:
        stages: dict[str, Any] = {}

        def on_stage(stage: str, done: int, total: int) -> None:
            if stage not in stages:
                stages[stage] = bar.add_task(stage, total=total, status="")
            bar.update(stages[stage], completed=done)

        total = steps or recipe("video").train_config().total_steps
        train_task = bar.add_task("train video", total=total, status="")
        pixel_task = bar.add_task("pixel baseline", total=total, status="", visible=baseline)
        reports = TrainingProgress(
            on_step=lambda step, _: bar.update(train_task, completed=step),
            on_baseline_step=lambda step, _: bar.update(pixel_task, completed=step),
        )
        result = benchmark_video(folder, files, frames, pairs, steps, baseline, reports, on_stage)
    print_report(result, as_json)


def register(app: typer.Typer) -> None:
    app.command("watch")(watch_command)
