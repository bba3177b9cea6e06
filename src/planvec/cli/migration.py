"""``planvec backup``, ``restore``, ``migrate``, ``import`` and ``validate-migration``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from ..engine import Engine
from ..errors import UsageError
from .common import engine, err_console, out_console, print_json

KeyEnv = Annotated[
    str | None,
    typer.Option(
        "--key-env", metavar="VAR", help="Environment variable holding the key (default PLANVEC_BACKUP_KEY)."
    ),
]
KeyFile = Annotated[Path | None, typer.Option("--key-file", help="File holding the encryption key.")]
JsonOut = Annotated[bool, typer.Option("--json", help="Print a JSON summary.")]
Collections = Annotated[
    list[str] | None,
    typer.Option("--collections", "--collection", "-c", help="Collection(s): repeat, or comma-separated."),
]
REPORT_DIR_HELP = "Where the JSON validation report goes (default DATA_DIR/reports)."
TOLERANCE_HELP = "Max abs difference per vector component."
SAMPLE_HELP = "Queries for search parity."
ReportDir = Annotated[Path | None, typer.Option("--report-dir", help=REPORT_DIR_HELP)]
Tolerance = Annotated[float, typer.Option("--tolerance", help=TOLERANCE_HELP)]
SampleQueries = Annotated[int, typer.Option("--sample-queries", help=SAMPLE_HELP)]


def register(app: typer.Typer) -> None:
    app.command("backup")(backup_cmd)
    app.command("restore")(restore_cmd)
    app.command("migrate")(migrate_cmd)
    app.command("import")(import_cmd)
    app.command("validate-migration")(validate_cmd)


def _names(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    out = [n.strip() for v in values for n in v.split(",") if n.strip()]
    return out or None


def _key(key_env: str | None, key_file: Path | None, *, required: bool) -> bytes | None:
    from ..ops.transfer import read_key

    return read_key(key_env, key_file, required=required)


@contextmanager
def _progress(enabled: bool = True) -> Iterator[Callable[[str, int, int], None] | None]:
    """A rich progress bar with points/s and ETA on a terminal (stderr); nothing otherwise."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class Speed(ProgressColumn):
        def render(self, task: Any) -> Text:
            unit = "MB/s" if task.description.endswith("(MB)") else "points/s"
            return Text(f"{task.speed:,.0f} {unit}" if task.speed else "")

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        Speed(),
        TimeRemainingColumn(),
        console=err_console(),
        transient=True,
    ) as prog:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = prog.add_task(stage, total=total or None)
            prog.update(tasks[stage], completed=done, total=total or None)

        yield update


def backup_cmd(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="Archive file to write.")],
    collections: Collections = None,
    encrypt: Annotated[bool, typer.Option("--encrypt", help="Encrypt with AES-256-GCM.")] = False,
    key_env: KeyEnv = None,
    key_file: KeyFile = None,
    force: Annotated[bool, typer.Option("--force", help="Replace the --out file if it exists.")] = False,
    json_out: JsonOut = False,
) -> None:
    """Back up collections (default: all) into one portable, compressed archive.

    An existing --out file is refused unless --force; a failed backup leaves the old file as it was.
    """
    if (key_env or key_file) and not encrypt:
        raise UsageError("--key-env / --key-file need --encrypt")
    key = _key(key_env, key_file, required=True) if encrypt else None
    with engine(ctx, read_only=True) as eng, _progress() as prog:
        report = eng.backup(out, _names(collections), key, progress=prog, overwrite=force)
    if json_out:
        print_json(report.to_dict())
        return
    o = out_console()
    for c in report.collections:
        o.print(f"  {c['name']}: {c['points']} points ({c['dimension']}-d, {c['model']})", markup=False)
    o.print(
        f"backed up {report.total_points} points to {report.path} ({report.bytes / 1e6:.1f} MB"
        f"{', encrypted' if report.encrypted else ''}) in {report.seconds:.1f}s "
        f"({report.points_per_second:,.0f} points/s)",
        markup=False,
    )


def _renames(values: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values or []:
        old, sep, new = v.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise UsageError(f"invalid --rename {v!r}", hint="use --rename OLD=NEW")
        out[old.strip()] = new.strip()
    return out


def restore_cmd(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Archive made by planvec backup.")],
    rename: Annotated[
        list[str] | None,
        typer.Option("--rename", metavar="OLD=NEW", help="Restore a collection under another name."),
    ] = None,
    collections: Collections = None,
    reembed: Annotated[
        bool, typer.Option("--reembed", help="Re-vectorise with the configured model.")
    ] = False,
    replace: Annotated[bool, typer.Option("--replace", help="Replace existing target collections.")] = False,
    key_env: KeyEnv = None,
    key_file: KeyFile = None,
    json_out: JsonOut = False,
) -> None:
    """Restore an archive into the configured store (--data-dir / PLANVEC_HOME or --qdrant-url).

    The whole archive is verified (checksums, authentication) before anything is written.
    """
    if not file.is_file():
        raise UsageError(f"no such file: {file}")
    key = _key(key_env, key_file, required=bool(key_env or key_file))
    with engine(ctx) as eng, _progress() as prog:
        report = eng.restore(
            file,
            rename=_renames(rename),
            reembed=reembed,
            key=key,
            collections=_names(collections),
            replace=replace,
            progress=prog,
        )
    if json_out:
        print_json(report.to_dict())
        return
    o = out_console()
    o.print(f"verified {report.path} in {report.verify_seconds:.1f}s", markup=False)
    for c in report.collections:
        name = c["name"] if c["name"] == c["source_name"] else f"{c['source_name']} -> {c['name']}"
        o.print(
            f"  {name}: {c['points']} points{' (re-embedded)' if report.reembedded else ''}", markup=False
        )
    o.print(
        f"restored {report.total_points} points in {report.seconds:.1f}s "
        f"({report.points_per_second:,.0f} points/s)",
        markup=False,
    )


def migrate_cmd(
    ctx: typer.Context,
    source: Annotated[str, typer.Option("--from", help="Source: a data directory or a Qdrant URL.")],
    target: Annotated[str, typer.Option("--to", help="Target: a data directory or a Qdrant URL.")],
    collections: Collections = None,
    reembed: Annotated[
        bool, typer.Option("--reembed", help="Re-vectorise with the configured model.")
    ] = False,
    batch: Annotated[int, typer.Option("--batch", min=1, max=100_000, help="Points per batch.")] = 512,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Parallel writers.")] = 2,
    method: Annotated[
        str,
        typer.Option(
            "--method",
            help="auto: copy shard files between two data directories, else stream; "
            "stream: scroll and upsert in batches; files: file-level copy only.",
        ),
    ] = "auto",
    validate: Annotated[
        bool,
        typer.Option("--validate", help="Then validate the copy as validate-migration does (one step)."),
    ] = False,
    # None: not given (the defaults are validate-migration's)
    report_dir: Annotated[Path | None, typer.Option("--report-dir", help=REPORT_DIR_HELP)] = None,
    tolerance: Annotated[float | None, typer.Option("--tolerance", help=TOLERANCE_HELP)] = None,
    sample_queries: Annotated[int | None, typer.Option("--sample-queries", help=SAMPLE_HELP)] = None,
    json_out: JsonOut = False,
) -> None:
    """Copy collections from one store to another; re-run with the same arguments to resume."""
    if not validate and (report_dir, tolerance, sample_queries) != (None, None, None):
        raise UsageError("--report-dir, --tolerance and --sample-queries go with --validate")
    with engine(ctx) as eng, _progress() as prog:
        report = eng.migrate(
            source, target, _names(collections), reembed=reembed, batch=batch, workers=workers, progress=prog,
            method=method, validate=validate, report_dir=report_dir or _reports(eng), tolerance=tolerance,
            sample_queries=sample_queries,
        )  # fmt: skip
    failed = not report.complete or (report.validation is not None and not report.validation.success)
    if json_out:
        print_json(report.to_dict())
        if failed:
            raise typer.Exit(1)
        return
    o = out_console()
    for c in report.collections:
        if c.already_complete:
            o.print(f"  {c.name}: already migrated ({c.target_points} points)", markup=False)
            continue
        resumed = f", resumed from {c.resumed_from}" if c.resumed_from else ""
        how = "points copied (shard files)" if c.method == "files" else "points written"
        o.print(
            f"  {c.name}: {c.copied} {how}, target holds {c.target_points}/{c.source_points}{resumed}",
            markup=False,
        )
    o.print(
        f"migrated {report.source} -> {report.target}: {report.copied} points in {report.seconds:.1f}s "
        f"({report.points_per_second:,.0f} points/s)"
        + ("" if report.complete else "  (INCOMPLETE: counts differ)"),
        markup=False,
    )
    if report.validation is None:
        o.print(f"check it: planvec validate-migration --source {source} --target {target}", markup=False)
    else:
        o.print("")
        for line in report.validation.summary_lines():
            o.print(line, markup=False)
    if failed:
        raise typer.Exit(1)


def import_cmd(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="A legacy {collection}-backup.json export or a planvec archive.")
    ],
    collection: Annotated[str, typer.Option("--collection", "-c", help="Collection to import into.")],
    reembed: Annotated[
        bool, typer.Option("--reembed", help="Embed from the payload text with the configured model.")
    ] = False,
    key_env: KeyEnv = None,
    key_file: KeyFile = None,
    json_out: JsonOut = False,
) -> None:
    """Import a legacy JSON export (mapping roadmap_tasks fields) or a planvec archive."""
    key = _key(key_env, key_file, required=bool(key_env or key_file))
    with engine(ctx) as eng, _progress() as prog:
        report = eng.import_file(file, collection, reembed=reembed, key=key, progress=prog)
    if json_out:
        print_json(report.to_dict())
        return
    o = out_console()
    for w in report.warnings:
        err_console().print(f"warning: {w}", markup=False)
    o.print(
        f"imported {report.points} points into {report.collection} ({report.format}, {report.dimension}-d"
        f"{', re-embedded' if report.reembedded else ''}) in {report.seconds:.1f}s",
        markup=False,
    )


def _reports(eng: Engine) -> Path:
    """Where reports go unless --report-dir says: under the data directory, not the current one."""
    return eng.settings.data_dir.expanduser() / "reports"


def validate_cmd(
    ctx: typer.Context,
    source: Annotated[str, typer.Option("--source", help="Source: a data directory or a Qdrant URL.")],
    target: Annotated[str, typer.Option("--target", help="Target: a data directory or a Qdrant URL.")],
    collections: Collections = None,
    report_dir: ReportDir = None,
    tolerance: Tolerance = 1e-6,
    sample_queries: SampleQueries = 50,
    json_out: JsonOut = False,
) -> None:
    """Compare source and target point by point (ids, payloads, vectors) and by search; exit 0 if equal."""
    with engine(ctx) as eng, _progress() as prog:
        report = eng.validate_migration(
            source,
            target,
            _names(collections),
            report_dir=report_dir or _reports(eng),
            tolerance=tolerance,
            sample_queries=sample_queries,
            progress=prog,
        )
    if json_out:
        print_json(report.to_dict())
    else:
        o = out_console()
        for line in report.summary_lines():
            o.print(line, markup=False)
    if report.exit_code:
        raise typer.Exit(report.exit_code)
