"""`ClickHouseTraceQueries`: the read protocol (`query.backend.TraceQueries`) on a ClickHouse trace
store: the analytics API, the cost reports, the live dashboard, the trace list in every order with
its filters and full-text search, filter options, one trace, the trace page, sessions and users, the
observation list."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any

from theodolite.query.analytics_params import MetricQuery
from theodolite.query.backend import Page
from theodolite.query.filters import ObservationFilter, TraceFilter
from theodolite.query.live_window import LiveWindow
from theodolite.storage.clickhouse.queries import (
    analytics,
    analytics_lists,
    committed,
    costs,
    filter_options,
    group_detail,
    groups,
    trace_page,
    trace_sorts,
    trace_summaries,
    traces,
)
from theodolite.storage.clickhouse.queries.live import read_live
from theodolite.storage.clickhouse.queries.sql import Runner


class ClickHouseTraceQueries:
    """TraceQueries over a clickhouse-connect `client` and the `database` holding the trace store.
    `project_name`: a project's name from its id (projects are metadata, kept on SQL), for the cost
    report's project grouping; by default the id itself."""

    def __init__(self, client: Any, database: str, *, project_name: Callable[[int], str] | None = None) -> None:
        self.runner = Runner(client, database)
        self.project_name = project_name or str

    def list_traces(self, project_id: int, filters: TraceFilter, *, limit: int, cursor: str | None) -> Page:
        if filters.on_totals():
            return trace_sorts.list_sorted(self.runner, project_id, filters, limit=limit, cursor=cursor)
        return traces.list_traces(self.runner, project_id, filters, limit=limit, cursor=cursor)

    def get_trace(self, project_id: int, trace_id: str) -> dict[str, Any]:
        return traces.get_trace(self.runner, project_id, trace_id)

    def trace_summaries(self, project_id: int, trace_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        return trace_summaries.trace_summaries(self.runner, project_id, trace_ids)

    def list_observations(self, project_id: int, filters: ObservationFilter, *, limit: int, cursor: str | None) -> Page:
        return traces.list_observations(self.runner, project_id, filters, limit=limit, cursor=cursor)

    def list_sessions(
        self, project_id: int, *, start: datetime | None, end: datetime | None, limit: int, cursor: str | None
    ) -> Page:
        return groups.list_groups(
            self.runner, project_id, "session_id", start=start, end=end, limit=limit, cursor=cursor
        )

    def list_users(
        self, project_id: int, *, start: datetime | None, end: datetime | None, limit: int, cursor: str | None
    ) -> Page:
        return groups.list_groups(self.runner, project_id, "user_id", start=start, end=end, limit=limit, cursor=cursor)

    def list_trace_filter_options(
        self, project_id: int, *, start: datetime | None, end: datetime | None, limit: int
    ) -> dict[str, Any]:
        return filter_options.list_trace_filter_options(self.runner, project_id, start=start, end=end, limit=limit)

    def get_session(self, project_id: int, session_id: str, *, limit: int, cursor: str | None) -> dict[str, Any]:
        return group_detail.get_session(self.runner, project_id, session_id, limit=limit, cursor=cursor)

    def get_user(
        self, project_id: int, user_id: str, *, start: datetime | None, end: datetime | None
    ) -> dict[str, Any]:
        return group_detail.get_user(self.runner, project_id, user_id, start=start, end=end)

    def trace_skeleton(self, project_id: int, trace_id: str, *, max_observations: int) -> dict[str, Any]:
        return trace_page.trace_skeleton(self.runner, project_id, trace_id, max_observations=max_observations)

    def observation_detail(self, project_id: int, trace_id: str, observation_id: str) -> dict[str, Any]:
        return trace_page.observation_detail(self.runner, project_id, trace_id, observation_id)

    def search_trace(self, project_id: int, trace_id: str, text: str, *, max_observations: int) -> dict[str, Any]:
        return trace_page.search_trace(self.runner, project_id, trace_id, text, max_observations=max_observations)

    def metric_rows(self, query: MetricQuery) -> list[dict[str, Any]]:
        return analytics.list_metric_rows(self.runner, query)

    def trace_rows(
        self, project_id: int, start: datetime, end: datetime, filters: dict[str, tuple[str, ...]], limit: int
    ) -> list[dict[str, Any]]:
        return analytics_lists.list_trace_rows(self.runner, project_id, start, end, filters, limit)

    def observation_rows(
        self, project_id: int, start: datetime, end: datetime, filters: dict[str, tuple[str, ...]], limit: int
    ) -> list[dict[str, Any]]:
        return analytics_lists.list_observation_rows(self.runner, project_id, start, end, filters, limit)

    def score_rows(
        self, project_id: int, start: datetime, end: datetime, filters: dict[str, tuple[str, ...]], limit: int
    ) -> list[dict[str, Any]]:
        return analytics_lists.list_score_rows(self.runner, project_id, start, end, filters, limit)

    def cost_rows(self, query: MetricQuery) -> list[dict[str, Any]]:
        return analytics.list_cost_rows(self.runner, query)

    def variable_values(
        self, project_id: int, kind: str, start: datetime, end: datetime, limit: int
    ) -> list[dict[str, str]]:
        return analytics_lists.list_variable_values(self.runner, project_id, kind, start, end, limit)

    def cost_reports(
        self,
        groupings: Sequence[tuple[str, ...]],
        since: datetime,
        until: datetime | None = None,
        *,
        project_ids: Collection[int] | None = None,
    ) -> dict[tuple[str, ...], Any]:
        return costs.cost_reports(self.runner, groupings, since, until, project_ids, self.project_name)

    def live(self, project_id: int, window: LiveWindow, *, fresh: bool = False) -> dict[str, Any]:
        return read_live(self.runner, project_id, window)  # read afresh either way: no cache to keep

    def commit_position(self) -> int:
        return committed.commit_position()

    def committed_observations(self, project_id: int, after: int, *, limit: int) -> list[dict[str, Any]]:
        return committed.committed_observations(self.runner, project_id, after, limit=limit)
