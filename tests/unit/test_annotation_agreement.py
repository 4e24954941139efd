"""Agreement over a queue's labels: pairs of reviewers on shared objects, reviewers against other sources."""

from __future__ import annotations

from theodolite.evaluation import cohens_kappa
from theodolite.query.annotation_agreement import human_vs_sources, reviewer_pairs


def test_pairs_compare_only_the_objects_both_reviewers_labelled() -> None:
    labels = {
        "bob": {"t1": "yes", "t2": "no", "t3": "yes", "t4": "no"},
        "alice": {"t1": "yes", "t2": "yes", "t3": "yes", "t5": "no"},
        "carol": {"t9": "no"},
    }
    pairs = reviewer_pairs(labels)
    assert [(p["a"], p["b"], p["n"]) for p in pairs] == [
        ("alice", "bob", 3),
        ("alice", "carol", 0),
        ("bob", "carol", 0),
    ]
    assert pairs[0]["kappa"] == cohens_kappa(["yes", "yes", "yes"], ["yes", "no", "yes"])
    assert pairs[1]["kappa"] is None  # nothing shared


def test_one_label_throughout_is_undefined_not_nan() -> None:
    [pair] = reviewer_pairs({"a": {"t1": 3, "t2": 3}, "b": {"t1": 3, "t2": 3}}, weights="quadratic")
    assert (pair["n"], pair["kappa"]) == (2, None)


def test_every_review_is_paired_with_the_sources_label() -> None:
    humans = {"alice": {"t1": 1, "t2": 2, "t3": 3}, "bob": {"t1": 2, "t3": 3}}
    sources = {"judge": {"t1": 1, "t3": 2}, "API": {"t7": 1}}
    versus = human_vs_sources(humans, sources, weights="linear")
    assert [(v["source"], v["n"]) for v in versus] == [("API", 0), ("judge", 4)]
    assert versus[1]["kappa"] == cohens_kappa([1, 3, 2, 3], [1, 2, 1, 2], weights="linear")
