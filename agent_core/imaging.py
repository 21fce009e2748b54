"""Writing frames to image files (PNG), checked for the user's mistakes first."""

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
