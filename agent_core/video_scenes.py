"""A test scene unlike the shipped worlds, for the video benchmark: flat shapes (squares,
triangles, diamonds, crosses) of random colours and sizes gliding at constant velocity over a
gradient background with a faint checker texture, bouncing off the edges of a square arena. Frames
are 96x72 (wider than tall, with static decorated margins) so that the video path's centre crop
is exercised: the arena is exactly the central 72x72 square.

Matched clips replay one seed and differ only from the event frame on:
- vanish: one shape disappears while in plain view;
- teleport: one shape jumps at least a third of the arena away and glides on from there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HEIGHT, WIDTH = 72, 96
ARENA = HEIGHT  # the central square
MARGIN = (WIDTH - ARENA) // 2
SHAPES = ("square", "triangle", "diamond", "cross")
SCENE_EVENTS = ("vanish", "teleport")


@dataclass(frozen=True)
class SceneClip:
    seed: int
    event: str | None
    event_frame: int | None  # first frame that shows the event
    frames: np.ndarray  # [T, 72, 96, 3] uint8


def _mask(shape: str, size: int) -> np.ndarray:
    yy, xx = np.mgrid[:size, :size] - (size - 1) / 2
    half = size / 2
    if shape == "square":
        return np.ones((size, size), bool)
    if shape == "triangle":
        return (yy + half) >= 2 * np.abs(xx)  # apex up
    if shape == "diamond":
        return np.abs(xx) + np.abs(yy) <= half
    return (np.abs(xx) < size / 6 + 0.5) | (np.abs(yy) < size / 6 + 0.5)  # cross


def _background(rng: np.random.Generator) -> np.ndarray:
    top, bottom = rng.uniform(20, 90, 3), rng.uniform(20, 90, 3)
    ramp = np.linspace(0, 1, HEIGHT)[:, None, None]
    image = top * (1 - ramp) + bottom * ramp + np.zeros((1, WIDTH, 1))
    checker = ((np.arange(HEIGHT)[:, None] // 6 + np.arange(WIDTH)[None] // 6) % 2)[..., None]
    image = image + 10 * checker
    stripes = rng.uniform(60, 160, 3)
    for x in range(2, MARGIN - 2, 5):  # static decoration in the margins the crop removes
        image[:, x] = stripes
        image[:, WIDTH - 1 - x] = stripes
    return np.clip(image, 0, 255).astype(np.uint8)


def make_scene_clip(seed: int, event: str | None = None, length: int = 32) -> SceneClip:
    """The clip of `seed` (deterministic), with `event` (vanish, teleport) mid-clip or none."""
    if event not in (None, *SCENE_EVENTS):
        raise ValueError(f"unknown scene event {event!r}; known: {', '.join(SCENE_EVENTS)}")
    rng = np.random.default_rng(seed)
    background = _background(rng)
    count: int = int(rng.integers(1, 3))
    sizes = rng.integers(7, 15, count)
    shapes = [SHAPES[int(i)] for i in rng.integers(0, len(SHAPES), count)]
    colours = rng.uniform(150, 255, (count, 3)) * (rng.uniform(0, 1, (count, 3)) > 0.3)
    colours[colours.max(axis=1) < 150, int(rng.integers(0, 3))] = 230
    position = np.stack([rng.uniform(0, ARENA - s, 2) for s in sizes])
    speed = rng.uniform(1.5, 3.5, count)
    angle = rng.uniform(0, 2 * np.pi, count)
    velocity = np.stack([np.cos(angle), np.sin(angle)], 1) * speed[:, None]
    event_frame = int(rng.integers(length * 2 // 5, length * 3 // 5)) if length >= 10 else length // 2
    target = int(rng.integers(0, count))
    jump = rng.uniform(0, 1, 2)  # where a teleport lands, drawn for every clip of the seed alike
    visible = np.ones(count, bool)
    frames = np.empty((length, HEIGHT, WIDTH, 3), np.uint8)
    for t in range(length):
        if event is not None and t == event_frame:
            if event == "vanish":
                visible[target] = False
            else:
                limit = ARENA - sizes[target]
                landing = jump * limit
                while np.linalg.norm(landing - position[target]) < ARENA / 3:
                    landing = (landing + limit / 3) % limit
                position[target] = landing
        image = background.copy()
        for i in map(int, np.flatnonzero(visible)):
            x, y = np.round(position[i]).astype(int)
            mask = _mask(shapes[i], int(sizes[i]))
            region = image[y : y + sizes[i], MARGIN + x : MARGIN + x + sizes[i]]
            region[mask[: region.shape[0], : region.shape[1]]] = colours[i]
        frames[t] = image
        position += velocity
        for i in range(count):  # bounce off the arena's edges
            for axis in range(2):
                limit = ARENA - sizes[i]
                if position[i, axis] < 0 or position[i, axis] > limit:
                    velocity[i, axis] *= -1
                    position[i, axis] = np.clip(position[i, axis], 0, limit)
    return SceneClip(seed, event, event_frame if event is not None else None, frames)
