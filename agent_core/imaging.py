"""Reading and writing image files (goal images in, PNG out), checked for the user's mistakes first."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from agent_core.errors import AgentInputError


def save_png(frame: np.ndarray, path: Path, scale: int = 1) -> None:
    """Save an RGB uint8 frame, enlarged `scale` times with crisp (nearest) pixels."""
    from PIL import Image

    image = Image.fromarray(frame)
    if scale > 1:
        image = image.resize((frame.shape[1] * scale, frame.shape[0] * scale), Image.Resampling.NEAREST)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path, format="PNG")
    except OSError as exc:
        raise AgentInputError(f"cannot write {path}: {exc.strerror or exc}") from exc


def load_image(path: Path) -> np.ndarray:
    """An image file (any format Pillow reads) as an HxWx3 uint8 RGB array; a missing,
    unreadable or non-image file is an AgentInputError naming it."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))
    except FileNotFoundError:
        raise AgentInputError(f"no image file at {path}") from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise AgentInputError(f"cannot read {path} as an image: {exc}") from None
