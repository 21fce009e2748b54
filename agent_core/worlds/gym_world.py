"""Any gymnasium environment with pixels as a worldmind world.

A world named by a registered gymnasium id ("Pendulum-v1") or gymnasium's "module:EnvId" form
(the module is imported first, and may register the id) is wrapped in `GymWorld`:

- **Frames**: the env's image observation (an HxWx3 or HxWx4 or HxW uint8 Box, or such a Box
  under "pixels", "image" or "rgb" in a Dict observation), else its `rgb_array` render. The
  frame is made square, by default by padding the short side with black ("pad": nothing is cut
  off), or by cutting the long side's centre ("crop") or by stretching ("stretch"), then
  resized to 64x64 with Pillow's antialiased bilinear filter.
- **Actions**: what the model and the planners see is a vector. A Box action space of A numbers
  is presented as [-1, 1]^A, mapped linearly onto each dimension's [low, high] (a dimension with
  an infinite bound is passed through, clipped to [-1, 1]); a Discrete(n) space is presented as
  a one-hot vector of n numbers (the largest entry is the action taken). Any other action
  space is refused.
- **Action repeat**: each call of `step` repeats the action `action_repeat` times in the env
  and shows the last frame (rewards summed).
- **Episode end**: once the env terminates or truncates, the world holds its last frame and
  state (an absorbing state, `facts()["done"]` true) until the fixed-length episode worldmind
  collects is over; the env is never stepped past its end.
- **Facts**: the env's `info`, kept where it is numbers (nested dicts flattened with "."), the
  env's observation when it is a vector rather than an image ("obs"), and "done". Numbers
  become the `state_arrays` that probes are fitted on.

A world's full name (its key) is the env id plus, when any is set, its options as compact
JSON: `Pendulum-v1 {"action_repeat":2,"fit":"crop","kwargs":{"g":9.81}}`. Datasets and
checkpoints record that key, so a checkpoint of another env or other options is refused.
"""

from __future__ import annotations

import importlib
import json
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from PIL import Image

from agent_core.errors import WorldError
from agent_core.worlds.base import WorldEnv
from agent_core.worlds.drawing import FRAME_SIZE
from agent_core.worlds.events import Event, EventRecord

FITS = ("pad", "crop", "stretch")
IMAGE_KEYS = ("pixels", "image", "rgb")
MAX_ACTION_REPEAT = 64


@dataclass(frozen=True)
class GymWorldSpec:
    """A gymnasium env id and the settings worldmind wraps it with."""

    env_id: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)  # passed to gymnasium.make
    action_repeat: int = 1
    fit: str = "pad"

    def __post_init__(self) -> None:
        if not self.env_id or any(c.isspace() for c in self.env_id):
            raise WorldError(f"a gymnasium id has no spaces, got {self.env_id!r}")
        if not isinstance(self.action_repeat, int) or not 1 <= self.action_repeat <= MAX_ACTION_REPEAT:
            raise WorldError(f"action repeat must be an integer in 1..{MAX_ACTION_REPEAT}, got {self.action_repeat!r}")
        if self.fit not in FITS:
            raise WorldError(f"fit must be one of {', '.join(FITS)}, got {self.fit!r}")
        if not isinstance(self.kwargs, Mapping):
            raise WorldError("world kwargs must be a JSON object")

    @property
    def key(self) -> str:
        """The world's name everywhere (datasets, checkpoints, memory): the id, then the options."""
        options: dict[str, Any] = {}
        if self.kwargs:
            options["kwargs"] = dict(self.kwargs)
        if self.action_repeat != 1:
            options["action_repeat"] = self.action_repeat
        if self.fit != "pad":
            options["fit"] = self.fit
        if not options:
            return self.env_id
        return f"{self.env_id} {json.dumps(options, sort_keys=True, separators=(',', ':'))}"

    @classmethod
    def parse(cls, key: str) -> GymWorldSpec:
        """The spec a key names (the inverse of `key`)."""
        env_id, _, rest = key.strip().partition(" ")
        if not rest:
            return cls(env_id)
        try:
            options = json.loads(rest)
        except ValueError as exc:
            raise WorldError(f"world {key!r}: the options after the id are not JSON ({exc})") from None
        if not isinstance(options, dict) or set(options) - {"kwargs", "action_repeat", "fit"}:
            raise WorldError(f"world {key!r}: options are an object with kwargs, action_repeat, fit")
        return cls(env_id, options.get("kwargs", {}), options.get("action_repeat", 1), options.get("fit", "pad"))


def world_key(
    name: str, kwargs_json: str | None = None, action_repeat: int | None = None, fit: str | None = None
) -> str:
    """The world key for a name given on the command line and the world options beside it.

    A shipped world's name comes back unchanged (it takes no options); anything else is a
    gymnasium id whose options are merged over those its key already carries."""
    from agent_core.worlds import is_shipped

    if is_shipped(name):
        if kwargs_json or (action_repeat not in (None, 1)) or (fit not in (None, "pad")):
            raise WorldError(
                f"{name} is a shipped world; --world-kwargs, --action-repeat and --fit are for gymnasium envs"
            )
        return name
    spec = GymWorldSpec.parse(name)
    kwargs = dict(spec.kwargs)
    if kwargs_json:
        try:
            extra = json.loads(kwargs_json)
        except ValueError as exc:
            raise WorldError(f"--world-kwargs is not JSON: {exc}") from None
        if not isinstance(extra, dict):
            raise WorldError("--world-kwargs must be a JSON object, e.g. '{\"g\": 9.81}'")
        kwargs |= extra
    return GymWorldSpec(
        spec.env_id,
        kwargs,
        spec.action_repeat if action_repeat is None else action_repeat,
        spec.fit if fit is None else fit,
    ).key


def make_gym_env(spec: GymWorldSpec) -> gym.Env[Any, Any]:
    """gymnasium.make with an rgb_array render mode (unless the kwargs choose one); every way
    it can fail (unknown id, module that does not import, bad kwargs, missing dependency) is
    a WorldError naming the id."""
    kwargs = {"render_mode": "rgb_array", "disable_env_checker": True, **spec.kwargs}
    module, _, _ = spec.env_id.rpartition(":")
    try:
        if module:
            importlib.import_module(module)
        with warnings.catch_warnings():  # an unlisted render mode is checked below, in one line
            warnings.simplefilter("ignore")
            return gym.make(spec.env_id.rpartition(":")[2] if module else spec.env_id, **kwargs)
    except Exception as exc:  # a user's env may fail in any way; all are bad input here
        text = _first_line(exc)
        unknown = (gym.error.NameNotFound, gym.error.NamespaceNotFound, gym.error.VersionNotFound, ImportError)
        if isinstance(exc, unknown):
            raise WorldError(
                f"unknown world {spec.env_id!r}: not tworooms or bounce, and gymnasium cannot make it ({text})"
            ) from None
        raise WorldError(f"gymnasium cannot make {spec.env_id!r}: {text}") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _image_space(space: gym.Space[Any]) -> bool:
    if not isinstance(space, gym.spaces.Box) or space.dtype != np.uint8:
        return False
    shape = space.shape
    return len(shape) == 2 or (len(shape) == 3 and shape[2] in (1, 3, 4))


def _image_key(space: gym.Space[Any]) -> str | None:
    """Where the image is in an observation: "" (the whole of it), a Dict key, or None."""
    if _image_space(space):
        return ""
    if isinstance(space, gym.spaces.Dict):
        for key in IMAGE_KEYS:
            if key in space.spaces and _image_space(space.spaces[key]):
                return key
    return None


def to_frame(image: np.ndarray, fit: str = "pad", size: int = FRAME_SIZE) -> np.ndarray:
    """Any HxW, HxWx1, HxWx3 or HxWx4 image -> size x size x 3 uint8 (see the module doc)."""
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4) or min(array.shape[:2]) < 1:
        raise WorldError(f"an image is HxW, HxWx1, HxWx3 or HxWx4, got shape {list(array.shape)}")
    if array.dtype != np.uint8:
        scale = 255.0 if np.issubdtype(array.dtype, np.floating) and float(np.nanmax(array)) <= 1.0 else 1.0
        array = np.clip(np.nan_to_num(array.astype(np.float64) * scale), 0, 255).astype(np.uint8)
    array = np.ascontiguousarray(array[..., :3])
    height, width = array.shape[:2]
    if fit == "crop" and height != width:
        side = min(height, width)
        top, left = (height - side) // 2, (width - side) // 2
        array = array[top : top + side, left : left + side]
    elif fit == "pad" and height != width:
        side = max(height, width)
        padded = np.zeros((side, side, 3), dtype=np.uint8)
        top, left = (side - height) // 2, (side - width) // 2
        padded[top : top + height, left : left + width] = array
        array = padded
    if array.shape[:2] == (size, size):
        return array
    return np.array(Image.fromarray(array).resize((size, size), Image.Resampling.BILINEAR))  # writable


def _numbers(value: Any, prefix: str, out: dict[str, Any]) -> None:
    """Flatten the numeric parts of an info value into JSON-ready numbers and lists of them."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            _numbers(item, f"{prefix}.{key}" if prefix else str(key), out)
        return
    if isinstance(value, bool | np.bool_):
        out[prefix] = bool(value)
    elif isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        if math.isfinite(number):
            out[prefix] = int(value) if isinstance(value, int | np.integer) else number
    elif isinstance(value, list | tuple | np.ndarray):
        array = np.asarray(value) if not isinstance(value, np.ndarray) else value
        if array.dtype.kind in "biuf" and 0 < array.size <= 4096 and np.isfinite(array.astype(np.float64)).all():
            out[prefix] = array.astype(np.float64).tolist()


def stack_states(states: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Per-step state dicts -> {name: [T, ...]}. A gymnasium env's `info` may lack a quantity
    on some step (often the reset) or change its shape: a quantity is kept when it has one
    shape wherever it is present from the first step on, with NaN where it is missing."""
    later = states[1:] or states
    shapes: dict[str, tuple[int, ...]] = {}
    for key in later[0]:
        shape = np.shape(later[0][key])
        if all(key in s and np.shape(s[key]) == shape for s in later):
            shapes[key] = shape
    stacked = {}
    for key, shape in shapes.items():
        rows = [s[key] if key in s and np.shape(s[key]) == shape else np.full(shape, np.nan) for s in states]
        stacked[key] = np.stack(rows).astype(np.float32)
    return stacked


class GymWorld(WorldEnv):
    """A gymnasium env presented as a worldmind world (see the module doc)."""

    world_name = "gym"  # each instance is named by its key
    supported_events: ClassVar[frozenset[Event]] = frozenset()

    def __init__(self, key: str, render_mode: str | None = "rgb_array") -> None:
        super().__init__(render_mode)
        self.spec_ = GymWorldSpec.parse(key)
        self.world_name = self.spec_.key  # type: ignore[misc]
        self.env = make_gym_env(self.spec_)
        try:
            self._check_spaces()
        except WorldError:
            self.env.close()
            raise
        self._last_frame = np.zeros((FRAME_SIZE, FRAME_SIZE, 3), np.uint8)
        self._obs: Any = None
        self._info: dict[str, Any] = {}
        self._done = False

    def _check_spaces(self) -> None:
        env_id = self.spec_.env_id
        self.image_key = _image_key(self.env.observation_space)
        if self.image_key is None:
            modes = self.env.metadata.get("render_modes", []) or []
            if "rgb_array" not in modes or getattr(self.env, "render_mode", None) != "rgb_array":
                raise WorldError(f"{env_id} has no image observation and no rgb_array render: nothing to see")
        space = self.env.action_space
        if isinstance(space, gym.spaces.Discrete):
            self.choices: int | None = int(space.n)
            self.action_space = gym.spaces.Box(0.0, 1.0, (self.choices,), np.float32)
        elif isinstance(space, gym.spaces.Box) and np.issubdtype(space.dtype, np.floating):
            self.choices = None
            self.action_space = gym.spaces.Box(-1.0, 1.0, (int(np.prod(space.shape)),), np.float32)
        else:
            raise WorldError(
                f"{env_id} has a {type(space).__name__} action space; worldmind plans over Box (CEM, MPPI) "
                "or Discrete (categorical CEM) actions"
            )

    @property
    def last_observation(self) -> Any:
        """The env's own last observation (what an expert written for the env reads)."""
        return self._obs

    @property
    def last_info(self) -> dict[str, Any]:
        """The env's own last `info`, unfiltered."""
        return self._info

    # -- actions -------------------------------------------------------------------------
    def action_vector(self, action: Any) -> np.ndarray:
        """The canonical vector the model sees for `action` (clipped box, or one-hot)."""
        vector = np.asarray(action, dtype=np.float64).reshape(-1)
        if self.choices is not None:
            if vector.size == 1 and self.choices != 1:
                index = int(vector[0])
                if not 0 <= index < self.choices:
                    raise WorldError(f"{self.spec_.env_id} has {self.choices} actions, got {index}")
            elif vector.size == self.choices and np.isfinite(vector).all():
                index = int(np.argmax(vector))
            else:
                raise WorldError(f"{self.spec_.env_id} takes one of {self.choices} actions (or a vector of scores)")
            return np.eye(self.choices, dtype=np.float32)[index]
        size = int(np.prod(self.action_space.shape or (0,)))
        if vector.size != size or not np.isfinite(vector).all():
            raise WorldError(f"{self.spec_.env_id} actions are {size} finite numbers in [-1, 1]")
        return np.clip(vector, -1.0, 1.0).astype(np.float32)

    def native_action(self, vector: np.ndarray) -> Any:
        """The env's own action for a canonical vector."""
        space = self.env.action_space
        if isinstance(space, gym.spaces.Discrete):
            return int(space.start) + int(np.argmax(vector))
        assert isinstance(space, gym.spaces.Box)
        low, high = space.low.reshape(-1).astype(np.float64), space.high.reshape(-1).astype(np.float64)
        finite = np.isfinite(low) & np.isfinite(high)
        values = np.where(finite, low + (vector + 1.0) / 2.0 * (high - low), vector)
        return values.reshape(space.shape).astype(space.dtype)

    def canonical(self, native: Any) -> np.ndarray:
        """The canonical vector for an action in the env's own space (an expert's, say)."""
        space = self.env.action_space
        if isinstance(space, gym.spaces.Discrete):
            index = int(np.asarray(native).reshape(-1)[0]) - int(space.start)
            assert self.choices is not None
            return np.eye(self.choices, dtype=np.float32)[int(np.clip(index, 0, self.choices - 1))]
        assert isinstance(space, gym.spaces.Box)
        low, high = space.low.reshape(-1).astype(np.float64), space.high.reshape(-1).astype(np.float64)
        values = np.asarray(native, dtype=np.float64).reshape(-1)
        finite = np.isfinite(low) & np.isfinite(high) & (high > low)
        span = np.where(finite, high - low, 1.0)
        vector = np.where(finite, (values - low) / span * 2.0 - 1.0, values)
        return np.clip(vector, -1.0, 1.0).astype(np.float32)

    # -- gymnasium API -------------------------------------------------------------------
    def _reset_state(self, options: dict[str, Any]) -> None:
        self._obs, info = self.env.reset(seed=self.seed_value, options=options or None)
        self._info = dict(info)
        self._done = False
        self._last_frame = self._observe()

    def _advance(self, action: np.ndarray) -> None:
        if self._done:
            return  # the absorbing state after the env's own end
        native = self.native_action(self.action_vector(action))
        for _ in range(self.spec_.action_repeat):
            self._obs, _, terminated, truncated, info = self.env.step(native)
            self._info = dict(info)
            if terminated or truncated:
                self._done = True
                break
        self._last_frame = self._observe()

    def _observe(self) -> np.ndarray:
        if self.image_key is None:
            try:
                image = self.env.render()
            except Exception as exc:  # a missing renderer (pygame, say) is the user's to install
                raise WorldError(f"{self.spec_.env_id} cannot render rgb_array frames: {_first_line(exc)}") from None
            if not isinstance(image, np.ndarray):
                raise WorldError(
                    f"{self.spec_.env_id}'s rgb_array render returned {type(image).__name__}, not an image"
                )
        elif self.image_key:
            image = self._obs[self.image_key]
        else:
            image = self._obs
        return to_frame(image, self.spec_.fit)

    def _render_frame(self) -> np.ndarray:
        return self._last_frame.copy()

    def frame_from_image(self, image: np.ndarray) -> np.ndarray:
        """An image from elsewhere (a goal picture) made a frame as this world's frames are:
        squared by the world's fit, resized to 64x64."""
        return to_frame(image, self.spec_.fit)

    def _facts(self) -> dict[str, Any]:
        facts: dict[str, Any] = {"world": self.world_name}
        numbers: dict[str, Any] = {}
        _numbers(self._info, "", numbers)
        if self.image_key is None:
            _numbers({"obs": self._obs}, "", numbers)
        facts.update({k: v for k, v in numbers.items() if k not in ("world", "step", "events")})
        facts["done"] = self._done
        return facts

    def state_arrays(self) -> dict[str, np.ndarray]:
        """The numeric facts as float32 arrays ("done" and the step counter excluded)."""
        arrays = {}
        for key, value in self._facts().items():
            if key in ("world", "done") or isinstance(value, str):
                continue
            arrays[key] = np.asarray(value, dtype=np.float32)
        return arrays

    def _apply_event(self, event: Event, target: str | None) -> EventRecord:  # pragma: no cover
        raise WorldError(f"{self.spec_.env_id} cannot inject events")

    def restore(self, facts: dict[str, Any]) -> np.ndarray:
        raise WorldError(f"{self.spec_.env_id} cannot be put back into a remembered state")

    def describe_spaces(self) -> dict[str, Any]:
        described = super().describe_spaces()
        described["env_action_space"] = str(self.env.action_space)
        described["discrete_actions"] = self.choices
        described["frames_from"] = "render" if self.image_key is None else (self.image_key or "observation")
        return described

    def close(self) -> None:
        self.env.close()
