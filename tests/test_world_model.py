"""The JEPA world model: regularisers, checkpoints, training behaviour, surprise, probes."""

from __future__ import annotations

import itertools
import json
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from agent_core.data import CollectionSpec, collect_dataset
from agent_core.model_training import TrainingProgress, load_training_data, new_model, recipe, train_world_model
from tests.conftest import assert_usage_error
from world_model import CheckpointError, TrainConfig, TrainingError, WorldModel
from world_model.config import ModelConfig, checkpoint_model_config, load_config_file
from world_model.errors import ModelInputError
from world_model.pixel_baseline import PixelPredictor, train_pixel_baseline
from world_model.probes import fit_probes, imagined_latents
from world_model.regularizers import covariance_term, effective_rank, motion_variance_term, sigreg, variance_term
from world_model.surprise import ErrorModel
from world_model.training import LatentEpisodes, TrainingData, refine_predictor, train

TINY = {"channels": (8, 8, 8, 8), "latent_dim": 16, "predictor_hidden": 32, "frameskip": 2}


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    collect_dataset(CollectionSpec("tworooms", "random", episodes=8, steps=24), root / "tw")
    return load_training_data("tworooms", [root / "tw"])


def test_sigreg_scores_gaussian_low_and_collapsed_or_shifted_high():
    generator = torch.Generator().manual_seed(0)
    gaussian = torch.randn(512, 16, generator=generator)
    collapsed = torch.zeros(512, 16) + 0.01 * torch.randn(512, 16, generator=generator)
    shifted = gaussian + 2.0
    low = sigreg(gaussian, generator=torch.Generator().manual_seed(1))
    assert low < 0.5 * sigreg(collapsed, generator=torch.Generator().manual_seed(1))
    assert low < 0.5 * sigreg(shifted, generator=torch.Generator().manual_seed(1))
    assert effective_rank(gaussian) > 10 > effective_rank(torch.randn(512, 1) @ torch.ones(1, 16))


def test_regularizer_gradients_push_away_from_collapse():
    latents = (0.01 * torch.randn(256, 8)).requires_grad_()
    variance_term(latents).backward()
    grad = latents.grad
    assert grad is not None and torch.isfinite(grad).all()
    # A gradient step on the variance hinge increases every dimension's spread.
    assert ((latents - 10 * grad).std(0) > latents.std(0)).all()
    correlated = torch.randn(256, 1).repeat(1, 4).requires_grad_()
    loss = covariance_term(correlated)
    loss.backward()
    assert loss > 0 and torch.isfinite(correlated.grad).all()
    spread = torch.randn(64, 8, requires_grad=True)
    sigreg(spread).backward()
    assert torch.isfinite(spread.grad).all() and spread.grad.abs().sum() > 0


def test_motion_variance_ignores_what_differs_only_between_episodes():
    """Latents that barely move within each window but differ a lot between windows pay nearly
    the full hinge, and a gradient step makes every dimension move more over time."""
    nearly_static = (torch.randn(32, 1, 8) * 5 + 0.01 * torch.randn(32, 6, 8)).requires_grad_()
    loss = motion_variance_term(nearly_static, target_std=0.5)
    assert loss > 0.45
    loss.backward()
    assert nearly_static.grad is not None and torch.isfinite(nearly_static.grad).all()
    stepped = nearly_static - 10 * nearly_static.grad
    assert (_std_within_windows(stepped) > _std_within_windows(nearly_static)).all()
    assert motion_variance_term(torch.randn(32, 6, 8), target_std=0.5) == 0


def _std_within_windows(sequence: torch.Tensor) -> torch.Tensor:
    return (sequence - sequence.mean(1, keepdim=True)).pow(2).mean((0, 1)).sqrt()


@pytest.mark.parametrize("predictor", ["mlp", "gru"])
def test_checkpoint_round_trip_and_bad_checkpoints(tmp_path, predictor):
    model = new_model("tworooms", {**TINY, "predictor": predictor}).eval()
    model.set_probe("agent_pos", torch.randn(17, 2), (2,))
    ordinary = torch.randn(200, 3, 16) * torch.linspace(0.1, 3, 16) * torch.tensor([1.0, 2.0, 3.0])[:, None]
    model.error_model = ErrorModel.fit(ordinary[:, 0]).windowed(ordinary, balanced=True)
    model.save(tmp_path / "ck", note="x")
    loaded = WorldModel.load(tmp_path / "ck", world="tworooms")
    frames = np.random.default_rng(0).integers(0, 255, (3, 64, 64, 3), dtype=np.uint8)
    with torch.inference_mode():
        torch.testing.assert_close(model.encode(frames), loaded.encode(frames))
    np.testing.assert_allclose(model.probe(np.ones(16))["agent_pos"], loaded.probe(np.ones(16))["agent_pos"])
    history, action = torch.randn(2, 3, 16), torch.randn(2, loaded.config.action_dim)
    with torch.inference_mode():
        torch.testing.assert_close(model.predict_next(history, action), loaded.predict_next(history, action))
    residuals = torch.randn(5, 3, 16)
    residuals[-1, 1:] = float("nan")  # a window cut short by the end of a clip
    assert loaded.surprise_window == 3
    torch.testing.assert_close(model.window_surprise(residuals), loaded.window_surprise(residuals))
    with pytest.raises(CheckpointError, match="world 'tworooms', not 'bounce'"):
        WorldModel.load(tmp_path / "ck", world="bounce")
    (tmp_path / "ck" / "model.safetensors").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match=r"model\.safetensors"):
        WorldModel.load(tmp_path / "ck")
    other = new_model("tworooms", {**TINY, "latent_dim": 8})
    other.save(tmp_path / "other")
    config = json.loads((tmp_path / "other" / "config.json").read_text())
    config["model"]["latent_dim"] = 16
    (tmp_path / "other" / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="does not match"):
        WorldModel.load(tmp_path / "other")
    with pytest.raises(CheckpointError, match="no world-model checkpoint"):
        WorldModel.load(tmp_path / "missing")


def test_checkpoint_with_part_of_an_error_model_is_refused(tmp_path):
    model = new_model("tworooms", TINY)
    model.save(tmp_path / "ck")
    tensors = load_file(str(tmp_path / "ck" / "model.safetensors"))
    save_file(tensors | {"surprise.mean": torch.zeros(16)}, str(tmp_path / "ck" / "model.safetensors"))
    with pytest.raises(CheckpointError, match="only part of its surprise error model"):
        WorldModel.load(tmp_path / "ck")
    save_file(
        tensors | {"surprise.mean": torch.zeros(8), "surprise.whitener": torch.eye(8)},
        str(tmp_path / "ck" / "model.safetensors"),
    )
    with pytest.raises(CheckpointError, match="does not fit a 16-d latent"):
        WorldModel.load(tmp_path / "ck")
    whole = {"surprise.mean": torch.zeros(16), "surprise.whitener": torch.eye(16)}
    save_file(tensors | whole, str(tmp_path / "ck" / "model.safetensors"))
    assert WorldModel.load(tmp_path / "ck").surprise_window == 1  # saved before windows: one step each
    save_file(
        tensors | whole | {"surprise.horizon_scales": torch.tensor([1.0, -2.0])},
        str(tmp_path / "ck" / "model.safetensors"),
    )
    with pytest.raises(CheckpointError, match="horizon scales must be positive"):
        WorldModel.load(tmp_path / "ck")


def test_surprise_window_weighs_evidence_that_builds_up():
    """A small error that lasts outweighs a larger one-step blip once judged over a window, and
    the window's horizons count alike when balanced, by their size when not."""
    generator = torch.Generator().manual_seed(0)
    growing = torch.tensor([1.0, 1.5, 2.0])  # ordinary errors grow with the horizon
    ordinary = torch.randn(3000, 3, 4, generator=generator) * growing[:, None]
    one_step = ErrorModel.fit(ordinary[:, 0], shrinkage=1.0)
    balanced = one_step.windowed(ordinary, balanced=True)
    assert balanced.window == 3 and balanced.window_surprise(ordinary).mean() == pytest.approx(1.0, abs=0.01)
    torch.testing.assert_close(balanced.horizon_scales / balanced.horizon_scales[0], growing, rtol=0.05, atol=0)
    by_size = one_step.windowed(ordinary, balanced=False)
    assert torch.allclose(by_size.horizon_scales, by_size.horizon_scales[0].expand(3))
    blip = torch.zeros(1, 3, 4)
    blip[0, 0, 0] = 6.0  # one step far off, then back on track
    lasting = torch.full((1, 3, 4), 2.0)  # a little off on every step
    assert one_step.window_surprise(blip[:, :1]) > one_step.window_surprise(lasting[:, :1])  # one step decides
    assert balanced.window_surprise(lasting) > balanced.window_surprise(blip)
    cut_short = lasting.clone()
    cut_short[0, 1:] = float("nan")  # only the first step was seen: it alone is judged
    torch.testing.assert_close(
        balanced.window_surprise(cut_short), one_step.window_surprise(lasting[:, :1]) / balanced.horizon_scales[0]
    )
    with pytest.raises(ValueError, match="complete windows"):
        one_step.windowed(torch.full((5, 3, 4), float("nan")), balanced=True)


def test_error_model_measures_errors_against_ordinary_ones():
    """Ordinary residuals sit near sqrt(D); the same step costs more along a direction that is
    quiet on ordinary steps than along a noisy one, where a Euclidean norm cannot tell."""
    generator = torch.Generator().manual_seed(0)
    spread = torch.tensor([3.0, 3.0, 0.5, 1.0])
    ordinary = torch.randn(4000, 4, generator=generator) * spread + 1.0
    errors = ErrorModel.fit(ordinary)
    assert 3.5 < errors.distance(ordinary).pow(2).mean().item() < 4.2  # a little shrinkage: under D
    step = 3 * torch.eye(4)
    along_noisy, along_quiet = errors.distance(1.0 + step[0]), errors.distance(1.0 + step[2])
    assert along_quiet > 3 * along_noisy
    with pytest.raises(ValueError, match="more residuals than dimensions"):
        ErrorModel.fit(torch.randn(3, 4))
    # Shrunk all the way, it weighs every direction alike: the Euclidean norm, rescaled.
    euclidean = ErrorModel.fit(ordinary, shrinkage=1.0)
    centre = euclidean.mean
    assert euclidean.distance(centre + step[0]) == pytest.approx(euclidean.distance(centre + step[2]).item())
    with pytest.raises(ValueError, match="shrinkage must be between 0 and 1"):
        ErrorModel.fit(ordinary, shrinkage=1.5)


def test_recurrent_predictor_reads_every_prefix_at_once_and_never_looks_ahead():
    model = new_model("tworooms", {**TINY, "predictor": "gru", "history": 6}).eval()
    latents, actions = torch.randn(2, 6, 16), torch.randn(2, 6, model.config.action_dim)
    with torch.inference_mode():
        all_at_once = model.predictor.predict_sequence(latents, actions)
        for t in range(6):
            one_by_one = model.predict_next(latents[:, : t + 1], actions[:, t])
            torch.testing.assert_close(all_at_once[:, t], one_by_one)


def test_architecture_settings_are_checked():
    with pytest.raises(ModelInputError, match="predictor must be"):
        new_model("tworooms", {"predictor": "lstm"})
    with pytest.raises(ModelInputError, match="encoder must be"):
        new_model("bounce", {"encoder": "slots"})
    with pytest.raises(ModelInputError, match="objects encoder needs the sigreg"):
        new_model("bounce", {"encoder": "objects", "regularizer": "vicreg"})
    with pytest.raises(ModelInputError, match=r"surprise_from must lie in 0\.\.5"):
        new_model("tworooms", {"predictor": "gru", "history": 6, "surprise_from": 6})
    assert new_model("bounce", {"history": 5}).config.first_surprise_step == 4  # MLP: the padded steps
    assert new_model("bounce", {"predictor": "gru", "history": 16, "surprise_from": 4}).config.first_surprise_step == 4


def test_action_free_world_has_no_inverse_dynamics_weights(tmp_path):
    new_model("bounce", {**TINY, "idm_weight": 1.0}).save(tmp_path / "ck")
    loaded = WorldModel.load(tmp_path / "ck", world="bounce")
    assert loaded.inverse_dynamics is None
    assert not any(name.startswith("inverse_dynamics") for name in loaded.state_dict())
    assert new_model("tworooms", TINY).inverse_dynamics is not None


def test_model_config_defaults_are_the_shipped_tworooms_model():
    shipped = Path(__file__).parents[1] / "world_model" / "checkpoints" / "tworooms" / "config.json"
    assert checkpoint_model_config(json.loads(shipped.read_text())["model"], "shipped") == ModelConfig("tworooms", 8)


def test_checkpoint_configs_load_as_they_were_trained(tmp_path):
    """A key a checkpoint's config lacks means what it meant when the checkpoint was written,
    and a retired option loads only at the value that had it off."""
    old_defaults = {"latent_dim": 64, "regularizer": "vicreg", "frameskip": 1}
    model = new_model("tworooms", {**TINY, **old_defaults})
    model.save(tmp_path / "ck")
    path = tmp_path / "ck" / "config.json"
    document = json.loads(path.read_text())
    for key in old_defaults:
        del document["model"][key]
    document["model"]["temporal_weight"] = 0.0
    path.write_text(json.dumps(document))
    assert WorldModel.load(tmp_path / "ck").config == model.config
    document["model"]["temporal_weight"] = 0.5
    path.write_text(json.dumps(document))
    with pytest.raises(CheckpointError, match="temporal_weight is no longer supported"):
        WorldModel.load(tmp_path / "ck")


def test_cosine_schedule_warms_up_then_decays_and_is_a_function_of_the_step():
    cosine = TrainConfig(steps=1000, learning_rate=1e-3, lr_schedule="cosine", warmup_steps=100)
    rates = [cosine.learning_rate_at(step) for step in range(1, 1001)]
    assert rates[0] < rates[49] < rates[99] == pytest.approx(1e-3)
    assert all(a >= b for a, b in itertools.pairwise(rates[99:]))
    assert rates[-1] == pytest.approx(1e-3 / 20)
    assert TrainConfig(learning_rate=1e-3).learning_rate_at(700) == 1e-3
    with pytest.raises(ModelInputError):
        TrainConfig(lr_schedule="sawtooth")
    with pytest.raises(ModelInputError, match=r"^my\.json: lr_schedule"):  # the error names the config file
        recipe("tworooms").train_config({"lr_schedule": "sawtooth"}, "my.json")


RESEARCH_CONFIGS = sorted((Path(__file__).parents[1] / "research" / "configs").glob("*.json"))


def test_research_configs_are_found():
    assert RESEARCH_CONFIGS  # else the test below would check nothing


@pytest.mark.parametrize("path", RESEARCH_CONFIGS, ids=[path.name for path in RESEARCH_CONFIGS])
def test_documented_config_files_build_a_model_and_a_training_run(path):
    model_overrides, train_overrides = load_config_file(path)
    world = path.stem.split("-")[0]
    assert new_model(world, model_overrides).config.world == world
    assert recipe(world).train_config(train_overrides).steps > 0


@pytest.mark.parametrize(
    "architecture",
    [{}, {"predictor": "gru", "history": 4, "surprise_from": 2}, {"encoder": "objects"}],
    ids=["mlp", "gru", "objects"],
)
def test_short_training_lowers_the_loss_without_collapse(tiny_data, tmp_path, architecture):
    data, _ = tiny_data
    torch.manual_seed(0)
    model = new_model("tworooms", {**TINY, **architecture})
    logged = []
    train(
        model,
        data,
        TrainConfig(steps=200, batch_size=8, log_every=10, checkpoint_every=100),
        tmp_path / "ck",
        on_log=lambda step, metrics: logged.append(metrics),
    )
    assert logged[-1]["total"] < logged[0]["total"]
    assert logged[-1]["std_min"] > 0.05  # no dimension collapsed
    assert WorldModel.load(tmp_path / "ck").metadata["step"] == 200


def test_predictor_phase_trains_the_predictor_alone_then_counts_as_done(tiny_data, tmp_path):
    data, _ = tiny_data
    config = TrainConfig(steps=4, batch_size=4, predictor_steps=30, predictor_batch_size=8, log_every=10)
    model = new_model("tworooms", {**TINY, "predictor": "gru", "history": 4, "surprise_from": 2})
    train(model, data, config, tmp_path / "ck")
    encoder = {k: v.clone() for k, v in model.encoder.state_dict().items()}
    predictor = {k: v.clone() for k, v in model.predictor.state_dict().items()}
    logged: list[int] = []
    episodes = LatentEpisodes.encode(model, [data])
    refine_predictor(model, episodes, config, tmp_path / "ck", on_log=lambda step, metrics: logged.append(step))
    assert logged == [14, 24, 34]  # numbered after the joint phase's steps, as the progress bar counts
    saved = WorldModel.load(tmp_path / "ck")
    assert saved.metadata["step"] == 34
    for name, weights in encoder.items():
        torch.testing.assert_close(saved.encoder.state_dict()[name], weights)
    assert any(not torch.equal(saved.predictor.state_dict()[name], w) for name, w in predictor.items())
    assert refine_predictor(saved, episodes, config, tmp_path / "ck") == {}
    for setting in ("predictor_steps", "predictor_episodes", "predictor_history"):
        with pytest.raises(ModelInputError, match="predictor_history >= 0"):
            TrainConfig(**{setting: -1})


def test_latent_episodes_hold_kept_frames_and_sample_consecutive_windows(tiny_data):
    data, _ = tiny_data
    model = new_model("tworooms", TINY)
    episodes = LatentEpisodes.encode(model, [TrainingData(data.frames[:3], data.actions[:3], {}), data])
    steps = (data.frames.shape[1] + 1) // 2  # frameskip 2
    assert episodes.latents.shape == (3 + len(data.frames), steps, 16)
    assert episodes.actions.shape == (3 + len(data.frames), steps - 1, 4)
    torch.testing.assert_close(episodes.latents[3, 1], model.encode(data.frames[0, 2:3])[0])
    z, actions = episodes.sample(5, 4, np.random.default_rng(0))
    assert z.shape == (5, 4, 16) and actions.shape == (5, 3, 4)
    # Every window is four consecutive model steps of one episode, with the actions between them.
    for window, taken in zip(z, actions, strict=True):
        found = (episodes.latents == window[0]).all(-1).nonzero()
        episode, start = found[0].tolist()
        torch.testing.assert_close(episodes.latents[episode, start : start + 4], window)
        torch.testing.assert_close(episodes.actions[episode, start : start + 3], taken)
    with pytest.raises(TrainingError, match=f"episodes have {steps} model steps; windows need {steps + 1}"):
        episodes.sample(2, steps + 1, np.random.default_rng(0))


def test_predictor_phase_on_fresh_episodes_reports_them_and_baseline_matches_its_steps(tiny_data, tmp_path):
    data, digest = tiny_data
    config = TrainConfig(steps=4, batch_size=4, predictor_steps=6, predictor_batch_size=4, predictor_episodes=3)
    clips: list[tuple[int, int]] = []
    baseline_steps: list[int] = []
    reports = TrainingProgress(
        on_clips=lambda done, total: clips.append((done, total)),
        on_baseline_step=lambda step, metrics: baseline_steps.append(step),
    )
    _, metrics = train_world_model(
        "tworooms",
        data,
        digest,
        tmp_path / "ck",
        {**TINY, "predictor": "gru", "history": 4},
        config,
        baseline=True,
        progress=reports,
    )
    assert clips == [(3, 3)]
    assert baseline_steps[-1] == config.total_steps == 10
    assert WorldModel.load(tmp_path / "ck").metadata["step"] == 10 and "refined_prediction" in metrics
    assert (tmp_path / "ck" / "pixel.safetensors").exists()


def test_predictor_history_lengthens_the_phase_windows_and_stays_with_the_checkpoint(tiny_data, tmp_path):
    data, digest = tiny_data
    settings = {**TINY, "predictor": "gru", "history": 4, "surprise_from": 2}
    config = TrainConfig(steps=4, batch_size=4, predictor_steps=6, predictor_batch_size=4, predictor_history=8)
    model, _ = train_world_model("tworooms", data, digest, tmp_path / "ck", settings, config)
    assert model.config.history == 8 and WorldModel.load(tmp_path / "ck").config.history == 8
    resumed, _ = train_world_model("tworooms", data, digest, tmp_path / "ck", settings, config)  # finished: probes only
    assert resumed.config.history == 8
    mlp = new_model("tworooms", TINY)
    with pytest.raises(TrainingError, match="predictor_history needs a GRU predictor"):
        refine_predictor(mlp, LatentEpisodes.encode(mlp, [data]), config, tmp_path / "mlp")


def test_recurrent_rollout_must_start_inside_the_window(tiny_data, tmp_path):
    data, _ = tiny_data
    model = new_model("tworooms", {**TINY, "predictor": "gru", "history": 3})
    with pytest.raises(TrainingError, match=r"rollout_steps \(3\) must be below history"):
        train(model, data, TrainConfig(steps=2, batch_size=2, rollout_steps=3), tmp_path / "ck")
    assert not (tmp_path / "ck" / "model.safetensors").exists()


def test_training_resumes_from_its_checkpoint(tiny_data, tmp_path):
    data, _ = tiny_data
    config = TrainConfig(steps=10, batch_size=4, log_every=5, checkpoint_every=5)
    train(new_model("tworooms", TINY), data, config, tmp_path / "ck")
    longer = TrainConfig(**{**config.__dict__, "steps": 15})
    steps_seen = []
    train(
        new_model("tworooms", TINY),
        data,
        longer,
        tmp_path / "ck",
        on_log=lambda s, m: steps_seen.append(s),
    )
    assert steps_seen == [10, 15]  # first where it resumed, then each logged step
    finished = []
    train(new_model("tworooms", TINY), data, longer, tmp_path / "ck", on_log=lambda s, m: finished.append(s))
    assert finished == [15]  # a finished run reports itself done


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tiny_data, tmp_path):
    data, _ = tiny_data
    train(
        new_model("tworooms", TINY),
        data,
        TrainConfig(steps=5, batch_size=4, checkpoint_every=5),
        tmp_path / "ck",
    )
    before = (tmp_path / "ck" / "model.safetensors").read_bytes()
    poisoned = TrainingData(data.frames, np.full_like(data.actions, np.nan), data.states)
    with pytest.raises(TrainingError, match="at step 6"):
        train(
            new_model("tworooms", TINY),
            poisoned,
            TrainConfig(steps=10, batch_size=4, checkpoint_every=1),
            tmp_path / "ck",
        )
    assert (tmp_path / "ck" / "model.safetensors").read_bytes() == before
    assert WorldModel.load(tmp_path / "ck").metadata["step"] == 5


def test_trained_model_reports_surprise_and_probes(tiny_data, tmp_path):
    data, digest = tiny_data
    model, _ = train_world_model("tworooms", data, digest, tmp_path / "ck", TINY, TrainConfig(steps=10, batch_size=4))
    curve = model.surprise(data.frames[0], data.actions[0])
    assert curve.shape == ((data.frames.shape[1] - 1) // 2,) and np.isfinite(curve).all()
    decoded = model.probe(model.encode(data.frames[0, :3]).detach())
    assert decoded["agent_pos"].shape == (3, 2) and decoded["object_pos"].shape == (3, 3, 2)
    saved = WorldModel.load(tmp_path / "ck")
    assert saved.metadata["surprise_threshold"] > 0 and "agent_pos" in saved.metadata["probe_r2"]
    np.testing.assert_allclose(saved.surprise(data.frames[0], data.actions[0]), curve, rtol=1e-5)
    assert saved.error_model is not None
    assert saved.metadata["data_manifest_sha256"] == digest


@pytest.mark.slow
def test_torchrun_trains_with_two_gloo_processes(tmp_path):
    """The same entry point under torchrun: DDP over gloo on the CPU, one checkpoint written."""
    data = tmp_path / "tw"
    collect_dataset(CollectionSpec("tworooms", "random", episodes=4, steps=24), data)
    config = tmp_path / "tiny.json"
    config.write_text(json.dumps({"model": TINY, "train": {"steps": 4, "batch_size": 4, "checkpoint_every": 4}}))
    out = tmp_path / "ckpt"
    torchrun = Path(sys.executable).with_name("torchrun")
    command = [str(torchrun), "--nproc_per_node", "2", "--master_port", str(_free_port()), "-m", "cli"]
    command += ["--threads", "1", "train", "--world", "tworooms", "--data", str(data)]
    command += ["--config", str(config), "--out", str(out)]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=Path(__file__).parents[1])
    assert finished.returncode == 0, finished.stderr[-2000:]
    saved = json.loads((out / "config.json").read_text())
    assert saved["world_size"] == 2 and saved["step"] == 4
    assert WorldModel.load(out, world="tworooms").config.latent_dim == TINY["latent_dim"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("history", [3, 8])  # 8: longer than the default window of 6 frames
def test_pixel_baseline_trains_reports_progress_and_scores_surprise(tiny_data, tmp_path, history):
    data, _ = tiny_data
    logged: list[tuple[int, float]] = []
    pixel = train_pixel_baseline(
        [(data, 4), (data, 2)],  # six steps, in two parts
        history,
        4,  # two 2-d actions per model step
        2,
        batch_size=4,
        on_log=lambda step, m: logged.append((step, m["pixel_mse"])),
        log_every=3,
    )
    assert [step for step, _ in logged] == [3, 6] and all(np.isfinite(mse) for _, mse in logged)
    pixel.save(tmp_path)
    episode = data.frames[0][:12]
    actions = np.zeros((11, 2), np.float32)
    loaded = PixelPredictor.load(tmp_path)
    curve = loaded.surprise(episode, actions)
    assert len(curve) > 0 and np.all(np.isfinite(curve))
    # Scored over windows like the JEPA: its own frames fed back, each horizon in ordinary units.
    errors = loaded.imagination_errors(episode, actions, 3)
    assert errors.shape == (len(curve), 3) and torch.isnan(errors[-1, 1:]).all()
    loaded.calibrate(errors, balanced=True)
    loaded.save(tmp_path)
    windowed = PixelPredictor.load(tmp_path)
    assert len(windowed.horizon_scales) == 3
    np.testing.assert_allclose(windowed.surprise(episode, actions)[:-2].mean(), 1.0, rtol=1e-4)
    config = json.loads((tmp_path / "pixel.json").read_text())
    (tmp_path / "pixel.json").write_text(json.dumps(config | {"horizon_scales": [1.0, -1.0]}))
    with pytest.raises(CheckpointError, match="horizon scales must be positive"):
        PixelPredictor.load(tmp_path)


def test_probes_fitted_on_imagined_latents_read_imagined_paths_better(tiny_data, tmp_path):
    data, digest = tiny_data
    model, _ = train_world_model("tworooms", data, digest, tmp_path / "ck", TINY, TrainConfig(steps=30, batch_size=4))
    latents, frame_index = imagined_latents(model, data.frames[0], data.actions[0], horizon=4)
    assert len(latents) == len(frame_index) and frame_index.max() < data.frames.shape[1]
    assert len(imagined_latents(model, data.frames[0], data.actions[0], horizon=0)[0]) == 0
    truth = data.states["agent_pos"][0][frame_index]

    def imagined_error(horizon: int) -> float:
        fit_probes(model, data.frames, data.actions, data.states, horizon=horizon)
        return float(np.abs(model.probe(latents)["agent_pos"] - truth).mean())

    assert imagined_error(4) < imagined_error(0)


def test_probe_fit_refits_on_frozen_latents_and_saves_them(tiny_data, tmp_path, cli_run):
    data, digest = tiny_data
    train_world_model("tworooms", data, digest, tmp_path / "ck", TINY, TrainConfig(steps=4, batch_size=4))
    dataset = tmp_path / "more"
    collect_dataset(CollectionSpec("tworooms", "random", episodes=10, steps=24, seed=5), dataset)
    result = cli_run("probe", "--checkpoint", tmp_path / "ck", "--fit", "--data", dataset, "--json")
    assert result.exit_code == 0, result.output
    refitted = json.loads(result.stdout)
    assert set(refitted) >= {"agent_pos", "object_pos"}
    saved = WorldModel.load(tmp_path / "ck").metadata["probe_r2"]
    assert saved == {name: refitted[name] for name in saved}  # what --json adds: the perception heads' scores
    assert set(refitted) - set(saved) <= {"perception_heads"}


def test_train_refuses_a_bad_model_setting_before_collecting_anything(tmp_path, cli_run):
    config = tmp_path / "bad.json"
    config.write_text(json.dumps({"model": {"predictor": "lstm"}}))
    result = cli_run("train", "--world", "tworooms", "--config", config, "--out", tmp_path / "run", "--steps", "2")
    assert_usage_error(result, "predictor must be 'mlp' or 'gru'")
    assert "train tworooms" not in result.stderr
    assert not (tmp_path / "run").exists()
