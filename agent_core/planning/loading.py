"""Opening the learned world model for planning, refusing checkpoints made for another world.

The check reads the checkpoint's JSON config before any weights are loaded, so a wrong folder
fails fast with a message that names both worlds.
"""

from __future__ import annotations

import json
from pathlib import Path

from agent_core.planning.errors import PlanningError
from agent_core.planning.model import LatentWorldModel


def checkpoint_world(folder: Path) -> str | None:
    """The world named in the checkpoint's JSON config, if any."""
    for path in sorted(folder.glob("*.json")):
        try:
            config = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise PlanningError(f"checkpoint config {path} is not readable JSON: {exc}") from exc
        if not isinstance(config, dict):
            continue
        for section in (config, config.get("model")):  # top level or the model's own config
            if isinstance(section, dict) and isinstance(section.get("world"), str):
                return section["world"]
    return None


def load_planning_model(checkpoint: Path | None, world: str) -> LatentWorldModel:
    """The world model in `checkpoint` (default: the one shipped for `world`), checked to be
    trained on `world`."""
    if checkpoint is None:
        checkpoint = Path(__file__).resolve().parents[2] / "world_model" / "checkpoints" / world
        if not checkpoint.is_dir():
            raise PlanningError(f"no shipped {world} checkpoint here: pass --checkpoint FOLDER")
    if not checkpoint.is_dir():
        raise PlanningError(f"checkpoint {checkpoint} is not a folder")
    trained_on = checkpoint_world(checkpoint)
    if trained_on is not None and trained_on != world:
        raise PlanningError(f"checkpoint {checkpoint} is for the {trained_on} world, not {world}")
    try:
        from world_model import WorldModel
    except ImportError as exc:
        raise PlanningError(
            "the learned world model (package world_model) is not installed in this checkout"
        ) from exc
    model: LatentWorldModel = WorldModel.load(checkpoint, world=world)
    return model
