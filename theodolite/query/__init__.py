"""Every read goes through here: the REST API, Grafana, the UI, metrics and alerting.

Functions take a `Database` and return plain dicts/dataclasses. They are the SQL-family
implementation; a ClickHouse backend adds its own module per read with the same signatures.
"""
