"""Datasets in the metadata store, on SQLite and PostgreSQL: every change one version, versions immutable."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from theodolite.errors import BadRequestError, ConflictError, NotFoundError
from theodolite.storage.engine import Database
from theodolite.storage.metadata.datasets import (
    ItemIn,
    create_dataset,
    delete_items,
    get_dataset,
    list_datasets,
    list_items,
    list_versions,
    upsert_items,
)
from theodolite.storage.metadata.projects import get_or_create_project


def snapshot(database: Database, project: int, name: str, version: int) -> list[tuple]:
    _, items = list_items(database, project, name, version=version)
    return [(i.id, i.input, i.expected_output, i.metadata, i.source_trace_id, i.version) for i in items]


def test_every_old_version_reads_back_exactly_as_it_was(database: Database) -> None:
    project, _ = get_or_create_project(database, "default")
    create_dataset(database, project, "qa", "capital cities", {"owner": "eval"})
    seen = {0: snapshot(database, project, "qa", 0)}
    changes = [
        lambda: upsert_items(
            database,
            project,
            "qa",
            [
                ItemIn({"q": "France?"}, "Paris", {"level": 1}, id="fr"),
                ItemIn({"q": "Spain?"}, "Madrid", id="es"),
                ItemIn({"q": "Italy?"}, "Rome", id="it"),
            ],
        ),  # fmt: skip
        lambda: upsert_items(database, project, "qa", [ItemIn({"q": "Spain?"}, "Madrid!", {"fixed": True}, id="es")]),
        lambda: delete_items(database, project, "qa", ["fr"]),
        lambda: upsert_items(
            database, project, "qa", [ItemIn({"q": "France?"}, "Paris", id="fr"), ItemIn([1, 2], {"sum": 3}, id="add")]
        ),  # fmt: skip
        lambda: upsert_items(database, project, "qa", [ItemIn({"q": "Italy?"}, "Roma", id="it")]),
        lambda: delete_items(database, project, "qa", ["es", "add"]),
    ]
    for expected_version, change in enumerate(changes, start=1):
        assert change().version == expected_version
        seen[expected_version] = snapshot(database, project, "qa", expected_version)
        for version, items in seen.items():  # every earlier version is still exactly as it was
            assert snapshot(database, project, "qa", version) == items, version

    assert seen[0] == []
    assert [row[0] for row in seen[1]] == ["es", "fr", "it"]
    assert seen[2][0] == ("es", {"q": "Spain?"}, "Madrid!", {"fixed": True}, None, 2)
    assert seen[1][0] == ("es", {"q": "Spain?"}, "Madrid", None, None, 1)
    assert [row[0] for row in seen[3]] == ["es", "it"]
    assert [row[0] for row in seen[4]] == ["add", "es", "fr", "it"]
    assert [(row[0], row[2]) for row in seen[6]] == [("fr", "Paris"), ("it", "Roma")]
    versions = list_versions(database, project, "qa")
    assert [(v.version, v.item_count) for v in versions] == [(1, 3), (2, 3), (3, 2), (4, 4), (5, 4), (6, 2)]
    info = get_dataset(database, project, "qa")
    assert (info.current_version, info.item_count, info.metadata) == (6, 2, {"owner": "eval"})


def test_sending_items_as_stored_makes_no_version(database: Database) -> None:
    project, _ = get_or_create_project(database, "default")
    create_dataset(database, project, "qa")
    items = [ItemIn({"q": "a", "n": [1, 2.5]}, "x", {"k": "v"}, id="1"), ItemIn("b", None, id="2")]
    assert upsert_items(database, project, "qa", items).version == 1
    again = upsert_items(database, project, "qa", list(reversed(items)))
    assert (again.version, again.changed, again.unchanged) == (1, False, 2)
    one_changed = upsert_items(database, project, "qa", [items[0], ItemIn("b", "now expected", id="2")])
    assert (one_changed.version, one_changed.updated, one_changed.unchanged) == (2, ["2"], 1)
    assert [v.version for v in list_versions(database, project, "qa")] == [1, 2]


def test_items_without_an_id_get_one_and_pages_follow_the_id(database: Database) -> None:
    project, _ = get_or_create_project(database, "default")
    create_dataset(database, project, "big")
    change = upsert_items(database, project, "big", [ItemIn(n) for n in range(7)])
    assert len(change.created) == 7 and len(set(change.created)) == 7
    pages, after = [], None
    while True:
        version, page = list_items(database, project, "big", limit=3, after=after)
        assert version == 1
        if not page:
            break
        pages.append([item.id for item in page])
        after = page[-1].id
    assert [len(page) for page in pages] == [3, 3, 1]
    assert sum(pages, []) == sorted(change.created)


def test_mistakes_are_refused_and_store_nothing(database: Database) -> None:
    project, _ = get_or_create_project(database, "default")
    other, _ = get_or_create_project(database, "other")
    create_dataset(database, project, "qa")
    with pytest.raises(ConflictError, match="already has a dataset named 'qa'"):
        create_dataset(database, project, "qa")
    create_dataset(database, other, "qa")  # names are per project
    with pytest.raises(BadRequestError, match="appears twice"):
        upsert_items(database, project, "qa", [ItemIn(1, id="a"), ItemIn(2, id="a")])
    with pytest.raises(NotFoundError, match="no dataset named 'nope'"):
        upsert_items(database, project, "nope", [ItemIn(1)])
    with pytest.raises(NotFoundError, match="no item 'ghost'"):
        delete_items(database, project, "qa", ["ghost"])
    with pytest.raises(BadRequestError, match="versions are 0 to 0"):
        list_items(database, project, "qa", version=1)
    assert get_dataset(database, project, "qa").current_version == 0
    assert [(d.name, d.project_id) for d in list_datasets(database, project)] == [("qa", project)]


def test_concurrent_changes_each_make_their_own_version(database: Database) -> None:
    """Writers of one dataset are serialised (the SQLite write lock, PostgreSQL's row lock): no
    version is lost or shared, and every version holds exactly the items written up to it."""
    project, _ = get_or_create_project(database, "default")
    create_dataset(database, project, "busy")

    def write(worker: int) -> list[int]:
        return [
            upsert_items(database, project, "busy", [ItemIn(step, id=f"w{worker}-{step}")]).version for step in range(5)
        ]

    with ThreadPoolExecutor(max_workers=4) as pool:
        made = sorted(version for versions in pool.map(write, range(4)) for version in versions)
    assert made == list(range(1, 21))
    for version in made:
        _, items = list_items(database, project, "busy", version=version)
        assert len(items) == version  # one item added per version
    assert [v.item_count for v in list_versions(database, project, "busy")] == made

    def create(_: int) -> str:
        try:
            create_dataset(database, project, "race")
        except ConflictError:
            return "conflict"
        return "created"

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert sorted(pool.map(create, range(4))) == ["conflict"] * 3 + ["created"]


def test_a_sync_deletes_the_items_it_does_not_send_in_the_same_version(database: Database) -> None:
    project, _ = get_or_create_project(database, "default")
    create_dataset(database, project, "qa")
    upsert_items(database, project, "qa", [ItemIn(n, id=f"i{n}") for n in range(4)])
    before = snapshot(database, project, "qa", 1)
    change = upsert_items(database, project, "qa", [ItemIn(0, id="i0"), ItemIn("two", id="i2")], sync=True)
    assert (change.version, change.updated, change.deleted, change.unchanged) == (2, ["i2"], ["i1", "i3"], 1)
    assert [row[:2] for row in snapshot(database, project, "qa", 2)] == [("i0", 0), ("i2", "two")]
    assert snapshot(database, project, "qa", 1) == before
    only_deletes = upsert_items(database, project, "qa", [ItemIn(0, id="i0")], sync=True)
    assert (only_deletes.version, only_deletes.deleted, only_deletes.created) == (3, ["i2"], [])
    assert upsert_items(database, project, "qa", [ItemIn(0, id="i0")], sync=True).changed is False
    assert [(v.version, v.item_count) for v in list_versions(database, project, "qa")] == [(1, 4), (2, 2), (3, 1)]
