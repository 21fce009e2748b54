"""Matched possible/impossible clips: identical up to the event, different after it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from agent_core.benchmarks.surprise import clip_pairs, score_pairs
from agent_core.errors import WorldError
from agent_core.worlds.bounce import BounceConfig, BounceEnv
from agent_core.worlds.clips import BOUNCE_EVENTS, TWOROOMS_EVENTS, make_clip
from agent_core.worlds.tworooms import TwoRoomsEnv
from tests.conftest import assert_usage_error

CASES = [("bounce", e) for e in BOUNCE_EVENTS] + [("tworooms", e) for e in TWOROOMS_EVENTS]


@pytest.mark.parametrize(("world", "event"), CASES)
def test_clip_pairs_match_until_the_event(world, event):
    seed = 3
    possible = make_clip(world, seed)
    impossible = make_clip(world, seed, event)
    step = impossible.event_step
    assert step is not None and 0 < step < len(possible.frames)
    np.testing.assert_array_equal(possible.frames[:step], impossible.frames[:step])
    assert not np.array_equal(possible.frames[step:], impossible.frames[step:])
    assert impossible.record is not None and impossible.record.event == event


def test_bounce_vanish_happens_behind_the_occluder_and_shows_before_the_clip_ends():
    possible = make_clip("bounce", 4)
    vanish = make_clip("bounce", 4, "vanish")
    # Hidden at the event: the frames only differ once the ball should have reappeared.
    np.testing.assert_array_equal(possible.frames[vanish.event_step], vanish.frames[vanish.event_step])
    assert np.isnan(vanish.states["ball_pos"][vanish.event_step, 0]).all()
    checked = 0
    for seed in range(100_000, 100_030):
        try:
            possible, vanish = make_clip("bounce", seed), make_clip("bounce", seed, "vanish")
        except WorldError:
            continue  # the ball is never hidden long before the end: no clean moment
        differs = [t for t in range(48) if not np.array_equal(possible.frames[t], vanish.frames[t])]
        assert differs and differs[0] <= 48 - 8, seed  # the missing ball is on screen in time
        checked += 1
    assert checked >= 25  # all 30 have a clean moment today; skipping most would test nothing


def test_bounce_clips_put_the_occluder_where_the_world_puts_it():
    # Held-out clips must come from the distribution the model trains on: a clip once placed the
    # occluder 4 px from a side wall, where training episodes never have it.
    occluder = np.array(BounceEnv().config.colors["occluder"])
    low, high = BounceConfig().occluder_range
    for seed in range(100_000, 100_040):
        columns = np.flatnonzero((make_clip("bounce", seed).frames[0, 40] == occluder).all(-1))
        assert low - 1 <= (columns.min() + columns.max() + 1) / 2 <= high + 1


def test_tworooms_pass_through_crosses_the_wall_not_the_doorway():
    env = TwoRoomsEnv()
    checked = 0
    for seed in range(6):
        try:
            clip = make_clip("tworooms", seed, "pass_through")
        except WorldError:
            continue  # the agent stayed level with the door all clip long: no clean moment
        env.reset(seed=seed)
        start, end = (np.asarray(clip.record.details[k]) for k in ("from", "to"))
        assert not env.level_with_door(start) and env.room_of(start) != env.room_of(end)
        assert np.linalg.norm(end - start) >= env.config.wall_width + 2 * env.config.agent_radius
        checked += 1
    assert checked >= 4  # 5 of the 6 have a clean moment today; skipping most would test nothing
    env.agent = np.array([20.0, sum(env.door) / 2])
    with pytest.raises(WorldError, match="level with the door"):
        env.inject("pass_through")


def test_clip_rejects_unsupported_event():
    with pytest.raises(WorldError):
        make_clip("tworooms", 0, "reverse")


def test_surprise_pairs_skip_the_warm_up_steps():
    """A scorer that spikes at its first step (padded history) on every clip and after the event
    on impossible ones: the warm-up spike ties every pair unless it is left out."""
    teleports = {"teleport": clip_pairs("bounce", range(100_000, 100_004), 32)["teleport"]}
    impossible = {id(clip.frames) for _, clip in teleports["teleport"]}

    def scorer(frames, actions):
        curve = np.zeros(15)
        curve[0] = 10.0
        curve[-1] = 1.0 if id(frames) in impossible else 0.0
        return curve

    unwarmed = score_pairs(teleports, {"fake": scorer})["teleport"]["fake"]
    assert (unwarmed["pairwise_accuracy"], unwarmed["ties"]) == (0.0, len(teleports["teleport"]))
    warmed = score_pairs(teleports, {"fake": scorer}, warmup=1)["teleport"]["fake"]
    assert (warmed["pairwise_accuracy"], warmed["ties"]) == (1.0, 0)


def test_bench_surprise_scores_the_shipped_model_and_its_pixel_baseline(cli_run):
    result = cli_run("bench", "surprise", "--world", "bounce", "--seeds", "3", "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)["bounce"]
    assert report["scored_from_step"] == 4  # history 5: the first four predictions see padding
    for event, scores in report["events"].items():
        for scorer in ("jepa", "pixel"):
            figures = scores[scorer]
            assert 0 <= figures["pairwise_accuracy"] <= 1 and 0 <= figures["auroc"] <= 1, event
            assert 0 <= figures["ties"] <= scores["pairs"], event
    assert_usage_error(cli_run("bench", "surprise", "--checkpoint", "x", "--world", "bounce", "--world", "tworooms"))


def test_surprise_curve_of_a_clip_judges_windows_and_marks_untrusted_steps(cli_run):
    def curve(*event: str) -> dict:
        result = cli_run("surprise", "--world", "tworooms", "--clip", "3", *event, "--json")
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    possible, vanish = curve(), curve("--event", "vanish")
    assert vanish["window"] == 4 and len(vanish["surprise"]) == len(vanish["steps"])
    trusted = vanish["steps"].index(vanish["trusted_from_step"])
    assert max(vanish["surprise"][trusted:]) > max(possible["surprise"][trusted:])
    printed = cli_run("surprise", "--world", "tworooms", "--clip", "3").stdout.splitlines()
    assert printed[1].endswith("(too early to trust)") and not printed[-1].endswith("(too early to trust)")
