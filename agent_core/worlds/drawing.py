"""Pure-numpy drawing primitives shared by the worlds.

Worlds pre-render their static background once and stamp the few moving things per frame,
which keeps a 64x64 frame well under a millisecond.
"""

from __future__ import annotations

from functools import cache

import numpy as np

FRAME_SIZE = 64
SHAPES = ("disc", "square", "key", "cross", "ring", "triangle")


@cache
def shape_mask(shape: str, radius: int) -> np.ndarray:
    """A (2r+1, 2r+1) boolean mask of a named shape; cached because worlds reuse a few sizes."""
    size = 2 * radius + 1
    ys, xs = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    dist = np.hypot(xs, ys)
    if shape == "disc":
        mask = dist <= radius + 0.3
    elif shape == "square":
        mask = np.ones((size, size), dtype=bool)
    elif shape == "ring":
        mask = (dist <= radius + 0.3) & (dist >= radius - 1.2)
    elif shape == "cross":
        mask = (np.abs(xs) <= radius // 3) | (np.abs(ys) <= radius // 3)
    elif shape == "triangle":
        mask = (ys >= -radius) & (np.abs(xs) <= (ys + radius) / 2 + 0.5)
    elif shape == "key":
        bow = np.hypot(xs + radius / 2, ys) <= radius / 2 + 0.3
        shaft = (np.abs(ys) <= 0) & (xs >= 0)
        teeth = (xs >= radius - 1) & (ys >= 0) & (ys <= radius // 2 + 1)
        mask = bow | shaft | teeth
    else:
        raise ValueError(f"unknown shape {shape!r}; known: {', '.join(SHAPES)}")
    mask.setflags(write=False)
    return mask


def stamp(frame: np.ndarray, mask: np.ndarray, center, color) -> None:
    """Paint `mask` centred at (x, y) in `color`, clipping at the frame border."""
    radius = mask.shape[0] // 2
    cx, cy = round(center[0]), round(center[1])
    x0, y0 = cx - radius, cy - radius
    fx0, fy0 = max(x0, 0), max(y0, 0)
    fx1 = min(x0 + mask.shape[1], frame.shape[1])
    fy1 = min(y0 + mask.shape[0], frame.shape[0])
    if fx0 >= fx1 or fy0 >= fy1:
        return
    sub = mask[fy0 - y0 : fy1 - y0, fx0 - x0 : fx1 - x0]
    frame[fy0:fy1, fx0:fx1][sub] = color


def fill_rect(frame: np.ndarray, x0: float, y0: float, x1: float, y1: float, color) -> None:
    """Fill the pixels of the half-open rectangle [x0, x1) x [y0, y1)."""
    frame[max(int(y0), 0) : max(int(np.ceil(y1)), 0), max(int(x0), 0) : max(int(np.ceil(x1)), 0)] = color


def blank(color) -> np.ndarray:
    """A FRAME_SIZE x FRAME_SIZE RGB frame filled with one colour."""
    frame = np.empty((FRAME_SIZE, FRAME_SIZE, 3), dtype=np.uint8)
    frame[:] = color
    return frame
