"""`worldmind plan` (one MPC episode) and `worldmind bench plan` (the planning protocols)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import typer

from agent_core.limits import (
    MAX_BUDGET,
    MAX_EPISODES,
    MAX_EXPERIENCE_STEPS,
    MAX_HORIZON,
    MAX_ITERATIONS,
    MAX_PLAN_SEEDS,
    MAX_SAMPLES,
    MAX_SEED,
)
from cli import options
from cli.bench_cmd import bench_app
from cli.console import err, out, print_json, print_report, progress
from cli.options import CHECKPOINT, REPORT_JSON

PLANNER = typer.Option("cem", "--planner", help="cem or mppi.")
GOAL_PROBE = typer.Option(
    None,
    "--goal-probe",
    help="Gymnasium worlds: plan towards the goal frame's position as this probe reads it (e.g. proprio), "
    "not towards its latent.",
)
HORIZON = typer.Option(10, "--horizon", min=1, max=MAX_HORIZON, help="Planning horizon in model steps (positive).")
SAMPLES = typer.Option(128, "--samples", min=1, max=MAX_SAMPLES, help="Candidate action sequences per iteration.")
ITERATIONS = typer.Option(4, "--iterations", min=1, max=MAX_ITERATIONS, help="Refinement iterations per plan.")


POSITION_WEIGHT = typer.Option(
    None, "--position-weight", help="Weight of the agent-probe distance added to the latent cost."
)
EXPERIENCE = typer.Option(
    3000,
    "--experience",
    min=0,
    max=MAX_EXPERIENCE_STEPS,
    help="Random-walk steps in the world that build an experience map (0: none).",
)


def _setup(
    planner: str,
    horizon: int,
    samples: int,
    iterations: int,
    execute: int,
    position_weight: float | None,
    experience_steps: int = 0,
):
    from agent_core.benchmarks.planning import PlanningSetup
    from agent_core.planning import PlannerConfig, make_planner

    defaults = PlanningSetup()
    config = PlannerConfig(
        horizon=horizon,
        samples=samples,
        iterations=iterations,
        elites=min(defaults.config.elites, max(samples, 1)),
        time_budget_s=defaults.config.time_budget_s,
    )
    make_planner(planner, config, action_dim=2)  # rejects an unknown planner name early
    weight = defaults.position_weight if position_weight is None else position_weight
    return PlanningSetup(
        planner=planner, config=config, execute=execute, position_weight=weight, experience_steps=experience_steps
    )


def _parse_goal(text: str) -> np.ndarray:
    from agent_core.planning import PlanningError

    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError:
        raise PlanningError(f"goal must be 'X,Y' in pixels, got {text!r}") from None
    return np.array([x, y])


def _goal_frame_setup(
    planner: str, horizon: int, samples: int, iterations: int, execute: int, goal_probe: str | None = None
):
    """The goal-frame planner settings (agent_core.benchmarks.goal_frame) from the CLI options."""
    from agent_core.benchmarks.goal_frame import GoalFrameSetup
    from agent_core.planning import PlannerConfig, PlanningError

    if planner not in ("cem", "mppi"):
        raise PlanningError(f"unknown planner {planner!r}; known: cem, mppi")
    defaults = GoalFrameSetup()
    config = PlannerConfig(
        horizon=horizon,
        samples=samples,
        iterations=iterations,
        elites=min(defaults.config.elites, samples),
        time_budget_s=defaults.config.time_budget_s,
    )
    return GoalFrameSetup(planner=planner, config=config, execute=execute, goal_probe=goal_probe)


def _gym_checkpoint(world: str, checkpoint: Path | None) -> Path:
    from agent_core.planning import PlanningError

    if checkpoint is None:
        raise PlanningError(
            f"a gymnasium world has no shipped model: give --checkpoint (train --world {world.split(' ')[0]})"
        )
    return checkpoint


def _plan_to_goal_image(
    world: str,
    seed: int,
    goal_image: Path | None,
    setup,
    budget: int,
    checkpoint: Path | None,
    as_json: bool,
) -> None:
    """`plan --world GYM --goal-image FILE`: MPC from the world's reset towards the picture's
    latent (the picture made a frame as observations are) for the whole budget, or until the
    world ends; reports the model's latent distance to the goal, the world has no test of it."""
    from agent_core.assembly import load_world_model
    from agent_core.benchmarks.goal_frame import gym_world, pursue_goal_frame
    from agent_core.imaging import load_image
    from agent_core.planning import PlanningError

    if goal_image is None:
        raise PlanningError("a gymnasium world takes its goal as a picture: give --goal-image FILE")
    image = load_image(goal_image)
    model = load_world_model(world, _gym_checkpoint(world, checkpoint))
    env = gym_world(world)
    try:
        start, _ = env.reset(seed=seed)
        goal = env.frame_from_image(image)
        result = pursue_goal_frame(model, env, start, goal, budget, setup, lambda: False)
        ended = bool(env.facts()["done"])
    finally:
        env.close()
    distance = {k: round(v, 4) for k, v in result["latent_distance"].items()}
    record = {
        "world": world,
        "seed": seed,
        "goal_image": str(goal_image),
        "steps": result["steps"],
        "world_ended": ended,
        "latent_distance": distance,
        "ms_per_plan": round(1000 * float(np.mean(result["seconds"])), 2) if result["seconds"] else None,
    }
    if as_json:
        print_json(record)
    else:
        out.print(
            f"{record['steps']} steps{' (the world ended)' if ended else ''}; latent distance to the goal "
            f"{distance['start']:.2f} -> {distance['end']:.2f} (closest {distance['closest']:.2f}), "
            f"{record['ms_per_plan']} ms per plan"
        )


def _bench_goal_frame(
    world: str,
    checkpoint: Path | None,
    expert: str | None,
    goal_offset: int,
    budget: int,
    seeds: int,
    episodes: int,
    first_seed: int,
    planner: str,
    horizon: int,
    samples: int,
    iterations: int,
    execute: int,
    success: str | None,
    greedy: str | None,
    goals_past_end: bool,
    goal_probe: str | None,
    as_json: bool,
) -> None:
    """`bench plan --protocol goal-frame` on a gymnasium world (agent_core.benchmarks.goal_frame)."""
    from agent_core.assembly import load_world_model
    from agent_core.benchmarks.goal_frame import benchmark_goal_frame, check_success_test
    from agent_core.model_training import recipe

    setup = _goal_frame_setup(planner, horizon, samples, iterations, execute, goal_probe)
    model = load_world_model(world, _gym_checkpoint(world, checkpoint))
    check_success_test(world, success)  # refused before any episode
    expert = expert or recipe(world).collections[0].policy
    bar = progress()
    task = None

    def on_episode() -> None:
        # Started once the first episode is done: a world that cannot replay stays one line.
        nonlocal task
        if task is None:
            bar.start()
            task = bar.add_task("goal-frame episodes", total=seeds * episodes, status="")
        bar.advance(task)

    try:
        report = benchmark_goal_frame(
            model, world, expert, goal_offset, budget, seeds, episodes, setup,
            success_name=success, greedy=greedy, first_seed=first_seed, on_episode=on_episode,
            goals_past_end=goals_past_end,
        )  # fmt: skip
    finally:
        bar.stop()
    print_report(report, as_json)


def register(app: typer.Typer) -> None:
    @app.command("plan")
    def plan(
        world: str = typer.Option("tworooms", "--world", help=options.WORLD_HELP),
        world_kwargs: str | None = options.WORLD_KWARGS,
        action_repeat: int | None = options.ACTION_REPEAT,
        fit: str | None = options.FIT,
        seed: int = typer.Option(0, "--seed", min=0, max=MAX_SEED, help="World seed (layout and start)."),
        goal_seed: int | None = typer.Option(
            None, "--goal-seed", min=0, max=MAX_SEED, help="Draw the goal position from this seed."
        ),
        goal: str | None = typer.Option(None, "--goal", help="Goal position 'X,Y' in pixels."),
        goal_object: str | None = typer.Option(
            None, "--goal-object", help="Walk to this object, located by the model's probe."
        ),
        goal_image: Path | None = typer.Option(
            None,
            "--goal-image",
            help="Gymnasium worlds: a picture of the goal, made a frame as observations are (--fit, 64x64).",
        ),
        goal_probe: str | None = GOAL_PROBE,
        planner: str = PLANNER,
        horizon: int = HORIZON,
        samples: int = SAMPLES,
        iterations: int = ITERATIONS,
        execute: int = typer.Option(1, "--execute", min=1, max=MAX_HORIZON, help="Model steps executed per plan."),
        budget: int = typer.Option(200, "--budget", min=1, max=MAX_BUDGET, help="Step budget."),
        position_weight: float | None = POSITION_WEIGHT,
        experience_steps: int = EXPERIENCE,
        checkpoint: Path | None = CHECKPOINT,
        png: Path | None = typer.Option(None, "--png", help="Save a picture of the trace."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Plan to a goal with the world model and act until reached or out of budget."""
        import torch

        from agent_core.assembly import load_world_model
        from agent_core.imaging import save_png
        from agent_core.planning import (
            PlanningError,
            goal_from_frame,
            goal_from_object,
            make_planner,
            run_episode,
        )
        from agent_core.planning.experience_map import explore
        from agent_core.planning.trace import draw_trace
        from agent_core.planning.world_model_protocol import model_timing
        from agent_core.worlds import TwoRoomsEnv, is_shipped, make_world

        world = options.resolve_world(world, world_kwargs, action_repeat, fit)
        if not is_shipped(world):
            if any(g is not None for g in (goal_seed, goal, goal_object)):
                raise PlanningError("a gymnasium world takes its goal as a picture: give --goal-image FILE only")
            setup = _goal_frame_setup(planner, horizon, samples, iterations, execute, goal_probe)
            _plan_to_goal_image(world, seed, goal_image, setup, budget, checkpoint, as_json)
            return
        if goal_image is not None:
            raise PlanningError(
                f"--goal-image is for gymnasium worlds; {world} takes --goal, --goal-object, --goal-seed"
            )
        env = make_world(world)
        if not isinstance(env, TwoRoomsEnv):
            raise PlanningError(f"planning needs a world with actions and positions; {world} has none")
        if sum(g is not None for g in (goal_seed, goal, goal_object)) != 1:
            raise PlanningError("give exactly one of --goal-seed, --goal X,Y, --goal-object NAME")
        if budget < 1 or execute < 1:
            raise PlanningError("--budget and --execute must be positive integers")
        setup = _setup(planner, horizon, samples, iterations, execute, position_weight)
        experience = explore(env, seed, experience_steps, seed=seed) if experience_steps else None
        start_frame, _ = env.reset(seed=seed)
        names = [mark.name for mark in env.landmarks]
        if goal is not None:
            target = _parse_goal(goal)
            if not (np.all(target >= 0) and np.all(target < 64) and env.is_free(target)):
                raise PlanningError(f"goal {goal} is outside the free space of the world")
        elif goal_object is not None:
            target = env.landmark(goal_object).position.copy()
        else:
            target = env.random_free_point(margin=1.0, rng=np.random.default_rng(goal_seed))
        model = load_world_model(world, checkpoint)
        if goal_object is not None:
            with torch.inference_mode():
                latent = model.encode(start_frame[None])[0]
            wanted = goal_from_object(model, latent, goal_object, names)
        else:
            wanted = goal_from_frame(model, env.frame_with_agent_at(target))
        frameskip, _ = model_timing(model)
        search = make_planner(setup.planner, setup.config, action_dim=2 * frameskip)
        cost = wanted.cost(position_weight=setup.position_weight, experience=experience)
        result = run_episode(env, model, search, cost, target, budget, setup.execute, experience=experience)
        record = {"goal": [round(float(v), 2) for v in target], **result.to_dict()}
        if png is not None:
            save_png(draw_trace(start_frame, result, target), png)
            err.print(f"trace saved to {png}")
        if as_json:
            print_json(record)
        else:
            out.print(
                f"{record['result']} in {record['steps']} steps (closest "
                f"{record['closest_distance']:.1f} px), {record['ms_per_plan']:.1f} ms per plan"
            )

    @bench_app.command("plan")
    def bench_plan(
        protocol: str | None = typer.Option(
            None, "--protocol", help="near or far (tworooms, default both), goal-frame (gymnasium worlds)."
        ),
        world: str = typer.Option("tworooms", "--world", help=options.WORLD_HELP),
        world_kwargs: str | None = options.WORLD_KWARGS,
        action_repeat: int | None = options.ACTION_REPEAT,
        fit: str | None = options.FIT,
        goal_offset: int = typer.Option(
            25, "--goal-offset", min=1, max=MAX_BUDGET, help="goal-frame: steps from start to goal."
        ),
        budget: int = typer.Option(50, "--budget", min=1, max=MAX_BUDGET, help="goal-frame: step budget."),
        expert: str | None = typer.Option(
            None, "--expert", help="goal-frame: policy of the held-out episodes (default: the recipe's first)."
        ),
        success: str | None = typer.Option(
            None, "--success", help="goal-frame: module:callable success(goal_info, info) (default: info['success'])."
        ),
        greedy: str | None = typer.Option(
            None, "--greedy", help="goal-frame: module:factory(env, seed, goal_frame) -> act(obs, info), a baseline."
        ),
        goals_past_end: bool = typer.Option(
            False,
            "--goals-past-end",
            help="goal-frame: keep goals after the expert's episode ended (its held last frame); LeWM has none.",
        ),
        goal_probe: str | None = GOAL_PROBE,
        seeds: int = typer.Option(3, "--seeds", min=1, max=MAX_PLAN_SEEDS, help="Evaluation seeds."),
        first_seed: int = typer.Option(
            0,
            "--first-seed",
            min=0,
            max=MAX_SEED - MAX_PLAN_SEEDS,
            help="First evaluation seed (0 for the published numbers).",
        ),
        episodes: int = typer.Option(50, "--episodes", min=1, max=MAX_EPISODES, help="Episodes per seed."),
        planner: str = PLANNER,
        horizon: int = HORIZON,
        samples: int = SAMPLES,
        iterations: int = ITERATIONS,
        execute: int = typer.Option(1, "--execute", min=1, max=MAX_HORIZON, help="Model steps executed per plan."),
        position_weight: float | None = POSITION_WEIGHT,
        experience_steps: int = EXPERIENCE,
        sweep: bool = typer.Option(True, "--sweep/--no-sweep", help="Samples x iterations table."),
        sweep_episodes: int = typer.Option(
            20, "--sweep-episodes", min=1, max=MAX_EPISODES, help="Near episodes per sweep point."
        ),
        checkpoint: Path | None = CHECKPOINT,
        as_json: bool = REPORT_JSON,
    ) -> None:
        """Planning success on the near/far protocols, baselines, ms per plan, sweep."""
        from agent_core.assembly import load_world_model
        from agent_core.benchmarks.planning import PROTOCOLS, SWEEP, benchmark_planning
        from agent_core.planning import PlanningError
        from agent_core.worlds import is_shipped

        world = options.resolve_world(world, world_kwargs, action_repeat, fit)
        if protocol == "goal-frame" or not is_shipped(world):
            if protocol not in (None, "goal-frame"):
                raise PlanningError(f"a gymnasium world has the goal-frame protocol, not {protocol!r}")
            _bench_goal_frame(
                world, checkpoint, expert, goal_offset, budget, seeds, episodes, first_seed,
                planner, horizon, samples, iterations, execute, success, greedy, goals_past_end, goal_probe, as_json,
            )  # fmt: skip
            return
        if world != "tworooms":
            raise PlanningError(f"the near and far protocols are tworooms'; {world} has none")
        if protocol is not None and protocol not in PROTOCOLS:
            raise PlanningError(f"unknown protocol {protocol!r}; known: {', '.join(PROTOCOLS)}, goal-frame")
        protocols = [protocol] if protocol else list(PROTOCOLS)
        setup = _setup(planner, horizon, samples, iterations, execute, position_weight, experience_steps)
        model = load_world_model("tworooms", checkpoint)
        points = SWEEP if sweep else []
        total = seeds * episodes * len(protocols) + len(points) * sweep_episodes
        with progress() as bar:
            task = bar.add_task("planning episodes", total=total, status="")
            report = benchmark_planning(
                model,
                protocols,
                seeds,
                episodes,
                setup,
                sweep=points,
                on_episode=lambda: bar.advance(task),
                sweep_episodes=sweep_episodes,
                first_seed=first_seed,
            )
        print_report(report, as_json)
