"""Bounce is perceived from its latent: which balls are in view and where, with a confidence, and
the agent answers from that, not from the world's facts."""

from __future__ import annotations

import numpy as np

from agent_core.assembly import AgentOptions, load_world_model, open_agent, shipped_checkpoint
from agent_core.ball_readout import BallReadout, score_ball_readout
from agent_core.perceived import WATCHING, read_caption


def test_the_shipped_readout_sees_balls_on_clips_it_was_not_fitted_on():
    model = load_world_model("bounce")
    readout = BallReadout.load(shipped_checkpoint("bounce"), model)
    assert readout is not None
    scores = score_ball_readout(model, readout, clips=12)
    assert min(scores["ball_in_view_f1"].values()) >= 0.85
    assert scores["ball_position_px"]["median"] <= 4.0


def test_the_readout_is_refused_for_another_encoder():
    tworooms = load_world_model("tworooms")
    assert BallReadout.load(shipped_checkpoint("bounce"), tworooms) is None


def test_questions_about_balls_are_answered_from_perception(tmp_path):
    options = AgentOptions(
        world="bounce", seed=3, db_url=f"sqlite:///{tmp_path / 'm.sqlite'}", llm="keyword-test-double"
    )
    agent = open_agent(options)
    try:
        agent.wait(8)
        assert agent.glimpse is not None and "red ball" in agent.glimpse.in_view()
        turn = agent.say("where is the red ball?")
        memory = turn.memories_used[0]
        reading = read_caption(memory["caption"])
        assert memory["caption"].startswith(WATCHING) and "red ball" in reading.seeing
        x, y = (round(v) for v in reading.seeing["red ball"])
        assert f"near ({x}, {y})" in turn.reply and f"{round(reading.sure['red ball'] * 100)}% sure" in turn.reply
        truth = np.asarray(agent.memory.get(memory["id"]).facts["balls"]["red ball"]["position"])  # scoring only
        assert np.linalg.norm(truth - reading.seeing["red ball"]) < 8.0
    finally:
        agent.close()
