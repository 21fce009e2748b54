"""`worldmind train`, `worldmind probe`, `worldmind surprise`: the world model from the terminal."""

from __future__ import annotations

import shlex
import sys
from functools import partial
from pathlib import Path
from typing import Any

import typer

from agent_core.limits import MAX_EPISODES, MAX_SEED, MAX_TRAIN_STEPS
from agent_core.worlds.clips import make_clip
from cli import options
from cli.bench_cmd import bench_app
from cli.console import err, out, print_json, print_report, progress
from world_model.config import load_config_file


def train_command(
    out_dir: Path = typer.Option(..., "--out", help="Checkpoint folder (resumed if it holds a run)."),
    world: str = typer.Option("tworooms", "--world", help=options.WORLD_HELP),
    world_kwargs: str | None = options.WORLD_KWARGS,
    action_repeat: int | None = options.ACTION_REPEAT,
    fit: str | None = options.FIT,
    data: list[Path] = typer.Option([], "--data", help="Dataset folder(s); default: collect the world's recipe."),
    config: Path | None = typer.Option(None, "--config", help="JSON with 'model' and 'train' overrides."),
    steps: int | None = typer.Option(
        None, "--steps", min=1, max=MAX_TRAIN_STEPS, help="Training steps (overrides the config)."
    ),
    seed: int | None = typer.Option(None, "--seed", min=0, max=MAX_SEED, help="Random seed (overrides the config)."),
    baseline: bool = typer.Option(False, "--baseline", help="Also train the pixel-space baseline."),
    video: list[Path] = typer.Option(
        [], "--video", help="Video files or folders (mp4, webm, avi, mov, gif, mkv): train the 'video' recipe on them."
    ),
) -> None:
    """Train a JEPA world model from pixels (progress bar, checkpoints, resume)."""
    from agent_core.model_training import (
        TrainingProgress,
        default_datasets,
        load_training_data,
        model_config,
        recipe,
        train_world_model,
    )

    overrides, train_overrides = load_config_file(config) if config is not None else ({}, {})
    world = options.resolve_world(world, world_kwargs, action_repeat, fit)
    if video:
        if data:
            raise typer.BadParameter("--video and --data are alternatives: give one")
        world = "video"
    settings = model_config(world, overrides)  # a bad model setting fails here, before any data is collected
    train_overrides |= {"steps": steps} if steps else {}
    train_overrides |= {"seed": seed} if seed is not None else {}
    train_config = recipe(world).train_config(train_overrides, str(config or "recipe"))
    calibration = None
    video_record = None
    if video:
        from cli.video_cmd import decode_for_training

        training_data, digest, calibration, video_record = decode_for_training(
            video, out_dir / "data", settings.latent_dim, settings.first_surprise_step
        )
    else:
        paths = data or default_datasets(world, out_dir / "data")
        training_data, digest = load_training_data(world, paths)
    command = "worldmind " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    with progress() as bar:
        task = bar.add_task(f"train {world.split(' ')[0]}", total=train_config.total_steps, status="")

        def on_step(step: int, metrics: dict[str, float]) -> None:
            shown = " ".join(
                f"{k}={v:.3g}"
                for k, v in metrics.items()
                if k in ("prediction", "rollout", "sigreg", "idm", "std_min", "eff_rank", "steps_per_s")
            )
            bar.update(task, completed=step, status=shown)

        clips_task = bar.add_task("predictor-phase clips", total=None, status="", visible=False)

        def on_clips(done: int, total: int) -> None:
            bar.update(clips_task, completed=done, total=total, visible=True)

        pixel_task = bar.add_task("pixel baseline", total=train_config.total_steps, status="", visible=baseline)

        def on_baseline_step(step: int, metrics: dict[str, float]) -> None:
            bar.update(pixel_task, completed=step, status=f"pixel_mse={metrics['pixel_mse']:.3g}")

        reports = TrainingProgress(on_step, on_clips, on_baseline_step)
        model, metrics = train_world_model(
            world, training_data, digest, out_dir, overrides, train_config, command, baseline, reports, calibration
        )
    if video_record is not None:
        model.save(out_dir, video=video_record)  # how `watch` must decode a video for this model
    print_json(metrics if video_record is None else {**metrics, "video": video_record})
    err.print(f"checkpoint written to {out_dir}")


def probe_command(
    checkpoint: Path | None = typer.Option(None, "--checkpoint", help="Checkpoint folder (default: shipped)."),
    world: str = typer.Option("tworooms", "--world", help=options.WORLD_HELP),
    world_kwargs: str | None = options.WORLD_KWARGS,
    action_repeat: int | None = options.ACTION_REPEAT,
    frame_fit: str | None = options.FIT,
    fit: bool = typer.Option(
        False,
        "--fit",
        help="Refit the probes and the surprise error model, window and threshold (the pixel baseline's window too) on frozen latents; save them.",
    ),
    data: list[Path] = typer.Option([], "--data", help="Dataset folder(s) for --fit; default: the world's recipe."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Probe R^2 per physical quantity on held-out episodes (as measured when the probes were fitted)."""
    from agent_core.assembly import load_world_model, shipped_checkpoint
    from agent_core.runtime import data_dir

    world = options.resolve_world(world, world_kwargs, action_repeat, frame_fit)
    model = load_world_model(world, checkpoint)
    if fit:
        from agent_core.model_training import (
            calibrate_baseline,
            calibrate_surprise,
            default_datasets,
            fit_world_probes,
            load_training_data,
        )
        from world_model.pixel_baseline import PixelPredictor

        paths = data or default_datasets(world, data_dir() / "datasets")
        training_data, _ = load_training_data(world, paths)
        model.metadata["probe_r2"] = fit_world_probes(model, training_data)
        model.metadata |= calibrate_surprise(model)
        target = checkpoint or shipped_checkpoint(world)
        model.save(target)
        if (target / "pixel.json").exists():  # scored like the JEPA, so calibrated with it
            pixel = PixelPredictor.load(target)
            calibrate_baseline(pixel, model)
            pixel.save(target)
        err.print(
            f"probes refitted on {len(training_data.frames)} episodes, surprise on held-out ones; saved in {target}"
        )
    r2 = model.metadata.get("probe_r2", {})
    heads = _perception_heads(model, world, checkpoint, fit)
    balls = _ball_readout(model, world, checkpoint, fit)
    if as_json:
        print_json(
            r2
            | ({} if heads is None else {"perception_heads": heads})
            | ({} if balls is None else {"ball_readout": balls})
        )
        return
    for name, value in r2.items():
        out.print(f"{name:20s} R^2 = {value:.3f}")
    if heads is not None:
        out.print(
            f"perception heads (held-out layouts): in-view F1 {heads['object_in_view_f1']}, object position "
            f"{heads['object_position_px']['median']} px median, agent {heads['agent_position_px']['median']} px, "
            f"room accuracy {heads['room_accuracy']}"
        )
    if balls is not None:
        out.print(
            f"ball readout (held-out clips): in-view F1 {balls['ball_in_view_f1']}, position "
            f"{balls['ball_position_px']['median']} px median (p90 {balls['ball_position_px']['p90']})"
        )


def _perception_heads(model: Any, world: str, checkpoint: Path | None, fit: bool) -> dict[str, Any] | None:
    """The perception heads' held-out scores (agent_core/perception_heads.py); with --fit, refit
    them on the frozen encoder first and save them beside the model (tworooms only)."""
    from agent_core.assembly import shipped_checkpoint
    from agent_core.perception_heads import PerceptionHeads, fit_heads

    if world != "tworooms" or model.config.encoder != "cnn":
        return None
    folder = checkpoint or shipped_checkpoint(world)
    if fit:
        with progress() as bar:
            task = bar.add_task("perception heads", total=1, status="")
            heads = fit_heads(model, on_epoch=lambda done, total: bar.update(task, completed=done, total=total))
        heads.save(folder)
        return heads.scores
    loaded = PerceptionHeads.load(folder, model)
    return None if loaded is None else loaded.scores


def _ball_readout(model: Any, world: str, checkpoint: Path | None, fit: bool) -> dict[str, Any] | None:
    """The bounce ball readout's held-out scores (agent_core/ball_readout.py); with --fit, refit it
    on the frozen encoder first and save it beside the model (bounce only)."""
    from agent_core.assembly import shipped_checkpoint
    from agent_core.ball_readout import BallReadout, fit_ball_readout

    if world != "bounce" or "ball_pos" not in model.probes:
        return None
    folder = checkpoint or shipped_checkpoint(world)
    if fit:
        with progress() as bar:
            task = bar.add_task("ball readout", total=None, status="")
            readout = fit_ball_readout(model)
            bar.update(task, total=1, completed=1)
        readout.save(folder)
        return readout.scores
    loaded = BallReadout.load(folder, model)
    return None if loaded is None else loaded.scores


def surprise_command(
    world: str = typer.Option("bounce", "--world", help="World name."),
    clip: int = typer.Option(0, "--clip", min=0, max=MAX_SEED, help="Clip seed."),
    event: str | None = typer.Option(None, "--event", help="Event to inject (default: the possible clip)."),
    checkpoint: Path | None = typer.Option(None, "--checkpoint", help="Checkpoint folder (default: shipped)."),
    length: int = typer.Option(48, "--length", min=16, help="Frames in the clip."),
    png: Path | None = typer.Option(None, "--png", help="Also plot the curve to this PNG."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The per-step surprise curve of one clip (with an optional impossible event): at each step,
    how far the next steps (the model's surprise window) departed from what it imagined there."""
    from agent_core.assembly import load_world_model

    model = load_world_model(world, checkpoint)
    shown = make_clip(world, clip, event, length)
    curve = model.surprise(shown.frames, shown.actions)
    k = model.config.frameskip
    steps = [(i + 1) * k for i in range(len(curve))]
    record = {
        "world": world,
        "clip": clip,
        "event": event,
        "event_step": shown.event_step,
        "steps": steps,
        "window": model.surprise_window,
        "trusted_from_step": steps[model.config.first_surprise_step],
        "surprise": [round(float(v), 4) for v in curve],
        "threshold": model.metadata.get("surprise_threshold"),
    }
    if png is not None:
        from agent_core.plots import plot_curve

        plot_curve(
            steps,
            curve.tolist(),
            png,
            marks={shown.event_step: event} if event else {},
            threshold=model.metadata.get("surprise_threshold"),
        )
        err.print(f"wrote {png}")
    if as_json:
        print_json(record)
        return
    from cli.chat_view import sparkline

    err.print(
        f"surprise at step S: what the model imagined just before S, judged on {model.surprise_window} model steps from S"
    )
    out.print(sparkline(list(curve), width=len(curve)))
    for index, (step, value) in enumerate(zip(steps, curve, strict=True)):
        flag = " <- event" if shown.event_step is not None and step - k < shown.event_step <= step else ""
        # Before it the predictor has seen too little (the benchmark and the agent skip these).
        early = " (too early to trust)" if index < model.config.first_surprise_step else ""
        out.print(f"step {step:3d}  {value:8.3f}{flag}{early}")


def register(app: typer.Typer) -> None:
    app.command("train")(train_command)
    app.command("probe")(probe_command)
    app.command("surprise")(surprise_command)


@bench_app.command("surprise")
def bench_surprise(
    worlds: list[str] = typer.Option(["bounce", "tworooms"], "--world", help="World(s) to test."),
    # 200, not 40: at 40 one pair moves a figure by 0.025, as much as its distance to a 0.95 target.
    seeds: int = typer.Option(200, "--seeds", min=1, max=MAX_EPISODES, help="Held-out clip seeds per world."),
    first_seed: int = typer.Option(
        100_000, "--first-seed", min=0, max=MAX_SEED - MAX_EPISODES, help="First held-out seed."
    ),
    length: int = typer.Option(48, "--length", min=16, help="Frames per clip."),
    checkpoint: Path | None = typer.Option(
        None, "--checkpoint", help="Checkpoint folder (one world; default: shipped)."
    ),
    as_json: bool = options.REPORT_JSON,
) -> None:
    """Pairwise accuracy and AUROC per violation type, JEPA vs pixel baseline, plus probe R^2."""
    from agent_core.assembly import load_world_model, shipped_checkpoint
    from agent_core.benchmarks.surprise import clip_pairs, score_pairs
    from world_model.pixel_baseline import PixelPredictor

    if checkpoint is not None and len(worlds) != 1:
        raise typer.BadParameter("--checkpoint needs exactly one --world")
    report = {}
    with progress() as bar:
        for world in worlds:
            model = load_world_model(world, checkpoint)
            scorers = {"jepa": model.surprise}
            folder = checkpoint or shipped_checkpoint(world)
            if (folder / "pixel.json").exists():
                scorers["pixel"] = PixelPredictor.load(folder).surprise
            pairs = clip_pairs(world, range(first_seed, first_seed + seeds), length)
            task = bar.add_task(f"surprise {world}", total=sum(len(p) for p in pairs.values()), status="")
            warmup = model.config.first_surprise_step
            events = score_pairs(pairs, scorers, warmup, partial(bar.advance, task))
            report[world] = {
                "events": events,
                "scored_from_step": warmup,
                "probe_r2": model.metadata.get("probe_r2", {}),
                "train_wall_s": model.metadata.get("train_wall_s"),
                "train_steps_per_s": model.metadata.get("final_metrics", {}).get("steps_per_s"),
                "predictor_steps_per_s": model.metadata.get("final_metrics", {}).get("refined_steps_per_s"),
            }
    print_report(report, as_json)
