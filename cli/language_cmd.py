"""The language layer from the terminal: `say`, `verbalize`, `models list|check`, `bench language`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from agent_core.limits import MAX_THREADS
from agent_core.runtime import data_dir
from cli import options
from cli.bench_cmd import bench_app
from cli.console import out, print_json, progress
from cli.safe_text import shown
from language.errors import LanguageInputError
from language.model_files import DEFAULT_MODEL, SOURCES

models_app = typer.Typer(help="The language models worldmind can load, and their verification.", no_args_is_help=True)


def say_command(
    text: str = typer.Argument(..., help="A request, as you would type it in the chat."),
    world: str = options.WORLD,
    seed: int = options.SEED,
    llm: str | None = options.LLM,
    as_json: bool = options.JSON,
) -> None:
    """Parse a request into the intent the agent would act on (or the clarification/refusal)."""
    from agent_core.worlds import make_world, object_names
    from language import IntentParser
    from language.chat_models import load_chat_model

    env = make_world(world)
    env.reset(seed=seed)
    parser = IntentParser(load_chat_model(llm or DEFAULT_MODEL, data_dir() / "models"))
    understanding = parser.parse(text, object_names(env.facts()))
    if as_json:
        print_json(understanding.model_dump())
    elif understanding.intent is None:
        out.print(f"{understanding.status}: {shown(understanding.message)}")
    else:
        intent = understanding.intent
        detail = intent.question or (f"{intent.steps} steps" if intent.steps else None)
        kind = f"{intent.kind} ({detail})" if detail else intent.kind
        out.print(shown(f"{kind}: {' -> '.join(intent.targets)}" if intent.targets else kind))


def verbalize_command(
    record_file: Path = typer.Argument(..., help='A JSON record, e.g. {"kind": "stopped"}.', dir_okay=False),
    llm: str | None = options.LLM,
    template: bool = typer.Option(False, "--template", help="Only the template sentence; load no model."),
) -> None:
    """Say a structured record in one or two sentences; every fact in them is checked against the record."""
    from language import Verbalizer
    from language.chat_models import load_chat_model
    from language.record_files import read_record

    record = read_record(record_file)
    chat_model = None if template else load_chat_model(llm or DEFAULT_MODEL, data_dir() / "models")
    out.print(shown(Verbalizer(chat_model).say(record)))


@models_app.command("list")
def models_list(as_json: bool = options.JSON) -> None:
    """Packaged models: source packages, size, and whether the joined file was verified."""
    from language.model_files import describe

    rows = [describe(name, data_dir() / "models") for name in SOURCES]
    if as_json:
        print_json(rows)
        return
    table = Table("model", "state", "size", "source packages")
    for row in rows:
        size = f"{row['size_bytes'] / 2**20:.0f} MiB" if row["size_bytes"] else "-"
        packages = row["packages"][0] + (f" +{len(row['packages']) - 1} parts" if len(row["packages"]) > 1 else "")
        table.add_row(row["name"] + (" (default)" if row["default"] else ""), row["state"], size, packages)
    out.print(table)


@models_app.command("check")
def models_check(
    name: str = typer.Argument(DEFAULT_MODEL, help="A packaged model name or a local GGUF file."),
    as_json: bool = options.JSON,
) -> None:
    """Hash the model again and refuse it on a sha256 mismatch (exit 2)."""
    from language.model_files import verify

    result = verify(name, data_dir() / "models")
    if as_json:
        print_json(result)
    else:
        out.print(f"{result['name']}: {result['state']} (sha256 {result['sha256']})")


@bench_app.command("language")
def bench_language(
    models: list[str] = typer.Option(
        [],
        "--model",
        help="Model to measure (repeatable), as --llm takes it (e.g. transformers:qwen2.5-coder-0.5b). "
        "Default: all installed packaged models, with llama.cpp.",
    ),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Only the first N requests of each phrasing set."),
    phrasing_set: str = typer.Option(
        "both",
        "--set",
        help="Phrasing set: dev (tuned on), test (held out, never tuned on) or both, reported apart.",
    ),
    threads: int = typer.Option(
        2, "--llm-threads", min=1, max=MAX_THREADS, help="CPU threads for the model (llama.cpp's, or torch's)."
    ),
    as_json: bool = typer.Option(True, "--json/--no-json", help="Print JSON (the default), else one line per model."),
) -> None:
    """Exact-match accuracy, rejection rates and latency of intent parsing on the phrasing set."""
    from agent_core.benchmarks.language import available_models, benchmark_language
    from language.phrasings import PhrasingSet

    named_sets: dict[str, tuple[PhrasingSet, ...]] = {"dev": ("dev",), "test": ("test",), "both": ("dev", "test")}
    sets = named_sets.get(phrasing_set)
    if sets is None:
        raise LanguageInputError(f"--set takes dev, test or both, not {phrasing_set!r}")
    chosen = models or available_models()
    if not chosen:
        raise LanguageInputError(f"no language model is installed: {SOURCES[DEFAULT_MODEL].install_hint()}")
    with progress() as bar:
        task = bar.add_task("", total=0, status="")

        def on_model(name: str, cases: int) -> None:
            bar.reset(task, total=cases, description=f"bench language {name}", status="")

        def on_case(case: Any, ok: bool) -> None:
            bar.update(task, advance=1, status="" if ok else f"miss: {case.text[:40]}")

        report = benchmark_language(chosen, data_dir() / "models", limit, on_case, on_model, threads, sets)
    if as_json:
        print_json(report)
        return
    for name, model in report["models"].items():
        for set_name, result in model["sets"].items():
            out.print(
                f"{name} [{set_name}, {result['cases']} requests]: exact match {result['exact_match']}, "
                f"prohibited actions {result['prohibited_actions']}, destructive {result['destructive_actions']}, "
                f"validation rejections {result['validation_rejection_rate']}, p50 {result['latency_ms']['p50']} ms, "
                f"p95 {result['latency_ms']['p95']} ms, {len(result['mismatches'])} mismatches"
            )


def register(app: typer.Typer) -> None:
    app.command("say")(say_command)
    app.command("verbalize")(verbalize_command)
    app.add_typer(models_app, name="models")
