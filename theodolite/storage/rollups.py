"""Minute and hour rollups for the analytics API, kept by deltas (cubes and cells:
`model/rollup_cells.py`; the table: `tables.rollups`).

Every change to what an aggregate counts arrives as a delta, so that the order in which deltas
land does not matter:
- a stored observation adds its cell to the "obs" cube; a Langfuse or LangSmith update that
  replaces it takes the old row's cell away first (`observation_merges.py`);
- a trace's totals, each time they change, take away the trace's cells under the dimensions and
  totals its `trace_totals` row held, and add them under the new ones ("trace", "user", "tag");
- a score adds its cell; a score re-sent under its id takes the stored one's away;
- `costs recompute` moves each re-priced call's cost, and each re-priced trace's totals.

The writer collects a transaction's deltas in a `RollupDeltas` and `flush_rollups`es them where it derives
the trace totals (SQLite: at the step after the commit; PostgreSQL: in the ingest transaction):
each touched row is read, added to and written back (histograms cannot be added in SQL). A
delta on a row another delta emptied deletes the row.

`rebuild` re-derives everything from the raw rows (the migration that created the table,
`theodolite rollups rebuild`); a SQLite server must not run meanwhile (the CLI holds the writer
lease), since its writer's pending deltas would then count twice.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

import orjson
from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection

from theodolite.model import histograms
from theodolite.model.rollup_cells import (
    CUBES,
    GRAINS_S,
    HISTOGRAMS,
    MEASURE_FIELDS,
    PROJECTIONS,
    ROLLUP_DIMENSIONS,
    WITHOUT_HISTOGRAMS,
    Cell,
    base_of,
    dims_key,
    epoch_s,
    grains_of,
    keeps_histograms,
)
from theodolite.model.rollup_deltas import OBSERVATION_DIMENSIONS, CellKey, RollupDeltas
from theodolite.storage import tables
from theodolite.storage.bulk import BulkInsert
from theodolite.storage.expressions import delete_keys, rows_of_keys
from theodolite.storage.process_locks import lock_all_projects
from theodolite.storage.search import indexed_below
from theodolite.storage.upserts import insert_adding, insert_replacing

r = tables.rollups
HOUR_S = 3600
READ_CHUNK = 400


def covering_cube(
    scope: str, dimensions: Iterable[str], histogram: bool = False, interval_s: int | None = None
) -> str | None:
    """The smallest cube whose rows have every one of these dimensions (and histograms, if asked,
    and a grain that divides the interval), for this scope; None: read raw rows."""
    wanted = set(dimensions)
    found = [
        cube for cube, (cube_scope, names) in CUBES.items()
        if cube_scope == scope and wanted <= set(names) and not (histogram and cube in WITHOUT_HISTOGRAMS)
        and (interval_s is None or any(interval_s % grain == 0 for grain in grains_of(cube, histogram)))
    ]  # fmt: skip
    return min(found, key=lambda cube: len(CUBES[cube][1])) if found else None


def ready(conn: Connection) -> bool:
    """The rollups hold everything stored (built once, then kept by the writer)."""
    return conn.execute(select(tables.rollup_state.c.id)).first() is not None


# -- reading ---------------------------------------------------------------------------------


def spans(
    start_s: int, end_s: int, step_s: int | None, grains: tuple[int, ...] = GRAINS_S
) -> list[tuple[int, int, int]]:
    """(grain, start, end) pieces of [start, end), read from the coarsest rows that fit: a grain
    serves a piece when it divides the bucket step (`None`: one total), its whole grains in the
    middle, the edges from finer grains. Without minute rows (users and tags are hourly; histograms
    start at quarter-hours) the range widens to whole rows of the finest grain there is."""
    usable = [grain for grain in sorted(grains, reverse=True) if step_s is None or step_s % grain == 0]
    finest = usable[-1]
    if finest > 60:
        start_s -= start_s % finest
        end_s = -(-end_s // finest) * finest
    return _pieces(start_s, end_s, usable)


def _pieces(start_s: int, end_s: int, grains: list[int]) -> list[tuple[int, int, int]]:
    if start_s >= end_s:
        return []
    grain, finer = grains[0], grains[1:]
    first, last = math.ceil(start_s / grain) * grain, end_s // grain * grain
    if not finer:
        return [(grain, start_s, end_s)]
    if first >= last:
        return _pieces(start_s, end_s, finer)
    return [*_pieces(start_s, first, finer), (grain, first, last), *_pieces(last, end_s, finer)]


def read_cells(conn: Connection, query: Any, cube: str, histogram: str | None) -> Iterator[tuple[int, tuple, Any]]:
    """(bucket, group, cell) of the rows `query` (a `query.analytics_params.MetricQuery`) reads in
    `cube`. Without a histogram the database sums the rows per bucket and group; with one, each row
    comes back with that histogram alone, as stored (the only thing a percentile reads)."""
    group_columns = [r.c[f"d_{name}"] for name in query.group_by]
    interval = query.interval_s
    grains = grains_of(cube, histogram is not None)
    base = base_of(cube)
    finer = tuple(grain for grain in grains_of(base, histogram is not None) if grain < min(grains))
    for grain, start, end in spans(query.start_s, query.end_s, interval, finer + grains):
        # A projection without rows this fine: its base's, grouped by the projection's dimensions.
        piece_cube = cube if grain in grains else base
        where = (
            r.c.project_id == query.project_id, r.c.cube == piece_cube, r.c.grain_s == grain,
            r.c.bucket >= start, r.c.bucket < end,
            *(r.c[f"d_{name}"].in_(values) for name, values in query.filters.items()),
        )  # fmt: skip
        if histogram is None:
            buckets = [] if interval is None else [r.c.bucket - r.c.bucket % interval]
            sums = [func.sum(r.c[name]) for name in MEASURE_FIELDS]
            statement = (
                select(*buckets, *group_columns, *sums)
                .where(*where)
                .group_by(*buckets, *group_columns)
                .having(func.sum(r.c.n) != 0)  # a user's hour added back to zero (`flush_rollups`)
            )
            first = len(buckets) + len(group_columns)
            for row in conn.execute(statement):
                if row[first] is not None:  # no GROUP BY: one row, of NULLs when nothing matched
                    bucket = query.start_s if interval is None else int(row[0])
                    yield bucket, tuple(row[len(buckets) : first]), _summed_cell(row, first)
            continue
        # Percentiles, min and max need the histogram alone, as stored (`histograms.decode_pairs`).
        columns = [r.c.bucket, *group_columns, r.c[histogram]]
        loads, total = orjson.loads, query.start_s
        for row in conn.execute(select(*columns).where(*where)).all():  # one fetchall, not a fetch per row
            # `query.bucket_of` and `histograms.decode_pairs` inlined: this runs for thousands of rows.
            bucket = total if interval is None else row[0] - row[0] % interval
            yield bucket, tuple(row[1:-1]), loads(row[-1]) if row[-1] else []


_FLOAT_FIELDS = frozenset({"cost", "latency_sum", "ttft_sum", "value_sum"})


def _summed_cell(row: Any, first: int) -> Cell:
    """A cell from a row's measure columns (PostgreSQL sums bigints as numeric: back to int)."""
    cell = Cell(False)
    for offset, name in enumerate(MEASURE_FIELDS):
        value = row[first + offset] or 0
        setattr(cell, name, float(value) if name in _FLOAT_FIELDS else int(value))
    return cell


# -- the writer's deltas ---------------------------------------------------------------------


def flush_rollups(conn: Connection, deltas: RollupDeltas) -> None:
    """Add `deltas` to the minute and hour rows, in the caller's transaction."""
    if not deltas:
        return
    # Rows without histograms (minutes; users and tags) add in SQL, with no read: they are many and
    # touched by every step. A minute row is a delta's own cell, written as it is. Rows with
    # histograms are read, added to and written back. A row added to zero stays until a rebuild
    # (reads leave out groups whose count sums to zero).
    adding: list[tuple[Any, ...]] = []
    summed: dict[tuple[int, str, int, int, str], tuple[tuple[Any, ...], Cell]] = {}
    merged: dict[tuple[int, str, int, int, str], tuple[tuple[Any, ...], Cell]] = {}
    for (project_id, cube, minute, values), cell in _with_projections(deltas.cells, False):
        key_text = dims_key(values)
        for grain in grains_of(cube):
            if grain == 60:
                adding.append(_sums_row(project_id, cube, 60, minute, key_text, values, cell))
                continue
            key = (project_id, cube, grain, minute - minute % grain, key_text)
            histogram = keeps_histograms(cube, grain)
            rows = merged if histogram else summed
            found = rows.get(key)
            if found is None:
                found = rows[key] = (values, Cell(histogram))
            found[1].add(cell, with_histograms=False)
    adding += [_sums_row(*key, values, cell) for key, (values, cell) in summed.items()]
    for (project_id, cube, quarter, values), cell in _with_projections(deltas.quarters, True):
        key_text = dims_key(values)
        for grain in grains_of(cube, histogram=True):
            key = (project_id, cube, grain, quarter - quarter % grain, key_text)
            found = merged.get(key)
            if found is None:  # sums that cancelled out in the minute cells: histograms still move
                found = merged[key] = (values, Cell())
            found[1].add_histograms(cell)
    stored = _stored(conn, list(merged))
    upserts, emptied = [], []
    for key, (values, cell) in merged.items():
        before = stored.get(key)
        if before is not None:
            cell.add(before)
        if cell.is_empty():
            if before is not None:
                emptied.append(key)
            continue
        upserts.append(_row(key, values, cell))
    replacing, adding_sql = _statements(conn.dialect)
    replacing.execute(conn, upserts)
    if adding:
        conn.exec_driver_sql(adding_sql, adding)
    delete_keys(conn, r, list(_KEY), emptied)


def _statements(dialect: Any) -> tuple[BulkInsert, str]:
    """The upsert that replaces a row (with histograms: read and merged first) and the positional
    upsert that adds sums to one (`_sums_row`), compiled once per engine."""
    found = _STATEMENTS.get(dialect.name)
    if found is None:
        replacing = BulkInsert(r, insert_replacing(r, dialect.name, keep=()), dialect)
        # Positional: the many rows of sums go to executemany as tuples, with no dict per row.
        target = type(dialect)(paramstyle="qmark" if dialect.name == "sqlite" else "format")
        compiled = insert_adding(r, dialect.name, add=MEASURE_FIELDS).compile(dialect=target, column_keys=_COLUMNS)
        if list(compiled.positiontup or ()) != _COLUMNS:
            raise RuntimeError("the rollups' upsert does not bind the columns in table order")
        found = _STATEMENTS[dialect.name] = (replacing, str(compiled))
    return found


def _sums_row(
    project_id: int, cube: str, grain: int, bucket: int, key_text: str, values: tuple[Any, ...], cell: Cell
) -> tuple[Any, ...]:
    """A row of sums (no histograms) as a tuple in the table's column order."""
    dimensions: list[Any] = [None] * len(ROLLUP_DIMENSIONS)
    for slot, value in zip(_DIMENSION_SLOTS[cube], values, strict=True):
        dimensions[slot] = value
    return (project_id, cube, grain, bucket, key_text, *dimensions, *_measures_of(cell), *_NO_HISTOGRAMS)


_STATEMENTS: dict[str, tuple[BulkInsert, str]] = {}
_COLUMNS = [column.name for column in r.columns]
_measures_of = attrgetter(*(name for name in _COLUMNS if name in MEASURE_FIELDS))  # in the table's order
# Where each cube's dimension values go among the table's `d_*` columns.
_DIMENSION_SLOTS = {cube: [ROLLUP_DIMENSIONS.index(name) for name in names] for cube, (_, names) in CUBES.items()}
_NO_HISTOGRAMS = (None,) * len(HISTOGRAMS)
assert _COLUMNS == ["project_id", "cube", "grain_s", "bucket", "dims_key", *(f"d_{n}" for n in ROLLUP_DIMENSIONS),
                    *(n for n in _COLUMNS if n in MEASURE_FIELDS), *HISTOGRAMS]  # fmt: skip
_KEY = (r.c.project_id, r.c.cube, r.c.grain_s, r.c.bucket, r.c.dims_key)
# Per base cube, its projections and where each projection's dimensions sit in the base's key.
_PROJECTED = {
    base: [(name, [CUBES[base][1].index(d) for d in names]) for name, (b, names) in PROJECTIONS.items() if b == base]
    for base in {base for base, _ in PROJECTIONS.values()}
}


def _with_projections(cells: dict[CellKey, Cell], with_histograms: bool) -> Iterator[tuple[CellKey, Cell]]:
    """The deltas' cells and their projections' cells (summed from them: no work per span); the
    sums of minute cells, or the histograms of quarter-hour cells."""
    projected: dict[CellKey, Cell] = {}
    for key, cell in cells.items():
        yield key, cell
        project_id, cube, moment, values = key
        for name, positions in _PROJECTED.get(cube, ()):
            target = (project_id, name, moment, tuple(values[i] for i in positions))
            found = projected.get(target)
            if found is None:
                found = projected[target] = Cell(with_histograms)
            if with_histograms:
                found.add_histograms(cell)
            else:
                found.add(cell, with_histograms=False)
    yield from projected.items()


def _stored(conn: Connection, keys: list[tuple[int, str, int, int, str]]) -> dict[tuple, Cell]:
    """The stored rows of these keys: per (project, cube, grain), two IN lists (buckets, dimension
    keys; a few rows too many are read and dropped), cheaper to compile and run than an IN of tuples."""
    wanted = set(keys)
    groups: dict[tuple[int, str, int], tuple[set[int], set[str]]] = {}
    for project_id, cube, grain, bucket, key_text in keys:
        buckets, texts = groups.setdefault((project_id, cube, grain), (set(), set()))
        buckets.add(bucket)
        texts.add(key_text)
    found: dict[tuple, Cell] = {}
    for (project_id, cube, grain), (buckets, texts) in groups.items():
        ordered = sorted(texts)
        for start in range(0, len(ordered), READ_CHUNK):
            statement = select(r).where(
                r.c.project_id == project_id, r.c.cube == cube, r.c.grain_s == grain,
                r.c.bucket.in_(sorted(buckets)), r.c.dims_key.in_(ordered[start : start + READ_CHUNK]),
            )  # fmt: skip
            for row in conn.execute(statement):
                key = (row.project_id, row.cube, row.grain_s, row.bucket, row.dims_key)
                if key in wanted:
                    found[key] = _cell_of(row)
    return found


def _cell_of(row: Any) -> Cell:
    cell = Cell()
    for name in MEASURE_FIELDS:
        setattr(cell, name, getattr(row, name))
    for name in HISTOGRAMS:
        setattr(cell, name, histograms.decode(getattr(row, name)))
    return cell


def _row(key: tuple[int, str, int, int, str], values: tuple[Any, ...], cell: Cell) -> dict[str, Any]:
    project_id, cube, grain, bucket, key_text = key
    row: dict[str, Any] = {
        "project_id": project_id, "cube": cube, "grain_s": grain, "bucket": bucket, "dims_key": key_text,
        **{f"d_{name}": None for name in ROLLUP_DIMENSIONS},
    }  # fmt: skip
    for name, value in zip(CUBES[cube][1], values, strict=True):
        row[f"d_{name}"] = value
    for name in MEASURE_FIELDS:
        row[name] = getattr(cell, name)
    for name in HISTOGRAMS:
        row[name] = histograms.encode(getattr(cell, name))
    return row


# -- rebuilding from raw rows ----------------------------------------------------------------

o, tt, s = tables.observations, tables.trace_totals, tables.scores
REBUILD_CHUNK_S = 6 * HOUR_S
_OBSERVATION_READ = (
    o.c.project_id, o.c.start_time, o.c.end_time, o.c.completion_start_time, o.c.prompt_tokens,
    o.c.completion_tokens, o.c.total_tokens, o.c.calculated_total_cost, o.c.total_cost, o.c.cost_status,
    *(o.c[name] for name in OBSERVATION_DIMENSIONS),
)  # fmt: skip


def time_range(conn: Connection) -> tuple[int, int] | None:
    """Whole hours holding every stored observation, trace and score; None when there are none."""
    moments = []
    for column in (o.c.start_time, tt.c.timestamp, s.c.timestamp):
        low, high = conn.execute(select(func.min(column), func.max(column))).one()
        if low is not None:
            moments += [epoch_s(low), epoch_s(high)]
    if not moments:
        return None
    return int(min(moments)) // HOUR_S * HOUR_S, (int(max(moments)) // HOUR_S + 1) * HOUR_S


def rebuild(
    conn: Connection, dialect_name: str, *, on_progress: Callable[[int, int], None] = lambda done, total: None
) -> int:
    """Delete every rollup row and derive them again from the raw rows, six hours at a time (each
    piece's deltas stay small), then mark the rollups ready. In the caller's transaction; returns
    the rows written. Blocks; on SQLite no writer may run meanwhile (module doc)."""
    lock_all_projects(conn)  # no server's writer adds deltas meanwhile (PostgreSQL)
    conn.execute(delete(r))
    conn.execute(delete(tables.rollup_state))
    # SQLite derives after the commit: observations from the mark on are added by the writer's
    # steps (and, after a crash, by its recovery), like their traces' totals.
    below = indexed_below(conn) if dialect_name == "sqlite" else None
    bounds = time_range(conn)
    if bounds is not None:
        start, end = bounds
        total = math.ceil((end - start) / REBUILD_CHUNK_S)
        for index, piece_start in enumerate(range(start, end, REBUILD_CHUNK_S)):
            deltas = RollupDeltas()
            _derive(conn, deltas, piece_start, min(end, piece_start + REBUILD_CHUNK_S), below)
            flush_rollups(conn, deltas)
            on_progress(index + 1, total)
    conn.execute(insert(tables.rollup_state).values(id=1, built_at=datetime.now(UTC)))
    return int(conn.execute(select(func.count()).select_from(r)).scalar_one())


def _derive(conn: Connection, deltas: RollupDeltas, start_s: int, end_s: int, below_seq: int | None) -> None:
    start, end = datetime.fromtimestamp(start_s, UTC), datetime.fromtimestamp(end_s, UTC)
    observations = select(*_OBSERVATION_READ).where(o.c.start_time >= start, o.c.start_time < end)
    if below_seq is not None:
        observations = observations.where(o.c.seq < below_seq)
    deltas.add_observations(dict(row) for row in conn.execute(observations).mappings())
    for row in conn.execute(select(tt).where(tt.c.timestamp >= start, tt.c.timestamp < end)):
        deltas.add_trace_row(row)
    scores = select(s.c.project_id, s.c.timestamp, s.c.name, s.c.source, s.c.data_type, s.c.value)
    deltas.add_scores(conn.execute(scores.where(s.c.timestamp >= start, s.c.timestamp < end)).mappings())


def committed_observations(conn: Connection, start_seq: int, stop_seq: int) -> Iterator[dict[str, Any]]:
    """The observations of commits a crash left underived (seqs in [start, stop))."""
    statement = select(*_OBSERVATION_READ).where(o.c.seq >= start_seq, o.c.seq < stop_seq)
    for row in conn.execute(statement).mappings():
        yield dict(row)


def stored_scores(conn: Connection, rows: list[dict[str, Any]]) -> list[Any]:
    """The stored scores these rows (about to be written) replace: same project and id."""
    keys = sorted({(row["project_id"], row["id"]) for row in rows})
    found: list[Any] = []
    columns = (s.c.project_id, s.c.timestamp, s.c.name, s.c.source, s.c.data_type, s.c.value)
    for start in range(0, len(keys), READ_CHUNK):
        listed = rows_of_keys(s, [s.c.project_id, s.c.id], keys[start : start + READ_CHUNK])
        found += conn.execute(select(*columns).select_from(listed)).mappings().all()
    return found
