"""Perception heads: where the agent is, which room, and for each named object whether it is in
view and where, each with a confidence, read from the world model's own encoder.

The heads are trained offline with the world's facts as labels (the one legitimate use of
facts: supervision at training time) and, at run time, see only what the encoder makes of the
pixels. They read the encoder's 16x16 feature maps (the same forward pass that makes the
latent), not the 128-d latent itself: the tworooms JEPA keeps the landmarks, which never move
within an episode, out of its latent (an MLP on latents locates them no better than chance,
16-24 px median error, and calls them in view with F1 0.78), while its early feature maps hold
them to a pixel. Each entity (the agent, each object) gets a keypoint map read out by a spatial
softmax, with a predicted spread (a Gaussian's standard deviation, trained by its likelihood,
so it is a calibrated confidence); room and in-view are logits over those keypoints and pooled
features.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from agent_core.checkpoints import HEADS_CONFIG
from agent_core.fitted_readers import load_reader, save_reader
from agent_core.worlds import TwoRoomsEnv, make_world
from world_model import WorldModel
from world_model.model import to_pixels
from world_model.networks import SpatialSoftmax

WEIGHTS = "heads.safetensors"
CONFIG = HEADS_CONFIG
FIT_SEED = 5_000_000  # layouts the heads are fitted on; held-out layouts start at SCORE_SEED
SCORE_SEED = 6_000_000
NEAR_PX = 6.0  # "next to": the perceived agent within this many pixels of the perceived object


class HeadNetwork(nn.Module):
    """Encoder feature maps [N, C, 16, 16] -> positions [N, E, 2] (px), log-std [N, E], logits [N, 1 + K].

    Entities E = K objects, the door's middle, the agent (last); logits: the room (right vs
    left), then each object's in-view (which hangs on where the agent, the object and the door
    are: their keypoints feed the classifier)."""

    def __init__(self, channels: int, objects: int, frame: float = 64.0) -> None:
        super().__init__()
        entities = objects + 2
        self.frame = frame
        self.maps = nn.Sequential(
            nn.Conv2d(channels, 32, 3, padding=1), nn.GELU(), nn.Conv2d(32, entities, 3, padding=1)
        )
        self.keypoints = SpatialSoftmax()
        self.pooled = nn.Sequential(
            nn.Conv2d(channels, 32, 3, stride=2, padding=1),
            nn.GELU(),
            nn.Conv2d(32, 32, 3, stride=2, padding=1),
            nn.GELU(),
            nn.Flatten(),
        )
        # room and, per object, whether it is drawn at all (a vanished one is not)
        self.classify = nn.Sequential(nn.Linear(32 * 16 + 2 * entities, 256), nn.GELU(), nn.Linear(256, 1 + objects))
        self.spread = nn.Sequential(nn.Linear(32 * 16 + 2 * entities, 64), nn.GELU(), nn.Linear(64, entities))
        # line of sight from (agent, object, door) keypoints: one small network shared by the objects
        self.sight = nn.Sequential(nn.Linear(6, 64), nn.GELU(), nn.Linear(64, 64), nn.GELU(), nn.Linear(64, 1))

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Positions [N, E, 2], log-spread [N, E], and logits [N, 1 + 2K]: the room, each object's
        presence, each object's line of sight (in view = present and in sight)."""
        points = self.keypoints(self.maps(features))  # [N, 2E]: x's then y's, in [-1, 1]
        entities = points.shape[1] // 2
        xy = torch.stack([points[:, :entities], points[:, entities:]], dim=-1)
        positions = (xy + 1) * self.frame / 2
        joined = torch.cat([points, self.pooled(features)], dim=1)
        objects = entities - 2
        cue = xy.detach()
        triples = torch.cat(
            [cue[:, -1:].expand(-1, objects, -1), cue[:, :objects], cue[:, -2:-1].expand(-1, objects, -1)], dim=-1
        )
        sight = self.sight(triples).squeeze(-1)  # [N, K]
        return positions, self.spread(joined).clamp(-4.0, 4.0), torch.cat([self.classify(joined), sight], dim=1)


@dataclass(frozen=True)
class ObjectPercept:
    in_view: float  # probability that the object is in view
    position: tuple[float, float]  # where the head puts it (px); only meaningful when in view
    spread: float  # standard deviation of that position (px)


@dataclass(frozen=True)
class Percept:
    """What the agent perceives in one frame: no fact goes into it."""

    agent: tuple[float, float]
    agent_spread: float
    room: str
    room_confidence: float
    door: tuple[float, float]  # the middle of the passage between the rooms (px)
    objects: dict[str, ObjectPercept] = field(default_factory=dict)

    def in_view(self, threshold: float = 0.5) -> list[str]:
        return [name for name, seen in self.objects.items() if seen.in_view >= threshold]

    def near(self, threshold: float = 0.5, radius: float = NEAR_PX) -> list[str]:
        return [
            name for name in self.in_view(threshold) if math.dist(self.objects[name].position, self.agent) <= radius
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent": [round(v, 2) for v in self.agent],
            "agent_spread": round(self.agent_spread, 2),
            "room": self.room,
            "room_confidence": round(self.room_confidence, 3),
            "objects": {
                name: {
                    "in_view": round(o.in_view, 3),
                    "position": [round(v, 2) for v in o.position],
                    "spread": round(o.spread, 2),
                }
                for name, o in self.objects.items()
            },
            "door": [round(v, 2) for v in self.door],
            "visible": self.in_view(),
            "near": self.near(),
        }


class PerceptionHeads:
    """The fitted heads and the names they were fitted with."""

    def __init__(
        self,
        network: HeadNetwork,
        objects: list[str],
        rooms: tuple[str, str],
        scores: dict[str, Any],
        encoder: str = "",
    ):
        self.network = network.eval()
        self.encoder = encoder  # WorldModel.latent_space of the encoder whose feature maps they read
        self.objects = objects
        self.rooms = rooms
        self.scores = scores

    @torch.inference_mode()
    def read(self, features: torch.Tensor) -> list[Percept]:
        positions, log_spread, logits = self.network(features)
        spread = log_spread.exp() * math.sqrt(2.0)  # the head's sigma is per axis; this is the radial one
        k = len(self.objects)
        probabilities = torch.sigmoid(logits)
        probabilities = torch.cat([probabilities[:, :1], probabilities[:, 1 : 1 + k] * probabilities[:, 1 + k :]], 1)
        percepts = []
        for i in range(len(features)):
            right = float(probabilities[i, 0])
            objects = {
                name: ObjectPercept(
                    float(probabilities[i, 1 + k]),
                    (float(positions[i, k, 0]), float(positions[i, k, 1])),
                    float(spread[i, k]),
                )
                for k, name in enumerate(self.objects)
            }
            percepts.append(
                Percept(
                    (float(positions[i, -1, 0]), float(positions[i, -1, 1])),
                    float(spread[i, -1]),
                    self.rooms[1] if right >= 0.5 else self.rooms[0],
                    max(right, 1 - right),
                    (float(positions[i, -2, 0]), float(positions[i, -2, 1])),
                    objects,
                )
            )
        return percepts

    def save(self, folder: Path) -> None:
        document = {"objects": self.objects, "rooms": list(self.rooms), "encoder": self.encoder, "scores": self.scores}
        save_reader(folder, CONFIG, WEIGHTS, document, self.network.state_dict())

    @classmethod
    def load(cls, folder: Path, model: WorldModel) -> PerceptionHeads | None:
        """The heads saved in a checkpoint folder for this model's encoder, or None (`load_reader`)."""
        saved = load_reader(folder, CONFIG, WEIGHTS, model)
        if saved is None:
            return None
        document, tensors = saved
        network = HeadNetwork(feature_channels(model), len(document["objects"]))
        network.load_state_dict(tensors)
        rooms = (document["rooms"][0], document["rooms"][1])
        return cls(network, list(document["objects"]), rooms, document.get("scores", {}), document["encoder"])


def encoder_features(model: WorldModel, frames: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """One encoder pass: latents [N, D] and the early feature maps [N, C, 16, 16] the heads read."""
    early = getattr(model.encoder, "early", None)
    if early is None:
        raise ValueError(f"{model.config.encoder!r} encoders have no feature maps for perception heads")
    captured: list[torch.Tensor] = []
    hook = early.register_forward_hook(lambda _m, _i, output: captured.append(output))
    try:
        with torch.inference_mode():
            latents = model.embed(to_pixels(frames))
    finally:
        hook.remove()
    return latents, captured[0]


def feature_channels(model: WorldModel) -> int:
    return int(model.config.channels[1])


@dataclass
class LabelledFrames:
    frames: np.ndarray  # [N, 64, 64, 3]
    agent: np.ndarray  # [N, 2]
    right: np.ndarray  # [N] room is the second one
    in_view: np.ndarray  # [N, K]
    objects: np.ndarray  # [N, K, 2] (NaN where an object is gone)
    door: np.ndarray  # [N, 2] the middle of the door


def labelled_frames(first_seed: int, layouts: int, per_layout: int, vanish: float = 0.1) -> LabelledFrames:
    """Frames of tworooms layouts with the agent at uniform free places, labelled by the facts;
    in a share `vanish` of the frames one object has vanished (it must then read as not in view)."""
    env = make_world("tworooms")
    assert isinstance(env, TwoRoomsEnv)
    rng = np.random.default_rng(first_seed)
    frames, agent, right, in_view, objects, door = [], [], [], [], [], []
    for layout in range(layouts):
        env.reset(seed=first_seed + layout)
        names = [m.name for m in env.landmarks]
        for _ in range(per_layout):
            for mark in env.landmarks:
                mark.present = True
            if rng.random() < vanish:
                env.landmarks[int(rng.integers(len(env.landmarks)))].present = False
            env._draw_background()
            env.agent = _agent_place(env, rng)
            facts = env.facts()
            frames.append(env.frame_with_agent_at(env.agent))
            agent.append(env.agent.copy())
            right.append(facts["room"] == "right")
            in_view.append([n in facts["visible"] for n in names])
            objects.append([m.position if m.present else (np.nan, np.nan) for m in env.landmarks])
            door.append((env.wall_center_x, sum(env.door) / 2))
    return LabelledFrames(
        np.stack(frames),
        np.asarray(agent, dtype=np.float32),
        np.asarray(right, dtype=np.float32),
        np.asarray(in_view, dtype=np.float32),
        np.asarray(objects, dtype=np.float32),
        np.asarray(door, dtype=np.float32),
    )


def _agent_place(env: TwoRoomsEnv, rng: np.random.Generator) -> np.ndarray:
    """Uniform over free ground, but a third of the time within 8 px of an object (where the agent's
    square overlaps it and both must still be told apart) and a sixth near the door (where
    whether an object is in view turns)."""
    draw = rng.random()
    for _ in range(100):
        if draw < 1 / 3:
            centre = env.landmarks[int(rng.integers(len(env.landmarks)))].position
            point = centre + rng.uniform(-8, 8, size=2)
        elif draw < 1 / 2:
            point = np.array([env.wall_center_x, sum(env.door) / 2]) + rng.uniform(-12, 12, size=2)
        else:
            return env.random_free_point(rng=rng)
        if env.is_free(point):
            return point
    return env.random_free_point(rng=rng)


def _features(model: WorldModel, frames: np.ndarray, batch: int = 512) -> torch.Tensor:
    return torch.cat([encoder_features(model, frames[i : i + batch])[1].clone() for i in range(0, len(frames), batch)])


def fit_heads(
    model: WorldModel,
    layouts: int = 800,
    per_layout: int = 16,
    epochs: int = 25,
    held_out_layouts: int = 200,
    seed: int = 0,
    on_epoch: Any = None,
) -> PerceptionHeads:
    """Fit the heads on frames of `layouts` tworooms layouts, score them on `held_out_layouts` others."""
    torch.manual_seed(seed)
    names = list(make_world("tworooms").config.objects)  # type: ignore[attr-defined]
    data = labelled_frames(FIT_SEED, layouts, per_layout)
    features = _features(model, data.frames)
    targets = torch.as_tensor(np.concatenate([data.objects, data.door[:, None], data.agent[:, None]], axis=1))
    present = np.isfinite(data.objects[..., 0]).astype(np.float32)
    labels = torch.as_tensor(np.concatenate([data.right[:, None], present, data.in_view], axis=1))
    weights = torch.as_tensor(np.concatenate([np.ones_like(present[:, :1]), np.ones_like(present), present], axis=1))
    network = HeadNetwork(feature_channels(model), len(names))
    optimiser = torch.optim.AdamW(network.parameters(), 2e-3, weight_decay=1e-4)
    batches = math.ceil(len(features) / 128)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, 3e-3, total_steps=epochs * batches)
    started = time.perf_counter()
    for epoch in range(epochs):
        order = torch.randperm(len(features))
        for i in range(0, len(features), 128):
            rows = order[i : i + 128]
            positions, log_spread, logits = network(features[rows])
            truth = targets[rows]
            known = torch.isfinite(truth[..., 0])
            error = (positions - torch.nan_to_num(truth)).pow(2).sum(-1)  # [B, E]
            # Gaussian likelihood per axis: the spread learns how far off the position is.
            likelihood = error / (2 * (2 * log_spread).exp()) + 2 * log_spread
            position_loss = (
                torch.nn.functional.smooth_l1_loss(positions, torch.nan_to_num(truth), reduction="none").sum(-1)
                + 0.1 * likelihood
            )[known].mean()
            # line of sight is learnt where the object is drawn (weights); presence and room everywhere
            loss = position_loss + torch.nn.functional.binary_cross_entropy_with_logits(
                logits, labels[rows], weight=weights[rows]
            )
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
        if on_epoch is not None:
            on_epoch(epoch + 1, epochs)
    heads = PerceptionHeads(network, names, ("left", "right"), {}, model.latent_space)
    heads.scores = score_heads(model, heads, held_out_layouts, per_layout)
    heads.scores["fit"] = {
        "layouts": layouts,
        "frames": len(features),
        "epochs": epochs,
        "seconds": round(time.perf_counter() - started, 1),
    }
    return heads


def score_heads(model: WorldModel, heads: PerceptionHeads, layouts: int = 200, per_layout: int = 16) -> dict[str, Any]:
    """Held-out layouts (other seeds): in-view F1 and calibration, position errors (px), room accuracy."""
    data = labelled_frames(SCORE_SEED, layouts, per_layout)
    percepts = heads.read(_features(model, data.frames))
    report: dict[str, Any] = {"frames": len(percepts)}
    agent_error = np.array([math.dist(p.agent, a) for p, a in zip(percepts, data.agent, strict=True)])
    report["agent_position_px"] = errors(agent_error)
    report["agent_spread_coverage_2sigma"] = round(
        float(np.mean(agent_error <= 2 * np.array([p.agent_spread for p in percepts]))), 3
    )
    report["room_accuracy"] = round(
        float(np.mean([(p.room == "right") == bool(r) for p, r in zip(percepts, data.right, strict=True)])), 4
    )
    in_view_f1, object_errors, probabilities, truths = {}, [], [], []
    for k, name in enumerate(heads.objects):
        predicted = np.array([p.objects[name].in_view >= 0.5 for p in percepts])
        truth = data.in_view[:, k] > 0.5
        in_view_f1[name] = round(f1(predicted, truth), 4)
        probabilities += [p.objects[name].in_view for p in percepts]
        truths += list(truth)
        for i, p in enumerate(percepts):
            if truth[i]:
                object_errors.append(math.dist(p.objects[name].position, data.objects[i, k]))
    report["object_in_view_f1"] = in_view_f1
    report["object_in_view_f1_min"] = min(in_view_f1.values())
    report["object_in_view_ece"] = round(calibration_error(np.array(probabilities), np.array(truths)), 4)
    report["object_position_px"] = errors(np.array(object_errors))
    report["door_position_px"] = errors(
        np.array([math.dist(p.door, d) for p, d in zip(percepts, data.door, strict=True)])
    )
    return report


def errors(values: np.ndarray) -> dict[str, float]:
    return {
        "median": round(float(np.median(values)), 3),
        "p90": round(float(np.quantile(values, 0.9)), 3),
        "max": round(float(values.max()), 3),
    }


def f1(predicted: np.ndarray, truth: np.ndarray) -> float:
    hits = float(np.sum(predicted & truth))
    total = float(predicted.sum() + truth.sum())
    return 2 * hits / total if total else 1.0


def calibration_error(probability: np.ndarray, truth: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: |confidence - accuracy| averaged over probability bins."""
    which = np.minimum((probability * bins).astype(int), bins - 1)
    error = 0.0
    for b in range(bins):
        rows = which == b
        if rows.any():
            error += rows.mean() * abs(probability[rows].mean() - truth[rows].mean())
    return float(error)
