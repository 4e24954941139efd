"""Annotation queues in the metadata store, on SQLite and PostgreSQL: claims never overlap, leases
expire on the caller's clock, adding is idempotent, reviews complete items."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete

from theodolite.errors import BadRequestError, ConflictError, NotFoundError
from theodolite.storage import tables
from theodolite.storage.engine import Database
from theodolite.storage.metadata import annotation_queues as queues
from theodolite.storage.metadata.projects import get_or_create_project
from theodolite.storage.metadata.score_configs import Category, create_score_config, update_score_config

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
STARS = {"name": "stars", "data_type": "NUMERIC", "min_value": 1, "max_value": 5}


def new_queue(database: Database, items: int, reviews_per_item: int = 1) -> tuple[int, str]:
    project, _ = get_or_create_project(database, "default")
    queues.create_queue(database, project, "review", [STARS], reviews_per_item=reviews_per_item, now=T0)
    queues.add_items(database, project, "review", [queues.NewItem("trace", f"t{n:03d}") for n in range(items)])
    return project, "review"


def test_a_lease_expires_on_the_callers_clock(database: Database) -> None:
    project, name = new_queue(database, 2)
    first = queues.claim_next(database, project, name, "alice", now=T0, lease_s=600)
    assert first is not None and first.object_id == "t000" and first.claim_expires_at == T0 + timedelta(seconds=600)
    # alice asks again: she keeps her item (a reload shows the same one)
    assert queues.claim_next(database, project, name, "alice", now=T0 + timedelta(seconds=60)).id == first.id
    bob = queues.claim_next(database, project, name, "bob", now=T0 + timedelta(seconds=599))
    assert bob is not None and bob.object_id == "t001"  # t000 is still alice's
    assert queues.claim_next(database, project, name, "carol", now=T0 + timedelta(seconds=599)) is None
    with pytest.raises(ConflictError, match="claimed by another reviewer"):
        queues.record_review(database, project, name, first.id, "carol", "done", {"stars": 3}, now=T0)
    # past alice's lease (60 s renewed it to 660 s), carol gets t000
    assert queues.claim_next(database, project, name, "carol", now=T0 + timedelta(seconds=659)) is None
    taken = queues.claim_next(database, project, name, "carol", now=T0 + timedelta(seconds=661))
    assert taken is not None and taken.id == first.id
    queues.record_review(database, project, name, first.id, "carol", "done", {"stars": 4}, now=T0)
    # one review per item: t000 is complete, alice's late submission is refused
    with pytest.raises(ConflictError, match="is complete"):
        queues.record_review(database, project, name, first.id, "alice", "done", {"stars": 2})
    progress = queues.progress(database, project, name, now=T0 + timedelta(seconds=661))
    assert (progress.items, progress.done, progress.remaining, progress.claimed) == (2, 1, 1, 1)  # bob's t001
    assert progress.reviewers == [{"reviewer": "carol", "done": 1, "skipped": 0}]


def test_release_skip_and_two_reviews_per_item(database: Database) -> None:
    project, name = new_queue(database, 2, reviews_per_item=2)
    item = queues.claim_next(database, project, name, "alice", now=T0)
    assert queues.release(database, project, name, item.id, "alice") is True
    assert queues.release(database, project, name, item.id, "alice") is False
    assert queues.claim_next(database, project, name, "bob", now=T0).id == item.id  # released: free at once
    queues.record_review(database, project, name, item.id, "bob", "skipped", now=T0)
    assert queues.claim_next(database, project, name, "bob", now=T0).object_id == "t001"  # a skip is not offered again
    assert queues.claim_next(database, project, name, "alice", now=T0).id == item.id
    queues.record_review(database, project, name, item.id, "alice", "done", {"stars": 5}, now=T0)
    with pytest.raises(ConflictError, match="already reviewed"):
        queues.record_review(database, project, name, item.id, "alice", "done", {"stars": 5}, now=T0)
    with pytest.raises(ConflictError, match="already reviewed"):
        queues.record_review(database, project, name, item.id, "alice", "skipped", now=T0)
    # bob changes his mind: a done review replaces his skip and completes the item (2 reviews)
    queues.record_review(database, project, name, item.id, "bob", "done", {"stars": 4}, now=T0)
    assert queues.get_queue(database, project, name).done_count == 1
    assert queues.left_for(database, project, name, "carol") == 1
    _, reviews = queues.done_reviews(database, project, name)
    assert [(r.object_id, r.reviewer, r.scores) for r in reviews] == [
        ("t000", "alice", {"stars": 5}), ("t000", "bob", {"stars": 4})]  # fmt: skip


def test_adding_again_adds_nothing(database: Database) -> None:
    project, name = new_queue(database, 3)
    again = queues.add_items(
        database, project, name,
        [queues.NewItem("trace", "t000"), queues.NewItem("trace", "t000"), queues.NewItem("session", "t000"),
         queues.NewItem("observation", "o1", "t001")],
    )  # fmt: skip
    assert (again.added, again.existing, again.item_count) == (2, 1, 5)  # a session t000 is another object
    items = queues.list_items(database, project, name, limit=10)
    assert [(i.kind, i.object_id, i.trace_id) for i in items][-2:] == [
        ("session", "t000", None),
        ("observation", "o1", "t001"),
    ]
    with pytest.raises(BadRequestError, match="kind is one of"):
        queues.add_items(database, project, name, [queues.NewItem("span", "x")])
    with pytest.raises(NotFoundError):
        queues.add_items(database, project, "nope", [queues.NewItem("trace", "x")])
    with pytest.raises(ConflictError):
        queues.create_queue(database, project, name, [STARS])
    with pytest.raises(BadRequestError, match="above max_value"):
        queues.create_queue(database, project, "bad", [{"name": "s", "min_value": 5, "max_value": 1}])
    with pytest.raises(BadRequestError, match="needs its categories"):
        queues.create_queue(database, project, "bad", [{"name": "tone", "data_type": "CATEGORICAL"}])
    with pytest.raises(BadRequestError, match="appears twice"):
        queues.create_queue(database, project, "bad", [STARS, STARS])


def test_concurrent_claims_never_hand_out_one_item_twice(database: Database) -> None:
    """Four reviewers claim and skip as fast as they can; every item goes to exactly one of them."""
    project, name = new_queue(database, 120)
    got: dict[str, list[str]] = {}
    start = threading.Barrier(4)

    def work(reviewer: str) -> None:
        mine: list[str] = []
        start.wait()
        while (item := queues.claim_next(database, project, name, reviewer)) is not None:
            mine.append(item.object_id)
            queues.record_review(database, project, name, item.id, reviewer, "done", {"stars": 3})
        got[reviewer] = mine

    threads = [threading.Thread(target=work, args=(f"r{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    counts = Counter(item for items in got.values() for item in items)
    assert len(got) == 4 and sum(counts.values()) == 120 and set(counts.values()) == {1}
    assert queues.get_queue(database, project, name).remaining == 0


def test_a_queue_reads_the_project_configs_it_names(database: Database) -> None:
    """A named project config is stored as a reference and read at each use: its rules now, its
    archiving, and (removed by hand: configs are archived, not deleted) its absence all show."""
    project, _ = get_or_create_project(database, "default")
    labels = (Category("polite"), Category("rude"))
    tone = create_score_config(database, project, "tone", "CATEGORICAL", categories=labels)
    with pytest.raises(BadRequestError, match="no score config named 'stars' in this project"):
        queues.create_queue(database, project, "review", ["stars"])
    made = queues.create_queue(database, project, "review", ["tone", STARS], now=T0)
    assert [(c["name"], c["config_id"], c["categories"]) for c in made.score_configs] == [
        ("tone", tone.id, ["polite", "rude"]), ("stars", None, None)]  # fmt: skip
    assert [c.name for c in made.configs()] == ["tone", "stars"] and made.refusal() is None
    update_score_config(database, project, tone.id, {"categories": (labels[0], Category("neutral"), labels[1])})
    [listed] = queues.list_queues(database, project)
    assert listed.configs()[0].categories == ("polite", "neutral", "rude")
    update_score_config(database, project, tone.id, {"archived": True})
    refusal = queues.get_queue(database, project, "review").refusal()
    assert refusal is not None and "'tone' is archived" in refusal
    with database.write_transaction() as conn:
        conn.execute(delete(tables.score_configs).where(tables.score_configs.c.id == tone.id))
    gone = queues.get_queue(database, project, "review")
    assert (gone.score_configs[0]["name"], gone.score_configs[0]["missing"]) == ("tone", True)
    assert [c.name for c in gone.configs()] == ["stars"] and "is no longer in the project" in (gone.refusal() or "")
