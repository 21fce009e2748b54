"""`worldmind memory ...`: inspect, search, repair, forget, export and import stored memories.

These commands never load the world model or the language model: they read the store directly,
so they start fast and work on a database whose agent is not running. The store itself is
imported inside the commands, so that `worldmind --help` does not pay for SQLAlchemy and FAISS.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from agent_core.runtime import default_db_url
from cli import options
from cli.bench_cmd import bench_app
from cli.console import err, out, print_json, print_report, progress
from cli.safe_text import one_line, shown
from memory.errors import MemoryInputError
from memory.index_settings import INDEX_KINDS, IndexSettings

if TYPE_CHECKING:  # the store pulls in SQLAlchemy and FAISS: loaded by the commands that use it
    from memory.captions import TextEmbedder
    from memory.store import MemoryStore
    from memory.store_types import MemoryFilter, MemoryRecord

memory_app = typer.Typer(help="Inspect and manage the agent's stored memories.", no_args_is_help=True)

EPISODE = typer.Option(None, "--episode", help="Only memories of this episode id.")
SINCE = typer.Option(None, "--since", help="Only memories at or after this ISO time (UTC if no zone).")
UNTIL = typer.Option(None, "--until", help="Only memories at or before this ISO time (UTC if no zone).")
SEEN = typer.Option(None, "--seen", help="Only memories in which this object was seen, e.g. 'red ball'.")
MIN_SURPRISE = typer.Option(None, "--min-surprise", help="Only memories at least this surprising.")


def _moment(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise MemoryInputError(f"{option} {text!r} is not an ISO date or time (e.g. 2026-11-28T10:00)") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _id(value: int, what: str = "memory") -> int:
    """An id as typed: one that SQL integers cannot hold is refused here, as no such id, in one line."""
    if not -(2**63) <= value < 2**63:
        raise MemoryInputError(f"no {what} {value}: ids are 64-bit integers")
    return value


def _filter(
    episode: int | None, since: str | None, until: str | None, seen: str | None, min_surprise: float | None
) -> MemoryFilter:
    from memory.store_types import MemoryFilter

    return MemoryFilter(
        None if episode is None else _id(episode, "episode"),
        _moment(since, "--since"),
        _moment(until, "--until"),
        seen,
        min_surprise,
    )


@contextmanager
def _store(
    db: str | None,
    namespace: str,
    text_embedder: TextEmbedder | None = None,
    *,
    dim: int | None = None,
    create: bool = False,
    writer: bool = False,
) -> Iterator[MemoryStore]:
    """Open a namespace (an existing one unless `create`); warnings (an index rebuilt, say) go to stderr.

    Only commands that change memories open it as the `writer`: another process writing to the
    namespace refuses them (exit 2, one line), while the reading commands keep working beside it."""
    from memory.store import MemoryStore

    store = MemoryStore(
        db or default_db_url(),
        namespace,
        dim,
        text_embedder=text_embedder,
        create=create,
        writer=writer,
        warn=lambda message: err.print(f"[yellow]warning:[/] {shown(one_line(message))}"),
    )
    try:
        yield store
    finally:
        store.close()


def _table(records: list[MemoryRecord], title: str) -> Table:
    table = Table(title=shown(title), title_justify="left")
    for column in ("id", "episode", "step", "time (UTC)", "surprise", "seen", "caption"):
        table.add_column(column, overflow="fold")
    scored = any(r.score is not None for r in records)
    if scored:
        table.add_column("score")
    for r in records:
        row = [
            str(r.id),
            str(r.episode),
            str(r.step),
            r.timestamp[:19].replace("T", " "),
            "-" if r.surprise is None else f"{r.surprise:.3f}",
            shown(", ".join(r.seen)),
            shown(r.caption),
        ]
        if scored:
            row.append(f"{r.score:.3f}")
        table.add_row(*row)
    return table


def _show_records(records: list[MemoryRecord], as_json: bool, title: str) -> None:
    if as_json:
        print_json([r.to_dict() for r in records])
    elif records:
        out.print(_table(records, title))
    else:
        err.print("no memories match")


@memory_app.command("namespaces")
def list_namespaces(db: str | None = options.DB, as_json: bool = options.JSON) -> None:
    """The agent identities stored in the database."""
    from memory.store import namespaces

    names = namespaces(db or default_db_url())
    if as_json:
        print_json(names)
    else:
        out.print("\n".join(shown(name) for name in names) if names else "(none)")


@memory_app.command("stats")
def stats(namespace: str = options.NAMESPACE, db: str | None = options.DB, as_json: bool = options.JSON) -> None:
    """How many memories, episodes and chat turns a namespace holds, and its index."""
    with _store(db, namespace) as store:
        figures = store.stats()
    if as_json:
        print_json(figures)
        return
    for key, value in figures.items():
        out.print(f"{key:>14}: {shown(value)}")


@memory_app.command("list")
def list_memories(
    namespace: str = options.NAMESPACE,
    db: str | None = options.DB,
    episode: int | None = EPISODE,
    since: str | None = SINCE,
    until: str | None = UNTIL,
    seen: str | None = SEEN,
    min_surprise: float | None = MIN_SURPRISE,
    limit: int = typer.Option(20, "--limit", min=1, help="How many, newest first."),
    offset: int = typer.Option(0, "--offset", min=0, help="Skip this many first."),
    as_json: bool = options.JSON,
) -> None:
    """Memories, newest first, optionally filtered."""
    where = _filter(episode, since, until, seen, min_surprise)
    with _store(db, namespace) as store:
        records = store.browse(where, limit=limit, offset=offset)
    _show_records(records, as_json, f"memories of {namespace!r}")


@memory_app.command("search")
def search(
    text: str | None = typer.Argument(None, help="Words or a sentence to match against captions."),
    like: int | None = typer.Option(None, "--like", help="Find memories whose latent is near this memory's."),
    k: int = typer.Option(10, "--k", min=1, help="How many results."),
    words: bool = typer.Option(
        False, "--words", help="Match captions containing every word instead of by meaning (MiniLM)."
    ),
    relevance: float = typer.Option(1.0, "--relevance-weight", min=0.0, help="Weight of similarity to the query."),
    recency: float = typer.Option(0.3, "--recency-weight", min=0.0, help="Weight of how recent a memory is."),
    importance: float = typer.Option(0.3, "--importance-weight", min=0.0, help="Weight of importance (surprise)."),
    half_life: float = typer.Option(3600.0, "--half-life", min=1.0, help="Seconds for recency to halve."),
    namespace: str = options.NAMESPACE,
    db: str | None = options.DB,
    episode: int | None = EPISODE,
    since: str | None = SINCE,
    until: str | None = UNTIL,
    seen: str | None = SEEN,
    min_surprise: float | None = MIN_SURPRISE,
    as_json: bool = options.JSON,
) -> None:
    """Rank memories by relevance, recency and importance (by caption text or by latent similarity)."""
    from memory.store_types import RetrievalWeights

    weights = RetrievalWeights(relevance, recency, importance, half_life)
    if (text is None) == (like is None):
        raise MemoryInputError("give either TEXT or --like ID")
    where = _filter(episode, since, until, seen, min_surprise)
    embedder = None
    if text is not None and not words:
        from language.embeddings import load_sentence_embedder

        embedder = load_sentence_embedder()
    with _store(db, namespace, embedder) as store:
        if like is not None:
            anchor = store.get(_id(like))
            records = [r for r in store.recall(anchor.latent, k=k + 1, where=where, weights=weights) if r.id != like][
                :k
            ]
        else:
            records = store.recall(text=text, k=k, where=where, weights=weights)
    _show_records(records, as_json, f"memories matching {text!r}" if text else f"memories like #{like}")


@memory_app.command("show")
def show(
    memory_id: int = typer.Argument(..., help="Memory id."),
    namespace: str = options.NAMESPACE,
    db: str | None = options.DB,
    latent: bool = typer.Option(False, "--latent", help="Include the latent vector."),
    as_json: bool = options.JSON,
) -> None:
    """Everything stored about one memory: caption, facts, action, surprise, objects seen."""
    with _store(db, namespace) as store:
        record = store.get(_id(memory_id)).to_dict(with_latent=True)
    if not latent:
        record.pop("latent")
    if as_json:
        print_json(record)
        return
    for key, value in record.items():
        out.print(f"{key:>13}: {shown(value)}")


def _confirm(question: str, yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise MemoryInputError(f"{question} Refusing without a terminal to confirm; pass --yes")
    if not typer.confirm(question, err=True):
        err.print("nothing forgotten")
        raise typer.Exit(1)


@memory_app.command("forget")
def forget(
    ids: list[int] = typer.Argument(None, help="Memory ids to forget."),
    namespace: str = options.NAMESPACE,
    db: str | None = options.DB,
    episode: int | None = typer.Option(None, "--episode", help="Forget a whole episode (memories and record)."),
    before: str | None = typer.Option(None, "--before", help="Forget everything older than this ISO time."),
    everything: bool = typer.Option(False, "--all", help="Forget the whole namespace, chat history included."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete memories (rows and vectors) by id, episode, age or the whole namespace; asks first."""
    chosen = [bool(ids), episode is not None, before is not None, everything]
    if sum(chosen) != 1:
        raise MemoryInputError("choose exactly one of: IDS, --episode, --before, --all")
    with _store(db, namespace, writer=True) as store:
        if ids:
            for memory_id in ids:
                store.get(_id(memory_id))  # unknown ids fail before the question is asked
            _confirm(f"Forget {len(ids)} memories of {namespace!r}?", yes)
            count = store.forget(ids)
        elif episode is not None:
            _id(episode, "episode")
            _confirm(f"Forget episode {episode} of {namespace!r} and its memories?", yes)
            count = store.forget_episode(episode)
        elif before is not None:
            from memory.store_types import MemoryFilter

            where = MemoryFilter(until=_moment(before, "--before"))
            _confirm(f"Forget {store.count(where)} memories of {namespace!r} older than {before}?", yes)
            count = store.forget_matching(where)
        else:
            _confirm(f"Forget everything of {namespace!r} ({store.count()} memories and the chat)?", yes)
            count = store.forget_all()
    err.print(f"forgot {count} memories")


@memory_app.command("export")
def export(
    path: Path = typer.Argument(..., help="Archive to write (.zip)."),
    namespace: str = options.NAMESPACE,
    db: str | None = options.DB,
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Write the namespace to one archive (JSON Lines + latents) that `import` reads back exactly."""
    from memory.archive import export_archive

    if path.exists() and not force:
        raise MemoryInputError(f"{path} exists; pass --force to overwrite it")
    with _store(db, namespace) as store:
        manifest = export_archive(store, path, progress=True)
    err.print(f"exported {manifest['counts']} to {shown(path)}")


@memory_app.command("import")
def import_(
    path: Path = typer.Argument(..., help="Archive written by `worldmind memory export`."),
    namespace: str = options.NAMESPACE,
    db: str | None = options.DB,
) -> None:
    """Add an archive's episodes, memories and chat to a namespace (created if needed)."""
    from memory.archive import import_archive, read_archive

    archive = read_archive(path)  # all of it checked before the namespace is even opened
    with (
        _store(db, namespace, dim=archive.manifest.latent_dim, create=True, writer=True) as store,
        progress(transient=True) as bar,
    ):
        task = bar.add_task("importing", total=len(archive.memories), status="")
        counts = import_archive(store, archive, lambda done, _: bar.update(task, completed=done))
    err.print(f"imported {counts} into {shown(repr(namespace))}")


@memory_app.command("check")
def check(namespace: str = options.NAMESPACE, db: str | None = options.DB, as_json: bool = options.JSON) -> None:
    """Verify that SQL, the index in memory and the index file agree; exit 1 and say what would be repaired."""
    report: dict[str, Any]
    with _store(db, namespace) as store:  # a check repairs nothing, on disk or in SQL
        report = store.check()
    if as_json:
        print_json(report)
    else:
        for key, value in report.items():
            out.print(f"{key:>25}: {shown(value)}")
    if not report["consistent"]:
        raise typer.Exit(1)


@memory_app.command("rebuild")
def rebuild(
    namespace: str = options.NAMESPACE,
    db: str | None = options.DB,
    kind: str | None = typer.Option(None, "--kind", help=f"Index kind: {', '.join(INDEX_KINDS)} (default: keep)."),
) -> None:
    """Rebuild the vector index from SQL (and switch its kind), then save it."""
    if kind is not None and kind not in INDEX_KINDS:
        raise MemoryInputError(f"unknown index kind {kind!r}; choose one of {', '.join(INDEX_KINDS)}")
    with _store(db, namespace, writer=True) as store:
        count = store.rebuild_index(None if kind is None else IndexSettings(kind=kind))
        built = store.index.kind
    err.print(f"rebuilt the {built} index of {shown(repr(namespace))}: {count} vectors")


def register(app: typer.Typer) -> None:
    app.add_typer(memory_app, name="memory")


@bench_app.command("memory")
def bench_memory(
    count: int = typer.Option(1_000_000, "--n", min=1000, help="Memories to insert."),
    dim: int | None = typer.Option(None, "--dim", min=1, help="Latent size (default: the shipped model's)."),
    kinds: list[str] = typer.Option(list(INDEX_KINDS), "--kind", help="Index kinds to measure."),
    queries: int = typer.Option(1000, "--queries", min=10, help="Held-out query latents."),
    source: str = typer.Option("model", "--source", help="'model': shipped encoder latents; 'random': Gaussian."),
    crash_rounds: int = typer.Option(20, "--crash-rounds", min=0, help="Writer kills in the crash test."),
    workdir: Path | None = typer.Option(None, "--workdir", help="Keep the databases here (default: a temp dir)."),
    as_json: bool = options.REPORT_JSON,
) -> None:
    """Insert rate, search p50/p99 and recall@10 per index kind, rebuild time, and a SIGKILL crash test."""
    from agent_core.benchmarks.memory import benchmark_memory

    unknown = [kind for kind in kinds if kind not in INDEX_KINDS]
    if unknown or source not in ("model", "random"):
        raise MemoryInputError(f"unknown index kind or source: {', '.join(unknown) or source}")
    with progress() as bar:
        tasks: dict[str, Any] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total, status="")
            bar.update(tasks[stage], completed=done, total=total)

        figures = benchmark_memory(
            count, tuple(kinds), queries, source, dim, crash_rounds, workdir=workdir, progress=report
        )
    print_report(figures, as_json)
