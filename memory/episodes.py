"""Episodes (one run of the agent on a world and seed, closed with a summary) and chat turns.

Both are plain SQL rows with no vectors, so nothing here touches the index.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from memory.schema import ChatTurn, Episode, Memory, Sighting
from memory.store_core import StoreCore, as_utc


class Episodes(StoreCore):
    def begin_episode(
        self,
        world: str,
        seed: int,
        started_at: datetime | None = None,
        ended_at: datetime | None = None,
        summary: dict[str, Any] | None = None,
    ) -> int:
        """Open an episode (an imported one arrives with its times and summary already known)."""
        self._require_writer()
        with self.sessions.begin() as session:
            episode = Episode(
                namespace_id=self.namespace_id,
                world=world,
                seed=seed,
                started_at=started_at or datetime.now(UTC),
                ended_at=ended_at,
                summary=summary,
            )
            session.add(episode)
            session.flush()
            return episode.id

    def last_episode(self) -> tuple[int, str, int] | None:
        with self.sessions() as session:
            row = session.execute(
                select(Episode.id, Episode.world, Episode.seed)
                .where(Episode.namespace_id == self.namespace_id)
                .order_by(Episode.id.desc())
                .limit(1)
            ).first()
        return None if row is None else (row[0], row[1], row[2])

    def episodes(self) -> list[dict[str, Any]]:
        with self.sessions() as session:
            rows = session.scalars(
                select(Episode).where(Episode.namespace_id == self.namespace_id).order_by(Episode.id)
            ).all()
        return [
            {
                "id": e.id,
                "world": e.world,
                "seed": e.seed,
                "started_at": as_utc(e.started_at).isoformat(),
                "ended_at": None if e.ended_at is None else as_utc(e.ended_at).isoformat(),
                "summary": e.summary,
            }
            for e in rows
        ]

    def end_episode(self, episode: int) -> None:
        """Close an episode with a summary: memory count, objects seen, the most surprising moments."""
        self._require_writer()
        with self.sessions.begin() as session:
            record = self._own_episode(session, episode)
            count = session.scalar(select(func.count()).where(Memory.episode_id == episode)) or 0
            seen = session.scalars(
                select(Sighting.name)
                .join(Memory, Memory.id == Sighting.memory_id)
                .where(Memory.episode_id == episode)
                .distinct()
            ).all()
            peaks = session.execute(
                select(Memory.step, Memory.surprise)
                .where(Memory.episode_id == episode, Memory.surprise.is_not(None))
                .order_by(Memory.surprise.desc())
                .limit(3)
            ).all()
            record.ended_at = datetime.now(UTC)
            record.summary = {
                "memories": count,
                "objects_seen": sorted(seen),
                "most_surprising": [{"step": s, "surprise": v} for s, v in peaks],
            }

    def add_chat_turn(self, role: str, text: str, timestamp: datetime | None = None) -> None:
        self._require_writer()
        with self.sessions.begin() as session:
            session.add(
                ChatTurn(namespace_id=self.namespace_id, role=role, text=text, timestamp=timestamp or datetime.now(UTC))
            )

    def chat_history(self, limit: int | None = 20) -> list[dict[str, str]]:
        with self.sessions() as session:
            rows = session.scalars(
                select(ChatTurn)
                .where(ChatTurn.namespace_id == self.namespace_id)
                .order_by(ChatTurn.id.desc())
                .limit(limit)
            ).all()
        return [{"role": t.role, "text": t.text, "timestamp": as_utc(t.timestamp).isoformat()} for t in reversed(rows)]
