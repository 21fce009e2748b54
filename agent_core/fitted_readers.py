"""Readers fitted on one encoder's output (perception heads, the ball readout), saved beside its
checkpoint: a JSON document naming that encoder, and the weights. A reader fitted on another
encoder reads nothing meaningful, so it is not loaded for this one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from world_model import WorldModel


def save_reader(
    folder: Path, config: str, weights: str, document: dict[str, Any], tensors: dict[str, torch.Tensor]
) -> None:
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(folder / weights))
    (folder / config).write_text(json.dumps(document, indent=1))


def load_reader(
    folder: Path, config: str, weights: str, model: WorldModel
) -> tuple[dict[str, Any], dict[str, torch.Tensor]] | None:
    """The document and weights saved in `folder` for `model`'s encoder, or None when there are
    none or they were fitted on another encoder (a retrained model: `worldmind probe --fit`)."""
    if not (folder / config).exists() or not (folder / weights).exists():
        return None
    document = json.loads((folder / config).read_text())
    if document.get("encoder") != model.latent_space:
        return None
    return document, load_file(str(folder / weights))
