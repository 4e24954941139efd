"""The read side's interface, one implementation per engine family.

Routes (and later the metrics, Grafana and UI layers) read through `TraceQueries`, never through
SQL. `storage.sql_store.SqlTraceQueries` serves SQLite and PostgreSQL; a ClickHouse backend adds
its own class with the same methods. This module is engine-neutral: it imports no storage.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, Protocol

from theodolite.query.analytics_params import MetricQuery
from theodolite.query.filters import ObservationFilter, TraceFilter
from theodolite.query.live_window import LiveWindow

Page = tuple[list[dict[str, Any]], str | None]  # items, next cursor


class TraceQueries(Protocol):
    """Reads of one project's data. Every method blocks (run it off the event loop) and raises
    NotFoundError / BadRequestError for a missing item or a bad cursor."""

    def list_traces(self, project_id: int, filters: TraceFilter, *, limit: int, cursor: str | None) -> Page: ...

    def get_trace(self, project_id: int, trace_id: str) -> dict[str, Any]: ...

    # Experiments' comparison: per wire trace id, {"total_cost": Decimal | None, "latency_s": float |
    # None, "scores": {name: mean of its numeric and boolean values}, "categories": {name: the label of
    # its latest CATEGORICAL score}}; ids not stored are left out.
    def trace_summaries(self, project_id: int, trace_ids: Sequence[str]) -> dict[str, dict[str, Any]]: ...

    def list_observations(
        self, project_id: int, filters: ObservationFilter, *, limit: int, cursor: str | None
    ) -> Page: ...

    def list_sessions(
        self, project_id: int, *, start: datetime | None, end: datetime | None, limit: int, cursor: str | None
    ) -> Page: ...

    def list_users(
        self, project_id: int, *, start: datetime | None, end: datetime | None, limit: int, cursor: str | None
    ) -> Page: ...

    def list_trace_filter_options(
        self, project_id: int, *, start: datetime | None, end: datetime | None, limit: int
    ) -> dict[str, Any]: ...

    def get_session(self, project_id: int, session_id: str, *, limit: int, cursor: str | None) -> dict[str, Any]: ...

    def get_user(
        self, project_id: int, user_id: str, *, start: datetime | None, end: datetime | None
    ) -> dict[str, Any]: ...

    # The web UI's trace page (`storage/sql/queries/trace_page.py`).
    def trace_skeleton(self, project_id: int, trace_id: str, *, max_observations: int) -> dict[str, Any]: ...

    def observation_detail(self, project_id: int, trace_id: str, observation_id: str) -> dict[str, Any]: ...

    def search_trace(self, project_id: int, trace_id: str, text: str, *, max_observations: int) -> dict[str, Any]: ...

    # The analytics API (the Grafana data source): flat rows with an epoch-ms `time`. Filters are
    # {dimension: values}; an unknown dimension for the kind of row is a BadRequestError.
    def metric_rows(self, query: MetricQuery) -> list[dict[str, Any]]: ...

    def trace_rows(
        self, project_id: int, start: datetime, end: datetime, filters: dict[str, tuple[str, ...]], limit: int
    ) -> list[dict[str, Any]]: ...

    def observation_rows(
        self, project_id: int, start: datetime, end: datetime, filters: dict[str, tuple[str, ...]], limit: int
    ) -> list[dict[str, Any]]: ...

    def score_rows(
        self, project_id: int, start: datetime, end: datetime, filters: dict[str, tuple[str, ...]], limit: int
    ) -> list[dict[str, Any]]: ...

    def cost_rows(self, query: MetricQuery) -> list[dict[str, Any]]: ...

    def variable_values(
        self, project_id: int, kind: str, start: datetime, end: datetime, limit: int
    ) -> list[dict[str, str]]: ...

    # The cost page and `theodolite costs report`: per grouping, a report of exact sums
    # (`query.cost_report.CostReport`).
    def cost_reports(
        self,
        groupings: Sequence[tuple[str, ...]],
        since: datetime,
        until: datetime | None = None,
        *,
        project_ids: Collection[int] | None = None,
    ) -> dict[tuple[str, ...], Any]: ...

    # The live dashboard: one project's calls in the window's buckets. `fresh`: read straight from
    # the observations (a past window); otherwise an engine may keep buckets between polls.
    def live(self, project_id: int, window: LiveWindow, *, fresh: bool = False) -> dict[str, Any]: ...

    # The online evaluators' feed: what commits after a position stored, in commit order. A position
    # is an engine's own (an observation's seq on SQL, a row_version on ClickHouse); only compared.
    def commit_position(self) -> int: ...

    def committed_observations(self, project_id: int, after: int, *, limit: int) -> list[dict[str, Any]]: ...
