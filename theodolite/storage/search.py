"""The full-text index of inputs and outputs: one document per observation, keyed by its `seq`.

What a document holds and what a query means: `search_text.py`. Where it lives:
- SQLite: `search_fts`, an FTS5 table without content (`content=''`: the index alone, no second
  copy of the text), rowid = `observations.seq`, tokenizer unicode61 (letters, digits and
  combining marks; case folded; the unspaced scripts arrive already spelled as pairs).
- PostgreSQL: `search_documents` (observation_seq, document tsvector with positions) with a GIN
  index; the tsvector is built from our own tokens (never PostgreSQL's parser, whose idea of a
  letter depends on the database's locale: under `C` it finds no word in Japanese).

When: on PostgreSQL in the ingest transaction; on SQLite after it, off the ingest path (the last
section below).

Keyed by observation, the index never changes when a trace does: a trace whose timestamp moves
keeps its observations (and so its documents), the part of a trace arriving in a later request
adds its own observations' documents, and a trace of another project is another storage key
(`trace_keys.py`) whose observations carry their project. A search reads the matching documents'
observations (`observations.seq` is the key on both engines) and their traces from there.

Nothing deletes observations today. Whatever does must delete their documents in the same
transaction: on PostgreSQL by key; on SQLite (3.40: no `contentless_delete`) FTS5 removes a
contentless row only given its exact original text, which the payload alone does not rebuild (a
document leaves out strings an earlier observation of its request had), so there the simple
correct way is to empty the index ('delete-all') and index everything again (`search_backfill`
over the whole seq range). Left alone, a deleted observation's document would match nothing (the
search joins `observations`) until SQLite reused its seq (`max(seq) + 1` after deleting the newest).

Both tables are created by migration 0007 and are not in `tables.metadata`: SQLAlchemy has no
virtual tables and the engines' tables differ (`tables.declared_for` leaves them out of the
schema comparison). Observations stored before the migration are indexed by `theodolite search
reindex` (`backfill_search`), from `search_backfill`'s range.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import TextClause, and_, bindparam, column, exists, func, literal_column, select, table, text, update
from sqlalchemy.engine import Connection

from theodolite.storage import tables
from theodolite.storage.codec import ValueCodec
from theodolite.storage.dictionaries import load_dictionaries
from theodolite.storage.engine import Database
from theodolite.storage.payloads import decompress_payload
from theodolite.storage.rows import search_document
from theodolite.storage.search_text import SearchQuery

TOKENIZER = "unicode61 remove_diacritics 0 categories ''L* N* Co M*''"  # quoted for the DDL string

o = tables.observations
fts = table("search_fts", column("rowid"))
documents = table("search_documents", column("observation_seq"), column("document"))


def create_statements(dialect: str) -> list[str]:
    """The DDL of the index (migration 0007)."""
    if dialect == "sqlite":
        return [f"CREATE VIRTUAL TABLE search_fts USING fts5(text, content='', tokenize='{TOKENIZER}')"]
    return [
        "CREATE TABLE search_documents (observation_seq BIGINT PRIMARY KEY, document TSVECTOR NOT NULL)",
        "CREATE INDEX ix_search_documents ON search_documents USING gin (document)",
    ]


def drop_statements(dialect: str) -> list[str]:
    return ["DROP TABLE IF EXISTS search_fts" if dialect == "sqlite" else "DROP TABLE IF EXISTS search_documents"]


class SearchWriter:
    """Inserts documents inside the ingest writer's transaction. Not thread-safe."""

    def __init__(self, dialect: str) -> None:
        self._statement: TextClause = (
            text("INSERT INTO search_fts (rowid, text) VALUES (:s, :d)")
            if dialect == "sqlite"
            else text("INSERT INTO search_documents (observation_seq, document) VALUES (:s, CAST(:d AS tsvector))")
        )

    def write(self, conn: Connection, documents: list[dict[str, Any]]) -> None:
        """`documents`: {"s": observation seq, "d": document as `rows.search_document` made it}."""
        if documents:
            conn.execute(self._statement, documents)


def _matches(dialect: str, query: SearchQuery) -> tuple[Any, Any]:
    """(the FROM item, the condition) of the documents matching `query`; its key column is
    `seq_of(from item)`."""
    if dialect == "sqlite":
        return fts, literal_column("search_fts").op("MATCH")(bindparam("search_match", query.fts5()))
    tsquery = text("CAST(:search_tsquery AS tsquery)").bindparams(search_tsquery=query.tsquery())
    condition = documents.c.document.op("@@")(tsquery)
    return documents, condition


def _seq(dialect: str) -> Any:
    return fts.c.rowid if dialect == "sqlite" else documents.c.observation_seq


def matching_traces(dialect: str, project_id: int, query: SearchQuery, at_most: int | None) -> Any:
    """SELECT the storage keys of the project's traces with a matching observation, one row per
    matching observation, no more than `at_most` rows (None: all)."""
    source, condition = _matches(dialect, query)
    # SQLite: `+ 0`, so that no index on the project's observations drives this; the index's
    # matches do (each observation by its key). Without statistics SQLite otherwise read the
    # project's observations and asked FTS5 about each one: 5 s on 3,000 traces. PostgreSQL
    # estimates `@@` from the tsvector's statistics and plans well by itself (with `+ 0` it
    # misjudged the project's share and scanned every observation).
    project = o.c.project_id + 0 if dialect == "sqlite" else o.c.project_id
    statement = (
        select(o.c.trace_id)
        .select_from(source.join(o, o.c.seq == _seq(dialect)))
        .where(condition, project == project_id)
    )
    return statement if at_most is None else statement.limit(at_most)


def search_condition(dialect: str, project_id: int, query: SearchQuery, trace_id: Any) -> Any:
    """True where the trace (`trace_id`: a column of the outer query) has an observation whose
    document matches; its observations are read by the (trace_id, id) index.

    SQLite: the matching seqs are read from the index once per statement (an uncorrelated IN,
    which SQLite evaluates once into a temporary index) and each trace's observations looked up
    in them: ~13 ms for 38,000 matches. Asking FTS5 per observation instead (MATCH with rowid =)
    re-reads a prefix's or a phrase's postings at every probe: 3.6 s for the same list.
    PostgreSQL: each observation's tsvector is tested in its row (`@@`), no index read."""
    # No `project_id` test on the observations: a trace's storage key is its project's alone
    # (`trace_keys.py`), and with one SQLite may read the project's observations for each trace;
    # `seq + 0`: the trace's observations come from the (trace_id, id) index, not from the seqs.
    if dialect == "sqlite":
        _, condition = _matches(dialect, query)
        seqs = select(fts.c.rowid).where(condition)
        return exists().where(o.c.trace_id == trace_id, (o.c.seq + 0).in_(seqs))
    source, condition = _matches(dialect, query)
    return (
        exists().where(and_(o.c.trace_id == trace_id, _seq(dialect) == o.c.seq, condition)).correlate_except(o, source)
    )


# -- backfill: observations stored before the index existed ------------------------------------

BACKFILL_CHUNK = 2_000


def backfill_remaining(database: Database) -> int:
    """Seqs left to index (an upper bound on observations: seqs of spans without text count)."""
    with database.connect() as conn:
        found = _backfill_range(conn)
    return 0 if found is None else found[1] - found[0]


def backfill_search(database: Database, on_chunk: Callable[[int], None] | None = None) -> int:
    """Index the observations the migration left unindexed, a chunk of seqs per transaction, the
    progress recorded in the same transaction: safe to interrupt and to run again, and to run
    while a server writes (it indexes only seqs below the ones the writer indexes). Returns the
    number of documents written. Blocks."""
    load_dictionaries(database)
    codec = ValueCodec(database.dialect_name)
    writer = SearchWriter(database.dialect_name)
    written = 0
    while True:
        with database.write_transaction() as conn:
            found = _backfill_range(conn)
            if found is None:
                return written
            start, end = found
            stop = min(end, start + BACKFILL_CHUNK)
            documents = make_documents(conn, codec, start, stop)
            writer.write(conn, documents)
            conn.execute(tables.search_backfill.update().values(next_seq=stop))
        written += len(documents)
        if on_chunk is not None:
            on_chunk(stop - start)


def _backfill_range(conn: Connection) -> tuple[int, int] | None:
    row = conn.execute(select(tables.search_backfill.c.next_seq, tables.search_backfill.c.end_seq)).first()
    if row is None or row.next_seq >= row.end_seq:
        return None
    return int(row.next_seq), int(row.end_seq)


_PAYLOADS = (
    "SELECT o.seq, o.trace_id, p.payload FROM observation_payloads p JOIN observations o ON o.seq = p.observation_seq"
    " WHERE p.observation_seq >= ? AND p.observation_seq < ? ORDER BY p.observation_seq"
)


def make_documents(conn: Connection, codec: ValueCodec, start: int, stop: int) -> list[dict[str, Any]]:
    """The documents of the stored observations with seqs in [start, stop) (`rows.search_document`)."""
    if codec.dialect_name == "sqlite":
        # The driver's rows, each blob decompressed and parsed as it is used: the column type's
        # per-row processing cost as much as the decompression, and parsing every payload first
        # kept them all alive at once, which made the collector's passes cost 3 times the parsing
        # (15 us of the 25 us per span of `bench/writer.py`'s steps).
        raw = conn.exec_driver_sql(_PAYLOADS, (start, stop)).all()
        rows: Any = ((seq, trace_id, decompress_payload(blob) if blob else None) for seq, trace_id, blob in raw)
    else:
        p = tables.observation_payloads
        rows = conn.execute(
            select(o.c.seq, o.c.trace_id, p.c.payload)
            .select_from(p.join(o, o.c.seq == p.c.observation_seq))
            .where(p.c.observation_seq >= start, p.c.observation_seq < stop)
            .order_by(p.c.observation_seq)
        ).all()
    seen: dict[str, set[str]] = {}
    documents = []
    for seq, trace_id, payload in rows:
        payload = payload or {}
        document = search_document(payload.get("input"), payload.get("output"), codec, seen.setdefault(trace_id, set()))
        if document is not None:
            documents.append({"s": seq, "d": document})
    return documents


# -- SQLite: indexing after the ingest commit --------------------------------------------------
#
# FTS5's work (tokenising, writing postings, merging segments) and making the documents cost the
# ingest path about a sixth of its throughput when done in the ingest transaction. So on SQLite the
# writer thread indexes committed observations afterwards, with the traces' totals, in steps of
# about FOLLOW_CHUNK seqs (`SqlWriter.step`), when it is idle, when a read waits for it, or when it
# has fallen too far behind (`ingestion/pipeline.py`). Each step records its progress
# (`search_progress`) in its own transaction, so a crash loses no document: the next start carries
# on from the mark. PostgreSQL keeps indexing in the ingest transaction: several servers may write
# one database, and a mark over a sequence shared by concurrent transactions could pass a seq
# committed later.

FOLLOW_CHUNK = 5_000  # seqs per step: ~0.3 s of the writer on `bench/ingest.py`'s spans; a commit waits at most one


def indexed_below(conn: Connection) -> int:
    """The mark: observations with a lower seq are indexed (search_backfill's range aside)."""
    value = conn.execute(select(tables.search_progress.c.indexed_below)).scalar()
    return int(value) if value is not None else 0


def index_committed(
    conn: Connection,
    codec: ValueCodec,
    writer: SearchWriter,
    start: int,
    stop: int,
    documents: list[dict[str, Any]] | None = None,
) -> int:
    """In `conn`'s transaction: index the observations with seqs in [start, stop), all committed,
    and move the mark to `stop`. `documents`: theirs, made elsewhere (`document_worker.py`); None:
    made here. Returns the number of documents written."""
    if documents is None:
        documents = make_documents(conn, codec, start, stop)
    writer.write(conn, documents)
    record_indexed(conn, stop)
    return len(documents)


def repricing_count(conn: Connection) -> int:
    """How many times `costs recompute` changed stored costs (SQLite; `trace_totals.refresh_costs`)."""
    value = conn.execute(select(tables.search_progress.c.repricings)).scalar()
    return int(value or 0)


def count_repricing(conn: Connection) -> None:
    conn.execute(update(tables.search_progress).values(repricings=tables.search_progress.c.repricings + 1))


def highest_mark(conn: Connection) -> int:
    """The highest commit mark stored, in one statement: an observation's seq, the mark of a commit of
    scores only (`trace_scores.changed_seq`), or of a commit that stored no observation (`last_mark`).
    A list's snapshot, and on SQLite the writer's next seq is the one after it."""
    row = conn.execute(
        select(
            select(func.max(tables.observations.c.seq)).scalar_subquery(),
            select(func.max(tables.trace_scores.c.changed_seq)).scalar_subquery(),
            select(tables.search_progress.c.last_mark).scalar_subquery(),
        )
    ).one()
    return max(int(value or 0) for value in row)


def record_last_mark(conn: Connection, mark: int) -> None:
    """In the commit's transaction; marks only grow (two PostgreSQL writers may commit out of order)."""
    progress = tables.search_progress
    conn.execute(update(progress).where(progress.c.last_mark < mark).values(last_mark=mark))


def record_indexed(conn: Connection, below: int) -> None:
    """Move the mark, in `conn`'s transaction (the one that wrote the documents below it)."""
    progress = tables.search_progress
    if conn.execute(update(progress).values(indexed_below=below)).rowcount == 0:
        conn.execute(progress.insert().values(id=1, indexed_below=below))
