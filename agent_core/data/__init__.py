"""On-disk datasets of episodes: collection in shards with a manifest, and lazy readers."""

from agent_core.data.collect import CollectionSpec, collect_dataset
from agent_core.data.dataset import Dataset, Window
from agent_core.data.episodes import Episode, run_episode

__all__ = ["CollectionSpec", "Dataset", "Episode", "Window", "collect_dataset", "run_episode"]
