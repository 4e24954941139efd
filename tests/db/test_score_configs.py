"""Score configs in the metadata store, on SQLite and PostgreSQL, and how a stored config fits a score."""

from __future__ import annotations

import anyio
import pytest

from theodolite.errors import BadRequestError, ConflictError, NotFoundError
from theodolite.evaluation.scores import InvalidScore
from theodolite.model import ScoreDataType
from theodolite.server.score_config_book import ScoreConfigBook
from theodolite.storage.engine import Database
from theodolite.storage.metadata.projects import get_or_create_project
from theodolite.storage.metadata.score_configs import (
    Category,
    ProjectConfigs,
    apply_config,
    create_score_config,
    get_score_config,
    list_score_configs,
    parse_categories,
    rules_changed,
    update_score_config,
)

N, C, B = ScoreDataType.NUMERIC, ScoreDataType.CATEGORICAL, ScoreDataType.BOOLEAN


def test_configs_are_stored_per_project_and_name(database: Database) -> None:
    one, _ = get_or_create_project(database, "one")
    two, _ = get_or_create_project(database, "two")
    stars = create_score_config(database, one, "stars", "numeric", min_value=1, max_value=5, description="rating")
    tone = create_score_config(
        database, one, "tone", "CATEGORICAL", categories=parse_categories([{"label": "rude", "value": 0}, "polite"])
    )
    create_score_config(database, two, "stars", "BOOLEAN")  # another project may use the name
    assert (stars.data_type, stars.min_value, stars.max_value, stars.archived) == (N, 1.0, 5.0, False)
    assert tone.categories == (Category("rude", 0.0), Category("polite", None))
    assert [c.name for c in list_score_configs(database, one)] == ["stars", "tone"]
    assert get_score_config(database, one, stars.id).description == "rating"
    with pytest.raises(ConflictError, match="already has a score config named 'stars'"):
        create_score_config(database, one, "stars", "NUMERIC")
    with pytest.raises(NotFoundError):
        get_score_config(database, two, stars.id)  # another project's id is not found


@pytest.mark.parametrize(
    ("data_type", "fields", "message"),
    [
        ("NUMERIC", {"min_value": 5, "max_value": 1}, "min_value 5 is above max_value 1"),
        ("CATEGORICAL", {}, "needs its categories"),
        ("CATEGORICAL", {"categories": (Category("a"), Category("a"))}, "distinct"),
        ("CATEGORICAL", {"categories": (Category("a", 1), Category("b", 1))}, "share the value 1"),
        ("BOOLEAN", {"min_value": 0}, "NUMERIC scores only"),
        ("ORDINAL", {}, "one of NUMERIC, CATEGORICAL, BOOLEAN"),
    ],
)
def test_rules_are_checked_by_score_config(database: Database, data_type: str, fields: dict, message: str) -> None:
    project, _ = get_or_create_project(database, "default")
    with pytest.raises(BadRequestError, match=message):
        create_score_config(database, project, "x", data_type, **fields)
    assert list_score_configs(database, project) == []


def test_an_update_changes_what_it_names_and_keeps_the_rest(database: Database) -> None:
    project, _ = get_or_create_project(database, "default")
    stars = create_score_config(database, project, "stars", "NUMERIC", min_value=1, max_value=5)
    archived = update_score_config(database, project, stars.id, {"archived": True, "description": "old scale"})
    assert (archived.archived, archived.description, archived.max_value) == (True, "old scale", 5.0)
    assert archived.updated_at >= stars.updated_at
    assert get_score_config(database, project, stars.id).archived is True
    assert rules_changed(archived, {"max_value": 10, "min_value": 1, "data_type": "numeric"}) == ["max_value"]
    widened = update_score_config(database, project, stars.id, {"max_value": 10})
    assert (widened.min_value, widened.max_value) == (1.0, 10.0)
    with pytest.raises(BadRequestError, match="min_value 20 is above max_value 10"):
        update_score_config(database, project, stars.id, {"min_value": 20})
    with pytest.raises(BadRequestError, match="name cannot be changed"):
        update_score_config(database, project, stars.id, {"name": "rating"})
    assert get_score_config(database, project, stars.id).max_value == 10.0


def test_a_config_fits_values_or_names_the_rule_broken(database: Database) -> None:
    project, _ = get_or_create_project(database, "default")
    stars = create_score_config(database, project, "stars", "NUMERIC", min_value=1, max_value=5)
    tone = create_score_config(
        database, project, "tone", "CATEGORICAL", categories=(Category("rude", 0), Category("polite", 1))
    )
    ok = create_score_config(database, project, "ok", "BOOLEAN")
    assert apply_config(stars, N, 4.0, None) == (N, 4.0, None)
    assert apply_config(tone, C, None, "polite") == (C, 1.0, "polite")  # the label's number is stored too
    assert apply_config(tone, N, 0.0, None) == (C, 0.0, "rude")  # a category's number stands for it
    assert apply_config(ok, B, 1.0, None) == (B, 1.0, None)
    refused = [
        (stars, N, 7.0, None, "score 'stars': 7 is above its maximum 5"),
        (stars, C, None, "great", "score 'stars' is NUMERIC: expected a number, got 'great'"),
        (stars, B, 1.0, None, "score 'stars' is NUMERIC: expected a number, got True"),
        (tone, C, None, "Rude", "score 'tone': 'Rude' is not one of its categories ('rude', 'polite')"),
        (tone, N, 2.0, None, "score 'tone': 2 is not the value of one of its categories (0, 1)"),
        (ok, N, 1.0, None, "score 'ok' is BOOLEAN: expected true or false, got 1.0"),
    ]
    for config, kind, value, text, message in refused:
        with pytest.raises(InvalidScore) as caught:
            apply_config(config, kind, value, text)
        assert str(caught.value) == message


def test_archived_configs_check_nothing_by_name_and_refuse_by_reference(database: Database) -> None:
    project, _ = get_or_create_project(database, "default")
    stars = create_score_config(database, project, "stars", "NUMERIC", min_value=1, max_value=5)
    old = create_score_config(database, project, "old", "BOOLEAN")
    update_score_config(database, project, old.id, {"archived": True})
    configs = ProjectConfigs.of(list_score_configs(database, project))
    assert configs.config_for("stars") == stars
    assert configs.config_for("old") is None  # archived: scores of its name are no longer checked
    assert configs.config_for("stars", config_id=str(stars.id)) == stars
    assert configs.config_for("stars", config_name="stars") == stars
    for name, reference, message in [
        ("old", {"config_id": old.id}, "score config 'old' is archived"),
        ("stars", {"config_id": 999}, "no score config with id 999 in this project"),
        ("stars", {"config_name": "nope"}, "no score config named 'nope' in this project"),
        ("rating", {"config_id": stars.id}, "score 'rating' names score config 'stars'"),
    ]:
        with pytest.raises(InvalidScore, match=message):
            configs.config_for(name, **reference)


def test_the_servers_copy_is_read_once_per_project_until_a_change(database: Database) -> None:
    project, _ = get_or_create_project(database, "default")
    other, _ = get_or_create_project(database, "other")
    create_score_config(database, project, "stars", "NUMERIC", min_value=1, max_value=5)
    book = ScoreConfigBook(database, ttl_s=3600)
    first = anyio.run(book.for_project, project)
    assert anyio.run(book.for_project, project) is first and book.loads == 1  # no query per request
    assert not anyio.run(book.for_project, other) and book.loads == 2  # a project without configs: read once too
    create_score_config(database, project, "ok", "BOOLEAN")
    assert "ok" not in anyio.run(book.for_project, project).by_name  # not yet: nobody said it changed
    book.invalidate(project)  # what the API does after a change
    assert "ok" in anyio.run(book.for_project, project).by_name and book.loads == 3
    expiring = ScoreConfigBook(database, ttl_s=0)  # another process's changes arrive within the ttl
    anyio.run(expiring.for_project, project)
    anyio.run(expiring.for_project, project)
    assert expiring.loads == 2
