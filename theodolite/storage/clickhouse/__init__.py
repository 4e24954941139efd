"""ClickHouse as a trace store: its DDL (`schema.py`), connecting from a URL (`connection.py`) and the
trace writer (`writer.py`, with `rows.py` and `merges.py`). docs/clickhouse.md says why it is shaped
so; the server does not use it yet."""
