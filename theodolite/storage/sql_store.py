"""The trace store on a SQL database (SQLite or PostgreSQL): `backend.TraceStore` over one `Database`,
with the reads of `query.backend.TraceQueries` (the functions of `storage/sql/queries/`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from theodolite.pricing import PriceOverrides
from theodolite.query.analytics_params import MetricQuery
from theodolite.query.backend import Page, TraceQueries
from theodolite.query.filters import ObservationFilter, TraceFilter
from theodolite.query.live_window import LiveWindow
from theodolite.storage import repricing
from theodolite.storage.engine import Database
from theodolite.storage.repricing_rule import RepriceSummary
from theodolite.storage.sql.queries import (
    analytics,
    analytics_lists,
    committed,
    costs,
    filter_options,
    group_detail,
    groups,
    live,
    observations,
    trace_page,
    trace_summaries,
    traces,
)
from theodolite.storage.writer import SqlWriter, count_rows


@dataclass
class SqlTraceStore:
    database: Database
    # The search index and the per-trace totals the lists read are derived after the commit.
    lists_follow_commits = True

    @property
    def dialect_name(self) -> str:
        return self.database.dialect_name

    def make_writer(self, *, document_worker_after_s: float | None = None) -> SqlWriter:
        """Takes the writer's lease (released on close). `document_worker_after_s`: see `SqlWriter`."""
        return SqlWriter(self.database, document_worker_after_s=document_worker_after_s)

    @cached_property
    def queries(self) -> TraceQueries:
        return SqlTraceQueries(self.database)

    def ping(self) -> None:
        self.database.ping()

    def size_bytes(self) -> int | None:
        return self.database.size_bytes()

    def count_rows(self, table: str) -> int:
        return count_rows(self.database, table)

    def count_to_reprice(self, since: datetime, until: datetime | None, project_id: int | None) -> int:
        return repricing.count_to_reprice(self.database, since, until, project_id)

    def reprice(self, overrides: dict[int, PriceOverrides], **options: Any) -> RepriceSummary:
        return repricing.reprice(self.database, overrides, **options)

    def close(self) -> None:
        """Nothing of its own: the Database is the metadata store's too, disposed by its owner."""


@dataclass
class SqlTraceQueries:
    """TraceQueries on a SQL database (SQLite or PostgreSQL)."""

    database: Database

    @cached_property
    def _live_cache(self) -> live.LiveCache:
        return live.LiveCache(self.database)

    def list_traces(self, project_id: int, filters: TraceFilter, *, limit: int, cursor: str | None) -> Page:
        return traces.list_traces(self.database, project_id, filters, limit=limit, cursor=cursor)

    def get_trace(self, project_id: int, trace_id: str) -> dict[str, Any]:
        return traces.get_trace(self.database, project_id, trace_id)

    def trace_summaries(self, project_id: int, trace_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        return trace_summaries.trace_summaries(self.database, project_id, trace_ids)

    def list_observations(self, project_id: int, filters: ObservationFilter, *, limit: int, cursor: str | None) -> Page:
        return observations.list_observations(self.database, project_id, filters, limit=limit, cursor=cursor)

    def list_sessions(
        self, project_id: int, *, start: datetime | None, end: datetime | None, limit: int, cursor: str | None
    ) -> Page:
        return groups.list_sessions(self.database, project_id, start=start, end=end, limit=limit, cursor=cursor)

    def list_users(
        self, project_id: int, *, start: datetime | None, end: datetime | None, limit: int, cursor: str | None
    ) -> Page:
        return groups.list_users(self.database, project_id, start=start, end=end, limit=limit, cursor=cursor)

    def list_trace_filter_options(
        self, project_id: int, *, start: datetime | None, end: datetime | None, limit: int
    ) -> dict[str, Any]:
        return filter_options.list_trace_filter_options(self.database, project_id, start=start, end=end, limit=limit)

    def get_session(self, project_id: int, session_id: str, *, limit: int, cursor: str | None) -> dict[str, Any]:
        return group_detail.get_session(self.database, project_id, session_id, limit=limit, cursor=cursor)

    def get_user(
        self, project_id: int, user_id: str, *, start: datetime | None, end: datetime | None
    ) -> dict[str, Any]:
        return group_detail.get_user(self.database, project_id, user_id, start=start, end=end)

    def trace_skeleton(self, project_id: int, trace_id: str, *, max_observations: int) -> dict[str, Any]:
        return trace_page.trace_skeleton(self.database, project_id, trace_id, max_observations=max_observations)

    def observation_detail(self, project_id: int, trace_id: str, observation_id: str) -> dict[str, Any]:
        return trace_page.observation_detail(self.database, project_id, trace_id, observation_id)

    def search_trace(self, project_id: int, trace_id: str, text: str, *, max_observations: int) -> dict[str, Any]:
        return trace_page.search_trace(self.database, project_id, trace_id, text, max_observations=max_observations)

    def metric_rows(self, query: MetricQuery) -> list[dict[str, Any]]:
        return analytics.list_metric_rows(self.database, query)

    def trace_rows(
        self, project_id: int, start: datetime, end: datetime, filters: dict[str, tuple[str, ...]], limit: int
    ) -> list[dict[str, Any]]:
        return analytics_lists.list_trace_rows(self.database, project_id, start, end, filters, limit)

    def observation_rows(
        self, project_id: int, start: datetime, end: datetime, filters: dict[str, tuple[str, ...]], limit: int
    ) -> list[dict[str, Any]]:
        return analytics_lists.list_observation_rows(self.database, project_id, start, end, filters, limit)

    def score_rows(
        self, project_id: int, start: datetime, end: datetime, filters: dict[str, tuple[str, ...]], limit: int
    ) -> list[dict[str, Any]]:
        return analytics_lists.list_score_rows(self.database, project_id, start, end, filters, limit)

    def cost_rows(self, query: MetricQuery) -> list[dict[str, Any]]:
        return analytics_lists.list_cost_rows(self.database, query)

    def variable_values(
        self, project_id: int, kind: str, start: datetime, end: datetime, limit: int
    ) -> list[dict[str, str]]:
        return analytics_lists.list_variable_values(self.database, project_id, kind, start, end, limit)

    def cost_reports(
        self,
        groupings: Sequence[tuple[str, ...]],
        since: datetime,
        until: datetime | None = None,
        *,
        project_ids: Collection[int] | None = None,
    ) -> dict[tuple[str, ...], Any]:
        return costs.cost_reports(self.database, groupings, since, until, project_ids=project_ids)

    def live(self, project_id: int, window: LiveWindow, *, fresh: bool = False) -> dict[str, Any]:
        if fresh:
            return live.get_live(self.database, project_id, window)
        return self._live_cache.get(project_id, window)

    def commit_position(self) -> int:
        return committed.commit_position(self.database)

    def committed_observations(self, project_id: int, after: int, *, limit: int) -> list[dict[str, Any]]:
        return committed.committed_observations(self.database, project_id, after, limit=limit)
