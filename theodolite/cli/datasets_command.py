"""`theodolite datasets ...`: list datasets, import items from JSONL or CSV, export a version."""

from __future__ import annotations

import os
from dataclasses import asdict
from typing import Any

import click

from theodolite.cli.common import DATABASE_OPTIONS, database_from, run
from theodolite.cli.dataset_files import FORMATS
from theodolite.cli.options import settings_options

FORMAT_OPTION = click.option(
    "--format",
    "file_format",
    type=click.Choice(FORMATS),
    default=None,
    help="File format (default: csv for a .csv file, else jsonl).",
)
PROJECT_OPTION = click.option("--project", default="default", show_default=True, help="The dataset's project.")


@click.group()
def datasets() -> None:
    """Datasets for evaluation: items with an input, an expected output and metadata.

    Every change makes a new, immutable version: an import is one version, and re-importing the
    same items makes none. Files are JSONL (one object a line) or CSV (a header row), with the
    fields id, input, expected_output, metadata, source_trace_id and source_observation_id; an
    item whose id the dataset holds replaces it, an item without an id is added, and with --sync
    the items the file does not hold are deleted. See docs/evaluation.md, "Datasets".
    """


@datasets.command("list")
@settings_options(DATABASE_OPTIONS)
@click.option("--project", default=None, help="Only this project (default: every project).")
def datasets_list(project: str | None, **values: Any) -> None:
    """List datasets with their current version and item count."""
    from theodolite.storage.metadata.datasets import list_datasets
    from theodolite.storage.metadata.project_reads import project_id_named, project_ids

    def work() -> None:
        with database_from(values) as database:
            names = project_ids(database)
            chosen = {project: project_id_named(database, project)} if project else names
            rows = [(name, info) for name, id_ in sorted(chosen.items()) for info in list_datasets(database, id_)]
        if not rows:
            click.echo("no datasets yet; create one with `theodolite datasets import NAME FILE --create`")
            return
        click.echo(f"{'PROJECT':<16} {'DATASET':<28} {'VERSION':>7} {'ITEMS':>7}  {'CREATED':<16}  DESCRIPTION")
        for name, info in rows:
            click.echo(f"{name:<16} {info.name:<28} {info.current_version:>7} {info.item_count:>7}  "
                       f"{info.created_at:%Y-%m-%d %H:%M}  {info.description or ''}")  # fmt: skip

    run(work)


def _count_lines(path: str) -> int:
    with open(path, "rb") as stream:
        return sum(1 for _ in stream)


@datasets.command("import")
@settings_options(DATABASE_OPTIONS)
@click.argument("name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@FORMAT_OPTION
@click.option("--create", is_flag=True, help="Create the dataset if the project has none of that name.")
@click.option("--description", default=None, help="With --create: the new dataset's description.")
@click.option("--note", default=None, help="Recorded with the new version (default: 'import FILE').")
@click.option("--sync", is_flag=True,
              help="Make the dataset equal to FILE: also delete the items FILE lacks (same version).")  # fmt: skip
@PROJECT_OPTION
def datasets_import(
    name: str, file: str, file_format: str | None, create: bool, description: str | None, note: str | None,
    sync: bool, project: str, **values: Any,
) -> None:  # fmt: skip
    """Import the items of FILE into dataset NAME as one new version.

    Every line is checked first: a mistake is reported with its line number and nothing is stored.
    Items already stored as they are in the file change nothing. By default an import only adds
    and updates; --sync also deletes the items FILE does not hold, in the same version, so that
    the new version holds exactly the file (every item needs an id then). Older versions keep
    the deleted items.
    """
    from theodolite.cli.dataset_files import FileLineError, format_of, read_csv, read_jsonl
    from theodolite.errors import NotFoundError
    from theodolite.storage.metadata.datasets import ItemIn, create_dataset, get_dataset, upsert_items
    from theodolite.storage.metadata.project_reads import project_id_named

    chosen = format_of(file, file_format)
    reader = read_csv if chosen == "csv" else read_jsonl
    with (
        open(file, encoding="utf-8", newline="" if chosen == "csv" else None) as stream,
        click.progressbar(length=_count_lines(file), label=f"reading {os.path.basename(file)}") as bar,
    ):
        try:
            records = reader(stream, bar.update)
        except FileLineError as exc:
            raise click.ClickException(f"{file} {exc}; nothing was imported") from None
        except UnicodeDecodeError as exc:
            raise click.ClickException(f"{file} is not UTF-8 text ({exc.reason}); nothing was imported") from None
    items = [
        ItemIn(r["input"], r["expected_output"], r["metadata"], id=r["id"], source_trace_id=r["source_trace_id"],
               source_observation_id=r["source_observation_id"])
        for r in records
    ]  # fmt: skip
    if sync:
        # An item without an id gets a new random one at every import: a sync would then delete
        # and re-add it each time instead of changing nothing.
        missing = next((n for n, r in enumerate(records, start=1) if r["id"] is None), None)
        if missing is not None:
            raise click.ClickException(
                f"--sync needs an id on every item, and item {missing} of {file} has none; nothing was imported"
            )

    def work() -> None:
        with database_from(values) as database:
            project_id = project_id_named(database, project)
            try:
                get_dataset(database, project_id, name)
            except NotFoundError:
                if not create:
                    raise click.ClickException(
                        f"project {project!r} has no dataset named {name!r}: add --create to make it"
                    ) from None
                create_dataset(database, project_id, name, description)
                click.echo(f"created dataset {name!r} in project {project!r}")
            if not items and not sync:
                click.echo(f"{file} holds no items; nothing to import")
                return
            change = upsert_items(
                database, project_id, name, items, note or f"import {os.path.basename(file)}", sync=sync
            )
        if not change.changed:
            click.echo(f"{len(items)} items, all stored as they are: no new version (still {change.version})")
            return
        deleted = f", {len(change.deleted)} deleted" if sync else ""
        click.echo(f"version {change.version}: {len(change.created)} created, {len(change.updated)} updated, "
                   f"{change.unchanged} unchanged{deleted}")  # fmt: skip

    run(work)


@datasets.command("export")
@settings_options(DATABASE_OPTIONS)
@click.argument("name")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@click.option("--version", "version", type=click.IntRange(min=0), default=None,
              help="The version to export (default: the current one).")  # fmt: skip
@FORMAT_OPTION
@PROJECT_OPTION
def datasets_export(name: str, file: str, version: int | None, file_format: str | None, project: str,
                    **values: Any) -> None:  # fmt: skip
    """Export the items of one version of dataset NAME to FILE ('-': standard output), by id."""
    from theodolite.cli.dataset_files import format_of, write_csv, write_jsonl
    from theodolite.storage.metadata.datasets import list_items
    from theodolite.storage.metadata.project_reads import project_id_named

    chosen = format_of(file, file_format)

    def work() -> None:
        with database_from(values) as database:
            read, items = list_items(database, project_id_named(database, project), name, version=version)
        writer = write_csv if chosen == "csv" else write_jsonl
        rows = [asdict(item) for item in items]
        if file == "-":
            writer(click.get_text_stream("stdout"), rows)
            return
        with open(file, "w", encoding="utf-8", newline="" if chosen == "csv" else None) as stream:
            writer(stream, rows)
        click.echo(f"version {read} of {name!r}: {len(rows)} items written to {file} ({chosen})")

    run(work)
