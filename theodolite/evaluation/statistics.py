"""Statistics for evaluations, in the standard library only: agreement between two raters (Cohen's
kappa, weighted for ordinal scales) and the comparison of two experiments scored on the same items
(a paired bootstrap interval for the difference of means; wins, losses and ties per item), and of
two experiments' categorical scores (each one's distribution of categories; per item, whether the
category agrees, and wins and losses where the categories carry values that order them).

Experiments are compared as "B against A": a positive difference means B scored higher.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Scores = Mapping[Hashable, Any] | Sequence[Any]


# --- agreement --------------------------------------------------------------------------------
def cohens_kappa(
    rater_a: Sequence[Hashable],
    rater_b: Sequence[Hashable],
    *,
    weights: str | None = None,
    categories: Sequence[Hashable] | None = None,
) -> float:
    """Cohen's kappa between two raters' labels for the same items (categorical or boolean).

    kappa = (p_o - p_e) / (1 - p_e): observed agreement against the agreement expected by chance
    from each rater's own label frequencies. 1 is perfect agreement, 0 chance level, below 0 worse
    than chance. When both raters used one and the same label for every item, p_e = 1 and kappa is
    undefined: NaN (agreement is total but says nothing about the raters).

    `weights="linear"` or `"quadratic"` gives weighted kappa for ordinal labels (a 1-5 scale), where
    disagreeing by one step costs less than by four: disagreement weights |i - j| / (k - 1), or
    squared, over the labels' positions in `categories` (required for labels that are not numbers;
    numbers are ordered by value). Quadratic weighted kappa is the usual choice for rating scales.
    """
    if len(rater_a) != len(rater_b):
        raise ValueError(f"the raters labelled different numbers of items ({len(rater_a)} and {len(rater_b)})")
    if not rater_a:
        raise ValueError("kappa needs at least one item")
    if weights not in (None, "linear", "quadratic"):
        raise ValueError(f"weights is None, 'linear' or 'quadratic', not {weights!r}")
    labels = _categories(rater_a, rater_b, weights, categories)
    position = {label: index for index, label in enumerate(labels)}
    k = len(labels)

    def disagreement(i: int, j: int) -> float:
        if weights is None:
            return 0.0 if i == j else 1.0
        distance = abs(i - j) / (k - 1) if k > 1 else 0.0
        return distance if weights == "linear" else distance * distance

    n = len(rater_a)
    observed = Counter((position[a], position[b]) for a, b in zip(rater_a, rater_b, strict=True))
    rows = Counter(position[a] for a in rater_a)
    columns = Counter(position[b] for b in rater_b)
    observed_cost = sum(disagreement(i, j) * count for (i, j), count in observed.items()) / n
    expected_cost = sum(disagreement(i, j) * rows[i] * columns[j] for i in rows for j in columns) / (n * n)
    if expected_cost == 0:
        return math.nan
    return 1.0 - observed_cost / expected_cost


def _categories(
    rater_a: Sequence[Hashable], rater_b: Sequence[Hashable], weights: str | None, given: Sequence[Hashable] | None
) -> list[Hashable]:
    seen = list(dict.fromkeys([*rater_a, *rater_b]))
    if given is not None:
        allowed = set(given)
        unknown = [label for label in seen if label not in allowed]
        if unknown:
            raise ValueError(f"labels not among the categories: {unknown!r}")
        return list(given)
    if weights is None:
        return seen
    if all(isinstance(label, int | float) for label in seen):
        return sorted(seen)  # type: ignore[type-var]  # numbers (bools too) order by value
    raise ValueError("weighted kappa needs the categories in order (categories=[...]) for labels that are not numbers")


# --- comparing two experiments on the same items ----------------------------------------------
@dataclass(slots=True, frozen=True)
class Pairs:
    """Scores of A and B on the items both scored, in a stable order."""

    keys: list[Hashable]
    a: list[float]
    b: list[float]
    unpaired: int  # items scored by one experiment only, or with no value (a failed evaluation)


def pair_scores(scores_a: Scores, scores_b: Scores) -> Pairs:
    """Match the scores by item: two mappings item -> score (items in A's order), or two sequences
    of equal length (position is the item). Booleans count as 1 and 0; None is a missing score."""
    if isinstance(scores_a, Mapping) != isinstance(scores_b, Mapping):
        raise TypeError("give both experiments' scores as mappings (item -> score) or both as sequences")
    if isinstance(scores_a, Mapping) and isinstance(scores_b, Mapping):
        keys_a, values_a, values_b = list(scores_a), scores_a, scores_b
        unmatched = len(set(scores_a).symmetric_difference(scores_b))
    else:
        if len(scores_a) != len(scores_b):
            raise ValueError(f"paired sequences differ in length ({len(scores_a)} and {len(scores_b)})")
        keys_a, values_a, values_b = list(range(len(scores_a))), scores_a, scores_b
        unmatched = 0
    keys: list[Hashable] = []
    a_scores: list[float] = []
    b_scores: list[float] = []
    missing = 0
    for key in keys_a:
        if isinstance(scores_b, Mapping) and key not in scores_b:
            continue
        a, b = values_a[key], values_b[key]  # type: ignore[index]
        if a is None or b is None:
            missing += 1
            continue
        keys.append(key)
        a_scores.append(_score(a, key))
        b_scores.append(_score(b, key))
    return Pairs(keys, a_scores, b_scores, unmatched + missing)


def _score(value: Any, key: Hashable) -> float:
    if isinstance(value, bool | int | float) and math.isfinite(value):
        return float(value)
    raise ValueError(f"item {key!r}: {value!r} is not a finite number (or bool); compare NUMERIC or BOOLEAN scores")


@dataclass(slots=True, frozen=True)
class BootstrapInterval:
    """The mean of the per-item differences B - A and its percentile bootstrap interval."""

    mean_difference: float
    low: float
    high: float
    confidence: float
    n_items: int
    n_resamples: int
    seed: int
    unpaired: int = 0

    @property
    def excludes_zero(self) -> bool:
        """Whether the interval lies wholly on one side of 0: B differs from A at this confidence."""
        return self.low > 0 or self.high < 0


def bootstrap_mean_difference(
    scores_a: Scores,
    scores_b: Scores,
    *,
    n_resamples: int = 10_000,
    confidence: float = 0.95,
    seed: int = 0,
) -> BootstrapInterval:
    """A paired bootstrap: resample the items (with replacement) `n_resamples` times, take the mean
    of B - A in each, and read the interval off those means' percentiles (linear interpolation
    between order statistics, as numpy's default). Seeded: the same inputs give the same interval.

    Pairing is the point: both experiments saw the same items, so the item's difficulty cancels out
    of each difference and the interval is much narrower than two independent ones would give.
    """
    if n_resamples < 1:
        raise ValueError("n_resamples must be at least 1")
    if not 0 < confidence < 1:
        raise ValueError("confidence is a fraction between 0 and 1 (0.95 for 95 %)")
    pairs = pair_scores(scores_a, scores_b)
    differences = [b - a for a, b in zip(pairs.a, pairs.b, strict=True)]
    n = len(differences)
    if n == 0:
        raise ValueError("no item was scored by both experiments")
    rng = random.Random(seed)
    means = sorted(math.fsum(rng.choices(differences, k=n)) / n for _ in range(n_resamples))
    tail = (1 - confidence) / 2
    return BootstrapInterval(
        mean_difference=math.fsum(differences) / n,
        low=_percentile(means, tail),
        high=_percentile(means, 1 - tail),
        confidence=confidence,
        n_items=n,
        n_resamples=n_resamples,
        seed=seed,
        unpaired=pairs.unpaired,
    )


def _percentile(ordered: list[float], q: float) -> float:
    position = (len(ordered) - 1) * q
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (position - below) * (ordered[above] - ordered[below])


@dataclass(slots=True, frozen=True)
class WinLossTie:
    """Per item, whether B beat A ("win"), lost ("loss") or tied, and the counts."""

    wins: int
    losses: int
    ties: int
    outcomes: dict[Hashable, str] = field(default_factory=dict)
    unpaired: int = 0


def win_loss_tie(
    scores_a: Scores, scores_b: Scores, *, tolerance: float = 0.0, higher_is_better: bool = True
) -> WinLossTie:
    """Count the items B scored better than A (by more than `tolerance`), worse, or about the same."""
    if tolerance < 0:
        raise ValueError("tolerance cannot be negative")
    pairs = pair_scores(scores_a, scores_b)
    outcomes: dict[Hashable, str] = {}
    for key, a, b in zip(pairs.keys, pairs.a, pairs.b, strict=True):
        gain = (b - a) if higher_is_better else (a - b)
        outcomes[key] = "win" if gain > tolerance else "loss" if gain < -tolerance else "tie"
    counts = Counter(outcomes.values())
    return WinLossTie(counts["win"], counts["loss"], counts["tie"], outcomes, pairs.unpaired)


# --- comparing two experiments' categorical scores --------------------------------------------
@dataclass(slots=True, frozen=True)
class Distribution:
    """How often each category was given: counts and shares of `n`, in first-seen order (or the
    order of the categories given)."""

    counts: dict[str, int]
    shares: dict[str, float]
    n: int


def category_distribution(labels: Scores, categories: Sequence[str] | None = None) -> Distribution:
    """Counts and shares of the labels (a mapping item -> label, or a sequence; None is missing).
    `categories` puts known categories first, in their order, with 0 for those never given."""
    values = list(labels.values()) if isinstance(labels, Mapping) else list(labels)
    counted = Counter(str(label) for label in values if label is not None)
    order = list(dict.fromkeys([*(categories or ()), *counted]))
    n = sum(counted.values())
    counts = {label: counted.get(label, 0) for label in order}
    return Distribution(counts, {label: count / n if n else 0.0 for label, count in counts.items()}, n)


@dataclass(slots=True, frozen=True)
class CategoryComparison:
    """B's categories against A's, item by item. `agreement` is the share of the paired items with
    the same category (None with no pair). `wins`/`losses`/`ties` are None unless the categories
    have values; then they count the pairs where both categories have one."""

    n_items: int
    agreed: int
    agreement: float | None
    unpaired: int
    wins: int | None = None
    losses: int | None = None
    ties: int | None = None
    outcomes: dict[Hashable, str] = field(default_factory=dict)


def compare_categories(
    labels_a: Mapping[Hashable, Any], labels_b: Mapping[Hashable, Any], values: Mapping[str, float] | None = None
) -> CategoryComparison:
    """Pair two experiments' labels by item (None is missing) and count agreement; with `values`
    (category -> number, higher is better, as a score config's categories carry them), B wins an
    item when its category's value is above A's. A label without a value decides nothing."""
    unpaired = len(set(labels_a).symmetric_difference(labels_b))
    pairs: list[tuple[Hashable, str, str]] = []
    for key, a in labels_a.items():
        if key not in labels_b:
            continue
        b = labels_b[key]
        if a is None or b is None:
            unpaired += 1
        else:
            pairs.append((key, str(a), str(b)))
    agreed = sum(1 for _, a, b in pairs if a == b)
    agreement = agreed / len(pairs) if pairs else None
    if values is None:
        return CategoryComparison(len(pairs), agreed, agreement, unpaired)
    outcomes: dict[Hashable, str] = {}
    for key, a, b in pairs:
        if a in values and b in values:
            gain = values[b] - values[a]
            outcomes[key] = "win" if gain > 0 else "loss" if gain < 0 else "tie"
    counts = Counter(outcomes.values())
    return CategoryComparison(
        len(pairs), agreed, agreement, unpaired, counts["win"], counts["loss"], counts["tie"], outcomes
    )
