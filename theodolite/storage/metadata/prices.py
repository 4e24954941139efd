"""Per-project price overrides: stored in `model_prices`, read back as `PriceOverrides`."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select

from theodolite.pricing import PriceOverride, PriceOverrides
from theodolite.pricing.overrides import PRICE_KEYS
from theodolite.storage import tables
from theodolite.storage.engine import Database
from theodolite.storage.upserts import insert_replacing


@dataclass(frozen=True, slots=True)
class StoredPrice:
    project_id: int
    override: PriceOverride
    note: str | None
    created_at: datetime


def set_price(database: Database, project_id: int, override: PriceOverride, note: str | None = None) -> None:
    """Store `override`; the same (model, provider, effective_from) replaces the earlier rates. Blocks."""
    values = {key: getattr(override, key) for key in PRICE_KEYS}
    row = {
        "project_id": project_id,
        "model": override.model,
        "provider": override.provider or "",
        "effective_from": override.effective_from,
        "note": note,
        "created_at": datetime.now(UTC),
        **values,
    }
    with database.write_transaction() as conn:
        statement = insert_replacing(
            tables.model_prices, conn.dialect.name, on=("project_id", "model", "provider", "effective_from")
        )
        conn.execute(statement, [row])


def delete_price(
    database: Database, project_id: int, model: str, provider: str | None, effective_from: datetime
) -> bool:
    """Remove the override (model, provider, effective_from) of the project; False if there was none. Blocks."""
    t = tables.model_prices
    statement = delete(t).where(
        t.c.project_id == project_id,
        t.c.model == model,
        t.c.provider == (provider or ""),
        t.c.effective_from == effective_from,
    )
    with database.write_transaction() as conn:
        return conn.execute(statement).rowcount > 0


def list_prices(database: Database, project_id: int | None = None) -> list[StoredPrice]:
    """Overrides, of one project or all, by project, model and date. Blocks."""
    t = tables.model_prices
    query = select(t).order_by(t.c.project_id, t.c.model, t.c.provider, t.c.effective_from)
    if project_id is not None:
        query = query.where(t.c.project_id == project_id)
    with database.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [
        StoredPrice(
            project_id=row["project_id"],
            override=PriceOverride(
                model=row["model"],
                provider=row["provider"] or None,
                effective_from=row["effective_from"],
                **{key: row[key] for key in PRICE_KEYS},
            ),
            note=row["note"],
            created_at=row["created_at"],
        )
        for row in rows
    ]


def load_overrides(database: Database) -> dict[int, PriceOverrides]:
    """Every project's overrides, for the pricing stage. Blocks."""
    by_project: dict[int, list[PriceOverride]] = defaultdict(list)
    for stored in list_prices(database):
        by_project[stored.project_id].append(stored.override)
    return {project_id: PriceOverrides(overrides) for project_id, overrides in by_project.items()}
