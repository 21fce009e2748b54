"""What `ask` answers about a video that `watch` kept in a namespace: its most surprising moments,
read from memory and said by template (no world model, no language model)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent_core.video import VIDEO_WORLD


def answer_from_video_memory(url: str, namespace: str, limit: int = 3) -> dict[str, Any] | None:
    """What surprised the model in the last video kept in `namespace`, read from memory (no
    language model: a template answer); None when the namespace's last episode is not a video."""
    from sqlalchemy.exc import ArgumentError

    from memory import MemoryFilter, MemoryStore
    from memory.database import sqlite_path
    from memory.errors import MemoryInputError

    try:
        database = sqlite_path(url)
    except (ArgumentError, ValueError):  # opening the agent reports the bad URL
        return None
    if database is not None and not database.exists():
        return None  # nothing kept yet: opening would create the database file
    try:
        store = MemoryStore(url, namespace, writer=False, create=False)
    except MemoryInputError:
        return None
    try:
        last = store.last_episode()
        if last is None or last[1] != VIDEO_WORLD:
            return None
        top = [m for m in store.most_surprising(limit, MemoryFilter(episode=last[0])) if m.surprise is not None]
    finally:
        store.close()
    if not top:
        return {"reply": "I kept that video but scored none of its frames.", "memories_used": []}
    name = Path(str(top[0].facts.get("video", "the video"))).name
    threshold = top[0].facts.get("threshold")
    moments = ", ".join(f"{m.facts['timestamp']} ({m.surprise:.1f}x my ordinary error)" for m in top)
    above = sum(1 for m in top if threshold is not None and (m.surprise or 0) > threshold)
    reply = f"In {name} I was most surprised at {moments}"
    if threshold is not None:
        reply += f"; {above} of these above my alert threshold ({threshold:.1f}x)"
    return {"reply": reply + ".", "memories_used": [m.to_dict() for m in top]}
