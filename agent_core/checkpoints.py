"""Which world-model checkpoint an agent uses and what its files say, read without torch (a
question answered from memory checks the checkpoint but loads no weights)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from world_model import CheckpointError
from world_model.checkpoint_config import CONFIG

HEADS_CONFIG = "heads.json"  # the perception heads' names and scores, beside their weights


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
    """The objects the checkpoint's perception heads were fitted to see, as its heads file names
    them (none without heads); whether the heads still fit the encoder is left to loading them."""
    path = folder / HEADS_CONFIG
    if not path.exists():
        return []
    try:
        objects = json.loads(path.read_text()).get("objects", [])
    except (OSError, ValueError, AttributeError) as exc:
        raise CheckpointError(f"{path} cannot be read: {exc}") from None
    if not isinstance(objects, list) or not all(isinstance(name, str) for name in objects):
        raise CheckpointError(f"{path}: objects must be a list of names")
    return objects
