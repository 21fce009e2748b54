"""Drawing RGB frames in the terminal with half-block characters (two pixels per cell)."""

from __future__ import annotations

import numpy as np
from rich.style import Style
from rich.text import Text

UPPER_HALF = "\u2580"


def frame_to_text(frame: np.ndarray) -> Text:
    """Each cell shows the upper pixel as foreground and the lower pixel as background."""
    height = frame.shape[0] - frame.shape[0] % 2
    text = Text()
    styles: dict[tuple[int, ...], Style] = {}
    for row in range(0, height, 2):
        for col in range(frame.shape[1]):
            key = (*frame[row, col].tolist(), *frame[row + 1, col].tolist())
            style = styles.get(key)
            if style is None:
                style = Style(
                    color=f"rgb({key[0]},{key[1]},{key[2]})",
                    bgcolor=f"rgb({key[3]},{key[4]},{key[5]})",
                )
                styles[key] = style
            text.append(UPPER_HALF, style)
        text.append("\n")
    return text
