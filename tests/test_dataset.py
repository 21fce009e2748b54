"""Datasets: collection round-trips, resumes after interruption, refuses damage."""

from __future__ import annotations

import json

import numpy as np
import pytest

from agent_core.data import CollectionSpec, Dataset, collect_dataset, run_episode
from agent_core.errors import DatasetError, WorldError

SPEC = CollectionSpec(world="tworooms", policy="noisy-expert", episodes=5, steps=12, seed=7, episodes_per_shard=2)


def test_round_trip_matches_a_fresh_rollout(tmp_path):
    collect_dataset(SPEC, tmp_path / "ds")
    data = Dataset(tmp_path / "ds")
    frames, actions, states = data.load_arrays()
    assert frames.shape == (5, 13, 64, 64, 3) and actions.shape == (5, 12, 2)
    episode = run_episode("tworooms", "noisy-expert", seed=9, steps=12)
    np.testing.assert_array_equal(frames[2], episode.frames)
    np.testing.assert_array_equal(actions[2], episode.actions)
    np.testing.assert_array_equal(states["agent_pos"][2], episode.states["agent_pos"])
    assert data.world == "tworooms" and data.episodes == 5
    assert next(data.shards()).facts[0][0]["world"] == "tworooms"


def test_parallel_workers_write_the_same_data(tmp_path):
    collect_dataset(SPEC, tmp_path / "one")
    collect_dataset(SPEC, tmp_path / "two", workers=2)
    a, b = Dataset(tmp_path / "one").load_arrays(), Dataset(tmp_path / "two").load_arrays()
    np.testing.assert_array_equal(a[0], b[0])


def test_interrupted_collection_is_readable_and_resumes(tmp_path):
    out = tmp_path / "ds"

    def interrupt_after_first(done, total):
        if done == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        collect_dataset(SPEC, out, on_shard=interrupt_after_first)
    partial = Dataset(out)
    assert partial.manifest["complete"] is False and partial.episodes == 2
    assert partial.load_arrays()[0].shape[0] == 2
    collect_dataset(SPEC, out)
    resumed = Dataset(out)
    assert resumed.manifest["complete"] is True
    collect_dataset(SPEC, tmp_path / "fresh")
    np.testing.assert_array_equal(resumed.load_arrays()[0], Dataset(tmp_path / "fresh").load_arrays()[0])


def test_refuses_to_overwrite_unless_forced(tmp_path):
    out = tmp_path / "ds"
    collect_dataset(SPEC, out)
    with pytest.raises(DatasetError, match="--force"):
        collect_dataset(SPEC, out)
    other = CollectionSpec(world="bounce", policy="random", episodes=2, steps=5)
    collect_dataset(other, out, force=True)
    assert Dataset(out).world == "bounce"


@pytest.mark.parametrize("damage", ["truncate", "flip", "delete"])
def test_corrupt_or_missing_shard_is_named(tmp_path, damage):
    out = tmp_path / "ds"
    collect_dataset(SPEC, out)
    shard = out / "shard-00001.npz"
    if damage == "truncate":
        shard.write_bytes(shard.read_bytes()[:100])
    elif damage == "flip":
        raw = bytearray(shard.read_bytes())
        raw[len(raw) // 2] ^= 0xFF
        shard.write_bytes(bytes(raw))
    else:
        shard.unlink()
    data = Dataset(out)
    data.load_shard(0)  # undamaged shards stay readable
    with pytest.raises(DatasetError, match="shard-00001"):
        data.load_shard(1)


def test_windows_with_frameskip_concatenate_actions(tmp_path):
    collect_dataset(SPEC, tmp_path / "ds")
    data = Dataset(tmp_path / "ds")
    frames, actions, states = data.load_arrays()
    windows = list(data.windows(length=4, frameskip=2, shuffle=False))
    assert len(windows) == 5 * (13 - 6)
    first = windows[0]
    assert first.frames.shape == (4, 64, 64, 3) and first.actions.shape == (3, 4)
    np.testing.assert_array_equal(first.frames, frames[0, 0:7:2])
    np.testing.assert_array_equal(first.actions[1], actions[0, 2:4].reshape(-1))
    np.testing.assert_array_equal(first.states["agent_pos"], states["agent_pos"][0, 0:7:2])


def test_bad_specs_and_folders_are_refused(tmp_path):
    with pytest.raises(WorldError):
        CollectionSpec(world="nowhere", policy="random", episodes=1, steps=1).validate()
    with pytest.raises(WorldError):
        CollectionSpec(world="bounce", policy="noisy-expert", episodes=1, steps=1).validate()
    with pytest.raises(WorldError):
        CollectionSpec(world="tworooms", policy="random", episodes=-3, steps=1).validate()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DatasetError):
        collect_dataset(SPEC, blocker / "sub")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("keep me")
    with pytest.raises(DatasetError, match="not empty"):
        collect_dataset(SPEC, tmp_path / "notes")
    assert (tmp_path / "notes" / "a.txt").read_text() == "keep me"
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "manifest.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(DatasetError, match="manifest"):
        Dataset(tmp_path / "bad")


def test_recipe_data_follows_the_recipe_when_it_changes(tmp_path, monkeypatch):
    """A complete dataset is reused, but not one collected for other settings of the recipe."""
    from dataclasses import replace

    from agent_core import model_training

    def recipe_with(episodes: int) -> model_training.Recipe:
        spec = CollectionSpec("tworooms", "random", episodes=episodes, steps=6)
        return replace(model_training.RECIPES["tworooms"], collections=(spec,))

    monkeypatch.setitem(model_training.RECIPES, "tworooms", recipe_with(2))
    first = model_training.default_datasets("tworooms", tmp_path)
    assert model_training.default_datasets("tworooms", tmp_path) == first
    monkeypatch.setitem(model_training.RECIPES, "tworooms", recipe_with(3))
    (changed,) = model_training.default_datasets("tworooms", tmp_path)
    assert Dataset(changed).episodes == 3 and Dataset(first[0]).episodes == 2
