"""Score configs: what values a named score of a project may take (the table is in `storage/tables.py`).

The rules themselves are `theodolite.evaluation.ScoreConfig`'s (a range for NUMERIC, labels for
CATEGORICAL, true/false for BOOLEAN); this module stores them per project and name, adds what a
stored config has beyond them (an id, numeric values of categories as Langfuse gives them, the
archived flag, times), and applies a config to an incoming score (`ProjectConfigs.check`).

A config is never deleted: it is archived, and an archived config no longer checks scores of its
name. Its type and rules may change only while no score of its name is stored (the route asks the
trace store); its description and archived flag may always change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from theodolite.errors import BadRequestError, ConflictError, NotFoundError
from theodolite.evaluation.scores import InvalidScore, ScoreConfig
from theodolite.model import ScoreDataType
from theodolite.storage import tables
from theodolite.storage.engine import Database

MAX_NAME_CHARS = 200
MAX_CATEGORIES = 100
RULE_FIELDS = ("data_type", "min_value", "max_value", "categories")


@dataclass(frozen=True, slots=True)
class Category:
    label: str
    value: float | None = None  # Langfuse gives each category a number too; optional here


@dataclass(frozen=True, slots=True)
class StoredScoreConfig:
    id: int
    project_id: int
    name: str
    data_type: ScoreDataType
    min_value: float | None
    max_value: float | None
    categories: tuple[Category, ...] | None
    description: str | None
    archived: bool
    created_at: datetime
    updated_at: datetime
    rules: ScoreConfig = field(compare=False, repr=False)
    by_value: Mapping[float, str] = field(compare=False, repr=False)  # category value -> label

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "data_type": self.data_type.value, "min_value": self.min_value,
            "max_value": self.max_value,
            "categories": None if self.categories is None else [
                {"label": c.label, "value": c.value} for c in self.categories],
            "description": self.description, "archived": self.archived, "created_at": self.created_at,
            "updated_at": self.updated_at,
        }  # fmt: skip


def parse_categories(raw: Any) -> tuple[Category, ...] | None:
    """Categories as a list of labels or of {"label", "value"}; BadRequestError when neither."""
    if raw is None:
        return None
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise BadRequestError("categories: a list of labels or of {label, value} objects")
    if len(raw) > MAX_CATEGORIES:
        raise BadRequestError(f"categories: at most {MAX_CATEGORIES}")
    parsed = []
    for item in raw:
        if isinstance(item, str):
            parsed.append(Category(item))
        elif isinstance(item, Mapping) and isinstance(item.get("label"), str):
            value = item.get("value")
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise BadRequestError(f"category {item['label']!r}: its value is a number, not {value!r}")
            parsed.append(Category(item["label"], None if value is None else float(value)))
        else:
            raise BadRequestError(f"categories: {item!r} is neither a label nor a {{label, value}} object")
    return tuple(parsed)


def _build(
    row_id: int, project_id: int, name: str, data_type: Any, min_value: float | None, max_value: float | None,
    categories: tuple[Category, ...] | None, description: str | None, archived: bool, created_at: datetime,
    updated_at: datetime,
) -> StoredScoreConfig:  # fmt: skip
    """A config with its rules checked by ScoreConfig; BadRequestError says which rule is wrong."""
    try:
        kind = ScoreDataType(str(data_type).upper())
    except ValueError:
        raise BadRequestError(f"data_type {data_type!r}: one of NUMERIC, CATEGORICAL, BOOLEAN") from None
    labels = None if categories is None else tuple(c.label for c in categories)
    try:
        rules = ScoreConfig(name, kind, min_value, max_value, labels, description)
    except ValueError as exc:
        raise BadRequestError(str(exc)) from None
    by_value: dict[float, str] = {}
    for category in categories or ():
        if category.value is not None:
            if category.value in by_value:
                raise BadRequestError(
                    f"score {name!r}: categories {by_value[category.value]!r} and {category.label!r} share the "
                    f"value {category.value:g}"
                )
            by_value[category.value] = category.label
    return StoredScoreConfig(
        row_id, project_id, name, kind, min_value, max_value, categories, description, archived, created_at,
        updated_at, rules, by_value,
    )  # fmt: skip


def _from_row(row: Any) -> StoredScoreConfig:
    categories = None
    if row.categories is not None:
        categories = tuple(Category(c["label"], c.get("value")) for c in row.categories)
    return _build(
        row.id, row.project_id, row.name, row.data_type, row.min_value, row.max_value, categories, row.description,
        bool(row.archived), row.created_at, row.updated_at,
    )  # fmt: skip


def _categories_json(categories: tuple[Category, ...] | None) -> list[dict[str, Any]] | None:
    return None if categories is None else [{"label": c.label, "value": c.value} for c in categories]


def create_score_config(
    database: Database,
    project_id: int,
    name: str,
    data_type: str,
    *,
    min_value: float | None = None,
    max_value: float | None = None,
    categories: tuple[Category, ...] | None = None,
    description: str | None = None,
) -> StoredScoreConfig:
    """A new config. Raises BadRequestError (its rules), ConflictError (the project has one of that name). Blocks."""
    if not name.strip() or len(name) > MAX_NAME_CHARS:
        raise BadRequestError(f"a score config's name is 1 to {MAX_NAME_CHARS} characters, not only spaces")
    now = datetime.now(UTC)
    checked = _build(0, project_id, name, data_type, min_value, max_value, categories, description, False, now, now)
    c = tables.score_configs
    values = {
        "project_id": project_id, "name": name, "data_type": checked.data_type.value, "min_value": min_value,
        "max_value": max_value, "categories": _categories_json(categories), "description": description,
        "archived": False, "created_at": now, "updated_at": now,
    }  # fmt: skip
    try:
        with database.write_transaction() as conn:
            if conn.execute(select(c.c.id).where(c.c.project_id == project_id, c.c.name == name)).first():
                raise ConflictError(f"the project already has a score config named {name!r}")
            conn.execute(insert(c).values(values))
            row = conn.execute(select(c).where(c.c.project_id == project_id, c.c.name == name)).one()
    except IntegrityError as exc:  # a concurrent create of the same name (PostgreSQL)
        raise ConflictError(f"the project already has a score config named {name!r}") from exc
    return _from_row(row)


def list_score_configs(database: Database, project_id: int) -> list[StoredScoreConfig]:
    """Every config of the project, archived ones too, by name. Blocks."""
    c = tables.score_configs
    with database.connect() as conn:
        rows = conn.execute(select(c).where(c.c.project_id == project_id).order_by(c.c.name)).all()
    return [_from_row(row) for row in rows]


def score_configs_in(conn: Connection, project_id: int, *, ids: Sequence[int] = (), names: Sequence[str] = ()
                     ) -> list[StoredScoreConfig]:  # fmt: skip
    """The project's configs of these ids or names (archived ones too), read on the caller's connection."""
    if not ids and not names:
        return []
    c = tables.score_configs
    wanted = or_(c.c.id.in_(list(ids)), c.c.name.in_(list(names)))
    rows = conn.execute(select(c).where(c.c.project_id == project_id, wanted)).all()
    return [_from_row(row) for row in rows]


def get_score_config(database: Database, project_id: int, config_id: int) -> StoredScoreConfig:
    """Raises NotFoundError (also for another project's config). Blocks."""
    c = tables.score_configs
    with database.connect() as conn:
        row = conn.execute(select(c).where(c.c.project_id == project_id, c.c.id == config_id)).first()
    if row is None:
        raise NotFoundError(f"no score config with id {config_id} in this project")
    return _from_row(row)


def update_score_config(
    database: Database, project_id: int, config_id: int, changes: Mapping[str, Any]
) -> StoredScoreConfig:
    """Apply `changes` (description, archived, and the RULE_FIELDS: the caller decides whether the
    rules may change). The result is checked as a new config would be. Raises NotFoundError,
    BadRequestError. Blocks."""
    unknown = set(changes) - {"description", "archived", *RULE_FIELDS}
    if unknown:
        raise BadRequestError(f"a score config's {', '.join(sorted(unknown))} cannot be changed")
    c = tables.score_configs
    with database.write_transaction() as conn:
        row = conn.execute(select(c).where(c.c.project_id == project_id, c.c.id == config_id)).first()
        if row is None:
            raise NotFoundError(f"no score config with id {config_id} in this project")
        current = _from_row(row)
        merged = {
            "data_type": current.data_type.value, "min_value": current.min_value, "max_value": current.max_value,
            "categories": current.categories, "description": current.description, "archived": current.archived,
        }  # fmt: skip
        merged.update(changes)
        now = datetime.now(UTC)
        checked = _build(
            current.id, project_id, current.name, merged["data_type"], merged["min_value"], merged["max_value"],
            merged["categories"], merged["description"], bool(merged["archived"]), current.created_at, now,
        )  # fmt: skip
        conn.execute(
            update(c).where(c.c.id == config_id).values(
                data_type=checked.data_type.value, min_value=checked.min_value, max_value=checked.max_value,
                categories=_categories_json(checked.categories), description=checked.description,
                archived=checked.archived, updated_at=now,
            )
        )  # fmt: skip
    return checked


def rules_changed(current: StoredScoreConfig, changes: Mapping[str, Any]) -> list[str]:
    """The rule fields `changes` would give another value."""
    changed = []
    for name in RULE_FIELDS:
        if name not in changes:
            continue
        old, new = getattr(current, name), changes[name]
        if name == "data_type":
            old, new = old.value, str(new).upper()
        if old != new:
            changed.append(name)
    return changed


@dataclass(frozen=True, slots=True)
class ProjectConfigs:
    """One project's configs as ingest reads them: the active ones by name, every one by id."""

    by_name: Mapping[str, StoredScoreConfig]
    by_id: Mapping[int, StoredScoreConfig]

    @classmethod
    def of(cls, configs: Sequence[StoredScoreConfig]) -> ProjectConfigs:
        return cls({c.name: c for c in configs if not c.archived}, {c.id: c for c in configs})

    def __bool__(self) -> bool:
        return bool(self.by_id)

    def config_for(self, name: str, config_id: Any = None, config_name: str | None = None) -> StoredScoreConfig | None:
        """The config a score of `name` must fit: the one it names (by id or name), else the active
        config of its name, else None. InvalidScore when the named config does not exist, is
        archived, or has another name than the score."""
        if config_id is None and config_name is None:
            return self.by_name.get(name)
        if config_id is not None:
            try:
                config = self.by_id.get(int(config_id))
            except (TypeError, ValueError):
                config = None
            if config is None:
                raise InvalidScore(f"no score config with id {config_id!r} in this project")
        else:
            config = next((c for c in self.by_id.values() if c.name == config_name), None)
            if config is None:
                raise InvalidScore(f"no score config named {config_name!r} in this project")
        if config.archived:
            raise InvalidScore(f"score config {config.name!r} is archived")
        if config.name != name:
            raise InvalidScore(f"score {name!r} names score config {config.name!r}: a score carries its config's name")
        return config


def apply_config(
    config: StoredScoreConfig, data_type: ScoreDataType, value: float | None, string_value: str | None
) -> tuple[ScoreDataType, float | None, str | None]:
    """(data type, value, string value) of a score as stored under `config`, or InvalidScore naming
    the rule broken. A CATEGORICAL config with numeric values takes a label or a category's value,
    and stores both (as Langfuse does); a BOOLEAN one stores 1.0 or 0.0."""
    kind = config.data_type
    given: Any = (
        bool(value) if data_type is ScoreDataType.BOOLEAN else string_value if string_value is not None else value
    )
    if kind is ScoreDataType.CATEGORICAL:
        if string_value is None and value is not None and config.by_value:
            label = config.by_value.get(value)
            if label is None:
                allowed = ", ".join(f"{v:g}" for v in config.by_value)
                raise InvalidScore(
                    f"score {config.name!r}: {value:g} is not the value of one of its categories ({allowed})"
                )
            return kind, value, label
        label = config.rules.validate(given)
        number = next((v for v, text in config.by_value.items() if text == label), None)
        return kind, number, str(label)
    if kind is ScoreDataType.BOOLEAN:
        config.rules.validate(given)
        return kind, float(given), None
    return kind, config.rules.validate(given), None  # type: ignore[return-value]
