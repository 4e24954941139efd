"""The reads of the ClickHouse trace store (`ClickHouseTraceQueries`, `trace_queries.py`)."""
