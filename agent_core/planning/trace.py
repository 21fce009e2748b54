"""A picture of one planning episode: the path taken and the futures the agent imagined."""

from __future__ import annotations

from typing import Any

import numpy as np

from agent_core.planning.mpc import EpisodeResult

TAKEN = (255, 255, 255)
IMAGINED = (80, 220, 255)
GOAL = (255, 200, 0)


def draw_trace(frame: np.ndarray, result: EpisodeResult, goal: np.ndarray, scale: int = 8) -> np.ndarray:
    """The start frame enlarged `scale` times with imagined paths, the true path and the goal."""
    from PIL import Image, ImageDraw

    image = Image.fromarray(frame).resize((frame.shape[1] * scale, frame.shape[0] * scale), Image.Resampling.NEAREST)
    draw = ImageDraw.Draw(image)

    def pixels(points: Any) -> list[tuple[float, float]]:
        return [(float(x) * scale + scale / 2, float(y) * scale + scale / 2) for x, y in points]

    for imagined in result.imagined:
        points = pixels(imagined.tolist())
        draw.line(points, fill=IMAGINED, width=1)
        draw.point(points[-1], fill=IMAGINED)
    if len(result.trace) > 1:
        draw.line(pixels(result.trace), fill=TAKEN, width=2)
    (gx, gy) = pixels([goal])[0]
    r = scale
    draw.ellipse((gx - r, gy - r, gx + r, gy + r), outline=GOAL, width=2)
    return np.asarray(image)
