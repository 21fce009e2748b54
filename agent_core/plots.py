"""Surprise-over-time plots (PNG), shared by `worldmind surprise` and replay reports."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def plot_curve(
    xs: Sequence[float],
    ys: Sequence[float],
    path: Path,
    marks: dict[int | None, str | None] | None = None,
    threshold: float | None = None,
    alerts: Sequence[tuple[float, float]] = (),
) -> None:
    """Surprise curve with events as dashed vertical lines, the alert threshold, and alerts."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3), dpi=100)
    ax.plot(xs, ys, color="#3060c0", linewidth=1.2, label="surprise")
    if threshold is not None:
        ax.axhline(threshold, color="#999999", linestyle=":", linewidth=1, label="alert threshold")
    if alerts:
        ax.scatter(*zip(*alerts, strict=True), color="#d03030", zorder=3, label="above threshold")
    top = max(ys, default=1.0)
    for x, label in (marks or {}).items():
        if x is None:
            continue
        ax.axvline(x, color="#e08020", linestyle="--", linewidth=1)
        ax.text(x, top, label or "", rotation=90, fontsize=7, va="top", ha="right", color="#e08020")
    ax.set_xlabel("world step")
    ax.set_ylabel("surprise (x ordinary error)")
    ax.legend(loc="upper left", fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
