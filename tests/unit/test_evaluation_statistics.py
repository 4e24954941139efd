"""Cohen's kappa against hand-computed tables; the paired bootstrap and win/loss/tie on known data;
categorical scores compared (distribution, agreement, wins by the categories' values)."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from theodolite.evaluation import (
    bootstrap_mean_difference,
    category_distribution,
    cohens_kappa,
    compare_categories,
    win_loss_tie,
)
from theodolite.evaluation.statistics import _percentile, pair_scores


def table(yes_yes: int, yes_no: int, no_yes: int, no_no: int) -> tuple[list[str], list[str]]:
    """Two raters' labels from a 2x2 agreement table (rows: rater A, columns: rater B)."""
    cells = [("yes", "yes")] * yes_yes + [("yes", "no")] * yes_no + [("no", "yes")] * no_yes + [("no", "no")] * no_no
    return [a for a, _ in cells], [b for _, b in cells]


@pytest.mark.parametrize(
    ("cells", "kappa"),
    [
        # 50 items: p_o = 35/50 = 0.7; A says yes 25/50, B 30/50: p_e = .5*.6 + .5*.4 = 0.5; (0.7-0.5)/0.5
        ((20, 5, 10, 15), 0.4),
        # the same p_o = 0.6 with different marginals gives different kappas: p_e = .54, then .46
        ((45, 15, 25, 15), (0.6 - 0.54) / 0.46),
        ((25, 35, 5, 35), (0.6 - 0.46) / 0.54),
    ],
)
def test_kappa_of_textbook_tables(cells: tuple[int, int, int, int], kappa: float) -> None:
    assert cohens_kappa(*table(*cells)) == pytest.approx(kappa)


def test_kappa_of_booleans() -> None:
    a = [True, True, False, False, True, False]
    assert cohens_kappa(a, a) == 1.0
    assert cohens_kappa(a, [not x for x in a]) == -1.0


def test_weighted_kappa_by_hand() -> None:
    # A = 1 1 2 2 3 3, B = 1 2 2 3 3 3. Unweighted: p_o = 4/6, p_e = (2*1 + 2*2 + 2*3)/36 = 1/3 -> 0.5.
    # Linear weights |i-j|/2: observed cost (0.5 + 0.5)/6 = 1/6; expected cost
    # (2/36) * sum_j c_j * sum_i w_ij = (2/36) * (1*1.5 + 2*1 + 3*1.5) = 4/9 -> 1 - (1/6)/(4/9) = 0.625.
    # Quadratic weights: observed (0.25 + 0.25)/6 = 1/12; expected (2/36) * (1.25 + 2*0.5 + 3*1.25) = 1/3 -> 0.75.
    a, b = [1, 1, 2, 2, 3, 3], [1, 2, 2, 3, 3, 3]
    assert cohens_kappa(a, b) == pytest.approx(0.5)
    assert cohens_kappa(a, b, weights="linear") == pytest.approx(0.625)
    assert cohens_kappa(a, b, weights="quadratic") == pytest.approx(0.75)
    words = {1: "poor", 2: "fair", 3: "good"}
    scale = ["poor", "fair", "good"]
    labelled = [words[x] for x in a], [words[x] for x in b]
    assert cohens_kappa(*labelled, weights="quadratic", categories=scale) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="categories in order"):
        cohens_kappa(*labelled, weights="linear")
    # the order given is the order used: another order, another kappa
    assert cohens_kappa(*labelled, weights="linear", categories=["fair", "poor", "good"]) != pytest.approx(0.625)


@given(st.lists(st.sampled_from(["a", "b", "c"]), min_size=2).filter(lambda labels: len(set(labels)) > 1))
def test_identical_ratings_agree_perfectly(labels: list[str]) -> None:
    assert cohens_kappa(labels, labels) == pytest.approx(1.0)
    assert cohens_kappa(labels, labels, weights="quadratic", categories=["a", "b", "c"]) == pytest.approx(1.0)


@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1))
def test_kappa_is_symmetric_and_at_most_one(pairs: list[tuple[bool, bool]]) -> None:
    a, b = [x for x, _ in pairs], [y for _, y in pairs]
    kappa = cohens_kappa(a, b)
    assert math.isnan(kappa) or (kappa <= 1.0 + 1e-12 and kappa == pytest.approx(cohens_kappa(b, a)))


def test_kappa_edge_cases() -> None:
    assert math.isnan(cohens_kappa(["yes"] * 5, ["yes"] * 5))  # one label throughout: undefined
    with pytest.raises(ValueError, match="different numbers of items"):
        cohens_kappa([1, 2], [1])
    with pytest.raises(ValueError, match="not among the categories"):
        cohens_kappa(["x"], ["y"], categories=["x"])


def test_percentile_interpolates_like_numpy() -> None:
    assert _percentile([0.0, 1.0, 2.0, 3.0], 0.5) == 1.5
    assert _percentile([0.0, 10.0], 0.25) == 2.5
    assert _percentile([0.0, 1.0, 2.0, 3.0, 4.0], 0.975) == pytest.approx(3.9)


def test_a_constant_difference_has_no_width() -> None:
    interval = bootstrap_mean_difference([0.2, 0.5, 0.9], [0.7, 1.0, 1.4], n_resamples=200)
    assert interval.mean_difference == pytest.approx(0.5)
    assert interval.low == pytest.approx(0.5) and interval.high == pytest.approx(0.5) and interval.excludes_zero


def test_two_items_by_hand() -> None:
    # differences 0 and 1: resampled means are 0, 0.5, 1 with chances 1/4, 1/2, 1/4; the 2.5 % and
    # 97.5 % percentiles of 10 000 of them are 0 and 1, and about half the means are 0.5
    interval = bootstrap_mean_difference([0, 0], [0, 1], n_resamples=10_000, seed=7)
    assert (interval.mean_difference, interval.low, interval.high) == (0.5, 0.0, 1.0)
    assert not interval.excludes_zero


def test_seeded_and_configurable() -> None:
    rng = random.Random(3)
    a = [rng.random() for _ in range(40)]
    b = [x + rng.gauss(0.05, 0.2) for x in a]
    first = bootstrap_mean_difference(a, b, n_resamples=500, seed=1)
    assert first == bootstrap_mean_difference(a, b, n_resamples=500, seed=1)
    assert (first.low, first.high) != (
        (other := bootstrap_mean_difference(a, b, n_resamples=500, seed=2)).low, other.high,
    )  # fmt: skip
    assert first.n_resamples == 500 and first.n_items == 40
    narrower = bootstrap_mean_difference(a, b, n_resamples=500, seed=1, confidence=0.5)
    assert first.low < narrower.low < narrower.high < first.high


def test_noise_gives_an_interval_around_zero_and_an_effect_does_not() -> None:
    misses = 0
    for dataset in range(30):
        rng = random.Random(dataset)
        a = [rng.gauss(0.6, 0.2) for _ in range(60)]
        b = [rng.gauss(0.6, 0.2) for _ in range(60)]  # the same distribution: no real difference
        misses += bootstrap_mean_difference(a, b, n_resamples=400, seed=dataset).excludes_zero
    assert misses <= 5  # a 95 % interval misses about 1.5 of 30 datasets
    rng = random.Random(99)
    a = [rng.gauss(0.6, 0.2) for _ in range(60)]
    better = [x + 0.15 + rng.gauss(0, 0.05) for x in a]
    interval = bootstrap_mean_difference(a, better, n_resamples=1000)
    assert interval.excludes_zero and 0.1 < interval.low < 0.15 < interval.high < 0.2


def test_pairing_by_item() -> None:
    a = {"q1": 1.0, "q2": 0.0, "q3": True, "q4": None, "only_a": 1.0}
    b = {"q3": 0.0, "q1": 1.0, "q2": 1.0, "q4": 1.0, "only_b": 0.0}
    pairs = pair_scores(a, b)
    assert pairs.keys == ["q1", "q2", "q3"] and pairs.a == [1.0, 0.0, 1.0] and pairs.b == [1.0, 1.0, 0.0]
    assert pairs.unpaired == 3  # only_a, only_b, and q4 without A's score
    with pytest.raises(ValueError, match="'q1': 'good' is not a finite number"):
        pair_scores({"q1": "good"}, {"q1": "bad"})
    with pytest.raises(TypeError, match="both as sequences"):
        pair_scores({"q1": 1}, [1])
    with pytest.raises(ValueError, match="no item was scored by both"):
        bootstrap_mean_difference({"x": 1}, {"y": 1})


def test_win_loss_tie() -> None:
    a = {"q1": 0.5, "q2": 0.9, "q3": 0.4, "q4": 0.7}
    b = {"q1": 0.8, "q2": 0.6, "q3": 0.42, "q4": 0.7}
    result = win_loss_tie(a, b)
    assert (result.wins, result.losses, result.ties) == (2, 1, 1)
    assert result.outcomes == {"q1": "win", "q2": "loss", "q3": "win", "q4": "tie"}
    tolerant = win_loss_tie(a, b, tolerance=0.05)
    assert (tolerant.wins, tolerant.losses, tolerant.ties) == (1, 1, 2)
    lower_better = win_loss_tie(a, b, higher_is_better=False)  # latency-like scores
    assert (lower_better.wins, lower_better.losses) == (1, 2)
    booleans = win_loss_tie([True, False, True], [True, True, False])
    assert (booleans.wins, booleans.losses, booleans.ties) == (1, 1, 1)


def test_category_distribution() -> None:
    tone = {"q1": "polite", "q2": "rude", "q3": "polite", "q4": None, "q5": "neutral"}
    found = category_distribution(tone)
    assert (found.counts, found.n) == ({"polite": 2, "rude": 1, "neutral": 1}, 4)
    assert found.shares == {"polite": 0.5, "rude": 0.25, "neutral": 0.25}
    ordered = category_distribution(list(tone.values()), ["rude", "neutral", "polite", "angry"])
    assert list(ordered.counts.items()) == [("rude", 1), ("neutral", 1), ("polite", 2), ("angry", 0)]
    assert ordered.shares["angry"] == 0.0 and category_distribution([]).shares == {}


def test_categories_agree_and_win_by_their_values() -> None:
    a = {"q1": "polite", "q2": "rude", "q3": "neutral", "q4": "polite", "q5": "rude", "q6": None, "q7": "rude"}
    b = {"q1": "polite", "q2": "polite", "q3": "rude", "q4": "neutral", "q5": "rude", "q6": "rude", "q8": "x"}
    plain = compare_categories(a, b)
    # paired: q1-q5 (q6 has no label in A, q7 and q8 are on one side): q1 and q5 agree
    assert (plain.n_items, plain.agreed, plain.agreement, plain.unpaired) == (5, 2, 0.4, 3)
    assert (plain.wins, plain.losses, plain.ties) == (None, None, None)
    values = {"rude": 0.0, "neutral": 1.0, "polite": 2.0}
    ordered = compare_categories(a, b, values)
    assert ordered.outcomes == {"q1": "tie", "q2": "win", "q3": "loss", "q4": "loss", "q5": "tie"}
    assert (ordered.wins, ordered.losses, ordered.ties, ordered.agreement) == (1, 2, 2, 0.4)
    # a category the values do not know decides nothing, but still counts for agreement
    unknown = compare_categories({"q1": "polite", "q2": "odd"}, {"q1": "rude", "q2": "odd"}, values)
    assert (unknown.wins, unknown.losses, unknown.ties, unknown.agreed) == (0, 1, 0, 1)
    assert compare_categories({}, {}).agreement is None
