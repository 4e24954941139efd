"""The server's copy of each project's score configs, so that ingest checks scores without a query.

A project's configs are read once, on its first score, and kept: a change through the API
(`routes/score_configs.py`) drops the project's copy at once, and a copy older than `ttl_s` is read
again, for changes another process made (a second server on the same database). Reading is one
indexed query; a project without configs costs a dictionary lookup per request after that.

`check_scores` / `check_rows` apply the configs: to the Score objects of POST /api/v1/scores and
Langfuse's /api/public/scores (decoded in this process), and to the rows the decode workers made of
Langfuse ingestion batches and LangSmith feedback. A score naming a config (`config_id`, Langfuse's
`configId`) is checked against that one; an id the project has no config for refuses the score. A
score that fits keeps the id of the config that checked it (`config_id`, stored).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from anyio import to_thread

from theodolite.evaluation.scores import InvalidScore
from theodolite.model import Score, ScoreDataType
from theodolite.storage.engine import Database
from theodolite.storage.metadata.score_configs import ProjectConfigs, apply_config, list_score_configs


class ScoreConfigBook:
    def __init__(self, database: Database, ttl_s: float = 10.0) -> None:
        self._database = database
        self._ttl_s = ttl_s
        self._by_project: dict[int, tuple[float, ProjectConfigs]] = {}
        # Bumped by each invalidation: a read that began before a change and ends after it must
        # not put the old configs back for `ttl_s`.
        self._generation: dict[int, int] = {}
        self.loads = 0  # database reads, for tests and the bench

    def invalidate(self, project_id: int) -> None:
        self._generation[project_id] = self._generation.get(project_id, 0) + 1
        self._by_project.pop(project_id, None)

    def load(self, project_id: int) -> ProjectConfigs:
        """Read the project's configs now. Blocks."""
        generation = self._generation.get(project_id, 0)
        loaded_at = time.monotonic()
        configs = ProjectConfigs.of(list_score_configs(self._database, project_id))
        self.loads += 1
        if self._generation.get(project_id, 0) == generation:
            self._by_project[project_id] = (loaded_at, configs)
        return configs

    async def for_project(self, project_id: int) -> ProjectConfigs:
        cached = self._by_project.get(project_id)
        if cached is not None and time.monotonic() - cached[0] <= self._ttl_s:
            return cached[1]
        return await to_thread.run_sync(self.load, project_id)


def check_scores(configs: ProjectConfigs, scores: Sequence[Score], references: Sequence[tuple[Any, Any]]) -> None:
    """Fit each score to its config in place; `references` holds each score's (config_id, config
    name), None when it names none. Raises InvalidScore with the score's index and the rule broken."""
    for index, (score, (config_id, config_name)) in enumerate(zip(scores, references, strict=True)):
        try:
            fit_score(configs, score, config_id, config_name)
        except InvalidScore as exc:
            raise InvalidScore(f"score {index}: {exc}") from None


def fit_score(configs: ProjectConfigs, score: Score, config_id: Any = None, config_name: str | None = None) -> None:
    """Fit one score to its config in place (nothing when it has none): the config `config_id`
    names, else the one the score names (`score.config_id`), else by name. Raises InvalidScore."""
    config = configs.config_for(score.name, score.config_id if config_id is None else config_id, config_name)
    if config is not None:
        score.data_type, score.value, score.string_value = apply_config(
            config, score.data_type, score.value, score.string_value
        )
        score.config_id = str(config.id)


def check_rows(configs: ProjectConfigs, rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str]]:
    """Fit score rows (`storage.rows.score_to_row`) to their configs in place: the one a row names
    (`config_id`), else the active config of its name. The rows that do not fit are removed from
    `rows` and returned with the reason."""
    if not configs.by_name and all(row.get("config_id") is None for row in rows):
        return []
    kept, refused = [], []
    for row in rows:
        try:
            config = configs.config_for(row["name"], row.get("config_id"))
            if config is None:
                kept.append(row)
                continue
            kind, value, text = apply_config(config, ScoreDataType(row["data_type"]), row["value"], row["string_value"])
        except InvalidScore as exc:
            refused.append((row, str(exc)))
            continue
        row["data_type"], row["value"], row["string_value"] = kind.value, value, text
        row["config_id"] = str(config.id)
        kept.append(row)
    rows[:] = kept
    return refused
