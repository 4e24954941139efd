"""`theodolite prices ...` (per-project overrides) and `theodolite costs ...` (recompute, report)."""

from __future__ import annotations

import csv
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import click

from theodolite.cli.common import (
    DATABASE_OPTIONS,
    check_range,
    date_option,
    open_existing_from,
    open_from,
    run,
    stores_from,
    utc,
)
from theodolite.cli.options import settings_options


def _usd(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise click.BadParameter(f"{value!r} is not a number of dollars") from None
    if not amount.is_finite() or amount < 0:
        raise click.BadParameter(f"{value!r} must be a non-negative number of dollars")
    return amount


@click.group()
def prices() -> None:
    """Per-project prices: custom models and corrections of the public price table.

    Rates are USD per million tokens. Without an override Theodolite prices calls from the
    genai-prices table. A running server picks changes up within 10 seconds; re-price stored
    calls with `theodolite costs recompute`.
    """


@prices.command("set")
@settings_options(DATABASE_OPTIONS)
@click.argument("model")
@click.option("--input", "input_", metavar="USD", help="Input tokens, per million.")
@click.option("--output", metavar="USD", help="Output tokens, per million.")
@click.option("--cache-read", metavar="USD", help="Cache reads, per million (default: the input rate).")
@click.option("--cache-write", metavar="USD", help="Cache writes, per million (default: the input rate).")
@click.option("--reasoning", metavar="USD", help="Reasoning tokens, per million (default: the output rate).")
@click.option("--provider", default=None, help="Only calls to this provider (default: any provider).")
@date_option("--from", "effective_from", help="In force from this date, UTC (default: 1970-01-01, i.e. always).")
@click.option("--project", default="default", show_default=True, help="Project the price applies to.")
@click.option("--note", default=None, help="Why, e.g. the contract it comes from.")
def prices_set(model: str, project: str, provider: str | None, effective_from: datetime | None, note: str | None,
               **values: Any) -> None:  # fmt: skip
    """Set the price of MODEL (a name, or a glob like 'ft:acme-*') for a project."""
    from theodolite.pricing import PriceOverride
    from theodolite.storage.metadata.prices import set_price
    from theodolite.storage.metadata.project_reads import project_id_named

    rates = {
        "input_mtok": _usd(values.pop("input_")),
        "output_mtok": _usd(values.pop("output")),
        "cache_read_mtok": _usd(values.pop("cache_read")),
        "cache_write_mtok": _usd(values.pop("cache_write")),
        "output_reasoning_mtok": _usd(values.pop("reasoning")),
    }
    if all(rate is None for rate in rates.values()):
        raise click.UsageError("give at least one rate: --input, --output, --cache-read, --cache-write, --reasoning")
    override = PriceOverride(model, utc(effective_from) or datetime(1970, 1, 1, tzinfo=UTC), provider=provider, **rates)

    def work() -> None:
        database = open_from(values)
        set_price(database, project_id_named(database, project), override, note)
        click.echo(f"{project}: {model} ({provider or 'any provider'}) from {override.effective_from:%Y-%m-%d}: "
                   + _rates_text(override.prices()) + " (USD per 1M tokens)")  # fmt: skip

    run(work)


@prices.command("list")
@settings_options(DATABASE_OPTIONS)
@click.option("--project", default=None, help="Only this project.")
def prices_list(project: str | None, **values: Any) -> None:
    """List the price overrides."""
    from theodolite.storage.metadata.prices import list_prices
    from theodolite.storage.metadata.project_reads import project_id_named, project_ids

    def work() -> None:
        database = open_existing_from(values)
        names = {id_: name for name, id_ in project_ids(database).items()}
        stored = list_prices(database, project_id_named(database, project) if project else None)
        if not stored:
            click.echo("no price overrides; every call is priced from genai-prices")
            return
        click.echo(f"{'PROJECT':<16} {'MODEL':<32} {'PROVIDER':<12} {'FROM':<10}  RATES (USD per million tokens)")
        for item in stored:
            o = item.override
            click.echo(f"{names.get(item.project_id, item.project_id)!s:<16} {o.model:<32} {o.provider or '*':<12} "
                       f"{o.effective_from:%Y-%m-%d}  {_rates_text(o.prices())}")  # fmt: skip

    run(work)


@prices.command("show")
@settings_options(DATABASE_OPTIONS)
@click.argument("model")
@click.option("--provider", default=None, help="The provider the call went to (e.g. openai, aws.bedrock).")
@date_option("--at", help="The call's time, UTC (default: now).")
@click.option("--project", default="default", show_default=True, help="Project whose overrides apply.")
def prices_show(model: str, provider: str | None, at: datetime | None, project: str, **values: Any) -> None:
    """Show the price Theodolite applies to MODEL, and where it comes from."""
    from theodolite.pricing.engine import price_in_force
    from theodolite.storage.metadata.prices import load_overrides
    from theodolite.storage.metadata.project_reads import project_id_named

    when = utc(at) or datetime.now(UTC)

    def work() -> None:
        database = open_existing_from(values)
        overrides = load_overrides(database).get(project_id_named(database, project))
        found = price_in_force(model, provider, when, *([overrides] if overrides else []))
        if found is None:
            raise click.ClickException(
                f"no price for {model!r} ({provider or 'any provider'}) at {when:%Y-%m-%d}: its calls are unpriced. "
                f"Set one with: theodolite prices set {model} --input USD --output USD"
            )
        ref, rates = found
        click.echo(f"{model} ({provider or 'any provider'}) at {when:%Y-%m-%d %H:%M} UTC: {ref}")
        for key, value in rates.items():  # one rate a line, each with its unit
            click.echo(f"  {_rate_name(key)} {_rate_text(value)} {_rate_unit(key)}")

    run(work)


def _rate_name(key: str) -> str:
    return key.removesuffix("_mtok").removesuffix("_kcount").replace("_", " ")


def _rate_unit(key: str) -> str:
    """genai-prices' naming: `*_mtok` is USD per million tokens, `*_kcount` per thousand of the
    thing named (requests, web searches), anything else per unit."""
    if key.endswith("_mtok"):
        return "per 1M tokens"
    if key.endswith("_kcount"):
        return f"per 1,000 {_rate_name(key)}"
    return f"per {_rate_name(key)}"


def _rates_text(rates: dict[str, Any]) -> str:
    return "; ".join(f"{_rate_name(key)} {_rate_text(value)}" for key, value in rates.items())


def _rate_text(value: Any) -> str:
    if isinstance(value, dict):  # tiered: the rate depends on the prompt's size
        tiers = "".join(
            f" (${tier['price']} above {tier['above_input_tokens']:,} input tokens)" for tier in value["tiers"]
        )
        return f"${value['base']}{tiers}"
    return f"${value}"


@click.group()
def costs() -> None:
    """Re-price stored calls, and report costs."""


@costs.command("recompute")
@settings_options(DATABASE_OPTIONS)
@date_option("--since", required=True, help="Re-price calls from this time, UTC.")
@date_option("--until", help="... up to this time (default: now).")
@click.option("--project", default=None, help="Only this project (default: all).")
@click.option("--batch-size", default=2000, show_default=True, type=click.IntRange(1, 100_000),
              help="Calls per batch (a transaction on SQL, an insert on ClickHouse).")  # fmt: skip
def costs_recompute(since: datetime, until: datetime | None, project: str | None, batch_size: int,
                    **values: Any) -> None:  # fmt: skip
    """Re-price stored generations with today's prices and overrides.

    Safe to interrupt and to run again: each batch commits on its own and a second run over
    the same range changes nothing.
    """
    from theodolite.storage.metadata.prices import load_overrides
    from theodolite.storage.metadata.project_reads import project_id_named

    check_range(since, until)

    def work() -> None:
        with stores_from(values, migrate=True) as stores:  # the traces on SQL or ClickHouse, prices on SQL
            project_id = project_id_named(stores.metadata, project) if project else None
            start, end = utc(since), utc(until)
            total = stores.traces.count_to_reprice(start, end, project_id)
            with click.progressbar(length=total, label=f"re-pricing {total:,} calls", file=sys.stderr) as bar:
                summary = stores.traces.reprice(load_overrides(stores.metadata), since=start, until=end,
                                                project_id=project_id, batch_size=batch_size,
                                                on_batch=bar.update)  # fmt: skip
        statuses = ", ".join(f"{count:,} {status}" for status, count in sorted(summary.by_status.items()))
        click.echo(f"re-priced {summary.scanned:,} calls, {summary.changed:,} changed ({statuses or 'none'})")

    run(work)


@costs.command("report")
@settings_options(DATABASE_OPTIONS)
@date_option("--since", help="From this time, UTC (default: 30 days ago).")
@date_option("--until", help="Up to this time, UTC (default: now).")
@click.option("--project", default=None, help="Only this project.")
@click.option(
    "--group-by",
    default="day,model",
    show_default=True,
    help="Comma-separated: hour, day, month, model, provider, project, name, type, source, environment, user "
    "(the trace's), feature (the trace's metadata key `feature`).",
)
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True)
def costs_report(since: datetime | None, until: datetime | None, project: str | None, group_by: str, fmt: str,
                 **values: Any) -> None:  # fmt: skip
    """Cost, calls and tokens of generations, grouped. The TOTAL line is the exact sum of the
    per-call costs (Decimal arithmetic); unpriced calls are counted apart, never as $0. Cache hits
    and fallbacks cost $0; what the provider would have charged for them is the saved_usd column."""
    from theodolite.query.cost_report import parse_group_by
    from theodolite.storage.metadata.project_reads import project_id_named

    check_range(since, until)

    def work() -> None:
        groups = parse_group_by(group_by)
        start = utc(since) or datetime.now(UTC) - timedelta(days=30)
        with stores_from(values) as stores:  # the trace store's own read, on SQL or ClickHouse
            project_ids = None if project is None else [project_id_named(stores.metadata, project)]
            report = stores.traces.queries.cost_reports([groups], start, utc(until), project_ids=project_ids)[groups]
        header = [*groups, "calls", "unpriced_calls", "partial_calls", "not_billed_calls", "input_tokens",
                  "output_tokens", "cost_usd", "saved_usd"]  # fmt: skip
        lines = [(list(line.key), line) for line in report.lines]
        lines.append((["TOTAL", *[""] * (len(groups) - 1)], report.total))
        if fmt == "csv":
            writer = csv.writer(sys.stdout, lineterminator="\n")
            writer.writerow(header)
            writer.writerows([*key, *_counts(line), _usd_cell(line.cost_usd), _usd_cell(line.saved_usd)]
                             for key, line in lines)  # fmt: skip
            return
        rows = [header] + [
            [*key, *map(str, _counts(line)), _usd_cell(line.cost_usd, "unpriced" if line.unpriced_calls
             else "n/a"), _usd_cell(line.saved_usd, "unknown")]
            for key, line in lines
        ]  # fmt: skip
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        numeric = range(len(groups), len(header))  # right-aligned, so that the decimal points line up
        for row in rows:
            cells = (cell.rjust(width) if i in numeric else cell.ljust(width)
                     for i, (cell, width) in enumerate(zip(row, widths, strict=True)))  # fmt: skip
            click.echo("  ".join(cells).rstrip())

    run(work)


# Costs are stored to 12 decimal places (numeric(24,12)): every amount is printed with exactly that
# many, in every format, so that no figure is rounded and the lines add up to TOTAL digit for digit.
USD_PLACES = Decimal("1e-12")


def _counts(line: Any) -> tuple[int, ...]:
    return (line.calls, line.unpriced_calls, line.partial_calls, line.not_billed_calls, line.input_tokens,
            line.output_tokens)  # fmt: skip


def _usd_cell(amount: Decimal | None, unknown: str = "") -> str:
    """A USD amount with a fixed number of decimals; `unknown` (never 0) when there is none."""
    return unknown if amount is None else f"{amount.quantize(USD_PLACES):f}"
