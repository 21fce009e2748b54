"""Which world-model checkpoint an agent uses and what its files say, read without torch (a
question answered from memory checks the checkpoint but loads no weights)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from world_model import CheckpointError
from world_model.checkpoint_config import CONFIG

HEADS_CONFIG = "heads.json"  # the perception heads' names and scores, beside their weights
BALLS_CONFIG = "balls.json"  # the ball readout's names and scores (a watched world), likewise


def shipped_checkpoint(world: str) -> Path:
    """The checkpoint folder shipped inside the world_model package for `world`."""
    return Path(str(resources.files("world_model").joinpath("checkpoints", world)))


def checkpoint_folder(world: str, checkpoint: Path | None = None) -> Path:
    """`checkpoint`, or the one shipped for `world` (CheckpointError when there is none)."""
    path = checkpoint or shipped_checkpoint(world)
    if checkpoint is None and not (path / CONFIG).exists():
        raise CheckpointError(f"no shipped checkpoint for {world!r}; train one with `worldmind train --world {world}`")
    return path


def perceivable_objects(folder: Path) -> list[str]:
    """The objects the checkpoint's perception heads, or its ball readout, were fitted to see, as
    their file names them (none without either); whether they still fit the encoder is left to
    loading them."""
    for name, key in ((HEADS_CONFIG, "objects"), (BALLS_CONFIG, "balls")):
        path = folder / name
        if not path.exists():
            continue
        try:
            objects = json.loads(path.read_text()).get(key, [])
        except (OSError, ValueError, AttributeError) as exc:
            raise CheckpointError(f"{path} cannot be read: {exc}") from None
        if not isinstance(objects, list) or not all(isinstance(n, str) for n in objects):
            raise CheckpointError(f"{path}: {key} must be a list of names")
        return objects
    return []
