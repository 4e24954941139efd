"""ClickHouse as a trace store: its DDL (`schema.py`). docs/clickhouse.md says why it is shaped so;
Theodolite does not write to ClickHouse yet."""
