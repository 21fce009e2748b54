"""Video files in and out (PyAV): decode at a set frame rate into the model's 64x64 frames, and
write frames to a file (the benchmark's clips go through a real codec and back).

Geometry: each frame is centre-cropped to a square (the middle of its longer side, the whole of
its shorter one), then resized to `size` x `size` with an antialiasing filter; nothing is padded
or stretched. Frame rate: the video is sampled at `fps` on its own clock, each sample taking the
last frame shown at that moment (a slower video repeats frames, a faster one skips them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np

from agent_core.errors import AgentInputError

VIDEO_WORLD = "video"  # the world name of episodes and checkpoints made from video files

if TYPE_CHECKING:
    from av.video.stream import VideoStream

VIDEO_SUFFIXES = (".mp4", ".webm", ".avi", ".mov", ".gif", ".mkv")
# Encoders by file suffix (all in PyAV's bundled FFmpeg); pixel format each one takes.
_ENCODERS = {
    ".mp4": ("libx264", "yuv420p"),
    ".mov": ("libx264", "yuv420p"),
    ".mkv": ("libx264", "yuv420p"),
    ".webm": ("libvpx-vp9", "yuv420p"),
    ".avi": ("mjpeg", "yuvj420p"),
    ".gif": ("gif", "rgb8"),
}
MAX_SOURCE_FRAMES = 200_000  # a decode that runs past this many frames is refused (about 2 h at 25 fps)


class VideoError(AgentInputError):
    """A file that is not a readable video, is truncated, or is too short for what was asked."""


@dataclass(frozen=True)
class Video:
    path: Path
    frames: np.ndarray  # [T, size, size, 3] uint8, sampled at `fps`
    times: np.ndarray  # [T] seconds from the start of the video
    fps: float
    source_fps: float | None  # the stream's own rate, when it declares one
    source_frames: int  # frames decoded from the file
    source_size: tuple[int, int]  # width, height before the crop

    @property
    def duration(self) -> float:
        return float(len(self.frames) / self.fps)


def timestamp(seconds: float) -> str:
    """mm:ss.ff (hundredths), e.g. 01:05.25."""
    hundredths = round(seconds * 100)
    minutes, rest = divmod(hundredths, 6000)
    return f"{minutes:02d}:{rest // 100:02d}.{rest % 100:02d}"


def square_crop(frame: np.ndarray) -> np.ndarray:
    """The centred square of an [H, W, 3] frame whose side is min(H, W)."""
    height, width = frame.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return frame[top : top + side, left : left + side]


def fit_frame(frame: np.ndarray, size: int = 64) -> np.ndarray:
    """Centre square crop, then an antialiased resize to [size, size, 3] uint8."""
    from PIL import Image

    square = square_crop(frame)
    if square.shape[0] == size:
        return np.ascontiguousarray(square)
    return np.asarray(Image.fromarray(square).resize((size, size), Image.Resampling.BILINEAR, reducing_gap=None))


def find_videos(paths: Iterable[Path]) -> list[Path]:
    """Files named directly (whatever their suffix: a non-video is then reported), and the files
    with a video suffix anywhere under folders, in sorted order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)
        elif path.exists():
            found.append(path)
        else:
            raise VideoError(f"{path} does not exist")
    return found


def read_video(path: Path, fps: float, size: int = 64, min_frames: int = 2) -> Video:
    """Decode `path` sampled at `fps`, each frame fitted to `size` (see the module docstring).

    Raises VideoError naming the file when it is not a video, cannot be decoded to the end
    (truncated, corrupt), or yields fewer than `min_frames` frames at `fps`."""
    import av

    if not path.is_file():
        raise VideoError(f"{path} is not a file")
    if path.stat().st_size == 0:
        raise VideoError(f"{path} is empty (0 bytes)")
    step = 1.0 / fps
    samples: list[np.ndarray] = []
    last: np.ndarray | None = None
    decoded = 0
    source_size = (0, 0)
    try:
        with av.open(str(path)) as container:
            streams = container.streams.video
            if not streams:
                raise VideoError(f"{path} has no video stream")
            stream = streams[0]
            stream.thread_type = "AUTO"
            source_fps = float(stream.average_rate) if stream.average_rate else None
            declared = _declared_duration(container, stream)
            start: float | None = None
            last_time = 0.0
            for frame in container.decode(stream):
                decoded += 1
                if decoded > MAX_SOURCE_FRAMES:
                    raise VideoError(f"{path} has more than {MAX_SOURCE_FRAMES} frames; cut it shorter")
                when = frame.time if frame.time is not None else (decoded - 1) / (source_fps or fps)
                start = when if start is None else start
                when -= start
                # Every sample time up to this frame shows the frame before it.
                while last is not None and len(samples) * step < when - 1e-6:
                    samples.append(last)
                last = fit_frame(frame.to_ndarray(format="rgb24"), size)
                source_size = (frame.width, frame.height)
                last_time = when
    except VideoError:
        raise
    except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError) as exc:
        raise VideoError(f"{path} is not a readable video ({_reason(exc)})") from None
    if last is None:
        raise VideoError(f"{path} is truncated or corrupt: no video frame could be decoded")
    # The last frame stays on screen for one source frame.
    shown_until = last_time + 1.0 / (source_fps or fps)
    if declared is not None and decoded > 1 and shown_until < 0.9 * declared - 0.5:
        raise VideoError(
            f"{path} is truncated or corrupt: frames stop at {timestamp(shown_until)} of {timestamp(declared)}"
        )
    while len(samples) * step < shown_until - 1e-6:
        samples.append(last)
    if len(samples) < min_frames:
        raise VideoError(f"{path} is too short: {len(samples)} frame(s) at {fps:g} fps, at least {min_frames} needed")
    frames = np.stack(samples)
    return Video(path, frames, np.arange(len(frames)) * step, fps, source_fps, decoded, source_size)


def _declared_duration(container: object, stream: object) -> float | None:
    """Seconds the file says it lasts (the stream's, else the container's), if it says."""
    duration, base = getattr(stream, "duration", None), getattr(stream, "time_base", None)
    if duration and base:
        return float(duration * base)
    whole = getattr(container, "duration", None)
    return whole / 1_000_000 if whole else None  # in AV_TIME_BASE units


def _reason(exc: Exception) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return str(text).splitlines()[0]


def write_video(path: Path, frames: np.ndarray, fps: float, quality: int = 18) -> Path:
    """Encode frames [T, H, W, 3] uint8 into `path`, the codec chosen by its suffix (mp4, mov, mkv:
    H.264 at constant quality `quality`; webm: VP9; avi: MJPEG; gif)."""
    import av

    suffix = path.suffix.lower()
    if suffix not in _ENCODERS:
        raise VideoError(f"cannot write {path}: known suffixes are {', '.join(_ENCODERS)}")
    codec, pixel_format = _ENCODERS[suffix]
    rate = Fraction(fps).limit_denominator(1000)
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = cast("VideoStream", container.add_stream(codec, rate=rate))
        stream.width, stream.height = int(frames.shape[2]), int(frames.shape[1])
        stream.pix_fmt = pixel_format
        if codec == "libx264":
            stream.options = {"crf": str(quality), "preset": "veryfast"}
        elif codec == "libvpx-vp9":
            stream.options = {"crf": str(quality + 10), "b": "0", "deadline": "realtime", "cpu-used": "8"}
        elif codec == "mjpeg":
            stream.options = {"q:v": "2"}
        for index, pixels in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format="rgb24")
            frame.pts = index
            frame.time_base = 1 / rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
